"""matmul on the GPU: cuBLAS for floating point, a support kernel for integers and bools.

cuBLAS is reached through NVIDIA's maintained binding, nvmath-python (`nvmath.bindings.cublas`),
where it is installed. Where it is not (the GPU machines graphc is tested on have only the
`nvidia-cublas` wheel), through a minimal ctypes binding to that wheel's libcublas, of the
five functions graphc needs: create a handle, set its stream, and the strided batched GEMM of
float32, float64 and (with float32 arithmetic) float16 and bfloat16. Both take the same arguments.

cuBLAS is column-major. A C-ordered m x k matrix is, to it, its k x m transpose, so
C = A @ B is computed as C^T = B^T A^T: `gemm(n, m, k, B, A, C)`. A matrix stored transposed
(a transposed view) is passed as it is with the transpose flag; anything else is copied
to C order first. Batches broadcast as NumPy's `@` does (a stride of 0 repeats a matrix).
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np

from graphc.backends.cuda import runtime, support
from graphc.backends.cuda.arrays import DeviceArray

OP_N, OP_T = 0, 1  # cublasOperation_t
R_16F, R_16BF = 2, 14  # cudaDataType CUDA_R_16F, CUDA_R_16BF
_HALVES = {"float16": R_16F, "bfloat16": R_16BF}
COMPUTE_32F = 68  # cublasComputeType_t CUBLAS_COMPUTE_32F
GEMM_DEFAULT = -1  # cublasGemmAlgo_t
_SCALARS = {"float32": ctypes.c_float, "float64": ctypes.c_double, "float16": ctypes.c_float,
            "bfloat16": ctypes.c_float}
_handles: dict[int, int] = {}


class CublasError(RuntimeError):
    pass


class _Ctypes:
    """The few cuBLAS functions graphc calls, from the nvidia-cublas wheel's library."""

    def __init__(self):
        self.lib = ctypes.CDLL(_library_path())
        p, i, i64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64
        self.lib.cublasCreate_v2.argtypes = [ctypes.POINTER(p)]
        self.lib.cublasSetStream_v2.argtypes = [p, p]
        gemm = [p, i, i, i, i, i, p, p, i, i64, p, i, i64, p, p, i, i64, i]
        self.lib.cublasSgemmStridedBatched.argtypes = gemm
        self.lib.cublasDgemmStridedBatched.argtypes = gemm
        self.lib.cublasGemmStridedBatchedEx.argtypes = [p, i, i, i, i, i, p, p, i, i, i64, p, i, i, i64,
                                                        p, p, i, i, i64, i, i, i]

    def create(self) -> int:
        handle = ctypes.c_void_p()
        _status(self.lib.cublasCreate_v2(ctypes.byref(handle)))
        return handle.value

    def set_stream(self, handle: int, stream: int) -> None:
        _status(self.lib.cublasSetStream_v2(handle, stream))

    def gemm(self, dtype: str, handle: int, *args) -> None:
        """(transa, transb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,
        strideC, batch) as cublas<t>gemmStridedBatched takes them."""
        if dtype == "float32":
            _status(self.lib.cublasSgemmStridedBatched(handle, *args))
        elif dtype == "float64":
            _status(self.lib.cublasDgemmStridedBatched(handle, *args))
        else:
            ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch = args
            t = _HALVES[dtype]
            _status(self.lib.cublasGemmStridedBatchedEx(handle, ta, tb, m, n, k, alpha, a, t, lda, sa,
                                                        b, t, ldb, sb, beta, c, t, ldc, sc, batch,
                                                        COMPUTE_32F, GEMM_DEFAULT))


class _Nvmath:
    """The same functions through nvmath-python's cuBLAS binding."""

    def __init__(self, cublas):
        self.cublas = cublas

    def create(self) -> int:
        return self.cublas.create()

    def set_stream(self, handle: int, stream: int) -> None:
        self.cublas.set_stream(handle, stream)

    def gemm(self, dtype: str, handle: int, *args) -> None:
        if dtype == "float32":
            self.cublas.sgemm_strided_batched(handle, *args)
        elif dtype == "float64":
            self.cublas.dgemm_strided_batched(handle, *args)
        else:
            ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, batch = args
            t = _HALVES[dtype]
            self.cublas.gemm_strided_batched_ex(handle, ta, tb, m, n, k, alpha, a, t, lda, sa, b, t,
                                                ldb, sb, beta, c, t, ldc, sc, batch, COMPUTE_32F,
                                                GEMM_DEFAULT)


def _status(code: int) -> None:
    if code != 0:
        raise CublasError(f"cuBLAS call failed with status {code}")


