"""Hypothesis strategies shared by the tests: real numbers on each op's domain.

Domains stay a margin away from every kink (relu, abs at 0) and pole (1/x at 0, log at 0), so
a finite difference with ε = 1e-6 never straddles one, and stay small enough that no forward
value overflows.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Every property test uses these settings: no per-example deadline (the first call into torch
# is slow), and a modest number of examples so the whole suite stays fast.
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def reals(lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def positive(lo: float = 0.1, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with lo > 0: for log, sqrt, and a base raised to a Value."""
    assert lo > 0.0
    return reals(lo, hi)


def nonzero(margin: float = 0.1, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Floats with margin ≤ |x| ≤ hi: away from the pole of 1/x and the kink of |x| and relu."""
    return st.one_of(reals(-hi, -margin), reals(margin, hi))


def value_lists(min_size: int = 1, max_size: int = 6,
                elements: st.SearchStrategy[float] | None = None) -> st.SearchStrategy[list[float]]:
    """Lists of reals, for the n-ary ops (sum, dot)."""
    return st.lists(elements if elements is not None else reals(),
                    min_size=min_size, max_size=max_size)


# A random straight-line program over a pool of nodes: each step applies one op to nodes made
# earlier, so later steps reuse earlier nodes (fan-out) and may use the same node twice (a*a).
# The ops are total and bounded enough that nothing overflows for inputs in [-1.5, 1.5].
PROGRAM_UNARY = ("tanh", "sin", "cos", "sigmoid", "neg")
PROGRAM_BINARY = ("+", "-", "*")


@st.composite
def programs(draw: st.DrawFn, n_inputs: int = 3,
             max_steps: int = 8) -> tuple[list[float], list[tuple[str, int, int]]]:
    """Inputs and a list of steps (op, i, j): node k = op(node i, node j) over earlier nodes."""
    xs = draw(st.lists(reals(-1.5, 1.5), min_size=n_inputs, max_size=n_inputs))
    steps = []
    n_steps = draw(st.integers(1, max_steps))
    for k in range(n_steps):
        pool = n_inputs + k
        op = draw(st.sampled_from(PROGRAM_UNARY + PROGRAM_BINARY))
        i = draw(st.integers(0, pool - 1))
        j = draw(st.integers(0, pool - 1))
        steps.append((op, i, j))
    return xs, steps


# Numbers at the edges of float64, for the losses' differential tests against PyTorch: the
# special values themselves, then any float at all (hypothesis favours the extremes), then
# ordinary ones, so every mix of huge, tiny and ordinary numbers in one batch comes up.
EDGE_FLOATS = (0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e308, -1e308,
               1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324, 1e-310,
               2.2250738585072014e-308, 1e-300, 1e16, -1e16, 1e12, 1e9, 1000.0, -1000.0,
               1.0, -1.0, 0.5)


def extreme_floats() -> st.SearchStrategy[float]:
    """±inf, NaN, ±1e308, subnormals, ±0.0 and everything between."""
    return st.one_of(st.sampled_from(EDGE_FLOATS),
                     st.floats(allow_nan=True, allow_infinity=True),
                     reals(-10.0, 10.0))


def unit_targets() -> st.SearchStrategy[float]:
    """Targets in [0, 1] for bce_with_logits, the ends and subnormals included."""
    return st.one_of(st.sampled_from((0.0, 1.0, 0.5, 5e-324, 1.0 - 2.0 ** -53)),
                     st.floats(min_value=0.0, max_value=1.0))
