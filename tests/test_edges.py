"""Numbers at the edges: ±1e300, ±1e-300, subnormals, ±0.0, ±inf, NaN, integers beyond 2**53.

Every op, at every edge input, either gives the value and gradient PyTorch float64 gives, or
raises a clear error (ValueError, ZeroDivisionError or OverflowError) whose message starts with
the op's name. The decisions (docs/hardening.md, "Numbers at the edges"):

* `+ - * /` follow IEEE 754 like Python floats and PyTorch: 1e200 · 1e200 is inf, no error
  (use `detect_anomaly()` to find where an inf appears).
* Functions whose Python counterpart raises do too, naming the op — where PyTorch returns
  inf or NaN: exp and pow overflow; log(x ≤ 0), sqrt(x < 0), 1/0, x/0, 0**negative, a negative
  base with a non-integer exponent, sin/cos(±inf).
* The sign of a zero is not kept in gradients (leaves start at 0.0 and 0.0 + (−0.0) = 0.0,
  where PyTorch assigns −0.0) nor by relu(−0.0) or (−0.0)**0.5; zeros compare equal here.
* Integers are converted to the nearest float, as `float()` and torch's float64 do; one too
  large for a float raises OverflowError naming the op that received it.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

import scalargrad as sg
from scalargrad import Value

SUBNORMAL = 5e-324
EDGES = [1e300, -1e300, 1e-300, -1e-300, SUBNORMAL, -SUBNORMAL, 1e-310, -1e-310,
         2.2250738585072014e-308, 0.0, -0.0, math.inf, -math.inf, math.nan,
         2 ** 53 + 1, -(2 ** 60), 1.7976931348623157e308, 1.0, -2.5]
BINARY_EDGES = [1e300, -1e300, 1e-300, SUBNORMAL, 0.0, -0.0, math.inf, -math.inf, 2.0, -3.0,
                2 ** 53 + 1]

ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def _torch_leaky(t: Any) -> Any:
    import torch

    return torch.nn.functional.leaky_relu(t, 0.01)


# name -> (engine function, torch function name or function, predicate for "must raise")
UNARY: dict[str, tuple[Callable, Any, Callable[[float], bool]]] = {
    "neg": (lambda v: -v, "neg", lambda x: False),
    "exp": (Value.exp, "exp", lambda x: math.isfinite(x) and x > 709.78),
    "log": (Value.log, "log", lambda x: not x > 0.0),
    "sqrt": (Value.sqrt, "sqrt", lambda x: x < 0.0),
    "tanh": (Value.tanh, "tanh", lambda x: False),
    "sigmoid": (Value.sigmoid, "sigmoid", lambda x: False),
    "relu": (Value.relu, "relu", lambda x: False),
    "leaky_relu": (Value.leaky_relu, _torch_leaky, lambda x: False),
    "abs": (abs, "abs", lambda x: False),
    "sin": (Value.sin, "sin", math.isinf),
    "cos": (Value.cos, "cos", math.isinf),
    "reciprocal": (Value.reciprocal, "reciprocal", lambda x: x == 0.0),
    "**2": (lambda v: v ** 2, lambda t: t ** 2, lambda x: math.isfinite(x) and abs(x) > 1.4e154),
    "**3": (lambda v: v ** 3, lambda t: t ** 3, lambda x: math.isfinite(x) and abs(x) > 5.7e102),
    "**-2": (lambda v: v ** -2, lambda t: t ** -2,
             lambda x: x == 0.0 or (x != 0.0 and abs(x) < 7.5e-155)),
    "**0.5": (lambda v: v ** 0.5, lambda t: t ** 0.5, lambda x: x < 0.0),
}

# op name -> (function, error predicate on (a, b))
BINARY: dict[str, tuple[Callable, Callable[[float, float], bool]]] = {
    "add": (lambda a, b: a + b, lambda a, b: False),
    "sub": (lambda a, b: a - b, lambda a, b: False),
    "mul": (lambda a, b: a * b, lambda a, b: False),
    "div": (lambda a, b: a / b, lambda a, b: b == 0.0),
    "pow": (lambda a, b: a ** b, lambda a, b: _pow_raises(a, b)),
}


def _pow_raises(a: float, b: float) -> bool:
    """Where the engine's a**b raises: 0**negative, negative**non-integer, overflow."""
    if a == 0.0 and b < 0.0:
        return True
    if a < 0.0 and math.isfinite(b) and not float(b).is_integer():
        return True
    try:
        float(a) ** float(b)
    except OverflowError:
        return True
    except ZeroDivisionError:
        return True
    return False


