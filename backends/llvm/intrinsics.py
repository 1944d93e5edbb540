"""The functions generated code calls but does not define: LLVM's intrinsics, declared here.

A function is declared in a module on its first use there. An overloaded intrinsic's name
spells the types it is used at (`llvm.fma.v8f64`, `llvm.masked.load.v8f32.p0`), so the one
`intrinsic` call covers every type; the kernels' memory intrinsics have their own helpers.
"""

from __future__ import annotations

from llvmlite import ir

I1, I32 = ir.IntType(1), ir.IntType(32)
VOID = ir.VoidType()


def declare(module: ir.Module, name: str, signature: ir.FunctionType) -> ir.Function:
    """The function `name` of `module`, declared with `signature` unless the module has it."""
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, signature, name)
    return fn


def type_suffix(ty: ir.Type) -> str:
    """How an overloaded intrinsic's name spells a type: i1, i64, f32, f64, v8f32, p0."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{type_suffix(ty.element)}"
    if isinstance(ty, ir.IntType):
        return f"i{ty.width}"
    if isinstance(ty, ir.FloatType):
        return "f32"
    if isinstance(ty, ir.DoubleType):
        return "f64"
    if isinstance(ty, ir.PointerType):
        return "p0"
    raise TypeError(f"no LLVM intrinsic is overloaded on type {ty}")


def intrinsic(b: ir.IRBuilder, name: str, args: list[ir.Value], result: ir.Type | None = None,
              overloaded: list[ir.Type] | None = None) -> ir.Value:
    """Call `llvm.<name>` on `args`. Its name carries the types in `overloaded` (by default the
    first argument's), and it returns `result` (by default the first argument's type)."""
    types = [args[0].type] if overloaded is None else overloaded
    full = ".".join(["llvm", name, *(type_suffix(t) for t in types)])
    signature = ir.FunctionType(args[0].type if result is None else result, [a.type for a in args])
    return b.call(declare(b.module, full, signature), args)


def masked_load(b: ir.IRBuilder, ptr: ir.Value, align: int, mask: ir.Value, passthru: ir.Value) -> ir.Value:
    """The lanes of `mask` loaded from `ptr`, the others taken from `passthru` (no access)."""
    return intrinsic(b, "masked.load", [ptr, I32(align), mask, passthru], result=passthru.type,
                     overloaded=[passthru.type, ptr.type])


def masked_store(b: ir.IRBuilder, value: ir.Value, ptr: ir.Value, align: int, mask: ir.Value) -> None:
    """Store the lanes of `value` that `mask` selects at `ptr` (the others touch no memory)."""
    intrinsic(b, "masked.store", [value, ptr, I32(align), mask], result=VOID,
              overloaded=[value.type, ptr.type])


def prefetch(b: ir.IRBuilder, ptr: ir.Value) -> None:
    """Hint that the data at `ptr` will be read soon (kept in all cache levels)."""
    intrinsic(b, "prefetch", [ptr, I32(0), I32(3), I32(1)], result=VOID)


def store_fence(b: ir.IRBuilder) -> None:
    """x86's sfence: the weakly ordered (streaming) stores before it become visible."""
    intrinsic(b, "x86.sse.sfence", [], result=VOID, overloaded=[])