def _library_path() -> str:
    """libcublas of the nvidia-cublas wheel (found by cuda-pathfinder), or the system's."""
    try:
        from cuda.pathfinder import load_nvidia_dynamic_lib

        return load_nvidia_dynamic_lib("cublas").abs_path
    except Exception:  # an older cuda-bindings without the pathfinder, or no wheel: the system's
        import ctypes.util

        found = ctypes.util.find_library("cublas")
        if found is None:
            raise ImportError("cuBLAS is not installed: pip install nvidia-cublas") from None
        return found


@functools.cache
def binding():
    """nvmath's cuBLAS binding where nvmath-python is installed, else the ctypes one."""
    try:
        from nvmath.bindings import cublas
    except ImportError:
        return _Ctypes()
    return _Nvmath(cublas)


def handle(device: runtime.Device) -> int:
    """The device's cuBLAS handle, on graphc's stream."""
    found = _handles.get(device.ordinal)
    if found is None:
        blas = binding()
        found = blas.create()
        blas.set_stream(found, int(device.stream))
        _handles[device.ordinal] = found
    return found


def matmul(a: DeviceArray, b: DeviceArray) -> DeviceArray:
    """NumPy's `a @ b`: 1-d operands promoted and their axis removed, batches broadcast."""
    device = a.device
    left = a.reshape((1, a.shape[0])) if a.ndim == 1 else a
    right = b.reshape((b.shape[0], 1)) if b.ndim == 1 else b
    (m, k), n = left.shape[-2:], right.shape[-1]
    batch_shape = tuple(np.broadcast_shapes(left.shape[:-2], right.shape[:-2]))
    shape = batch_shape + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
    out = DeviceArray.empty(device, shape, a.dtype)
    batch = math.prod(batch_shape)
    if not out.size:
        return out
    if k == 0:
        support.fill(out, 0)
        return out
    left, a_batch = _batched(left.broadcast_to((*batch_shape, m, k)), len(batch_shape))
    right, b_batch = _batched(right.broadcast_to((*batch_shape, k, n)), len(batch_shape))
    if a.dtype.name not in _SCALARS:  # bools and integers
        left, right = left.contiguous(), right.contiguous()
        support.integer_matmul(out, left, right, batch, m, n, k, _batched(left, len(batch_shape))[1],
                               _batched(right, len(batch_shape))[1])
        return out
    right_op, right_ld = _operand(right)
    left_op, left_ld = _operand(left)
    if right_op is None:
        right = right.copy()
        right_op, right_ld = _operand(right)
        b_batch = _batched(right, len(batch_shape))[1]
    if left_op is None:
        left = left.copy()
        left_op, left_ld = _operand(left)
        a_batch = _batched(left, len(batch_shape))[1]
    scalar = _SCALARS[a.dtype.name]
    alpha, beta = scalar(1), scalar(0)
    binding().gemm(a.dtype.name, handle(device), right_op, left_op, n, m, k, ctypes.addressof(alpha),
                   right.pointer, right_ld, b_batch, left.pointer, left_ld, a_batch, ctypes.addressof(beta),
                   out.pointer, n, m * n, batch)
    return out


def _batched(x: DeviceArray, batch_dims: int) -> tuple[DeviceArray, int]:
    """`x` with batch dimensions that one element stride steps through (copied if needed), and
    that stride (0 where every batch reads the same matrix)."""
    sizes, strides = x.shape[:batch_dims], support.element_strides(x)[:batch_dims]
    steps = {s for d, s in zip(sizes, strides) if d > 1}
    if not steps or steps == {0}:
        return x, 0
    inner = [(d, s) for d, s in zip(sizes, strides) if d > 1]
    if all(s == inner[-1][1] * math.prod(d for d, _ in inner[j + 1:]) for j, (_, s) in enumerate(inner)):
        return x, inner[-1][1]
    copied = x.copy()
    return copied, x.shape[-2] * x.shape[-1]


def _operand(x: DeviceArray) -> tuple[int | None, int]:
    """How cuBLAS reads the C-ordered matrix `x` (rows r, columns c): (OP_N, ld) if its rows
    are contiguous, (OP_T, ld) if its columns are, (None, 0) if neither."""
    rows, cols = x.shape[-2:]
    row_step, col_step = support.element_strides(x)[-2:]
    if col_step == 1 or cols == 1:
        ld = row_step if rows > 1 else cols
        if ld >= max(1, cols):
            return OP_N, ld
    if row_step == 1 or rows == 1:
        ld = col_step if cols > 1 else rows
        if ld >= max(1, rows):
            return OP_T, ld
    return None, 0
