"""Checking Part A: a learner's `_backward` closure, called with several upstreams at several
points, against upstream × the true local gradient; a wrong closure gets its mistake named.

The closure is called directly, exactly as `backward()` calls it, with the upstreams in
`UPSTREAMS` (1, and negative and non-integer ones: with upstream 1 alone, a closure that
forgets the upstream looks right). What it sends for each input is matched against models
of the classic mistakes: how the upstream is used (forgotten, applied twice, added) times
which local gradient (the right one, its opposite, 1, the other input's, or the op's own
wrong variants in `local_tasks`). A closure no model explains gets both numbers.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable, Optional

from scalargrad import Value, graph
from scalargrad.backward_graph import CustomBackward, WithGraphForm
from scalargrad.see.text import format_number

from .guard import EngineSnapshot, TimeLimitError, exit_text, time_limit
from .local_tasks import LOCAL_TASKS, LocalTask, Point, Variant
from .verdict import Outcome, error_text, shown

UPSTREAMS = (1.0, -1.5, 0.3, 2.0)
_ENGINE = EngineSnapshot(Value)

# How the upstream is used: (key, words, downstream from upstream u and local gradient g).
MODES: tuple[tuple[str, str, Callable[[float, float], float]], ...] = (
    ("right", "", lambda u, g: u * g),
    ("forgotten", "the upstream is forgotten: you send the local gradient alone, the same "
                  "for every upstream (downstream = upstream × local gradient)",
     lambda u, g: g),
    ("twice", "the upstream is applied twice: you send upstream² × local gradient",
     lambda u, g: u * u * g),
    ("added", "the upstream is added to the local gradient instead of multiplying it",
     lambda u, g: u + g),
)


def fmt(x: Any) -> str:
    return format_number(float(x), 6) if isinstance(x, Real) else shown(x)


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)


def where(task: LocalTask, point: Point) -> str:
    if task.arity == 1:
        return f"x = {fmt(point[0])}"
    return f"(a, b) = ({fmt(point[0])}, {fmt(point[1])})"


def truth(task: LocalTask, point: Point) -> tuple[float, ...]:
    """The true local gradients at `point`, confirmed by central differences of the forward."""
    local = task.local(*point)
    for i, g in enumerate(local):
        h = 1e-6 * max(1.0, abs(point[i]))
        up = list(point)
        down = list(point)
        up[i] += h
        down[i] -= h
        numeric = (task.forward(*up) - task.forward(*down)) / (2 * h)
        if not math.isclose(g, numeric, rel_tol=1e-5, abs_tol=1e-7):
            raise AssertionError(f"checker problem in {task.name}: the local gradient {g!r} "
                                 f"disagrees with finite differences {numeric!r}")
    return local


class Shape(Exception):
    """The closure returned something other than one number per input."""


def _numbers(task: LocalTask, got: Any) -> tuple[float, ...]:
    """The closure's result as numbers, or Shape with a kind message."""
    n = task.arity
    per = "one per input, in order: (downstream for a, downstream for b)" if n == 2 else \
        "`return (upstream * ...,)`: the comma after the number makes it a tuple of one"
    if isinstance(got, Value):
        got = got.data
    if isinstance(got, Real) and not isinstance(got, bool):
        raise Shape(f"your _backward returns a number, {fmt(got)}, not a tuple; backward() "
                    f"reads one downstream per input from a tuple: {per}", float(got))
    if not isinstance(got, (tuple, list)):
        raise Shape(f"your _backward returns {type(got).__name__} {shown(got)}; it should return "
                    f"a tuple of {n} number{'s' if n > 1 else ''}: {per}")
    if len(got) != n:
        raise Shape(f"your _backward returns {len(got)} downstream"
                    f"{'s' if len(got) != 1 else ''} but {task.name} has {n} input"
                    f"{'s' if n > 1 else ''} ({', '.join(task.inputs)}): one downstream per "
                    "input, in order")
    out = []
    for d in got:
        if isinstance(d, Value):
            d = d.data
        if not isinstance(d, Real) or isinstance(d, bool):
            raise Shape(f"your _backward returns {shown(got)}: each downstream should be a "
                        "number")
        out.append(float(d))
    return tuple(out)


