"""Code written in the style of micrograd and its video lecture runs unchanged: labels given
and assigned, gradients set and stepped by hand with `_backward()`, `draw_dot(root)`, numbers
on either side of every op (`2 ** a` too), and tanh written out through exp.

Every expected gradient is worked out by hand in the test (the lecture's numbers)."""

from __future__ import annotations

import math

import pytest

from scalargrad import Value


def lecture_expression() -> tuple[Value, ...]:
    """L = (a·b + c)·f at a = 2, b = −3, c = 10, f = −2, labelled the lecture's way."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f  # noqa: N806 (the lecture's name)
    L.label = "L"
    return a, b, c, e, d, f, L


def test_lecture_expression_by_manual_backward_steps() -> None:
    """Seeding L.grad = 1 and stepping _backward() output to inputs gives dL/da = b·f = 6,
    dL/db = a·f = −4, dL/dc = f = −2, dL/df = d = 4, dL/dd = f = −2, dL/de = f = −2."""
    a, b, c, e, d, f, L = lecture_expression()
    assert (L.data, L.label, L._op) == (-8.0, "L", "*")
    L.grad = 1.0
    for node in (L, d, e):
        node._backward()
    assert (a.grad, b.grad, c.grad, f.grad, d.grad, e.grad) == (6.0, -4.0, -2.0, 4.0, -2.0, -2.0)


def test_lecture_expression_by_backward() -> None:
    """backward() gives the same numbers as the manual steps."""
    a, b, c, e, d, f, L = lecture_expression()
    L.backward()
    assert (a.grad, b.grad, c.grad, f.grad, d.grad, e.grad) == (6.0, -4.0, -2.0, 4.0, -2.0, -2.0)


def lecture_neuron(tanh_from_exp: bool) -> tuple[Value, ...]:
    """o = tanh(x1·w1 + x2·w2 + b) at the lecture's point, where n = 0.8814 and o = 1/√2."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    if tanh_from_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = "o"
    return x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o


# do/dn = 1 − o² = 1/2, so do/dx1 = w1/2, do/dw1 = x1/2, do/dx2 = w2/2, do/dw2 = x2/2.
NEURON_GRADS = (-1.5, 0.5, 1.0, 0.0, 0.5)  # x1, x2, w1, w2, b


def test_lecture_neuron_by_manual_backward_steps() -> None:
    """The neuron's gradients by setting o.grad = 1 and stepping _backward() node by node."""
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o = lecture_neuron(tanh_from_exp=False)
    assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):  # b is a leaf: its step does nothing
        node._backward()
    assert (x1.grad, x2.grad, w1.grad, w2.grad, b.grad) == pytest.approx(NEURON_GRADS,
                                                                       rel=1e-12)


def test_lecture_neuron_with_tanh_written_through_exp() -> None:
    """tanh n = (e²ⁿ − 1)/(e²ⁿ + 1), with numbers on the left (2 * n) and the right (e − 1),
    gives the fused tanh's value and the same gradients."""
    x1, x2, w1, w2, b, *_, o = lecture_neuron(tanh_from_exp=True)
    o.backward()
    assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    assert (x1.grad, x2.grad, w1.grad, w2.grad, b.grad) == pytest.approx(NEURON_GRADS,
                                                                       rel=1e-12, abs=1e-15)


def test_draw_dot_of_the_lecture_expression_shows_labels_and_ops() -> None:
    """draw_dot(root) gives a graphviz Digraph whose source names every label and op."""
    pytest.importorskip("graphviz", reason="draw_dot needs the graphviz Python package")
    from scalargrad import draw_dot

    *_, L = lecture_expression()
    L.backward()
    dot = draw_dot(L)
    wanted = [f"{{ {name} |" for name in "abcdefL"] + ['label="*"', 'label="+"']
    missing = [word for word in wanted if word not in dot.source]
    assert type(dot).__name__ == "Digraph" and not missing, missing


@pytest.mark.parametrize("expr, value, slope", [
    (lambda a: 2 ** a, 8.0, 8.0 * math.log(2.0)),    # d/da 2^a = 2^a ln 2
    (lambda a: a ** 2, 9.0, 6.0),                    # d/da a² = 2a
    (lambda a: a ** Value(2.0), 9.0, 6.0),
    (lambda a: Value(2.0) ** a, 8.0, 8.0 * math.log(2.0)),
    (lambda a: 1 - a, -2.0, -1.0),
    (lambda a: 6 / a, 2.0, -6.0 / 9.0),              # d/da 6/a = −6/a²
    (lambda a: 2 * a + 1, 7.0, 2.0),
], ids=["2**a", "a**2", "a**Value", "Value**a", "1-a", "6/a", "2*a+1"])
def test_numbers_on_either_side(expr, value: float, slope: float) -> None:  # noqa: ANN001
    """Reflected ops and a Value exponent at a = 3: value and slope by hand."""
    a = Value(3.0)
    out = expr(a)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert a.grad == pytest.approx(slope, rel=1e-12)


def test_micrograd_style_node_without_its_backward_says_so() -> None:
    """Value(data, (parents,), op) whose _backward was never set: backward() raises a
    TypeError naming _backward and Value.from_op instead of silently passing no gradient."""
    a = Value(1.0)
    out = Value(2.0, (a,), "+")
    assert out._prev == (a,) and out._op == "+"
    with pytest.raises(TypeError, match=r"_backward was never set.*Value\.from_op"):
        out.backward()
