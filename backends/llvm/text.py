"""A function's IR text, the very text llvmlite prints for it, in less time.

llvmlite formats each instruction through several layers of methods, caches each string on
its object behind a raised and caught AttributeError, and formats each type again per use:
printing W7's kernel (8,000 instructions) was a sixth of compiling it, as long as LLVM's
work. `function_text` writes the instructions kernels are made of directly and hands any
other, or any with metadata or attributes, to llvmlite (`str`); tests/backends/llvm/
test_text.py compares the two on kernels of every kind.
"""

from __future__ import annotations

from llvmlite import ir
from llvmlite.ir import instructions as inst

# id -> (the type, kept alive while it is here; its text); emptied by each function_text
_types: dict[int, tuple[ir.Type, str]] = {}


def _type(t: ir.Type) -> str:
    found = _types.get(id(t))
    if found is None or found[0] is not t:
        found = _types[id(t)] = (t, str(t))
    return found[1]


_NAMED = (inst.Instruction, ir.Argument, ir.Block)


def _ref(v) -> str:
    """`v.get_reference()`: a local value's quoted name, else llvmlite's text."""
    if isinstance(v, _NAMED):
        name = v._name
        if '"' not in name and "\\" not in name:
            return f'%"{name}"'
    return v.get_reference()


def _typed(v) -> str:
    return f"{_type(v.type)} {_ref(v)}"


def _align(i) -> str:
    return "" if i.align is None else f", align {i.align}"


def _binary(i) -> str:
    op = " ".join([i.opname, *i.flags]) if i.flags else i.opname
    return f"{op} {_type(i.type)} {', '.join([_ref(o) for o in i.operands])}"


def _gep(i) -> str:
    op = "getelementptr inbounds" if i.inbounds else "getelementptr"
    indices = ", ".join([_typed(x) for x in i.indices])
    return f"{op} {_type(i.source_etype)}, {_typed(i.pointer)}, {indices}"


def _load(i) -> str:
    (p,) = i.operands
    return f"load {_type(i.type)}, {_typed(p)}{_align(i)}"


def _store(i) -> str:
    v, p = i.operands
    return f"store {_typed(v)}, {_typed(p)}{_align(i)}"


def _call(i):
    fnty = i.callee.function_type
    if (fnty.var_arg or i.cconv or i.tail or i.attributes or i.fastmath or i.arg_attributes
            or not isinstance(i.callee, ir.Function)):
        return None
    return f"call {_type(fnty.return_type)} {_ref(i.callee)}({', '.join([_typed(a) for a in i.args])})"


def _phi(i) -> str:
    incoming = ", ".join([f"[{_ref(v)}, {_ref(b)}]" for v, b in i.incomings])
    return f"phi {' '.join(i.flags)} {_type(i.type)} {incoming}"


def _operands(i) -> str:  # insertelement, extractelement, shufflevector
    return f"{i.opname} {', '.join([_typed(o) for o in i.operands])}"


def _compare(i) -> str:
    flags = "".join(" " + f for f in i.flags)
    lhs, rhs = i.operands
    return f"{i.opname}{flags} {i.op} {_type(lhs.type)} {_ref(lhs)}, {_ref(rhs)}"


def _cast(i) -> str:
    (v,) = i.operands
    return f"{i.opname} {_typed(v)} to {_type(i.type)}"


def _select(i) -> str:
    c, a, b = i.operands
    return f"select {' '.join(i.flags)} {_typed(c)}, {_typed(a)}, {_typed(b)}"


def _branch(i) -> str:
    return f"{i.opname} {', '.join([_typed(o) for o in i.operands])}"


def _ret(i) -> str:
    return f"{i.opname} {_typed(i.operands[0])}" if i.operands else i.opname


_WRITERS = {
    inst.Instruction: _binary, inst.GEPInstr: _gep, inst.LoadInstr: _load, inst.StoreInstr: _store,
    inst.CallInstr: _call, inst.PhiInstr: _phi, inst.InsertElement: _operands,
    inst.ExtractElement: _operands, inst.ShuffleVector: _operands, inst.ICMPInstr: _compare,
    inst.FCMPInstr: _compare, inst.CastInstr: _cast, inst.SelectInstr: _select,
    inst.Branch: _branch, inst.ConditionalBranch: _branch, inst.Ret: _ret,
}


def instruction_text(i: ir.Instruction) -> str:
    """`str(i)`: the instruction as llvmlite prints it."""
    writer = _WRITERS.get(type(i))
    text = writer(i) if writer is not None and not i.metadata else None
    if text is None:
        return str(i)
    if isinstance(i.type, ir.VoidType):
        return text.rstrip()
    return f"{_ref(i)} = {text}".rstrip()


def function_text(fn: ir.Function) -> str:
    """`str(fn)`: the function as llvmlite prints it."""
    if not fn.blocks:
        return str(fn)
    _types.clear()  # (types are made per instruction: a cache over every function would grow)
    buf: list[str] = []
    fn.descr_prototype(buf)
    buf.append("{\n")
    for block in fn.blocks:
        buf.append(f"{block._format_name()}:\n")
        buf += [f"  {instruction_text(i)}\n" for i in block.instructions]
    buf.append("}\n")
    return "".join(buf)
