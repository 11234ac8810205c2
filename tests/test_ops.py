"""Every op in the table: its forward value against `math`, its gradient against finite
differences (gradcheck) and against PyTorch in float64, on random inputs in its domain.
Then whole graphs that reuse nodes, and the Value object itself (repr, identity, comparisons).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import pytest
from hypothesis import given
from ops_table import OPS, OPS_BY_NAME, Op
from strategies import PROGRAM_BINARY, PROPERTY, programs, reals

import scalargrad as sg
from scalargrad import Value, gradcheck

REL, ABS = 1e-9, 1e-12  # engine vs torch: both float64, formulas may round differently


def close(a: float, b: float, rel: float = REL, abs_: float = ABS) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def engine_run(fn: Callable[..., Value], xs: Sequence[float]) -> tuple[float, list[float]]:
    """f's value and ∂f/∂xᵢ from scalargrad."""
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def torch_run(torch: Any, fn: Callable[..., Any], xs: Sequence[float]) -> tuple[float, list[float]]:
    """f's value and ∂f/∂xᵢ from PyTorch in float64 (an unused input has gradient 0)."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*leaves)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in leaves]


def assert_matches_torch(torch: Any, engine_fn: Callable[..., Value],
                         torch_fn: Callable[..., Any], xs: Sequence[float]) -> None:
    value, grads = engine_run(engine_fn, xs)
    t_value, t_grads = torch_run(torch, torch_fn, xs)
    assert close(value, t_value), f"value at {xs}: engine {value!r}, torch {t_value!r}"
    for i, (g, tg) in enumerate(zip(grads, t_grads)):
        assert close(g, tg), f"d/dx{i} at {xs}: engine {g!r}, torch {tg!r}"


ops = pytest.mark.parametrize("op", OPS, ids=str)


# -- each op: forward value ------------------------------------------------------------------

@ops
def test_forward_matches_math(op: Op) -> None:
    """The op's forward value equals the float reference computed with math."""
    @PROPERTY
    @given(op.inputs())
    def check(xs: tuple[float, ...]) -> None:
        out = op.engine(*(Value(x) for x in xs))
        assert close(out.data, op.reference(*xs), rel=1e-12), f"at {xs}"
    check()


@ops
def test_forward_gives_a_float(op: Op) -> None:
    """The op's result holds a Python float, whatever mix of ints and floats went in."""
    out = op.engine(*(Value(x) for x in op.at))
    assert type(out.data) is float


# -- each op: gradient by finite differences --------------------------------------------------

@ops
def test_gradcheck_at_a_fixed_point(op: Op) -> None:
    """The op's gradient matches central differences at the table's fixed point."""
    result = gradcheck(op.engine, *op.at)
    assert result, result.message


@ops
def test_gradcheck_on_random_inputs(op: Op) -> None:
    """The op's gradient matches central differences on random inputs in its domain."""
    @PROPERTY
    @given(op.inputs())
    def check(xs: tuple[float, ...]) -> None:
        result = gradcheck(op.engine, *xs)
        assert result, result.message
    check()


# -- each op: value and gradient against PyTorch ----------------------------------------------

@ops
def test_matches_torch_float64(op: Op, torch: Any) -> None:
    """The op's value and gradients equal PyTorch's (float64) on random inputs in its domain."""
    @PROPERTY
    @given(op.inputs())
    def check(xs: tuple[float, ...]) -> None:
        assert_matches_torch(torch, op.engine, op.torch, xs)
    check()


# -- properties ---------------------------------------------------------------------------------

@PROPERTY
@given(reals())
def test_a_plus_a_has_gradient_2(x: float) -> None:
    """d(a + a)/da = 2 for every a: each of the two edges passes down 1."""
    a = Value(x)
    (a + a).backward()
    assert a.grad == 2.0


SYMMETRIC = [("a+b", 0, 1), ("a*b", 0, 1), ("sum", 0, 2), ("dot(no bias)", 0, 2)]


@pytest.mark.parametrize("name, i, j", SYMMETRIC, ids=[f"{n}:{i}<->{j}" for n, i, j in SYMMETRIC])
def test_symmetric_op_has_symmetric_gradients(name: str, i: int, j: int) -> None:
    """For an op symmetric in inputs i and j (w₁ and x₁ in a dot), swapping them swaps their
    gradients."""
    op = OPS_BY_NAME[name]

    @PROPERTY
    @given(op.inputs())
    def check(xs: tuple[float, ...]) -> None:
        swapped = list(xs)
        swapped[i], swapped[j] = xs[j], xs[i]
        _, grads = engine_run(op.engine, xs)
        _, grads_swapped = engine_run(op.engine, swapped)
        assert (grads[i], grads[j]) == (grads_swapped[j], grads_swapped[i])
    check()


# -- graphs that reuse nodes, against PyTorch -------------------------------------------------
# These functions use only operators and methods that Values and tensors share, so the same
# function builds the engine's graph and PyTorch's.

def square_by_mul(a: Any) -> Any:
    return a * a


def double_by_add(a: Any) -> Any:
    return a + a


