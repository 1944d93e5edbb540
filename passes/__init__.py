"""Graph-to-graph transformations (autodiff, simplification, folding, CSE, fusion)."""
