"""Forward mode's behaviour: duals through every kind of node, no graph kept, .grad left
alone, no_grad, the levels, the tangent pass over a recorded graph, and clear errors.

The numbers here are worked by hand (σ'(0) = 1/4, d(x·x)/dx = 2x, …) or are PyTorch's
(tests/test_forward_mode.py has the PyTorch and finite-difference comparisons).
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import pytest
from peak_memory import peak_bytes

import nn
import scalargrad as sg
from scalargrad import Value


def chain(x: Value, depth: int) -> Value:
    """`depth` rounds of two multiplications, a sine and an addition."""
    for _ in range(depth):
        x = (x * 0.5).sin() + x * 0.9
    return x


# -- the lesson's examples ---------------------------------------------------------------------


def test_the_sigmoids_tangent_at_zero_is_a_quarter() -> None:
    """A tangent of 1 into σ at z = 0 comes out as σ(0)(1 − σ(0)) = 0.25."""
    with sg.dual_level():
        y = sg.make_dual(0.0, 1.0).sigmoid()
        assert sg.unpack_dual(y) == (0.5, 0.25)


def test_tangents_add_where_a_value_is_used_twice() -> None:
    """x·x at x = 3 with tangent 1: each edge brings 3 × 1, and they add to 6 = 2x."""
    with sg.dual_level():
        x = sg.make_dual(3.0, 1.0)
        assert sg.unpack_dual(x * x).tangent == 6.0
        assert sg.unpack_dual(2 * x + 3 * x).tangent == 5.0


def test_reflected_ops_with_a_number_on_the_left_carry_the_tangent() -> None:
    """2 − x, 2 / x and 2 ** x: the dual on the right still moves the result."""
    with sg.dual_level():
        x = sg.make_dual(2.0, 1.0)
        assert sg.unpack_dual(2 - x).tangent == -1.0
        assert sg.unpack_dual(2 / x).tangent == -0.5
        assert sg.unpack_dual(2 ** x).tangent == pytest.approx(4 * math.log(2), rel=1e-15)


def test_a_plain_value_on_the_left_of_a_dual_op_carries_no_tangent_but_the_dual_does() -> None:
    """Value(5) * x: the plain Value is a constant, so the tangent is 5 × x's."""
    with sg.dual_level():
        x = sg.make_dual(2.0, 1.5)
        assert sg.unpack_dual(Value(5.0) * x) == (10.0, 7.5)


# -- every kind of node ----------------------------------------------------------------------


def test_sum_and_dot_carry_tangents_from_their_dual_inputs() -> None:
    """sum(x, 2x, 3) moves at 3 per unit of x; dot([x, 2], [x, y]) + b at 2x·ẋ + 2ẏ + ḃ."""
    with sg.dual_level():
        x, y, b = sg.make_dual(3.0, 1.0), sg.make_dual(-1.0, 1.0), sg.make_dual(0.5, 1.0)
        assert sg.unpack_dual(sg.sum([x, 2 * x, 3.0])) == (12.0, 3.0)
        assert sg.unpack_dual(sg.dot([x, 2.0], [x, y], b)) == (7.5, 2 * 3.0 + 2 * 1.0 + 1.0)
        assert sg.unpack_dual(sg.dot([x, y], [x, y]).tanh()).tangent == pytest.approx(
            (1 - math.tanh(10.0) ** 2) * (2 * 3.0 - 2 * 1.0), rel=1e-12)


def test_a_from_op_closure_gives_the_tangent_rule_of_a_users_op() -> None:
    """A user's cube op with backward=upstream·3x²: its tangent at x = 2 is 12 × ẋ."""
    def cube(x: Value) -> Value:
        return Value.from_op(x.data ** 3, (x,), op="cube",
                             backward=lambda up: (up * 3 * x.data ** 2,))

    with sg.dual_level():
        assert sg.unpack_dual(cube(sg.make_dual(2.0, 0.5))) == (8.0, 6.0)
    assert sg.jvp(lambda x: cube(x).sin(), [2.0], [1.0])[1] == pytest.approx(
        math.cos(8.0) * 12.0, rel=1e-14)


def test_a_micrograd_style_backward_gives_its_tangent_too() -> None:
    """Value(data, children, op) with a _backward that adds into the parents' grads."""
    def square(x: Value) -> Value:
        out = Value(x.data ** 2, (x,), "sq")

        def _backward() -> None:
            x.grad += 2 * x.data * out.grad

        out._backward = _backward
        return out

    assert sg.jvp(square, [3.0], [2.0]) == (9.0, 12.0)


