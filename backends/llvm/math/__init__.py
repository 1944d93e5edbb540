"""Vectorisable transcendental functions for the LLVM backend, emitted as LLVM IR.

Each function has an exact path: straight-line code (a range reduction, a polynomial, and
`select` for special values: inf, NaN, signed zeros, overflow, underflow), in double-double steps
where float64 needs more than 53 bits; float32 evaluates it in float64 on the widened argument
and rounds once. Most functions also have a fast path for the common range (native float32
arithmetic with FMA and exact Cody-Waite reductions for float32; no Payne-Hanek and no clamping
for float64) and a mask of the lanes outside it: the exact path runs in its own block, entered
only when some lane of the vector (or the scalar) needs it, and is merged by `select` and a phi.
Every lane computes the same operations either way, so vector and scalar calls agree bit for bit.

Use ``emit(builder, "exp", x)`` with scalar or vector ``float``/``double`` values: it calls
``get(module, "exp", x.type)``, an internal ``noinline`` function created once per module
and called from every kernel (inlining it into each caller multiplied LLVM's compile time and
did not make loops faster); the builder stays where it was.
``host_lanes`` gives the host's vector width for a type.

The modules: `constants` (split constants and polynomial coefficients), `emitter` (the IR
builder the functions are written with), the exact paths in `exp`, `log` and `trig`, the fast
paths in `fast`, and `library` (declaring, defining and calling the functions).
"""

from graphc.backends.llvm.math.emitter import F32, F64
from graphc.backends.llvm.math.library import emit, get, host_lanes, library
