"""Forward mode keeps no graph, through every way a node is made: each op, `sum`, `dot`, nn's
modules and losses, and `Value.from_op`; and its flag lives in the thread's modes.

While a `dual_level()` is open, the one constructor every op calls (`node._make`, its slow
path) makes a node computed from a live dual into a dual leaf. These tests hold the
consequences: peak memory (tracemalloc) flat in depth where reverse mode's grows, results that
are leaves, tangents still right where a node is made by hand, levels that stay in their
thread, anomaly mode and the modes left as they were. The numbers are worked by hand; the
comparisons with PyTorch float64 are in tests/test_forward_mode.py.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest
from peak_memory import peak_bytes

import nn
import scalargrad as sg
from scalargrad import Value
from scalargrad import node as _node
from scalargrad.modes import _modes


def fused_chain(x: Value, y: Value, repeats: int) -> Value:
    """`repeats` rounds of one dot, one sum and one nn loss node: x ← (½x + ¼y + 0.1 − 0.2)²,
    which stays bounded."""
    for _ in range(repeats):
        s = sg.sum([sg.dot([x, y], [0.5, 0.25]), 0.1])
        x = nn.mse_loss([s], [0.2])  # type: ignore[assignment]
    return x


# -- memory -----------------------------------------------------------------------------------


def test_jvp_through_an_mlp_is_flat_in_depth_while_reverse_mode_grows() -> None:
    """jvp through an nn.MLP of 20 layers (width 8) peaks within 2x of one of 2 layers; the
    reverse-mode Jacobian (jacrev, which keeps the graph) peaks more than 5x higher."""
    models = {depth: nn.MLP(4, [8] * depth + [1], activation="tanh", seed=0)
              for depth in (20, 2)}
    xs, ts = [0.1, 0.2, 0.3, 0.4], [1.0, 0.5, 0.0, -1.0]
    forward, reverse = {}, {}
    for depth, model in models.items():  # the deep one first: it warms the free lists

        def f(*x: Value, model: nn.MLP = model) -> Any:
            return model(list(x))

        sg.jvp(f, xs, ts)
        forward[depth] = peak_bytes(lambda: sg.jvp(f, xs, ts))
        reverse[depth] = peak_bytes(lambda: sg.jacrev(f)(*xs))
    assert forward[20] < 2 * forward[2], forward
    assert reverse[20] > 5 * reverse[2], reverse


def test_jvp_through_dot_sum_and_a_loss_is_flat_in_length_while_reverse_mode_grows() -> None:
    """A chain of dot, sum and mse_loss nodes only, run 1e4 times, peaks within 2x of the
    same chain run 1e3 times under jvp; grad's peak (the graph kept) grows over 5x."""
    def run(n: int) -> Any:
        return sg.jvp(lambda x, y: fused_chain(x, y, n), [0.3, -0.2], [1.0, 1.0])

    run(10_000)  # (warms the free lists)
    forward = [peak_bytes(lambda n=n: run(n)) for n in (1_000, 10_000)]
    reverse = [peak_bytes(lambda n=n: sg.grad(lambda x, y: fused_chain(x, y, n))(0.3, -0.2))
               for n in (1_000, 10_000)]
    assert forward[1] < 2 * forward[0], forward
    assert reverse[1] > 5 * reverse[0], reverse


# -- every way of making a node gives a dual leaf -------------------------------------------------


def test_sum_dot_losses_modules_and_from_op_give_dual_leaves() -> None:
    """Inside a level, the results of sum, dot (with and without constants), each nn loss,
    an MLP (fused and elementary neurons) and from_op are duals with no parents."""
    fused = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    elementary = nn.MLP(2, [3, 2], activation="relu", seed=0, fused=False)
    with sg.dual_level():
        x, y = sg.make_dual(0.5, 1.0), sg.make_dual(-0.25, 0.0)
        results = [
            sg.sum([x, y, 1.0]), sg.dot([x, y], [y, x], x), sg.dot([x, 2.0], [0.5, y]),
            nn.mse_loss([x, y], [0.0, 1.0]), nn.hinge_loss([x, y], [1, -1]),
            nn.bce_with_logits([x], [1.0]), nn.cross_entropy([[x, y]], [0]),
            nn.l2_regularization([x, y]), *fused([x, y]), *elementary([x, y]),
            Value.from_op(x.data * 3, (x,), [3.0], op="triple"),
        ]
    assert all(type(r) is sg.Dual and r._prev == () and r._fn is None for r in results)