def test_neurons_layers_and_mlps_take_duals() -> None:
    """nn's modules (fused and elementary) pass duals through: a linear neuron's tangent is
    w·ẋ, and a layer gives one tangent per neuron."""
    neuron = nn.Neuron(2, nonlin=False, seed=0)
    w = [p.data for p in neuron.w]
    assert sg.jvp(lambda a, b: neuron([a, b]), [0.3, -0.2], [1.0, 2.0])[1] == pytest.approx(
        w[0] + 2 * w[1], rel=1e-14)
    layer = nn.Layer(2, 3, activation="tanh", seed=1, fused=False)
    values, tangents = sg.jvp(lambda a, b: layer([a, b]), [0.3, -0.2], [1.0, 0.0])
    assert len(values) == len(tangents) == 3
    for n, t in zip(layer.neurons, tangents):
        z = n.b.data + n.w[0].data * 0.3 + n.w[1].data * -0.2
        assert t == pytest.approx((1 - math.tanh(z) ** 2) * n.w[0].data, rel=1e-12)


# -- no graph, .grad untouched, no_grad ---------------------------------------------------------


def test_jvp_memory_does_not_grow_with_depth_while_reverse_modes_does() -> None:
    """Peak memory (tracemalloc) through a chain 10x deeper: jvp's stays within 2x,
    reverse mode's (grad, which keeps the graph) grows more than 5x."""
    forward = [peak_bytes(lambda d=d: sg.jvp(lambda x: chain(x, d), [0.3], [1.0]))
               for d in (250, 2500)]
    reverse = [peak_bytes(lambda d=d: sg.grad(lambda x: chain(x, d))(0.3)) for d in (250, 2500)]
    assert forward[1] < 2 * forward[0] + 10_000, forward
    assert reverse[1] > 5 * reverse[0], reverse


def test_memory_stays_flat_through_sum_and_dot_nodes_too() -> None:
    """A chain that mixes ordinary sum and dot nodes with dual ops: jvp's peak memory still
    stays within 2x for a chain 10x deeper (the ordinary nodes are read and let go)."""
    def mixed(x: Value, depth: int) -> Value:
        for _ in range(depth):
            x = x * sg.sum([x, 1.0]) * 0.5 + sg.dot([x, 0.25], [0.5, x]).tanh()
        return x

    forward = [peak_bytes(lambda d=d: sg.jvp(lambda x: mixed(x, d), [0.3], [1.0]))
               for d in (250, 2500)]
    assert forward[1] < 2 * forward[0] + 10_000, forward


