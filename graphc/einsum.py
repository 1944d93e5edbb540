"""`graphc.einsum`: NumPy's and PyTorch's subscript notation, lowered by composition.

An equation such as "bij,bjk->bik" becomes the ops a person would write: a repeated label
in one operand takes a diagonal (a strided view; a mask and a sum for a symbolic size), a
label no one else needs is summed away where it appears, and each pair of operands is one
`matmul` over the labels they share (transposed and reshaped into batch x rows x
contracted), or a broadcast product when they share none. Fusion and the BLAS then do the
work; autodiff differentiates the parts.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import graphc.functional as F
from graphc.compositions import positions
from graphc.functional import TensorLike, _tensor
from graphc.ops import build_error
from graphc.shapes import dims_equal, format_dim, numel, simplify_dim
from graphc.tensor import Tensor

LETTERS = frozenset(string.ascii_letters)
Label = str | tuple[str, int]  # a letter, or ("...", k): the k-th dimension (from the right) of "..."


class _Operand:
    """A tensor and the label of each of its dimensions."""

    def __init__(self, tensor: Tensor, labels: list[Label]):
        self.tensor, self.labels = tensor, labels

    def size(self, label: Label):
        return self.tensor.shape[self.labels.index(label)]


def einsum(equation: str, *operands: TensorLike) -> Tensor:
    """Sum of products over the labelled dimensions of `operands`, as `torch.einsum`: letters
    name dimensions, "..." stands for the dimensions no letter names (broadcast as NumPy), a
    letter repeated in one operand takes its diagonal, and "->" names the output's labels
    (without it: "..." then the letters seen once, in alphabetical order)."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum takes the equation first, as a string, not {type(equation).__name__}"
                        " (the sublist form is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [_tensor(t) for t in operands]
    types = [t.node.type for t in tensors]

    def fail(message: str):
        return build_error("einsum", f"{message} in {equation!r}", types)

    terms, output = _parse(equation.replace(" ", ""), len(tensors), fail)
    ops = [_Operand(t, _labels(term, t.ndim, k, fail)) for k, (t, term) in enumerate(zip(tensors, terms))]
    depth = max((sum(1 for label in op.labels if isinstance(label, tuple)) for op in ops), default=0)
    ellipsis = [("...", k) for k in reversed(range(depth))]
    if output is None:
        seen = [label for op in ops for label in op.labels]
        output_labels = ellipsis + sorted(c for c in set(seen) if isinstance(c, str) and seen.count(c) == 1)
    else:
        output_labels = _output_labels(output, ellipsis, ops, fail)
    _check_sizes(ops, fail)
    ops = [_diagonals(op) for op in ops]
    result = ops[0]
    for k in range(len(ops)):
        later = set(output_labels).union(*(o.labels for o in ops[k + 1:]))
        if k == 0:
            result = _sum_unneeded(result, later)
        else:
            result = _contract(result, ops[k], later)
    return _arrange(result, output_labels)


# ----------------------------------------------------------------------------- parsing

def _parse(equation: str, count: int, fail) -> tuple[list[str], str | None]:
    if equation.count("->") > 1:
        raise fail("more than one '->'")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != count:
        raise fail(f"{len(terms)} operand terms for {count} tensors")
    for term in [*terms, rhs]:
        _check_term(term, fail)
    return terms, rhs if arrow else None


def _check_term(term: str, fail) -> None:
    rest = term.replace("...", "", 1)
    if "." in rest:
        raise fail(f"a '.' outside one '...' in the term {term!r}")
    bad = sorted(set(rest) - LETTERS)
    if bad:
        raise fail(f"the character {bad[0]!r} (labels are letters a-z, A-Z)")


def _labels(term: str, ndim: int, k: int, fail) -> list[Label]:
    before, dots, after = term.partition("...")
    letters = len(before) + len(after)
    if (not dots and letters != ndim) or letters > ndim:
        raise fail(f"operand {k} has {ndim} dimensions but its term {term!r} names {letters}")
    hidden = ndim - letters if dots else 0
    return [*before, *(("...", j) for j in reversed(range(hidden))), *after]


def _output_labels(output: str, ellipsis: list[Label], ops: list[_Operand], fail) -> list[Label]:
    before, dots, after = output.partition("...")
    letters = [*before, *after]
    repeated = sorted({c for c in letters if letters.count(c) > 1})
    if repeated:
        raise fail(f"the output label {repeated[0]!r} appears more than once")
    known = {label for op in ops for label in op.labels}
    missing = sorted(set(letters) - known)
    if missing:
        raise fail(f"the output label {missing[0]!r} names no operand's dimension")
    return [*before, *(ellipsis if dots else ()), *after]


def _check_sizes(ops: list[_Operand], fail) -> None:
    """A label has one size everywhere, but a size of 1 broadcasts."""
    sizes: dict[Label, object] = {}
    for k, op in enumerate(ops):
        for label in set(op.labels):
            own = [size for lb, size in zip(op.labels, op.tensor.shape) if lb == label]
            if any(dims_equal(own[0], size) is not True for size in own[1:]):
                raise fail(f"the label {label!r} repeats in operand {k} over sizes"
                           f" {', '.join(map(format_dim, own))}, which differ")
        for label, size in zip(op.labels, op.tensor.shape):
            if size == 1:
                continue
            other = sizes.setdefault(label, size)
            if dims_equal(other, size) is not True:
                name = "..." if isinstance(label, tuple) else repr(label)
                raise fail(f"the label {name} has sizes {format_dim(other)} and {format_dim(size)}")


