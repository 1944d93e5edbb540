"""No silent gaps: every op of the IR is lowered by every backend."""

from backends.numpy.lowering import LOWERING
from graphc import OPS


def test_every_op_has_a_numpy_lowering():
    # Placeholders become the generated function's arguments, so need no rule.
    missing = sorted(set(OPS) - set(LOWERING) - {"placeholder"})
    assert not missing, f"ops without a NumPy lowering: {missing}"


def test_numpy_lowering_names_only_real_ops():
    unknown = sorted(set(LOWERING) - set(OPS))
    assert not unknown, f"lowerings for ops that do not exist: {unknown}"