def test_a_hand_made_node_used_again_and_again_is_walked_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain of 50 micrograd-style nodes over a dual (no op makes them, so their tangent
    waits) used by 200 rounds of dual ops: the chain's local gradients are read about once
    (each op's own once), not 200 times."""
    from scalargrad import graph

    reads = [0]
    original = graph.local_gradients

    def counted(node: Value) -> tuple:
        reads[0] += 1
        return original(node)

    def half(v: Value) -> Value:
        out = Value(v.data * 0.5, (v,), "half")

        def _backward() -> None:
            v.grad += 0.5 * out.grad

        out._backward = _backward
        return out

    monkeypatch.setattr(graph, "local_gradients", counted)

    def f(x: Value) -> Value:
        p = x
        for _ in range(50):
            p = half(p)
        y = x
        for _ in range(200):
            y = y * 0.99 + p * 0.01
        return y

    value, tangent = sg.jvp(f, [0.1], [1.0])
    assert reads[0] < 50 + 200 * 3 + 10, reads[0]
    assert tangent == pytest.approx(0.99 ** 200 + 0.5 ** 50 * (1 - 0.99 ** 200), rel=1e-12)


def test_a_dual_result_is_a_leaf_with_no_parents() -> None:
    """Forward mode keeps no graph behind a dual: the result of an op has no _prev."""
    with sg.dual_level():
        y = chain(sg.make_dual(0.3, 1.0), 3)
        assert isinstance(y, sg.Dual) and y._prev == () and y._fn is None


def test_forward_mode_leaves_grad_alone() -> None:
    """jvp, jacfwd and hvp through a model read and change no parameter's .grad."""
    model = nn.MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 0.125
    sg.jvp(lambda a, b: model([a, b]), [0.1, 0.2], [1.0, 1.0])
    sg.jacfwd(lambda a, b: model([a, b]))(0.1, 0.2)
    sg.jacrev(lambda a, b: model([a, b]))(0.1, 0.2)
    sg.hvp(lambda a, b: model([a, b]), [0.1, 0.2], [1.0, 0.0])
    assert all(p.grad == 0.125 for p in model.parameters())


def test_forward_mode_works_inside_no_grad() -> None:
    """Inside no_grad(): jvp through sum, dot and an nn loss, and a dual_level block, give the
    same tangents as outside, and no_grad is still on afterwards."""
    model = nn.MLP(2, [3, 2], seed=4)

    def f(a: Value, b: Value) -> Value:
        return nn.mse_loss(model([a, b]), [0.0, 1.0]) + sg.dot([a, b], [b, a])

    outside = sg.jvp(f, [0.5, -0.5], [1.0, 2.0])
    with sg.no_grad():
        inside = sg.jvp(f, [0.5, -0.5], [1.0, 2.0])
        with sg.dual_level():
            x = sg.make_dual(0.5, 1.0)
            s = sg.sum([x, x])
            assert sg.unpack_dual(s).tangent == 2.0
        assert not sg.is_grad_enabled()
    assert inside == outside


def test_no_grad_inside_a_dual_level_does_not_stop_forward_mode() -> None:
    """As in PyTorch, no_grad() opened inside dual_level() leaves forward mode on: exp, sum,
    dot and an nn loss there still carry their tangents (d eˣ/dx = e at x = 1)."""
    with sg.dual_level():
        x = sg.make_dual(1.0, 1.0)
        with sg.no_grad():
            y = x.exp()
            s = sg.sum([x, y])
            d = sg.dot([x, 2.0], [y, x])
            loss = nn.mse_loss([x], [0.0])
        assert sg.unpack_dual(y).tangent == math.e
        assert sg.unpack_dual(s).tangent == 1.0 + math.e
        assert sg.unpack_dual(d).tangent == pytest.approx(2 * math.e + 2.0, rel=1e-15)
        assert sg.unpack_dual(loss).tangent == 2.0


def test_no_grad_inside_a_dual_level_records_no_graph_outside_grad() -> None:
    """Inside no_grad(), an ordinary op's result is a leaf; grad(...) there still records
    what it differentiates (as torch.func.grad does under torch.no_grad)."""
    with sg.dual_level():
        x = sg.make_dual(1.0, 1.0)
        with sg.no_grad():
            inner: list = []
            sg.grad(lambda a: inner.append(a * x) or a)(x)
            plain = Value(2.0) * 3.0
    assert (len(inner[0]._prev), plain._prev) == (2, ())


# -- the levels --------------------------------------------------------------------------------


def test_make_dual_needs_a_level() -> None:
    """Outside dual_level(), make_dual says to open one."""
    with pytest.raises(RuntimeError, match="dual_level"):
        sg.make_dual(1.0, 1.0)


def test_levels_do_not_nest() -> None:
    """A second dual_level() (or a jvp) inside one is refused, naming the first block."""
    with sg.dual_level():
        with pytest.raises(RuntimeError, match="already open"):
            with sg.dual_level():
                pass
        with pytest.raises(RuntimeError, match="already open"):
            sg.jvp(lambda x: x, [1.0], [1.0])


def test_a_dual_is_an_ordinary_value_after_its_level_closes() -> None:
    """As in PyTorch: once the block closes, unpack_dual finds no tangent and ops give
    plain Values."""
    with sg.dual_level():
        x = sg.make_dual(2.0, 1.0)
    assert sg.unpack_dual(x) == (2.0, None)
    y = x * x
    assert type(y) is Value and y.data == 4.0
    with sg.dual_level():
        assert sg.unpack_dual(x * x).tangent is None


def test_duals_of_another_thread_carry_no_tangent_here() -> None:
    """Levels are per thread: this thread's level does not see another's duals as live."""
    with sg.dual_level():
        x = sg.make_dual(2.0, 1.0)
        seen: list = []
        thread = threading.Thread(target=lambda: seen.append(sg.unpack_dual(x)))
        thread.start()
        thread.join()
        assert seen == [(2.0, None)]
        assert sg.unpack_dual(x) == (2.0, 1.0)


def test_jvp_in_many_threads_at_once_keeps_each_threads_tangents() -> None:
    """Eight threads running jvp together (each with its own level) each get their own
    f(x) = k·x³ at x = 1: value k, tangent 3k."""
    results: dict = {}
    barrier = threading.Barrier(8)

    def run(k: int) -> None:
        barrier.wait()
        results[k] = [sg.jvp(lambda x: x * x * x * k, [1.0], [1.0]) for _ in range(50)]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == [(float(k), 3.0 * k)] * 50 for k, r in results.items()) and len(results) == 8


