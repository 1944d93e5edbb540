"""A graph as one generated Python function: the NumPy backend's code, and the host-side
driver that compiled backends compose (they lower kernels to calls of their compiled code).

The source is registered with `linecache`, so tracebacks show the generated lines.
"""

from __future__ import annotations

import builtins
import hashlib
import linecache
from collections.abc import Callable

from graphc.backends.numpy.codegen import generate
from graphc.backends.signature import Signature
from graphc.graph import Graph
from graphc.names import Namespace


class Driver:
    """The generated function of `graph` (`fn`), its source, and the check of its arguments.

    A backend whose arrays live elsewhere (the GPU) passes `adopt` to the Signature, the
    `names` its lowering reserves, the function `copy` that copies borrowed outputs, and the
    `references` its code makes (they replace the NumPy ones of the same name: `owned`).
    """

    def __init__(self, graph: Graph, backend: str, lowering: dict | None = None,
                 quiet_numpy: bool = True, fresh: frozenset[str] = frozenset(), adopt=None,
                 names: Namespace | None = None, copy: str = "np.array", references: dict | None = None):
        self.signature = Signature(graph, adopt)
        self.source, namespace = generate(graph, lowering=lowering, names=names, quiet_numpy=quiet_numpy,
                                          fresh=fresh, copy=copy)
        namespace.update(references or {})
        digest = hashlib.sha1(self.source.encode()).hexdigest()[:12]
        filename = f"<graphc-{backend}-{digest}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        exec(builtins.compile(self.source, filename, "exec"), namespace)  # our own generated code
        self.fn: Callable[..., tuple] = namespace["graphc_fn"]