def same(ours: float, theirs: float) -> bool:
    """Equal (to 1e-12 relative), NaN = NaN, infinities exactly; +0.0 = −0.0 (see docstring)."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= 1e-12 * max(abs(ours), abs(theirs))


def _engine(f: Callable, xs: list) -> tuple[float, ...]:
    vs = [Value(x) for x in xs]
    y = f(*vs)
    y.backward()
    return (y.data, *(v.grad for v in vs))


def _torch_run(torch: Any, f: Any, xs: list) -> tuple[float, ...]:
    ts = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    y = getattr(torch, f)(*ts) if isinstance(f, str) else f(*ts)
    y.backward()
    return (y.item(), *(t.grad.item() for t in ts))


# The only cells where the gradient may differ from PyTorch's. NaN in: the kinks (relu, abs)
# give the slope 0 where PyTorch gives 1 or NaN (the values agree: NaN). At −0.0 an infinite
# slope (√x, x**0.5, x**b with 0 < b < 1) is +inf in the engine — the slope from the right,
# as at +0.0 — where PyTorch's formula picks up the zero's sign: 1/(2·(−0.0)) = −inf.
GRADIENT_EXCEPTIONS = {("relu", "nan"), ("abs", "nan"), ("**0.5", "-0.0"), ("sqrt", "-0.0")}


def _binary_gradient_exception(op: str, a: float, b: float) -> bool:
    return op == "pow" and a == 0.0 and math.copysign(1.0, a) < 0 and 0.0 < b < 1.0


@pytest.mark.parametrize("x", EDGES, ids=repr)
@pytest.mark.parametrize("op", list(UNARY))
def test_unary_op_at_edge_matches_torch_or_raises_naming_the_op(op: str, x: float,
                                                                torch: Any) -> None:
    """Value and gradient equal PyTorch float64's, or a named error exactly where decided."""
    f, torch_f, raises = UNARY[op]
    if raises(float(x)):
        name = "pow" if op.startswith("**") else op
        with pytest.raises(ERRORS, match=f"^{name}: "):
            _engine(f, [x])
        return
    ours = _engine(f, [x])
    theirs = _torch_run(torch, torch_f, [x])
    assert same(ours[0], theirs[0]), f"{op}({x!r}) = {ours[0]!r}, torch {theirs[0]!r}"
    if (op, repr(x)) not in GRADIENT_EXCEPTIONS:
        assert same(ours[1], theirs[1]), f"{op}'({x!r}) = {ours[1]!r}, torch {theirs[1]!r}"


@pytest.mark.parametrize("b", BINARY_EDGES, ids=repr)
@pytest.mark.parametrize("a", BINARY_EDGES, ids=repr)
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_op_at_edges_matches_torch_or_raises_naming_the_op(op: str, a: float, b: float,
                                                                  torch: Any) -> None:
    """a op b and both gradients equal PyTorch float64's, or a named error where decided."""
    f, raises = BINARY[op]
    if raises(float(a), float(b)):
        with pytest.raises(ERRORS, match=f"^{op}: "):
            _engine(f, [a, b])
        return
    ours = _engine(f, [a, b])
    theirs = _torch_run(torch, f, [a, b])
    checked = ("value", "d/da", "d/db")
    if _binary_gradient_exception(op, a, b):  # d/da is ±inf: compare the rest
        checked, ours, theirs = ("value", "d/db"), ours[:1] + ours[2:], theirs[:1] + theirs[2:]
    for what, o, t in zip(checked, ours, theirs):
        assert same(o, t), f"{a!r} {op} {b!r}: {what} {o!r}, torch {t!r}"


def test_arithmetic_overflows_to_inf_like_torch_but_exp_and_pow_raise() -> None:
    """IEEE arithmetic gives inf; exp and pow raise OverflowError naming op and input."""
    assert (Value(1e200) * Value(1e200)).data == math.inf
    assert (Value(1.7e308) + 1.7e308).data == math.inf
    assert (Value(1e300) / 1e-300).data == math.inf
    assert sg.sum([Value(1e308), 1e308]).data == math.inf
    assert sg.dot([Value(1e200)], [1e200]).data == math.inf
    with pytest.raises(OverflowError, match=r"^exp: .*710\.0"):
        Value(710.0).exp()
    with pytest.raises(OverflowError, match=r"^pow: 1e\+200 \*\* 2\.0"):
        Value(1e200) ** 2


def test_power_slope_overflow_has_the_right_sign(torch: Any) -> None:
    """(−1e-150)**−2: the slope −2·a⁻³ overflows to +inf (it used to come out as −inf)."""
    for a, n in [(-1e-150, -2.0), (-1e-110, -2.0), (1e-150, -2.0), (-1e-200, -1.0),
                 (-1e-70, -4.0)]:
        v = Value(a)
        (v ** n).backward()
        t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        (t ** n).backward()
        assert v.grad == t.grad.item(), f"d/da a**{n} at {a}: {v.grad}, torch {t.grad.item()}"


