"""The seed lesson's two graphs, labelled as the lesson names their nodes (shared by tests)."""

from __future__ import annotations

from scalargrad import Value


def sigmoid_graph(z0: float = 0.0) -> tuple[Value, Value]:
    """y = 1/(1 + e^−z) built from neg → exp → add → reciprocal; returns (z, y)."""
    z = Value(z0, label="z")
    a = -z
    a.label = "a"
    b = a.exp()
    b.label = "b"
    c = 1 + b
    c.label = "c"
    y = c.reciprocal()
    y.label = "y"
    return z, y


def multivariate_graph() -> tuple[Value, Value, Value, Value]:
    """f(x) = w1·x + w2·x with w1 = 2, w2 = 3 at x = 0; returns (x, w1, w2, f)."""
    x = Value(0.0, label="x")
    w1 = Value(2.0, label="w1")
    w2 = Value(3.0, label="w2")
    h = w1 * x
    h.label = "h"
    g = w2 * x
    g.label = "g"
    f = h + g
    f.label = "f"
    return x, w1, w2, f
