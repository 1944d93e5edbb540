"""Graphviz DOT export; it lives in graphc.viz.dot now (kept so `from graphc.dot import to_dot` works)."""

from graphc.viz.dot import to_dot

__all__ = ["to_dot"]