def test_a_from_op_closure_that_reads_its_own_node_still_gives_the_tangent() -> None:
    """A closure reading `out` (set only after from_op returns) cannot run when the node is
    made: the node keeps its graph and its tangent is found when next needed. d/dx of
    tanh(x)·x at x = 0.5 is (1 − tanh²(0.5))·0.5 + tanh(0.5)."""
    def my_tanh(x: Value) -> Value:
        out = Value.from_op(math.tanh(x.data), (x,), op="my_tanh",
                            backward=lambda up: (up * (1 - out.data ** 2),))
        return out

    t = math.tanh(0.5)
    assert sg.jvp(lambda x: my_tanh(x) * x, [0.5], [1.0])[1] == pytest.approx(
        (1 - t * t) * 0.5 + t, rel=1e-15)
    with sg.dual_level():
        assert sg.unpack_dual(my_tanh(sg.make_dual(0.5, 2.0))).tangent == pytest.approx(
            2 * (1 - t * t), rel=1e-15)


def test_a_hand_made_node_inside_no_grad_keeps_its_tangent() -> None:
    """A micrograd-style node over a dual, then sin of it inside no_grad(): the sine is a
    dual whose tangent is cos(x²)·2x·ẋ (= cos 9 · 6 · 0.5 at x = 3, ẋ = 0.5)."""
    with sg.dual_level():
        x = sg.make_dual(3.0, 0.5)
        square = Value(x.data ** 2, (x,), "sq")

        def _backward() -> None:
            x.grad += 2 * x.data * square.grad

        square._backward = _backward
        with sg.no_grad():
            y = square.sin()
        assert type(y) is sg.Dual and y._prev == ()
        assert sg.unpack_dual(y).tangent == pytest.approx(math.cos(9.0) * 3.0, rel=1e-15)


def test_duals_leave_every_grad_alone() -> None:
    """Ops on duals through a model and a loss change no parameter's .grad and no dual's."""
    model = nn.MLP(2, [4, 1], seed=3)
    for p in model.parameters():
        p.grad = 0.25
    with sg.dual_level():
        x, y = sg.make_dual(0.1, 1.0), sg.make_dual(0.2, -1.0)
        out = nn.mse_loss(model([x, y]), [1.0]) + sg.dot([x], [y])
        sg.unpack_dual(out)
    assert all(p.grad == 0.25 for p in model.parameters())
    assert x.grad == y.grad == out.grad == 0.0


# -- the flag lives in the thread's modes ----------------------------------------------------------


def test_a_level_in_one_thread_makes_no_duals_in_another() -> None:
    """While this thread's level is open, another thread's ops on its dual make ordinary
    recorded nodes (and plain ops plain Values); back here, such a node's tangent is worked
    out from its parents: d(2x + Σ[x, x])/dx · ẋ = 4 · 1.5."""
    made: list = []
    with sg.dual_level():
        x = sg.make_dual(2.0, 1.5)

        def other() -> None:
            made.extend([x * 2, sg.sum([x, x]), nn.mse_loss([x], [0.0]), Value(1.0).exp()])

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert [type(v) for v in made] == [Value] * 4
        assert all(v._prev for v in made[:3]) and made[3]._prev
        assert sg.unpack_dual(made[0] + made[1]).tangent == 6.0


def test_closing_a_level_restores_the_modes_even_after_an_error() -> None:
    """After a level closes (here by an exception), the thread has no forward flag, the
    modes are not special (ops take the fast path again) and no mode block is counted."""
    before = _node._open_mode_blocks
    with pytest.raises(ZeroDivisionError):
        with sg.dual_level():
            assert _modes.special and _modes.forward is not None
            sg.make_dual(1.0, 1.0) / 0.0
    assert _modes.forward is None and not _modes.special
    assert _node._open_mode_blocks == before
    assert type(Value(1.0) * 2) is Value


# -- anomaly mode ----------------------------------------------------------------------------------


def test_detect_anomaly_checks_a_duals_number() -> None:
    """Inside detect_anomaly(), a dual op whose number overflows raises AnomalyError naming
    the op, as an ordinary op would."""
    with sg.detect_anomaly(), sg.dual_level():
        x = sg.make_dual(1e308, 1.0)
        with pytest.raises(sg.AnomalyError, match=r"op '\*'"):
            x * 10.0


def test_forward_mode_inside_detect_anomaly_gives_the_same_numbers() -> None:
    """jvp and hvp (whose duals keep a graph for the backward pass) inside detect_anomaly()
    give what they give outside: for x²y + eʸ at (1, 2) along (1, 0), the jvp is 2xy = 4 and
    H·v = (2y, 2x) = (4, 2)."""
    def f(x: Value, y: Value) -> Value:
        return x * x * y + y.exp()

    with sg.detect_anomaly():
        assert sg.jvp(f, [1.0, 2.0], [1.0, 0.0]) == (2.0 + math.exp(2.0), 4.0)
        assert sg.hvp(f, [1.0, 2.0], [1.0, 0.0]) == [4.0, 2.0]