def test_a_value_that_depends_on_no_dual_has_no_tangent() -> None:
    """unpack_dual of a constant gives tangent None (PyTorch's answer); jvp gives 0.0 for an
    output that does not depend on the inputs."""
    with sg.dual_level():
        assert sg.unpack_dual(Value(3.0) * 2).tangent is None
    assert sg.jvp(lambda x: [x, Value(3.0)], [1.0], [1.0]) == ([1.0, 3.0], [1.0, 0.0])


# -- the tangent pass over a recorded graph ------------------------------------------------------


def test_tangent_pass_gives_every_node_its_tangent_and_visits_each_edge() -> None:
    """Over y = tanh(a·b + a): tangents in topological order, and each visit lists the
    edges in as (parent, local gradient, tangent in)."""
    a, b = Value(2.0), Value(-1.0)
    ab = a * b
    s = ab + a
    y = s.tanh()
    order = sg.topological_order(y)
    visits: list = []
    tangents = sg.tangent_pass(order, {a: 1.0}, visit=lambda i, n, e, t: visits.append((n, e, t)))
    by_node = dict(zip(order, tangents))
    assert by_node[b] == 0.0 and by_node[ab] == -1.0 and by_node[s] == 0.0
    assert by_node[y] == 0.0
    node, edges, t = visits[0]
    assert node is ab and edges == [(a, -1.0, 1.0), (b, 2.0, None)] and t == -1.0


def test_tangent_pass_refuses_a_seed_outside_the_order() -> None:
    """A seed for a node not in the order is an error naming it."""
    with pytest.raises(ValueError, match="not in the order"):
        sg.tangent_pass([Value(1.0)], {Value(2.0): 1.0})


# -- the functional API's shapes and errors -----------------------------------------------------


def test_jacobian_shapes() -> None:
    """One output: a list of n floats; m outputs: m lists of n floats, from both."""
    def f(a: Value, b: Value) -> list:
        return [a * b, a + b, a.exp()]

    for jac in (sg.jacfwd, sg.jacrev):
        assert jac(lambda a, b: a * b)(2.0, 3.0) == [3.0, 2.0]
        assert jac(f)(0.0, 3.0) == [[3.0, 0.0], [1.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize("call, message", [
    (lambda: sg.jvp(lambda x: x, [1.0, 2.0], [1.0]), "2 primals but 1 tangents"),
    (lambda: sg.jvp(lambda x: x, 1.0, [1.0]), "primals must be a list or tuple"),
    (lambda: sg.jvp(lambda x: x, [1.0], ["1"]), r"tangents\[0\] must be a real number"),
    (lambda: sg.jvp(lambda x: x, [True], [1.0]), r"primals\[0\] must be a real number"),
    (lambda: sg.jvp(lambda x: x, [1.0], [Value(1.0)]), r"tangents\[0\] must be a real"),
    (lambda: sg.jvp(lambda x: 3.0, [1.0], [1.0]), "must return a Value or a list of Values"),
    (lambda: sg.jvp(lambda x: [x, 2.0], [1.0], [1.0]), "list holding float 2.0"),
    (lambda: sg.jvp(lambda x: [], [1.0], [1.0]), "an empty list"),
    (lambda: sg.jvp(3, [1.0], [1.0]), "f must be a function"),
    (lambda: sg.jacfwd(lambda x: x)("a"), r"arguments\[0\] must be a real number"),
    (lambda: sg.jacrev(lambda x: {"y": x})(1.0), "must return a Value or a list of Values"),
    (lambda: sg.jacfwd(lambda: Value(1.0))(), "at least one argument"),
    (lambda: sg.hvp(lambda x, y: x * y, [1.0, 2.0], [1.0]), "hvp: 2 primals but 1 tangents"),
    (lambda: sg.jvp(lambda x: x, [1.0, 2.0], [1.0, 1.0]), "f cannot be called with 2 primals"),
    (lambda: sg.jacrev(lambda x, y: x * y)(1.0), "f cannot be called with 1 argument as"),
    (lambda: sg.hvp(lambda x: x * x, [1.0, 2.0], [1.0, 1.0]), "f cannot be called with 2"),
    (lambda: sg.hvp(lambda x: [x], [1.0], [1.0]), "single Value"),
])
def test_bad_input_gets_a_clear_error(call: Callable[[], Any], message: str) -> None:
    """Wrong lengths, non-numbers and f returning something other than Values are named."""
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_make_dual_and_unpack_dual_name_bad_input() -> None:
    """make_dual wants real numbers; unpack_dual wants a Value."""
    with sg.dual_level():
        with pytest.raises(TypeError, match="make_dual tangent must be a real number"):
            sg.make_dual(1.0, "fast")
        with pytest.raises(TypeError, match="unpack_dual expected a Value"):
            sg.unpack_dual(1.0)  # type: ignore[arg-type]
