"""Symbolic differentiation: gradient graphs built from each op's rule in `rules.VJP`."""

from graphc.passes.autodiff.reverse import DifferentiationError, vjp_nodes
from graphc.passes.autodiff.rules import DIFFERENTIATE_BEFORE_FUSING, NON_DIFFERENTIABLE, VJP

__all__ = ["DIFFERENTIATE_BEFORE_FUSING", "NON_DIFFERENTIABLE", "VJP", "DifferentiationError", "vjp_nodes"]