def test_sin_and_cos_of_infinity_name_the_op() -> None:
    """math.sin(inf) says only 'math domain error'; the engine says which op and which input."""
    for op in ("sin", "cos"):
        with pytest.raises(ValueError, match=f"^{op}: expected a finite input, got -inf"):
            getattr(Value(-math.inf), op)()


HUGE = 10 ** 400  # an int no float can hold


@pytest.mark.parametrize("name, expr", [
    ("Value", lambda: Value(HUGE)),
    ("add", lambda: Value(1.0) + HUGE),
    ("add", lambda: HUGE + Value(1.0)),
    ("sub", lambda: HUGE - Value(1.0)),
    ("mul", lambda: Value(1.0) * HUGE),
    ("div", lambda: Value(1.0) / HUGE),
    ("div", lambda: HUGE / Value(1.0)),
    ("pow", lambda: Value(1.0) ** HUGE),
    ("pow", lambda: HUGE ** Value(1.0)),
    ("sum", lambda: sg.sum([Value(1.0), HUGE])),
    ("sum", lambda: sg.sum([Value(1.0)], start=HUGE)),
    ("dot", lambda: sg.dot([HUGE], [Value(1.0)])),
    ("dot", lambda: sg.dot([Value(1.0)], [1.0], bias=HUGE)),
    ("leaky_relu slope", lambda: Value(-1.0).leaky_relu(HUGE)),
    ("backward grad", lambda: Value(1.0).backward(HUGE)),
    ("comparison", lambda: Value(1.0) < HUGE),
    ("local gradient", lambda: Value.from_op(1.0, [Value(1.0)], [HUGE], "custom")),
])
def test_integer_too_large_for_a_float_names_where_it_went(name: str,
                                                           expr: Callable[[], Any]) -> None:
    """10**400 anywhere raises OverflowError starting with the receiving op's name."""
    with pytest.raises(OverflowError, match=f"^{name}: "):
        expr()


def test_integers_beyond_2_53_round_like_float_and_torch(torch: Any) -> None:
    """2**53 + 1 becomes 2**53 (nearest float); arithmetic and gradients are then exact floats."""
    big = 2 ** 53 + 1
    assert Value(big).data == float(big) == torch.tensor(big, dtype=torch.float64).item()
    x = Value(3)
    y = x * 2 ** 60 + big
    y.backward()
    assert y.data == 3.0 * 2.0 ** 60 + 2.0 ** 53
    assert x.grad == 2.0 ** 60
    assert (Value(-(2 ** 63)) ** 2).data == 2.0 ** 126


def test_subnormals_flow_through_values_and_gradients() -> None:
    """Subnormal inputs are ordinary floats: products underflow to 0, slopes stay finite."""
    tiny = Value(SUBNORMAL)
    assert (tiny * 0.5).data == 0.0
    assert tiny.log().data == math.log(SUBNORMAL)
    r = tiny.sqrt()
    r.backward()
    assert r.data == math.sqrt(SUBNORMAL) and tiny.grad == 0.5 / math.sqrt(SUBNORMAL)
    assert math.isfinite(tiny.grad)
    assert tiny.reciprocal().data == math.inf  # 1/5e-324 is beyond the float range, like torch


@pytest.mark.parametrize("op, slope", [("relu", 0.0), ("abs", 0.0), ("leaky_relu", 0.01),
                                       ("sqrt", math.inf), ("tanh", 1.0), ("sigmoid", 0.25)])
@pytest.mark.parametrize("zero", [0.0, -0.0], ids=["+0", "-0"])
def test_slopes_at_plus_and_minus_zero(op: str, slope: float, zero: float) -> None:
    """At ±0: relu′ = |x|′ = 0 (as torch), leaky′ = slope, √′ = +inf, tanh′ = 1, σ′ = 1/4."""
    x = Value(zero)
    getattr(x, op)().backward()
    assert x.grad == slope


@pytest.mark.parametrize("op", [op for op in UNARY if op not in ("log",)])
def test_nan_in_gives_nan_out_or_a_named_error(op: str) -> None:
    """NaN is carried forward (never silently turned into a number), or refused by name."""
    f = UNARY[op][0]
    try:
        y = f(Value(math.nan))
    except ERRORS as e:  # pragma: no cover - no op refuses NaN today except log
        assert str(e).split(":")[0] in (op, "pow")
        return
    assert math.isnan(y.data)


def test_log_refuses_nan_by_name() -> None:
    """log's domain check is `x > 0`, which NaN fails: a ValueError naming log and nan."""
    with pytest.raises(ValueError, match="^log: .*nan"):
        Value(math.nan).log()
