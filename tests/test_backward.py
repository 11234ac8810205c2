"""backward(): accumulation over repeated edges, what a second pass and zero_grad do, seeding,
the topological order, cycles, a chain far deeper than the recursion limit, and pickling.

Expected gradients here are worked out by hand in each test.
"""

from __future__ import annotations

import math
import pickle
import sys

import pytest

import scalargrad as sg
from scalargrad import GraphCycleError, Value, topological_order
from scalargrad.graph import local_gradients

# -- accumulation: a node used several times gets the sum of its downstream gradients --------

def test_a_plus_a_has_two_edges() -> None:
    """a + a keeps both edges to a, in order, instead of collapsing them into one parent."""
    a = Value(3.0)
    b = a + a
    assert len(b._prev) == 2 and b._prev[0] is a and b._prev[1] is a


def test_b_equals_a_plus_a_then_c_equals_b_plus_b_gives_4() -> None:
    """b = a + a; c = b + b gives dc/da = 4 (each repeated edge adds its share)."""
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0


def test_a_times_a_gives_2a() -> None:
    """d(a·a)/da = 2a: both edges contribute a."""
    a = Value(-1.5)
    (a * a).backward()
    assert a.grad == -3.0


def test_node_with_several_consumers_gets_the_sum() -> None:
    """x used by x·y, x + 1 and tanh x gets y + 1 + (1 − tanh² x)."""
    x, y = Value(0.5), Value(-2.0)
    f = x * y + (x + 1.0) + x.tanh()
    f.backward()
    assert math.isclose(x.grad, -2.0 + 1.0 + (1.0 - math.tanh(0.5) ** 2), rel_tol=1e-15)


# -- a second backward(), and zero_grad() ---------------------------------------------------

def build_two_layer() -> tuple[Value, Value, Value, Value]:
    """x, w leaves; h = x·w interior; out = h·h. At x = 2, w = 3: dout/dh = 2h = 12,
    dout/dx = 12·w = 36, dout/dw = 12·x = 24."""
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    h = x * w
    out = h * h
    return x, w, h, out


def test_second_backward_doubles_leaf_grads() -> None:
    """Leaves accumulate: a second backward() without zero_grad() adds the gradient again."""
    x, w, _, out = build_two_layer()
    out.backward()
    out.backward()
    assert (x.grad, w.grad) == (72.0, 48.0)


def test_second_backward_recomputes_interior_grads() -> None:
    """Interior nodes are recomputed on each backward(), so they are not doubled."""
    _, _, h, out = build_two_layer()
    out.backward()
    out.backward()
    assert (h.grad, out.grad) == (12.0, 1.0)


def test_zero_grad_clears_every_node_in_the_graph() -> None:
    """out.zero_grad() sets grad to 0 on out, its interior nodes and its leaves."""
    x, w, h, out = build_two_layer()
    out.backward()
    out.zero_grad()
    assert [v.grad for v in (x, w, h, out)] == [0.0, 0.0, 0.0, 0.0]


def test_zero_grad_then_backward_gives_a_single_pass() -> None:
    """After zero_grad(), backward() gives the one-pass gradients again."""
    x, w, _, out = build_two_layer()
    out.backward()
    out.zero_grad()
    out.backward()
    assert (x.grad, w.grad) == (36.0, 24.0)


def test_zero_grad_leaves_nodes_outside_the_graph_alone() -> None:
    """zero_grad() on one output does not touch a Value it does not depend on."""
    x, _, _, out = build_two_layer()
    other = Value(1.0)
    other.grad = 5.0
    out.zero_grad()
    assert other.grad == 5.0


# -- seeding and leaves -----------------------------------------------------------------------

def test_backward_on_a_leaf_sets_its_grad_to_1() -> None:
    """A leaf is its own output: d(a)/d(a) = 1."""
    a = Value(7.0)
    a.backward()
    assert a.grad == 1.0


def test_backward_with_a_seed_scales_every_gradient() -> None:
    """backward(grad=g) seeds the output with g, so dL/dx = g · df/dx."""
    x, y = Value(2.0), Value(-3.0)
    f = x * y
    f.backward(grad=2.5)
    assert (f.grad, x.grad, y.grad) == (2.5, -7.5, 5.0)


