"""Checking a predicted number (Part B's gradients, Part D's directional derivatives).

The right number is the engine's gradient confirmed by central finite differences of f
(for a direction, of f along the direction), so a number the engine alone would give never
passes. A wrong number the checker knows gets its mistake named; any other gets a nudge.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from scalargrad import Value, engine_gradient, numerical_gradient

from .derive import backward_lines, dot_line, fmt, forward_lines
from .predict_tasks import DIRECTION_TASKS, PREDICT_TASKS, PredictTask
from .verdict import Outcome, shown

TASKS = {t.name: t for t in PREDICT_TASKS + DIRECTION_TASKS}


def _along(task: PredictTask, h: float) -> float:
    assert task.direction is not None
    xs = [Value(x + h * d) for x, d in zip(task.at, task.direction)]
    return task.f(*xs).data


def true_gradient(task: PredictTask) -> float:
    """The right answer: the engine's, confirmed by central differences (of f along the
    direction for a directional derivative)."""
    grad = engine_gradient(task.f, *task.at)
    if task.direction is None:
        engine = grad[task.wrt]
        numeric = numerical_gradient(task.f, *task.at)[task.wrt]
    else:
        engine = sum(g * d for g, d in zip(grad, task.direction))
        h = 1e-6
        numeric = (_along(task, h) - _along(task, -h)) / (2 * h)
    if not math.isclose(engine, numeric, rel_tol=1e-4, abs_tol=1e-6):
        raise AssertionError(f"checker problem in {task.name}: the engine says {engine!r} but "
                             f"finite differences say {numeric!r}")
    return engine


def _is_number(x: Any) -> bool:
    """A real number, numpy's scalars included (numpy.float64(0.25) is 0.25); not a bool."""
    return isinstance(x, Real) and not isinstance(x, bool)


def _numbers_of(x: Any) -> list | None:
    """A list, tuple or 1-d numpy array of numbers as a list, else None."""
    items: Any
    if isinstance(x, (tuple, list)):
        items = list(x)
    elif _is_array(x):
        try:
            items = x.tolist() if x.ndim == 1 else None
        except Exception:  # (a hostile object that only looks like an array)
            return None
        if not isinstance(items, list):
            return None
    else:
        return None
    return items if all(_is_number(a) for a in items) else None


def _is_array(x: Any) -> bool:
    """A numpy array (or anything shaped like one), read without importing numpy."""
    try:
        return all(hasattr(x, name) for name in ("shape", "ndim", "tolist"))
    except Exception:  # (an attribute lookup that raises something else)
        return False


def _not_a_number(name: str, answer: Any) -> str:
    """Why `answer` is not accepted, saying what to give instead."""
    if _is_array(answer):
        try:
            shape: tuple | None = tuple(answer.shape)
        except Exception:  # (a hostile object's shape: say nothing of it)
            shape = None
        what = ("a numpy array" if shape is None else "a 0-d numpy array" if shape == ()
                else f"a numpy array of shape {shape}") + f", {shown(answer)}"
        return (f"{name} should be one number, got {what}; give the number itself "
                f"(float({name}) for an array of one number)")
    return f"{name} should be a number, got {type(answer).__name__} {shown(answer)}"


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-3, abs_tol=1e-3)


def check_predict(module: Any, task: PredictTask, reveal: bool = False) -> Outcome:
    """Compare `module.<task.name>` with the right number (within 0.001)."""
    title = f"{task.name:<17} {task.question}"
    part = task.part
    answer = getattr(module, task.name, None)
    if answer is None:
        return Outcome(task.name, "todo", title, (f"set {task.name} to your number",), part)
    truth = true_gradient(task)
    items = _numbers_of(answer) if task.direction is not None else None
    if items is not None and task.direction is not None and len(items) == len(task.at):
        grad = engine_gradient(task.f, *task.at)
        said = ("that is the gradient ∇f: the directional derivative is one number, ∇f · "
                f"{_vec(task.direction)}" if all(_close(a, g) for a, g in zip(items, grad))
                else "the directional derivative is one number, not a list")
        return Outcome(task.name, "fail", title, (said,), part, said)
    if not _is_number(answer):
        return Outcome(task.name, "error", title, (_not_a_number(task.name, answer),), part)
    try:
        number = float(answer)
    except OverflowError:
        return Outcome(task.name, "fail", title, (
            f"{task.name} is an integer with {len(str(abs(int(answer))))} digits, too large "
            "for any gradient here",), part)
    if _close(number, truth):
        return Outcome(task.name, "pass", title, (f"{fmt(number)} is right",), part)
    details: tuple[str, ...]
    for wrong, says in task.wrongs:
        if _close(number, wrong) and not _close(wrong, truth):
            details = (f"you said {fmt(number)}: {says}",)
            break
    else:
        says = ""
        details = (f"you said {fmt(number)}; that is not it"
                   + ("" if reveal else " (and not a mistake the checker knows: work it "
                                        "again from the hints)"),)
    if reveal:
        details += (f"the answer is {fmt(truth)}",)
    return Outcome(task.name, "fail", title, details, part, says)


def _vec(xs: tuple[float, ...]) -> str:
    return "(" + ", ".join(fmt(x) for x in xs) + ")"


def reveal(task: PredictTask) -> list[str]:
    """The derivation, step by step, from a run of the engine on the labelled graph."""
    leaves = task.leaves()
    root = task.f(*leaves)
    if task.direction is None:
        lines = backward_lines(root)
        lines.append(f"answer: ∂{root.label}/∂{leaves[task.wrt].label} = "
                     f"{fmt(true_gradient(task))}")
        return lines
    tangents = dict(zip(leaves, task.direction))
    lines = forward_lines(root, tangents)
    if len(leaves) > 1:
        grad = engine_gradient(task.f, *task.at)
        lines.append("or backward: ∇f = " + _vec(tuple(grad)) + "; " + dot_line(grad,
                                                                              task.direction))
    lines.append(f"answer: {fmt(true_gradient(task))}")
    return lines
