"""The closure core: every op's `_backward` closure, micrograd's own custom-op pattern, ops
defined the documented closure way, attributes on values, and each op's declaration.

Expected gradients come from plain `math`, PyTorch float64 or finite differences, never from
the engine itself."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import platform
from typing import Any

import pytest
from ops_table import OPS, Op

import scalargrad as sg
from scalargrad import Value
from scalargrad.fused import DotBackward
from scalargrad.graph import local_gradients


def lecture_tanh(x: Value) -> Value:
    """tanh exactly as the lecture writes it: the node, then a zero-argument closure."""
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    return out


def lecture_mul(a: Value, b: Value) -> Value:
    """micrograd's __mul__, line for line, as a free function."""
    out = Value(a.data * b.data, (a, b), "*")

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return out


def closure_cube(x: Value) -> Value:
    """x³ defined the documented way: from_op with a closure upstream -> downstreams."""
    local = 3.0 * x.data ** 2
    return Value.from_op(x.data ** 3, (x,), op="cube",
                         backward=lambda upstream: (upstream * local,))


def closure_hypot(a: Value, b: Value) -> Value:
    """√(a² + b²) defined the documented way, with two parents."""
    r = math.hypot(a.data, b.data)
    da, db = a.data / r, b.data / r

    def _backward(upstream: float) -> tuple[float, float]:
        return (upstream * da, upstream * db)

    return Value.from_op(r, (a, b), op="hypot", backward=_backward)


# -- micrograd's custom-op pattern -----------------------------------------------------------


def test_lecture_custom_op_backward_matches_math() -> None:
    """A tanh written the lecture's way (Value(t, (x,), 'tanh') + out._backward = f) gets
    d tanh(2x)/dx = 2(1 − tanh²2x) through backward()."""
    x = Value(0.3)
    y = lecture_tanh(x * 2.0)
    y.backward()
    assert y.data == math.tanh(0.6)
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.6) ** 2), rel=1e-15)


def test_lecture_custom_op_inside_a_larger_graph_and_used_twice() -> None:
    """The lecture's mul used twice beside built-in ops: f = m·m + m with m = a·b gives
    ∂f/∂a = (2m + 1)·b, worked out by hand."""
    a, b = Value(1.5), Value(-2.0)
    m = lecture_mul(a, b)
    f = lecture_mul(m, m) + m
    f.backward()
    mv = 1.5 * -2.0
    assert a.grad == (2 * mv + 1) * -2.0 and b.grad == (2 * mv + 1) * 1.5


def test_lecture_custom_op_works_with_zero_grad_drawing_narration_and_anomaly() -> None:
    """zero_grad, to_dot, explain (its local gradient measured by running it), check_graph
    with f=, and anomaly mode all accept a node whose _backward was set by hand."""
    x = Value(0.3, label="x")
    y = lecture_tanh(x)
    y.label = "y"
    y.backward()
    y.zero_grad()
    assert (x.grad, y.grad) == (0.0, 0.0)
    assert "tanh" in sg.to_dot(y)
    trace = sg.explain(y)
    slope = 1 - math.tanh(0.3) ** 2
    assert trace.step("y").inputs[0].local == pytest.approx(slope, rel=1e-15)
    assert x.grad == pytest.approx(slope, rel=1e-15)
    result = sg.check_graph(y, lambda v: v.tanh())
    assert result.ok and "y (tanh)" in result.unchecked
    x.grad = 0.0
    with sg.detect_anomaly():
        y.backward()
    assert x.grad == pytest.approx(slope, rel=1e-15)


def test_lecture_custom_op_nan_is_caught_in_anomaly_mode() -> None:
    """A hand-written _backward that sends inf is caught by the checked pass."""
    x = Value(1.0)
    out = Value(2.0, (x,), "bad")

    def _backward() -> None:
        x.grad += math.inf * out.grad

    out._backward = _backward
    with pytest.raises(sg.AnomalyError, match="'bad'"), sg.detect_anomaly():
        out.backward()


def test_hand_stepping_a_built_in_op() -> None:
    """o.grad = 1; o._backward() on a built-in a·b adds b into a.grad and a into b.grad, and
    stepping a leaf does nothing, as in micrograd."""
    a, b = Value(2.0), Value(-3.0)
    o = a * b
    o.grad = 1.0
    o._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    a._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    o.grad = 0.5
    o._backward()  # a second step adds again: += as in the lecture
    assert (a.grad, b.grad) == (-3.0 + 0.5 * -3.0, 2.0 + 0.5 * 2.0)