def _closure(task: LocalTask, fn: Callable[..., Any], point: Point) -> Callable[[float], Any]:
    """Build the learner's op at `point` and give back its closure as backward() calls it."""
    inputs = tuple(Value(p) for p in point)
    out = fn(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"expected {task.name}() to return a Value (from Value.from_op), got "
                        f"{type(out).__name__} {shown(out)}")
    expected = task.forward(*point)
    if not math.isclose(out.data, expected, rel_tol=1e-12, abs_tol=1e-12):
        raise ValueError(f"the forward value is {out.data!r}, expected {expected!r}: only "
                         "_backward needs changing")
    if tuple(out._prev) != inputs or any(a is not b for a, b in zip(out._prev, inputs)):
        raise ValueError(f"the op's parents should be ({', '.join(task.inputs)}), in order")
    back = out._fn
    if isinstance(back, WithGraphForm):
        back = back.local
    if isinstance(back, CustomBackward):
        return back.fn  # the learner's own closure, before the engine checks its result
    return lambda u: graph.downstream(out, u)


Row = tuple[Point, float, tuple[float, ...], tuple[float, ...]]  # point, u, sent, local


Model = Callable[[Point, tuple[float, ...]], float]  # (point, true locals) -> a local used


def _gradient(i: int, sign: float = 1.0) -> Model:
    return lambda p, g: sign * g[i]


def _wrong(v: Variant) -> Model:
    return lambda p, g: v.local(*p)


def _one(p: Point, g: tuple[float, ...]) -> float:
    return 1.0


def _zero(p: Point, g: tuple[float, ...]) -> float:
    return 0.0


def _explain(task: LocalTask, rows: list[Row]) -> Optional[str]:
    """Name the mistake that explains every row, or None."""
    n = task.arity
    per_input: list[tuple[str, str, str]] = []  # (mode, variant key, variant words)
    for i in range(n):
        variants: list[tuple[str, str, Model]] = [("true", "", _gradient(i))]
        variants += [(v.key, v.says, _wrong(v)) for v in task.variants if v.which == i]
        variants += [
            ("sign", f"the sign is lost (the local gradient is {task.local_text[i]})",
             _gradient(i, -1.0)),
            ("one", "the local gradient is left out: you send the upstream unchanged, as if "
                    f"it were 1 (it is {task.local_text[i]})", _one),
            ("zero", f"no downstream: you send 0 where upstream × {task.local_text[i]} "
                     "belongs", _zero)]
        if n == 2:
            variants.append(("other", "", _gradient(1 - i)))
        found = None
        for mode, _, send in MODES:
            for key, says, local in variants:
                if all(_close(sent[i], send(u, local(p, g))) for p, u, sent, g in rows):
                    found = (mode, key, says)
                    break
            if found:
                break
        if found is None:
            return None
        per_input.append(found)
    words = dict((m, w) for m, w, _ in MODES)
    if n == 2 and all(k == "other" for _, k, _ in per_input) and \
            per_input[0][0] == per_input[1][0]:
        first = task.swapped
        rest = words[per_input[0][0]]
        return first + (f"; and {rest}" if rest else "")
    parts = []
    for i, (mode, key, says) in enumerate(per_input):
        if mode == "right" and key == "true":
            continue
        if key == "other":
            says = f"the other input's local gradient ({task.local_text[1 - i]}) is used"
        text = "; and ".join(s for s in (words[mode], says) if s)
        parts.append((i, text))
    if len({t for _, t in parts}) == 1 and len(parts) == n:
        return parts[0][1]
    return "; ".join(f"for {task.inputs[i]}: {t}" + (f" ({task.inputs[1 - i]}'s downstream is "
                                                      "right)" if n == 2 and len(parts) == 1
                                                      else "")
                     for i, t in parts)


