"""graphc: a symbolic-graph compiler for tensor programs.

Build a static graph with a PyTorch-like API, derive gradients as graphs, and compile
them with a backend: LLVM machine code for this CPU (the default) or generated NumPy code
(the reference). Passes live in `graphc.passes`, backends in `graphc.backends`.
"""

import os as _os

from graphc import cuda
from graphc.autograd import backward, grad, hessian, jacobian, jvp, value_and_grad, vjp
from graphc.convolution import conv1d, conv2d
from graphc.dtypes import DType, bfloat16, bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from graphc.evaluate import SymbolicTensorError
from graphc.formula import FormulaError, expr
from graphc.function import Function, function
from graphc.functional import (
    abs,
    add,
    arange,
    argmax,
    argmin,
    argsort,
    argwhere,
    atan2,
    broadcast_to,
    cast,
    cat,
    ceil,
    clamp,
    clip,
    cos,
    cumprod,
    cumsum,
    div,
    dot,
    einsum,
    eq,
    erf,
    exp,
    expm1,
    eye,
    flatten,
    flip,
    floor,
    floordiv,
    from_numpy,
    full,
    full_like,
    gather,
    ge,
    getitem,
    gt,
    index_put,
    index_select,
    le,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    lt,
    masked_select,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mod,
    mul,
    ne,
    neg,
    nonzero,
    ones,
    ones_like,
    pad,
    pad_widths,
    parameter,
    permute,
    placeholder,
    pow,
    prod,
    relu,
    remainder,
    reshape,
    round,
    rsqrt,
    scatter,
    scatter_add,
    setitem,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    sqrt,
    squeeze,
    stack,
    std,
    stop_gradient,
    sub,
    sum,
    take_along_dim,
    tan,
    tanh,
    tensor,
    topk,
    transpose,
    tril,
    triu,
    true_divide,
    unsqueeze,
    var,
    view,
    where,
    zeros,
    zeros_like,
)
from graphc.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from graphc.graph import Graph, GraphError
from graphc.node import Node, TensorType
from graphc.ops import OPS, GraphBuildError
from graphc.parser import ParseError, parse, parse_file
from graphc.random import (
    Generator,
    default_generator,
    initial_seed,
    manual_seed,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    seed,
)
from graphc.scopes import scope
from graphc.symint import SymbolicSizeError, SymInt
from graphc.sympy_bridge import SympyConversionError, from_sympy, to_sympy
from graphc.sympy_lambdify import lambdify
from graphc.tensor import Size, Tensor
from graphc.threads import get_num_threads, set_num_threads
from graphc.viz import from_json, to_dot, to_html, to_json, to_svg

bool = bool_  # noqa: A001 - graphc.bool, as torch.bool
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
half = float16
short = int16

__version__ = "0.1.0"

# In a source checkout run without installing (PYTHONPATH=.), the folders passes/ and
# backends/ sit beside graphc/; installed, they are graphc/passes and graphc/backends.
_tree = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_tree, "passes", "__init__.py")):
    __path__.append(_tree)

__all__ = [name for name in dir() if not name.startswith("_")]