def test_hand_stepping_returns_the_users_own_function() -> None:
    """For a node whose _backward was set by hand, out._backward is that very function."""
    x = Value(0.5)
    out = Value(1.0, (x,), "f")

    def step() -> None:
        x.grad += 2.0 * out.grad

    out._backward = step
    assert out._backward is step
    with pytest.raises(TypeError, match="_backward must be a function"):
        out._backward = 3.0  # type: ignore[assignment]


# -- ops defined the documented closure way --------------------------------------------------


def test_closure_op_matches_torch_float64() -> None:
    """cube and hypot made with Value.from_op(backward=...) inside a larger expression give
    PyTorch float64's gradients."""
    torch = pytest.importorskip("torch")
    a, b = Value(0.7), Value(-1.3)
    out = closure_hypot(closure_cube(a), b) * a + closure_cube(b)
    out.backward()
    ta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    tout = torch.sqrt(ta ** 3 * ta ** 3 + tb * tb) * ta + tb ** 3
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-14)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-13)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-13)


def test_closure_op_is_checked_by_finite_differences() -> None:
    """gradcheck passes for the closure-defined cube and fails for one with a wrong closure."""
    assert sg.gradcheck(closure_cube, 0.8).ok
    wrong = lambda x: Value.from_op(x.data ** 3, (x,), op="cube",  # noqa: E731
                                    backward=lambda upstream: (upstream * 3.0 * x.data,))
    assert not sg.gradcheck(wrong, 0.8).ok


def test_closure_op_narration_shows_its_local_gradient() -> None:
    """explain() shows the closure's local gradient 3x² and downstream upstream × 3x²."""
    x = Value(2.0, label="x")
    y = closure_cube(x)
    y.label = "y"
    z = y * 0.5
    step = sg.explain(z).step("y")
    assert step.op == "cube"
    assert step.inputs[0].local == 12.0 and step.inputs[0].downstream == 6.0


def test_closure_op_with_a_wrong_number_of_downstreams_says_so() -> None:
    """A closure returning one number for two parents is a TypeError naming the op."""
    a, b = Value(1.0), Value(2.0)
    out = Value.from_op(3.0, (a, b), op="pair", backward=lambda upstream: (upstream,))
    with pytest.raises(TypeError, match=r"op 'pair' returned \(1\.0,\); expected a tuple of 2"):
        out.backward()


def test_from_op_needs_exactly_one_of_local_grads_and_backward() -> None:
    """Both or neither is a TypeError that says which."""
    x = Value(1.0)
    with pytest.raises(TypeError, match="not both"):
        Value.from_op(1.0, (x,), [1.0], backward=lambda u: (u,))
    with pytest.raises(TypeError, match="not neither"):
        Value.from_op(1.0, (x,))


def test_closure_op_records_nothing_under_no_grad() -> None:
    """Like the built-in ops, a closure-defined op inside no_grad() makes a leaf."""
    x = Value(2.0)
    with sg.no_grad():
        y = closure_cube(x)
    assert y._prev == () and y.data == 8.0


def test_closure_op_pickles_and_copies_with_its_gradients() -> None:
    """A graph with a closure-defined op survives pickle and deepcopy: backward on the copy
    gives 3x² = 12 at x = 2 again; a hand-set _backward refuses both, naming from_op."""
    x = Value(2.0)
    y = closure_cube(x) + x
    for copied in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        copied.backward()
        leaf = copied._prev[1]
        assert leaf.grad == 13.0
    hand = lecture_tanh(x)
    with pytest.raises(TypeError, match="from_op"):
        pickle.dumps(hand)
    with pytest.raises(TypeError, match="from_op"):
        copy.deepcopy(hand)


# -- the closures themselves -----------------------------------------------------------------


def _captured(fn: Any) -> list[Any]:
    """Everything a backward function holds: closure cells, default arguments, partial args."""
    cells = getattr(fn, "__closure__", None) or ()
    held = [c.cell_contents for c in cells] + list(getattr(fn, "__defaults__", None) or ())
    held += list(getattr(fn, "args", ()))
    if hasattr(fn, "local"):  # graph.Scaled: fixed local gradients (dot's closure)
        held += list(fn.local)
    return held + [x for h in held if isinstance(h, (tuple, list)) for x in h]


