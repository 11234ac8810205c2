"""Checking Part D's `tangent_div(a, b, da, db)`: forward mode's rule for a/b.

Tangent out = Σ local gradient × tangent in = (1/b)·ȧ + (−a/b²)·ḃ. The truth is the central
difference of a/b along the tangents, (f(a + hȧ, b + hḃ) − f(a − hȧ, b − hḃ)) / 2h, at
several points and tangents; the classic wrong rules are named.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable

from .derive import fmt
from .guard import TimeLimitError, exit_text, time_limit
from .local import _ENGINE
from .verdict import Outcome, error_text, shown

NAME = "tangent_div"
TITLE = f"{NAME:<17} tangent out of a/b from the tangents in ȧ, ḃ"
POINTS = ((1.0, 2.0, 1.0, 0.0), (1.0, 2.0, 0.0, 1.0), (-3.0, 0.5, 2.0, -1.5),
          (2.0, -4.0, 0.3, 2.0))
HINTS = ("tangent out = Σ local gradient × tangent in: a/b has two inputs, so two terms.",
         "the local gradients of a/b are 1/b (for a) and −a/b² (for b), as in Part A's div.",
         "`return da / b - a * db / b ** 2`.")

Rule = Callable[[float, float, float, float], float]
MISTAKES: tuple[tuple[str, Rule], ...] = (
    ("b's term is dropped: tangent out = (1/b)·ȧ + (−a/b²)·ḃ has a term for each input",
     lambda a, b, da, db: da / b),
    ("a's term is dropped: tangent out = (1/b)·ȧ + (−a/b²)·ḃ has a term for each input",
     lambda a, b, da, db: -a * db / b ** 2),
    ("the sign of b's term is lost: b's local gradient is −a/b²",
     lambda a, b, da, db: da / b + a * db / b ** 2),
    ("the whole sign is flipped (in the quotient rule the numerator is ȧ·b − a·ḃ)",
     lambda a, b, da, db: -(da / b - a * db / b ** 2)),
    ("the b² is forgotten: b's local gradient is −a/b², not −a/b",
     lambda a, b, da, db: da / b - a * db / b),
    ("the a is missing from b's term: −a/b² × ḃ, not −1/b² × ḃ",
     lambda a, b, da, db: da / b - db / b ** 2),
    ("the quotient rule without its /b²: (ȧ·b − a·ḃ)/b² needs the b² underneath",
     lambda a, b, da, db: da * b - a * db),
    ("the tangents in are left out: that is the sum of the local gradients; tangent out = "
     "Σ local gradient × tangent in", lambda a, b, da, db: 1 / b - a / b ** 2),
    ("the tangents are swapped: ȧ goes with a's local gradient 1/b, ḃ with b's −a/b²",
     lambda a, b, da, db: db / b - a * da / b ** 2),
    ("that is the value a/b, not its tangent", lambda a, b, da, db: a / b),
)


def truth(a: float, b: float, da: float, db: float) -> float:
    """Central difference of a/b along (ȧ, ḃ)."""
    h = 1e-6
    return ((a + h * da) / (b + h * db) - (a - h * da) / (b - h * db)) / (2 * h)


def _where(p: tuple[float, ...]) -> str:
    return f"a = {fmt(p[0])}, b = {fmt(p[1])}, ȧ = {fmt(p[2])}, ḃ = {fmt(p[3])}"


def check_tangent(module: Any) -> Outcome:
    """Call `module.tangent_div` at every point and compare with finite differences."""
    fn = getattr(module, NAME, None)
    if fn is None:
        return Outcome(NAME, "todo", TITLE, (f"not defined in your file: def {NAME}",), "D")
    if not callable(fn):
        return Outcome(NAME, "error", TITLE, (f"{NAME} should be a function",), "D")
    got = []
    try:
        with time_limit(what=NAME):
            for p in POINTS:
                got.append(fn(*p))
    except NotImplementedError:
        return Outcome(NAME, "todo", TITLE, ("still raises NotImplementedError",), "D")
    except SystemExit as exc:
        return Outcome(NAME, "error", TITLE, (exit_text(exc),), "D")
    except TimeLimitError as exc:
        return Outcome(NAME, "error", TITLE, (str(exc),), "D")
    except Exception as exc:  # the learner's code
        return Outcome(NAME, "error", TITLE, (f"at {_where(POINTS[len(got)])}: "
                                              f"{error_text(exc)}",), "D")
    finally:
        _ENGINE.restore()
    for g in got:
        if isinstance(g, (tuple, list)):
            said = (f"{NAME} returns {type(g).__name__} {shown(g)}: forward mode sends ONE tangent "
                    "out of a/b, the sum of the two terms")
            return Outcome(NAME, "fail", TITLE, (said,), "D", said)
        if not isinstance(g, Real) or isinstance(g, bool):
            return Outcome(NAME, "error", TITLE, (f"{NAME} should return a number, got "
                                                  f"{type(g).__name__} {shown(g)}",), "D")
    right = [truth(*p) for p in POINTS]

    def close(x: float, y: float) -> bool:
        return math.isclose(x, y, rel_tol=1e-5, abs_tol=1e-7)

    if all(close(g, t) for g, t in zip(got, right)):
        return Outcome(NAME, "pass", TITLE, (f"right at {len(POINTS)} points and tangents",),
                       "D")
    for says, rule in MISTAKES:
        if all(close(g, rule(*p)) for g, p in zip(got, POINTS)):
            return Outcome(NAME, "fail", TITLE, (says,), "D", says)
    for g, t, p in zip(got, right, POINTS):
        if not close(g, t):
            return Outcome(NAME, "fail", TITLE, (
                f"at {_where(p)}: yours gives {fmt(g)}, finite differences give {fmt(t)}",),
                "D")
    raise AssertionError("unreachable")  # pragma: no cover


def reveal() -> list[str]:
    a, b, da, db = POINTS[2]
    return ["local gradients of a/b: 1/b for a, −a/b² for b",
            "tangent out = Σ local gradient × tangent in = (1/b)·ȧ + (−a/b²)·ḃ: "
            "`return da / b - a * db / b ** 2`",
            f"e.g. at {_where(POINTS[2])}: {fmt(1 / b)} × {fmt(da)} + {fmt(-a / b ** 2)} × "
            f"{fmt(db)} = {fmt(da / b - a * db / b ** 2)}"]