def check_local(module: Any, task: LocalTask) -> Outcome:
    """Call `module.<task.name>`'s closure with every upstream at every point of the task."""
    title = f"{task.name:<17} {task.formula}"
    fn = getattr(module, task.name, None)
    if fn is None:
        return Outcome(task.name, "todo", title, (f"not defined in your file: def {task.name}",))
    if not callable(fn):
        return Outcome(task.name, "error", title, (f"{task.name} should be a function",))
    rows: list[Row] = []
    shape: Optional[Shape] = None
    at = ""
    try:
        with time_limit(what=f"{task.name}"):
            for point in task.points:
                at = f"at {where(task, point)}: "
                local = truth(task, point)
                closure = _closure(task, fn, point)
                for u in UPSTREAMS:
                    got = closure(u)
                    try:
                        rows.append((point, u, _numbers(task, got), local))
                    except Shape as exc:
                        shape = shape or exc
                        if len(exc.args) > 1:
                            rows.append((point, u, (exc.args[1],), local))
    except NotImplementedError:
        return Outcome(task.name, "todo", title, ("still raises NotImplementedError",))
    except SystemExit as exc:
        return Outcome(task.name, "error", title, (exit_text(exc),))
    except TimeLimitError as exc:
        return Outcome(task.name, "error", title, (str(exc),))
    except AssertionError:
        raise
    except Exception as exc:  # the learner's code: report any error, do not crash
        return Outcome(task.name, "error", title, (f"{at}{error_text(exc)}",))
    finally:
        _ENGINE.restore()  # (what the learner's code changed must not judge the next)
    upstreams = ", ".join(fmt(u) for u in UPSTREAMS)
    right = all(all(_close(s, u * g) for s, g in zip(sent, local)) for _, u, sent, local in rows)
    if shape is not None:
        if len(shape.args) > 1 and len(rows) == len(task.points) * len(UPSTREAMS) and right:
            return Outcome(task.name, "fail", title, (
                f"{shape.args[0]}", "the number itself is right: only the tuple is missing"),
                diagnosis=str(shape.args[0]))
        return Outcome(task.name, "fail", title, (str(shape.args[0]),),
                       diagnosis=str(shape.args[0]))
    if right:
        return Outcome(task.name, "pass", title, (
            f"upstream × local gradient for upstreams {upstreams} at {len(task.points)} "
            "points",))
    named = _explain(task, rows)
    details = []
    if named:
        details.append(named)
    seen: set[Point] = set()
    for p, u, sent, local in rows:
        if all(_close(s, u * g) for s, g in zip(sent, local)) or p in seen or \
                len(seen) >= (1 if named else 3):
            continue
        seen.add(p)
        want = ", ".join(f"{fmt(u)} × {fmt(g)} = {fmt(u * g)}" for g in local)
        details.append(f"at {where(task, p)}, upstream {fmt(u)}: your _backward sends "
                       f"{_tuple(sent)}; upstream × local gradient is {want}")
    return Outcome(task.name, "fail", title, tuple(details), diagnosis=named or "")


def _tuple(xs: tuple[float, ...]) -> str:
    return fmt(xs[0]) if len(xs) == 1 else "(" + ", ".join(fmt(x) for x in xs) + ")"


def reveal(task: LocalTask) -> list[str]:
    """The derivation and the closure, with one worked number from a run."""
    point, u = task.points[1], UPSTREAMS[1]
    local = truth(task, point)
    lines = [f"local gradient: ∂f/∂{', ∂f/∂'.join(task.inputs)} = {', '.join(task.local_text)}",
             f"downstream = upstream × local gradient: {task.solution}"]
    worked = ", ".join(f"{fmt(u)} × {fmt(g)} = {fmt(u * g)}" for g in local)
    lines.append(f"e.g. at {where(task, point)} with upstream {fmt(u)}: {worked}")
    return lines


TASKS = {t.name: t for t in LOCAL_TASKS}