@pytest.mark.parametrize("op", OPS, ids=str)
def test_no_closure_refers_to_its_node(op: Op) -> None:
    """No op's closure holds its own node (so no node↔closure cycle): only numbers, or, for
    a dot of Values (whose local gradients are its parents' numbers), the node's parents."""
    out = op.engine(*map(Value, op.at))
    for node in sg.topological_order(out):
        if type(node._fn) is DotBackward:
            assert node._fn.parents is node._prev, op.name
            assert all(p is not node for p in node._fn.parents), op.name
        elif node._prev:
            held = _captured(node._fn)
            assert all(isinstance(h, (float, int, tuple, list)) for h in held), op.name
            assert not any(isinstance(h, Value) for h in held), op.name


@pytest.mark.parametrize("op", OPS, ids=str)
def test_closure_is_linear_in_the_upstream(op: Op) -> None:
    """closure(u) = u × closure(1) for every op: what lets narration read local gradients."""
    out = op.engine(*map(Value, op.at))
    for node in sg.topological_order(out):
        if node._prev:
            local = sg.graph.downstream(node, 1.0)
            assert list(sg.graph.downstream(node, -2.5)) == [-2.5 * g for g in local], op.name


def test_constant_ops_share_one_closure() -> None:
    """+, −, neg and relu allocate no closure per node: every node holds the same function."""
    a, b = Value(1.0), Value(2.0)
    for make in (lambda: a + b, lambda: a - b, lambda: -a, lambda: a.relu(), lambda: b.relu()):
        assert make()._fn is make()._fn


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="freeing by reference counting is CPython's")
def test_no_cyclic_garbage_with_closures() -> None:
    """A graph of every op is freed by reference counting: the collector finds nothing."""
    gc.collect()
    gc.disable()
    try:
        for op in OPS:
            out = op.engine(*map(Value, op.at))
            out.backward()
            del out
        assert gc.collect() == 0
    finally:
        gc.enable()


# -- attributes on values --------------------------------------------------------------------


def test_users_can_attach_attributes() -> None:
    """p.m = 0 (optimizer state) and n._vis_color (drawing) work, leave the math alone, and
    survive deepcopy."""
    p = Value(1.5)
    p.m = 0.0
    p._vis_color = "red"
    y = p * p
    y.backward()
    assert (p.m, p._vis_color, p.grad) == (0.0, "red", 3.0)
    copied = copy.deepcopy(y)._prev[0]
    assert copied.m == 0.0 and copied._vis_color == "red" and copied is not p
    with pytest.raises(AttributeError):
        Value(1.0).momentum  # noqa: B018 (an attribute never set is still an error)


# -- the declaration: each op's exact parameter ------------------------------------------------


def test_pow_reads_its_exponent_exactly() -> None:
    """x ** 2.0000001: the op keeps the exponent exactly, in _op, narration, frames and the
    check (which recomputes x ** 2.0000001, not x ** 2)."""
    x = Value(1.7, label="x")
    y = x ** 2.0000001
    y.label = "y"
    assert y._op == "**2.0000001" and y._kind.param == 2.0000001
    assert sg.explain(y).step("y").op == "**2.0000001"
    titles = [f.title for f in sg.backward_frames(y)]
    assert any(t.startswith("y = x ** 2.0000001:") for t in titles)
    result = sg.check_graph(y)
    assert result.ok and len(result.locals) == 1
    assert result.locals[0].numeric == pytest.approx(2.0000001 * 1.7 ** 1.0000001, rel=1e-9)
    assert (x ** 2.0)._op == "**2" and (x ** 0.5)._op == "**0.5"  # micrograd's spelling


def test_leaky_relu_reads_its_slope_exactly() -> None:
    """leaky_relu(0.2000001) at x = 0 (where data/x would be undefined) keeps its slope."""
    x = Value(0.0, label="x")
    y = x.leaky_relu(0.2000001)
    y.label = "y"
    assert y._kind.param == 0.2000001
    assert "slope=0.2000001" in y._kind.write(["x"])
    assert local_gradients(y) == (0.2000001,)
    assert sg.check_graph(y * 1.0, leaves=[x]).locals  # its forward is known: it is checked


def test_sum_and_dot_constants_are_part_of_the_op() -> None:
    """sum(start=2.5) and dot with plain-number operands keep their constants: check_graph
    recomputes them and checks every local gradient (none left unchecked)."""
    w, x = Value(1.5, label="w"), Value(-2.0, label="x")
    s = sg.sum([w, x, 0.125], start=2.5)
    assert s._kind.param == 2.625
    d = sg.dot([2.0, w], [x, -3.0], 0.5)
    out = s * d
    result = sg.check_graph(out)
    assert result.ok and not result.unchecked
    assert len(result.locals) == 2 + 2 + 2