# ------------------------------------------------------------------------- lowering

def _diagonals(op: _Operand) -> _Operand:
    """Each repeated label replaced by the diagonal along its dimensions."""
    tensor, labels = op.tensor, list(op.labels)
    while True:
        repeated = next((j for j, label in enumerate(labels) if labels.index(label) != j), None)
        if repeated is None:
            return _Operand(tensor, labels)
        first = labels.index(labels[repeated])
        diagonal = _strided_diagonal if isinstance(tensor.shape[first], int) else _masked_diagonal
        tensor, labels = diagonal(tensor, labels, first, repeated)


def _strided_diagonal(tensor: Tensor, labels: list, first: int, repeated: int):
    """A static diagonal as a view: the two dimensions moved last and merged, every (n+1)-th
    element of the merged one (NumPy's diagonal, with the label last)."""
    size = tensor.shape[first]
    rest = [j for j in range(tensor.ndim) if j not in (first, repeated)]
    moved = F.permute(tensor, (*rest, first, repeated))
    merged = F.reshape(moved, (*(tensor.shape[j] for j in rest), size * size))
    return merged[..., ::size + 1], [*(labels[j] for j in rest), labels[first]]


def _masked_diagonal(tensor: Tensor, labels: list, first: int, repeated: int):
    """A diagonal of symbolic size: the elements off it masked to 0, then summed away."""
    size = tensor.shape[first]
    index = positions(size)
    row = F.reshape(index, tuple(size if j == first else 1 for j in range(tensor.ndim)))
    col = F.reshape(index, tuple(size if j == repeated else 1 for j in range(tensor.ndim)))
    on_diagonal = row == col  # broadcasts against the tensor
    summed = F.sum(F.where(on_diagonal, tensor, F.zeros_like(tensor)), axis=repeated)
    return summed, [label for j, label in enumerate(labels) if j != repeated]


def _sum_unneeded(op: _Operand, needed: set) -> _Operand:
    axes = tuple(j for j, label in enumerate(op.labels) if label not in needed)
    if not axes:
        return op
    return _Operand(F.sum(op.tensor, axis=axes), [lb for lb in op.labels if lb in needed])


def _squeeze_broadcast(a: _Operand, b: _Operand) -> _Operand:
    """Drop from `a` the shared labels of size 1 there and not in `b`: they broadcast."""
    drop = [j for j, label in enumerate(a.labels)
            if label in b.labels and a.tensor.shape[j] == 1 and b.size(label) != 1]
    if not drop:
        return a
    return _Operand(F.squeeze(a.tensor, tuple(drop)), [lb for j, lb in enumerate(a.labels) if j not in drop])


def _merged(dims: Sequence):
    total = numel(tuple(dims))
    return total if isinstance(total, int) else simplify_dim(total)


def _contract(a: _Operand, b: _Operand, needed: set) -> _Operand:
    """The product of `a` and `b` summed over the labels they share that are not `needed`."""
    a, b = _squeeze_broadcast(a, b), _squeeze_broadcast(b, a)
    a = _sum_unneeded(a, needed | set(b.labels))
    b = _sum_unneeded(b, needed | set(a.labels))
    batch = [lb for lb in a.labels if lb in b.labels and lb in needed]
    summed = [lb for lb in a.labels if lb in b.labels and lb not in needed]
    left = [lb for lb in a.labels if lb not in b.labels]
    right = [lb for lb in b.labels if lb not in a.labels]
    if not summed:  # an outer product over the batch: broadcasting multiplies
        x = _unsqueezed(a, batch + left, len(right), at_end=True)
        y = _unsqueezed(b, batch + right, len(left), at_end=False, split=len(batch))
        return _Operand(x * y, batch + left + right)
    x = _permuted(a, batch + left + summed)
    y = _permuted(b, batch + summed + right)
    nb = len(batch)
    x_batch, y_batch = tuple(x.shape[:nb]), tuple(y.shape[:nb])
    left_dims = tuple(x.shape[nb:nb + len(left)])
    right_dims = tuple(y.shape[nb + len(summed):])
    x = F.reshape(x, (*x_batch, _merged(left_dims), _merged(x.shape[nb + len(left):])))
    y = F.reshape(y, (*y_batch, _merged(y.shape[nb:nb + len(summed)]), _merged(right_dims)))
    product = F.matmul(x, y)
    out_batch = tuple(product.shape[:nb])
    return _Operand(F.reshape(product, (*out_batch, *left_dims, *right_dims)), batch + left + right)


def _permuted(op: _Operand, order: list[Label]) -> Tensor:
    return F.permute(op.tensor, tuple(op.labels.index(lb) for lb in order)) if op.tensor.ndim else op.tensor


def _unsqueezed(op: _Operand, order: list[Label], ones: int, at_end: bool, split: int = 0) -> Tensor:
    """`op` permuted to `order`, with `ones` size-1 dimensions after it (at_end) or after its
    first `split` dimensions."""
    x = _permuted(op, order)
    shape = tuple(x.shape)
    if at_end:
        return F.reshape(x, (*shape, *(1,) * ones)) if ones else x
    return F.reshape(x, (*shape[:split], *(1,) * ones, *shape[split:])) if ones else x


def _arrange(op: _Operand, output: list[Label]) -> Tensor:
    op = _sum_unneeded(op, set(output))
    return _permuted(op, output)
