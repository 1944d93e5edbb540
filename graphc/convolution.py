"""conv1d and conv2d as torch.nn.functional has them, composed of existing ops (im2col).

The padded input is cut into one strided slice per kernel offset, the slices are stacked
into columns, and one matmul per group (PyTorch's `groups`) with the weight gives every
output position of the whole batch at once; BLAS does the arithmetic. No new primitive: autodiff
differentiates the composition (slices, stack, reshape, matmul).
"""

from __future__ import annotations

from graphc import functional as F
from graphc.functional import TensorLike, _scalar_node, _tensor, _wrap
from graphc.ops import build_error, make
from graphc.shapes import format_shape
from graphc.tensor import Tensor, shown_as


@shown_as("ConvolutionBackward0")
def conv1d(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None,  # noqa: A002 - torch's name
           stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation, as PyTorch's) of input (N, C_in, L) or (C_in, L)
    with weight (C_out, C_in / groups, kL); padding is an int, a 1-tuple, 'valid' or 'same'."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@shown_as("ConvolutionBackward0")
def conv2d(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None,  # noqa: A002 - torch's name
           stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch's) of input (N, C_in, H, W) or
    (C_in, H, W) with weight (C_out, C_in / groups, kH, kW); stride, padding and dilation are
    ints or pairs, padding also 'valid' or 'same'."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _tuple(op: str, name: str, value, n: int, minimum: int) -> tuple[int, ...]:
    """An int or an n-tuple of ints, each at least `minimum`, as an n-tuple."""
    values = None
    if isinstance(value, int):
        values = (value,) * n
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    if values is None or len(values) != n or not all(isinstance(v, int) and not isinstance(v, bool)
                                                     for v in values):
        raise build_error(op, f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise build_error(op, f"{name} must be at least {minimum}, got {value!r}")
    return values


def _padding(op: str, padding, n: int, kernel, stride, dilation) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial dimension; 'same' puts the odd one after, as PyTorch."""
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        if any(s != 1 for s in stride):
            raise build_error(op, "padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise build_error(op, f"padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    return tuple((p, p) for p in _tuple(op, "padding", padding, n, 0))


def _convolution(op: str, n: int, data, weight, bias, stride, padding, dilation, groups) -> Tensor:
    x, w = _tensor(data), _tensor(weight)
    types = [x._node.type, w._node.type]
    if x.ndim not in (n + 1, n + 2):
        raise build_error(op, f"expects a {n + 1}-D (unbatched) or {n + 2}-D (batched) input,"
                          f" got shape {format_shape(x._node.shape)}", types)
    if w.ndim != n + 2:
        raise build_error(op, f"expects a {n + 2}-D weight (out_channels, in_channels / groups,"
                          f" kernel...), got shape {format_shape(w._node.shape)}", types)
    unbatched = x.ndim == n + 1
    if unbatched:
        x = F.unsqueeze(x, 0)
    stride = _tuple(op, "stride", stride, n, 1)
    dilation = _tuple(op, "dilation", dilation, n, 1)
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise build_error(op, f"groups must be a positive int, got {groups!r}", types)
    batch, channels, *spatial = x._node.shape
    out_channels, group_channels, *kernel = w._node.shape
    if not all(isinstance(d, int) for d in (channels, *spatial, *w._node.shape)):
        raise build_error(op, "needs static channel, spatial and weight sizes (only the batch"
                          " size may be symbolic)", types)
    if channels % groups or out_channels % groups or channels // groups != group_channels:
        raise build_error(op, f"an input of {channels} channels in {groups} groups needs a weight"
                          f" of shape [out_channels, {channels // groups}, ...] with out_channels"
                          f" divisible by {groups}, got {format_shape(w._node.shape)}", types)
    widths = _padding(op, padding, n, kernel, stride, dilation)
    if any(lo or hi for lo, hi in widths):
        zero = _scalar_node(0, x.dtype).attr("value")
        x = _wrap(make("pad", (x._node,), widths=((0, 0), (0, 0), *widths), value=zero), x)
    padded = [size + lo + hi for size, (lo, hi) in zip(spatial, widths)]
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    out = [(p - r) // s + 1 for p, r, s in zip(padded, reach, stride)]
    if any(p < r for p, r in zip(padded, reach)):
        raise build_error(op, f"the (padded) input's spatial size {padded} is smaller than the"
                          f" (dilated) kernel's {reach}", types)

    # Channels first, then the batch: the columns become one (channels x kernel, batch x
    # positions) matrix per group, so the product is a plain matrix product per group (BLAS),
    # never a batched one that broadcasts the weight (NumPy runs those without BLAS).
    x = F.permute(x, (1, 0, *range(2, n + 2)))
    columns = [F.getitem(x, (slice(None), slice(None), *(
        slice(o * d, o * d + s * (m - 1) + 1, s) for o, d, s, m in zip(offset, dilation, stride, out))))
        for offset in _offsets(kernel)]
    taps = len(columns)
    positions = 1
    for m in out:
        positions *= m
    lead = (groups,) if groups > 1 else ()  # one group: plain 2-D matrices
    cols = F.reshape(F.stack(columns, 1), (*lead, group_channels * taps, batch * positions))
    w_groups = F.reshape(w, (*lead, out_channels // groups, group_channels * taps))
    product = F.reshape(F.matmul(w_groups, cols), (out_channels, batch, *out))
    result = F.permute(product, (1, 0, *range(2, n + 2)))
    if bias is not None:
        b = _tensor(bias)
        if b.ndim != 1 or b._node.shape[0] != out_channels:
            raise build_error(op, f"expects a bias of shape [{out_channels}], got"
                              f" {format_shape(b._node.shape)}", [b._node.type])
        result = result + F.reshape(b, (out_channels,) + (1,) * n)
    return F.squeeze(result, 0) if unbatched else result


def _offsets(kernel) -> list[tuple[int, ...]]:
    """Every kernel offset, the last dimension fastest (the weight's own order)."""
    offsets = [()]
    for k in kernel:
        offsets = [(*o, i) for o in offsets for i in range(k)]
    return offsets