def test_backward_of_a_constant_op_leaves_grads_zero() -> None:
    """A node made by a relu at a negative input passes zero gradient down."""
    x = Value(-1.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_single_backward_step_applies_the_chain_rule_once() -> None:
    """_backward() adds upstream × local gradient into each parent, one step only."""
    x, y = Value(2.0), Value(-3.0)
    z = x * y
    out = z + 1.0
    out.grad = 1.0
    out._backward()
    assert (z.grad, x.grad, y.grad) == (1.0, 0.0, 0.0)
    z._backward()
    assert (x.grad, y.grad) == (-3.0, 2.0)


def test_custom_op_from_op_backpropagates_its_local_gradients() -> None:
    """A node built with Value.from_op passes upstream × the given local gradients down."""
    x, y = Value(2.0), Value(5.0)
    hyp = Value.from_op(math.hypot(2.0, 5.0), [x, y], [2.0 / math.hypot(2, 5),
                                                      5.0 / math.hypot(2, 5)], "hypot")
    (hyp * 3.0).backward()
    assert math.isclose(x.grad, 6.0 / math.sqrt(29)) and math.isclose(y.grad, 15.0 / math.sqrt(29))


# -- topological order ------------------------------------------------------------------------

def labelled_graph() -> Value:
    """e = c + d with c = a·b and d = exp(b): b is shared, and e's parents come in order c, d."""
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    c.label = "c"
    d = b.exp()
    d.label = "d"
    e = c + d
    e.label = "e"
    return e


def test_topological_order_is_depth_first_in_parent_order() -> None:
    """The order is a depth-first walk over parents in their stored order: a, b, c, d, e
    (visiting d's branch first would give b, d, a, c, e)."""
    assert [n.label for n in topological_order(labelled_graph())] == ["a", "b", "c", "d", "e"]


def test_topological_order_lists_each_node_after_its_parents() -> None:
    """Every node comes after all of its parents, and each node appears once."""
    order = topological_order(labelled_graph())
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)
    assert all(position[p] < position[n] for n in order for p in n._prev)


def test_topological_order_is_the_same_for_identical_graphs() -> None:
    """Building the same expression twice gives the same order of ops (no dependence on ids)."""
    def ops() -> list[str]:
        x, y = Value(0.3), Value(-0.7)
        out = (x * y).tanh() + (x + y).exp() * x - y.sigmoid() * (x * x)
        return [f"{n._op}:{n.data!r}" for n in topological_order(out)]
    first = ops()
    assert all(ops() == first for _ in range(5))


# -- cycles -----------------------------------------------------------------------------------

def test_backward_raises_on_a_cycle_made_by_editing_prev() -> None:
    """A cycle (a node's _prev edited to point at its own descendant) raises GraphCycleError."""
    a = Value(1.0)
    b = a * 2.0
    c = b + 1.0
    b._prev = (c, b._prev[1])  # b now depends on c, which depends on b
    with pytest.raises(GraphCycleError, match="cycle"):
        c.backward()


def test_topological_order_raises_on_a_self_loop() -> None:
    """A node listed as its own parent is a cycle."""
    a = Value(1.0)
    b = a.exp()
    b._prev = (b,)
    with pytest.raises(GraphCycleError):
        topological_order(b)


def test_zero_grad_raises_on_a_cycle() -> None:
    """zero_grad() walks the same graph, so it reports the cycle rather than looping forever."""
    a = Value(1.0)
    b = a.sin()
    c = b.cos()
    b._prev = (c,)
    with pytest.raises(GraphCycleError):
        c.zero_grad()


# -- depth --------------------------------------------------------------------------------------

def test_million_op_chain_backpropagates_without_recursion() -> None:
    """A chain of 1,000,000 multiplications y ← y·c backpropagates at the default recursion
    limit: dy/dx = c^1,000,000 = e^(10⁶·ln(1.000001)) ≈ e."""
    limit = sys.getrecursionlimit()
    assert limit < 100_000, "the test needs a recursion limit far below the chain's depth"
    n = 1_000_000
    x, c = Value(1.0), Value(1.000001)
    y = x
    for _ in range(n):
        y = y * c
    y.backward()
    assert math.isclose(x.grad, c.data ** n, rel_tol=1e-8)
    assert sys.getrecursionlimit() == limit


# -- pickle -------------------------------------------------------------------------------------

def test_pickle_keeps_data_grads_labels_ops_and_shared_nodes() -> None:
    """A pickled graph comes back with every field, and a node shared by two consumers (and
    pickled alongside its output) is still one node."""
    a = Value(3.0, label="a")
    h = a * a
    out = h + h.tanh()
    out.backward()
    h2, out2, a2 = pickle.loads(pickle.dumps([h, out, a]))
    assert (out2.data, out2.grad, out2._op, a2.label, a2.grad) == (out.data, 1.0, "+", "a",
                                                                    a.grad)
    assert out2._prev[0] is h2 and out2._prev[1]._prev[0] is h2 and h2._prev == (a2, a2)
    assert local_gradients(out2) == local_gradients(out) and local_gradients(h2) == (3.0, 3.0)


def test_unpickled_graph_backpropagates_like_the_original() -> None:
    """f = a² + tanh(a²) at a = 0.5: df/da = 2a(1 + 1 − tanh²(a²)), by hand, on the copy."""
    a = Value(0.5)
    h = a * a
    out2 = pickle.loads(pickle.dumps(h + h.tanh()))
    out2.backward()
    leaf = sg.topological_order(out2)[0]
    assert leaf.grad == pytest.approx(2 * 0.5 * (2.0 - math.tanh(0.25) ** 2), rel=1e-12)
    assert a.grad == 0.0  # the original is untouched