@pytest.mark.parametrize("op", OPS, ids=str)
def test_every_op_declares_how_it_is_written(op: Op) -> None:
    """Each built-in op's declaration writes it, in text and LaTeX, with its input names, and
    recomputes its forward from its inputs' numbers (the math oracle's value)."""
    out = op.engine(*map(Value, op.at))
    kind = out._kind
    names = [f"i{k}" for k in range(len(out._prev))]
    assert not kind.is_custom
    assert kind.write(names) and kind.latex(names) and kind.local_text(names)
    assert kind.forward([p.data for p in out._prev]) == pytest.approx(op.reference(*op.at),
                                                                       rel=1e-14)


# -- the docs quote the real code ------------------------------------------------------------


def test_readme_and_guide_quote_the_engines_own_closures() -> None:
    """The README's `*` and the guide's reciprocal and relay loop are the engine's code,
    character for character (docs that paraphrase drift)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = "".join((root / "scalargrad" / name).read_text(encoding="utf-8")
                     for name in ("value.py", "arithmetic.py", "functions.py", "graph.py"))
    quoted = []
    for doc in ("README.md", "docs/guide.md"):
        text = (root / doc).read_text(encoding="utf-8")
        quoted += [b for b in re.findall(r"```python\n(.*?)```", text, re.S)
                   if "_make(" in b or "downs = fn(" in b]
    assert len(quoted) == 3
    for block in quoted:
        assert block in source, block


def test_pickle_keeps_attributes_and_custom_ops_stay_custom() -> None:
    """A user attribute survives pickling; a custom op named 'sin' comes back custom (its
    local gradient is not checked as the built-in sin's), a built-in pow keeps its exponent."""
    x = Value(0.7)
    x.m = 3.0
    s = Value.from_op(0.5, [x], [2.0], "sin")
    p = x ** 2.0000001
    s2, p2 = pickle.loads(pickle.dumps([s, p]))
    assert s2._prev[0].m == 3.0 and s2._kind.is_custom and s2._op == "sin"
    assert p2._kind.param == 2.0000001 and not p2._kind.is_custom


def test_backward_applies_a_dot_closure_exactly_as_calling_it() -> None:
    """backward() adds dot's products inline (a fast path): every gradient equals what the
    dot nodes' closures return when called, bit for bit, in a two-layer network."""
    ws = [[Value(0.1 * (i - j) + 0.05) for i in range(5)] for j in range(3)]
    xs = [0.3, -1.2, 0.7, 2.0, -0.4]
    hidden = [sg.dot(w, xs, Value(0.1)).tanh() for w in ws]
    out = sg.dot([Value(0.5), Value(-0.25), Value(1.5)], hidden, 2.0)
    order = sg.topological_order(out)
    replayed = sg.graph.replay(order)  # calls every closure, dot's included
    out.backward()
    assert [v.grad for v in order] == replayed
    assert any(type(v._fn) is sg.graph.Scaled for v in order)


def test_a_dot_of_values_copies_no_local_gradients() -> None:
    """A dot node of Values holds no local gradients: called with an upstream like every
    op's closure, it reads its parents' numbers then (a weight changed after the forward
    pass changes its input's downstream)."""
    w, x, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], Value(0.5)
    node = sg.dot(w, x, b)
    assert node._fn(2.0) == [6.0, 8.0, 2.0, 4.0, 2.0]  # weights get 2·x, inputs 2·w, bias 2
    w[0].data = 10.0
    assert node._fn(2.0) == [6.0, 8.0, 20.0, 4.0, 2.0]


def test_dot_backward_is_declared_beside_dot() -> None:
    """One op, one place: a dot node's closure is of a type defined in dot's own module."""
    node = sg.dot([Value(1.0)], [Value(2.0)])
    assert type(node._fn) is DotBackward and DotBackward.__module__ == sg.dot.__module__


def test_a_copied_dot_reads_its_own_parents() -> None:
    """deepcopy of a dot node: its closure reads the copies, not the originals."""
    w = [Value(1.0), Value(2.0)]
    node = copy.deepcopy(sg.dot(w, [Value(3.0), Value(4.0)], Value(0.5)))
    w[0].data = 10.0
    assert node._fn(1.0) == [3.0, 4.0, 1.0, 2.0, 1.0] and node._fn.parents is node._prev
