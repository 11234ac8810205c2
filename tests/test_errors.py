"""Bad input and domain errors: the exception type, and a message that names the op and the
offending value. Also the ops that must *not* fail: sigmoid and tanh far out in their tails."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

import scalargrad as sg
from scalargrad import Value

# -- bad input to the constructor and to ops --------------------------------------------------

BAD_INPUTS = [("3", "str"), (None, "NoneType"), ([1, 2], "list"), (1 + 2j, "complex")]


@pytest.mark.parametrize("bad, type_name", BAD_INPUTS, ids=[t for _, t in BAD_INPUTS])
def test_constructor_rejects_non_real_numbers(bad: object, type_name: str) -> None:
    """Value(x) for a str, None, list or complex raises TypeError saying a real number was
    expected and naming what it got."""
    with pytest.raises(TypeError, match="real number") as info:
        Value(bad)  # type: ignore[arg-type]
    assert type_name in str(info.value)


def test_constructor_stores_an_int_as_a_float() -> None:
    """Value(3) holds the float 3.0, not the int 3."""
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0


@pytest.mark.parametrize("expr, op", [
    (lambda: Value(1.0) + "3", "add"),
    (lambda: "3" * Value(1.0), "mul"),
    (lambda: Value(1.0) - None, "sub"),
    (lambda: Value(1.0) / [2], "div"),
    (lambda: Value(2.0) ** "2", "pow"),
    (lambda: Value(1.0).leaky_relu("0.1"), "leaky_relu"),
    (lambda: sg.sum([Value(1.0), "2"]), "sum"),
    (lambda: sg.dot([Value(1.0)], [None]), "dot"),
], ids=["add", "rmul", "sub", "div", "pow", "leaky_relu", "sum", "dot"])
def test_ops_reject_non_real_operands(expr: Callable[[], Any], op: str) -> None:
    """An op given a non-number operand raises TypeError naming the op and 'real number'."""
    with pytest.raises(TypeError, match="real number") as info:
        expr()
    assert op in str(info.value)


def test_int_too_large_for_a_float_is_an_overflow_error() -> None:
    """Value(10**400) cannot be stored as a float: OverflowError saying so."""
    with pytest.raises(OverflowError, match="too large"):
        Value(10 ** 400)


def test_dot_rejects_mismatched_lengths() -> None:
    """dot() with 2 weights and 3 inputs raises instead of silently truncating (like zip)."""
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        sg.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_from_op_rejects_a_missing_local_gradient() -> None:
    """from_op with 2 parents and 1 local gradient raises ValueError."""
    with pytest.raises(ValueError, match="local gradient"):
        Value.from_op(1.0, [Value(1.0), Value(2.0)], [1.0])


# -- domain errors: type, op name and offending value -----------------------------------------

DOMAIN_ERRORS = [
    # id, expression, exception, words the message must contain (op name, offending values)
    ("log(0)", lambda: Value(0).log(), ValueError, ["log", "0.0"]),
    ("log(-1)", lambda: Value(-1).log(), ValueError, ["log", "-1.0"]),
    ("0**-1", lambda: Value(0) ** -1, ZeroDivisionError, ["pow", "0.0", "-1.0"]),
    ("0**Value(-1)", lambda: Value(0) ** Value(-1), ZeroDivisionError, ["pow", "0.0", "-1.0"]),
    ("Value(1)/0", lambda: Value(1) / 0, ZeroDivisionError, ["div", "1.0", "zero"]),
    ("1/Value(0)", lambda: 1 / Value(0), ZeroDivisionError, ["div", "1.0", "zero"]),
    ("(-8)**0.5", lambda: Value(-8) ** 0.5, ValueError, ["pow", "-8.0", "0.5"]),
    ("(-8)**Value(0.5)", lambda: (-8) ** Value(0.5), ValueError, ["pow", "-8.0", "0.5"]),
    ("exp(1000)", lambda: Value(1000).exp(), OverflowError, ["exp", "1000.0"]),
    ("10**400", lambda: Value(10) ** 400, OverflowError, ["pow", "10.0", "400.0"]),
    ("sqrt(-1)", lambda: Value(-1).sqrt(), ValueError, ["sqrt", "-1.0"]),
    ("reciprocal(0)", lambda: Value(0).reciprocal(), ZeroDivisionError, ["reciprocal", "0.0"]),
]


@pytest.mark.parametrize("expr, exc, words", [row[1:] for row in DOMAIN_ERRORS],
                         ids=[row[0] for row in DOMAIN_ERRORS])
def test_domain_error_type(expr: Callable[[], Any], exc: type, words: list[str]) -> None:
    """Each domain error raises the exception type a Python user expects for it."""
    with pytest.raises(exc):
        expr()


@pytest.mark.parametrize("expr, exc, words", [row[1:] for row in DOMAIN_ERRORS],
                         ids=[row[0] for row in DOMAIN_ERRORS])
def test_domain_error_message_names_op_and_value(expr: Callable[[], Any], exc: type,
                                                 words: list[str]) -> None:
    """Each domain error's message names the op and the offending value(s)."""
    with pytest.raises(exc) as info:
        expr()
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{str(info.value)!r} does not mention {missing}"


def test_division_by_zero_does_not_blame_a_power() -> None:
    """Value(1)/0 talks about division, not the internal 'negative power' micrograd reports."""
    with pytest.raises(ZeroDivisionError) as info:
        Value(1) / 0
    assert "power" not in str(info.value)


# -- tails that must not overflow ---------------------------------------------------------------

TAILS = [
    # op, x, f(x) and f'(x) by hand: σ(x) = 1/(1+e^-x) rounds to 1 or 0 at ±1000, σ' = σ(1−σ) → 0;
    # tanh rounds to ±1 and 1 − tanh² → 0.
    ("sigmoid", 1000.0, 1.0, 0.0),
    ("sigmoid", -1000.0, 0.0, 0.0),
    ("tanh", 1000.0, 1.0, 0.0),
    ("tanh", -1000.0, -1.0, 0.0),
]


@pytest.mark.parametrize("op, x, value, slope", TAILS, ids=[f"{o}({x:g})" for o, x, _, _ in TAILS])
def test_tails_do_not_overflow(op: str, x: float, value: float, slope: float) -> None:
    """sigmoid and tanh at ±1000 give their limits and a zero gradient, with no error."""
    v = Value(x)
    out = getattr(v, op)()
    out.backward()
    assert (out.data, v.grad) == (value, slope)


def test_sigmoid_deep_negative_tail_keeps_precision() -> None:
    """σ(−700) ≈ e^−700 (not rounded to 0), and so is its gradient σ(1−σ)."""
    v = Value(-700.0)
    out = v.sigmoid()
    out.backward()
    expected = math.exp(-700.0)  # 1 + e^-700 rounds to 1, so σ = e^-700 / (1 + e^-700) = e^-700
    assert math.isclose(out.data, expected) and math.isclose(v.grad, expected)


@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
@pytest.mark.parametrize("x", [-1000.0, -745.0, -40.0, 40.0, 745.0, 1000.0])
def test_tails_match_torch(op: str, x: float, torch: Any) -> None:
    """sigmoid and tanh far out in the tails give PyTorch's float64 value and gradient."""
    v = Value(x)
    out = getattr(v, op)()
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = getattr(t, op)()
    t_out.backward()
    assert math.isclose(out.data, t_out.item(), rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-300)