def cube_by_mul(a: Any) -> Any:
    return a * a * a


def fan_out(x: Any, y: Any) -> Any:
    """x feeds four consumers, y three."""
    return x * y + x.tanh() - x / y + (x - y).sigmoid() * y


def diamond(x: Any) -> Any:
    """x → (u, v) → w: two paths from x meet again, and w is reused."""
    u = x.sin()
    v = x.exp()
    w = u * v
    return w * w + w + u


def reuse_interior(x: Any, y: Any) -> Any:
    """b = a + a; c = b + b, with an interior node feeding several later ops."""
    a = x * y
    b = a + a
    c = b + b
    return c * a - b.tanh() + c.cos()


GRAPHS = [
    (square_by_mul, (1.7,)),
    (double_by_add, (-0.3,)),
    (cube_by_mul, (-1.2,)),
    (fan_out, (0.8, -1.9)),
    (diamond, (0.6,)),
    (reuse_interior, (0.4, 1.3)),
]


@pytest.mark.parametrize("fn, xs", GRAPHS, ids=[fn.__name__ for fn, _ in GRAPHS])
def test_graph_with_reused_nodes_matches_torch(fn: Callable[..., Any], xs: tuple[float, ...],
                                               torch: Any) -> None:
    """A graph where a node has several consumers gets the same gradients as PyTorch."""
    assert_matches_torch(torch, fn, fn, xs)


def test_dot_and_sum_with_repeated_values_match_torch(torch: Any) -> None:
    """dot and sum given the same Value several times (w·w, x + x + y) match PyTorch."""
    def engine(w: Value, x: Value, y: Value) -> Value:
        return sg.dot([w, x, y], [w, w, x], y) * sg.sum([x, x, y], start=w)

    def reference(w: Any, x: Any, y: Any) -> Any:
        return (w * w + x * w + y * x + y) * (w + x + x + y)

    assert_matches_torch(torch, engine, reference, (0.7, -1.3, 2.1))


def run_program(xs: Sequence[Any], steps: Sequence[tuple[str, int, int]]) -> Any:
    nodes = list(xs)
    for op, i, j in steps:
        a, b = nodes[i], nodes[j]
        if op in PROGRAM_BINARY:
            nodes.append(a + b if op == "+" else a - b if op == "-" else a * b)
        elif op == "neg":
            nodes.append(-a)
        else:
            nodes.append(getattr(a, op)())
    return nodes[-1]


@PROPERTY
@given(programs())
def test_random_graph_matches_torch(torch: Any,
                                    program: tuple[list[float], list[tuple[str, int, int]]]
                                    ) -> None:
    """A random graph over + - * tanh sin cos sigmoid neg, reusing nodes, matches PyTorch."""
    xs, steps = program
    assert_matches_torch(torch, lambda *v: run_program(v, steps),
                         lambda *t: run_program(t, steps), xs)


# -- the Value object -------------------------------------------------------------------------

def test_repr_shows_data_and_grad() -> None:
    """repr shows the number and its gradient, as micrograd does."""
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_repr_shows_label() -> None:
    """repr includes the label when there is one."""
    assert repr(Value(-1.5, label="a")) == "Value(data=-1.5, grad=0.0, label='a')"


def test_values_with_equal_data_are_distinct_dict_keys() -> None:
    """Two Values holding the same number are two different dict keys (identity, not data)."""
    a, b = Value(1.0), Value(1.0)
    table = {a: "a", b: "b"}
    assert (len(table), table[a], table[b]) == (2, "a", "b")


def test_set_of_values_deduplicates_by_identity() -> None:
    """A set keeps one entry per Value object, not per number."""
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2


def test_equality_is_identity() -> None:
    """== is True only for the same object, so graphs can hold Values in sets and dicts."""
    a = Value(1.0)
    assert (a == a, a == Value(1.0)) == (True, False)


@pytest.mark.parametrize("expr, expected", [
    (lambda: Value(1.0) < Value(2.0), True),
    (lambda: Value(2.0) < Value(1.0), False),
    (lambda: Value(2.0) <= 2, True),
    (lambda: Value(2.0) > 1.5, True),
    (lambda: Value(2.0) >= 2.5, False),
    (lambda: 3 > Value(2.0), True),
    (lambda: 1 >= Value(2.0), False),
], ids=["v<v", "not v<v", "v<=int", "v>float", "not v>=float", "int>v", "not int>=v"])
def test_comparisons_compare_data(expr: Callable[[], bool], expected: bool) -> None:
    """<, <=, >, >= compare the numbers held, with Values or plain numbers on either side."""
    assert expr() is expected


def test_sorted_orders_by_data() -> None:
    """sorted() and max() work on Values, by their numbers."""
    vs = [Value(3.0), Value(-1.0), Value(2.0)]
    assert [v.data for v in sorted(vs)] == [-1.0, 2.0, 3.0] and max(vs) is vs[0]


def test_item_returns_the_float() -> None:
    """item() gives the forward value as a plain float."""
    v = Value(3) * 2
    assert v.item() == 6.0 and type(v.item()) is float
