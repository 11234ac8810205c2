"""The checker: runs every workbook exercise and prints PASS, FAIL or TODO with the numbers.

Part A (write the backward): each of your functions builds an op with `Value.from_op` and your
`_backward` closure. The checker first confirms the op's forward value, then runs `gradcheck`
at a few points: the engine's gradient (what your closure sends down for upstream 1) against
central finite differences of the forward value (which never call your closure), so a wrong
formula cannot pass.

Part B (predict the gradient): your number is compared with the gradient the engine computes
for that expression; the engine's answer is itself confirmed by finite differences first.

    python -m exercises                 check exercises/workbook.py
    python -m exercises --file my.py    check another file with the same names
    python -m exercises --solutions     check the reference answers (the checker's own test)
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence, TextIO

from scalargrad.trace import format_number

from scalargrad import Value, engine_gradient, gradcheck, numerical_gradient

from .guard import EngineSnapshot, TimeLimitError, exit_text, time_limit

HERE = Path(__file__).resolve().parent
WORKBOOK = HERE / "workbook.py"
SOLUTIONS = HERE / "solutions.py"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class LocalTask:
    """Write the `_backward` closure of an op: the checker knows its forward, you give the
    downstream gradients."""

    name: str
    formula: str
    forward: Callable[..., float]
    points: tuple[tuple[float, ...], ...]
    hint: str

    @property
    def arity(self) -> int:
        return len(self.points[0])


@dataclass(frozen=True)
class PredictTask:
    """Predict one gradient: ∂f/∂(input `wrt`) of `f` at `at`."""

    name: str
    question: str
    f: Callable[..., Value]
    at: tuple[float, ...]
    wrt: int
    hint: str


def _p3(a: Value) -> Value:
    b = a + a
    return b + b


def _p7(x: Value) -> Value:
    u = x.exp()
    return u * u


LOCAL_TASKS: tuple[LocalTask, ...] = (
    LocalTask("neg", "f(x) = −x", lambda x: -x, ((0.5,), (-2.0,), (3.0,)),
              "how does −x change when x grows by a little?"),
    LocalTask("mul", "f(a, b) = a·b", lambda a, b: a * b, ((2.0, -3.0), (0.5, 4.0)),
              "hold b fixed: a·b changes b times as fast as a; so a gets upstream × b."),
    LocalTask("exp", "f(x) = eˣ", math.exp, ((0.0,), (1.0,), (-2.0,)),
              "eˣ is the one function that is its own derivative."),
    LocalTask("reciprocal", "f(x) = 1/x", lambda x: 1.0 / x, ((2.0,), (-0.5,), (3.0,)),
              "1/x = x⁻¹; bring the power down and lower it by one."),
    LocalTask("div", "f(a, b) = a / b", lambda a, b: a / b, ((1.0, 2.0), (-3.0, 0.5)),
              "a/b = a · (1/b): the local gradient for a is 1/b; for b use reciprocal's."),
    LocalTask("sigmoid", "f(x) = σ(x) = 1/(1 + e⁻ˣ)", _sigmoid, ((0.0,), (2.0,), (-3.0,)),
              "at x = 0 the answer is the lesson's 0.25; in general σ(x)·(1 − σ(x))?"),
    LocalTask("tanh", "f(x) = tanh x", math.tanh, ((0.0,), (0.5,), (-2.0,)),
              "write it with tanh x itself, as you can for σ."),
    LocalTask("softplus", "f(x) = ln(1 + eˣ)", lambda x: math.log1p(math.exp(x)),
              ((0.0,), (1.0,), (-2.0,)),
              "chain rule: the derivative of ln u is 1/u, and u = 1 + eˣ."),
)

PREDICT_TASKS: tuple[PredictTask, ...] = (
    PredictTask("P1", "y = 1/(1 + e^−z) at z = 0: dy/dz",
                lambda z: (1 + (-z).exp()).reciprocal(), (0.0,), 0,
                "walk reciprocal → add → exp → neg; multiply the local gradients."),
    PredictTask("P2", "f = w1·x + w2·x (w1 = 2, w2 = 3) at x = 0: df/dx",
                lambda x: 2 * x + 3 * x, (0.0,), 0,
                "x is used twice: add the two contributions."),
    PredictTask("P3", "b = a + a, c = b + b at a = 3: dc/da", _p3, (3.0,), 0,
                "each value is used twice; what is c in terms of a?"),
    PredictTask("P4", "f = x·y + x at x = 3, y = −2: ∂f/∂x", lambda x, y: x * y + x,
                (3.0, -2.0), 0, "x has two consumers: the product (local y) and the sum."),
    PredictTask("P5", "o = relu(w·x + b), w = −2, x = 3, b = 1: ∂o/∂w",
                lambda w: (w * 3 + 1).relu(), (-2.0,), 0,
                "first compute w·x + b: is the ReLU on or off?"),
    PredictTask("P6", "L = (a·b + c)² at a = 2, b = −1, c = 3: ∂L/∂a",
                lambda a: (a * -1 + 3) ** 2, (2.0,), 0,
                "upstream of the square is 2·(a·b + c); the product's local gradient is b."),
    PredictTask("P7", "u = eˣ, f = u·u at x = 0: df/dx", _p7, (0.0,), 0,
                "u feeds the product twice; each use sends u·(local eˣ)."),
    PredictTask("P8", "o = σ(w1·x1 + w2·x2 + b), x = (2, −1), w = (−3, 1), b = 7: ∂o/∂w1",
                lambda w1: (w1 * 2 + (-1) * 1 + 7).sigmoid(), (-3.0,), 0,
                "the pre-activation is 0; σ′(0) is the lesson's number; then × x1."),
)

TASK_NAMES = tuple(t.name for t in LOCAL_TASKS) + tuple(t.name for t in PREDICT_TASKS)


@dataclass(frozen=True)
class Outcome:
    """The verdict on one exercise: "pass", "fail", "todo" or "error", with the details."""

    name: str
    status: str
    title: str
    details: tuple[str, ...] = ()


_ENGINE = EngineSnapshot(Value)  # the engine as the checker needs it (see guard.py)


def _restored_notice(file: TextIO) -> None:
    """Put back whatever the learner's code changed on Value, and say so."""
    changed = _ENGINE.restore()
    if changed:
        print(f"note: your code changed {', '.join(changed)}; the checker put the engine "
              "back before checking (make new ops with Value.from_op instead of patching "
              "Value)", file=file)


def _fmt(x: float) -> str:
    return format_number(x, 6)


def _is_number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _tuple(xs: Sequence[float]) -> str:
    return _fmt(xs[0]) if len(xs) == 1 else "(" + ", ".join(_fmt(x) for x in xs) + ")"


def _where(task: LocalTask, point: tuple[float, ...]) -> str:
    names = ("x",) if task.arity == 1 else ("a", "b")
    if task.arity == 1:
        return f"x = {_fmt(point[0])}"
    return f"({', '.join(names)}) = {_tuple(point)}"


def check_local(module: ModuleType, task: LocalTask) -> Outcome:
    """Run gradcheck on the op `module.<task.name>` builds, at each of the task's points."""
    title = f"{task.name:<17} {task.formula}"
    fn = getattr(module, task.name, None)
    if fn is None:
        return Outcome(task.name, "todo", title, (f"not defined in your file: def {task.name}",))
    if not callable(fn):
        return Outcome(task.name, "error", title, (f"{task.name} should be a function",))

    def op(*inputs: Value) -> Value:
        out = fn(*inputs)
        if not isinstance(out, Value):
            raise TypeError(f"expected {task.name}() to return a Value (from Value.from_op), "
                            f"got {type(out).__name__} {out!r}")
        expected = task.forward(*[v.data for v in inputs])
        if not math.isclose(out.data, expected, rel_tol=1e-12, abs_tol=1e-12):
            raise ValueError(f"the forward value is {out.data!r}, expected {expected!r}: "
                             "only _backward needs changing")
        return out

    details = []
    for point in task.points:
        try:
            with time_limit(what=f"{task.name} at {_where(task, point)}"):
                result = gradcheck(op, *point)
        except NotImplementedError:
            return Outcome(task.name, "todo", title, ("still raises NotImplementedError",))
        except SystemExit as exc:
            return Outcome(task.name, "error", title, (f"at {_where(task, point)}: "
                                                       f"{exit_text(exc)}",))
        except TimeLimitError as exc:
            return Outcome(task.name, "error", title, (str(exc),))
        except Exception as exc:  # the learner's code: report any error, do not crash
            return Outcome(task.name, "error", title,
                           (f"at {_where(task, point)}: {type(exc).__name__}: {exc}",))
        finally:
            _ENGINE.restore()  # (what the learner's code changed must not judge the next)
        if not result.ok:
            mine = [c.analytic for c in result.checks]
            numeric = [c.numeric for c in result.checks]
            details.append(f"at {_where(task, point)}: your _backward sends "
                           f"{_tuple(mine)} for upstream 1, finite differences give "
                           f"{_tuple(numeric)}")
    if details:
        return Outcome(task.name, "fail", title, (*details, f"hint: {task.hint}"))
    where = "; ".join(_where(task, p) for p in task.points)
    return Outcome(task.name, "pass", title, (f"gradcheck passed at {where}",))


def true_gradient(task: PredictTask) -> float:
    """The engine's gradient for a prediction task, confirmed by central differences."""
    engine = engine_gradient(task.f, *task.at)[task.wrt]
    numeric = numerical_gradient(task.f, *task.at)[task.wrt]
    if not math.isclose(engine, numeric, rel_tol=1e-4, abs_tol=1e-6):
        raise AssertionError(f"checker problem in {task.name}: the engine says {engine!r} but "
                             f"finite differences say {numeric!r}")
    return engine


def check_predict(module: ModuleType, task: PredictTask, reveal: bool = False) -> Outcome:
    """Compare `module.<task.name>` with the engine's gradient (within 0.001)."""
    title = f"{task.name:<17} {task.question}"
    if not hasattr(module, task.name) or getattr(module, task.name) is None:
        return Outcome(task.name, "todo", title, (f"set {task.name} to your number",))
    answer = getattr(module, task.name)
    if not _is_number(answer):
        return Outcome(task.name, "error", title,
                       (f"{task.name} should be a number, got {type(answer).__name__} "
                        f"{answer!r}",))
    try:
        number = float(answer)
    except OverflowError:
        return Outcome(task.name, "fail", title, (
            f"{task.name} is an integer with {len(str(abs(int(answer))))} digits, too large "
            "for any gradient here", f"hint: {task.hint}"))
    truth = true_gradient(task)
    if math.isclose(number, truth, rel_tol=1e-3, abs_tol=1e-3):
        return Outcome(task.name, "pass", title, (f"{_fmt(answer)} is right",))
    details = [f"you said {_fmt(answer)}; that is not it"
               + (f" (the answer is {_fmt(truth)})" if reveal else ""),
               f"hint: {task.hint}"]
    return Outcome(task.name, "fail", title, tuple(details))


def check_module(module: ModuleType, only: Sequence[str] = (),
                 reveal: bool = False) -> list[Outcome]:
    """Every exercise (or those named in `only`), in order: Part A, then Part B."""
    outcomes = []
    for lt in LOCAL_TASKS:
        if not only or lt.name in only:
            outcomes.append(check_local(module, lt))
    for pt in PREDICT_TASKS:
        if not only or pt.name in only:
            outcomes.append(check_predict(module, pt, reveal))
    return outcomes


def composed_sigmoid(module: ModuleType) -> float | None:
    """dy/dz at z = 0 for 1/(1 + e^−z) built from YOUR neg, exp and reciprocal (and the
    engine's +), or None if any of them is missing or broken."""
    try:
        with time_limit(what="the composed sigmoid"):
            z = Value(0.0)
            y = module.reciprocal(1 + module.exp(module.neg(z)))
            y.backward()
            return float(z.grad)
    except (Exception, SystemExit):  # (reported for each op above; here only skipped)
        return None
    finally:
        _ENGINE.restore()


def load(path: Path) -> ModuleType:
    """Import a workbook file by path (fresh each time, so your latest edits count)."""
    spec = importlib.util.spec_from_file_location(f"_exercises_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    with time_limit(what=f"importing {path.name}"):
        spec.loader.exec_module(module)
    return module


MARK = {"pass": "PASS", "fail": "FAIL", "todo": "TODO", "error": "ERROR"}


def report(outcomes: Sequence[Outcome], module: ModuleType, file: TextIO) -> None:
    """Print the verdicts, Part A then Part B, and the score."""
    def say(line: str = "") -> None:
        print(line, file=file)

    local = {t.name for t in LOCAL_TASKS}
    parts = [("Part A — write the backward (each checked by gradcheck against finite "
              "differences)",
              [o for o in outcomes if o.name in local]),
             ("Part B — predict the gradient (checked against the engine)",
              [o for o in outcomes if o.name not in local])]
    for heading, items in parts:
        if not items:
            continue
        say()
        say(heading)
        for o in items:
            say(f"  {MARK[o.status]:<5} {o.title}")
            if o.status != "pass":
                for line in o.details:
                    say(f"        {line}")
        if items is parts[0][1]:
            done = {o.name for o in items if o.status == "pass"}
            if {"neg", "exp", "reciprocal"} <= done:
                g = composed_sigmoid(module)
                if g is not None:
                    say(f"  ✓ Your neg, exp and reciprocal chained into 1/(1 + e^−z): dy/dz at "
                        f"z = 0 is {_fmt(g)}, the lesson's number.")
    counts = {s: sum(o.status == s for o in outcomes) for s in MARK}
    say()
    say(f"Score: {counts['pass']} of {len(outcomes)} passed"
        + (f", {counts['fail']} failed" if counts["fail"] else "")
        + (f", {counts['error']} with errors" if counts["error"] else "")
        + (f", {counts['todo']} still to do" if counts["todo"] else "")
        + (".  All done!" if counts["pass"] == len(outcomes) else "."))


def task_name(name: str) -> str:
    """The exercise called `name`, in any case ("reciprocal", "P1", "p1"). Raises ValueError
    listing the names when there is no such exercise."""
    if not isinstance(name, str):
        raise TypeError(f"check: the exercise name should be a str, got {name!r}")
    if name in TASK_NAMES:
        return name
    matches = [t for t in TASK_NAMES if t.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"check: no exercise named {name!r}; the exercises are "
                     f"{', '.join(TASK_NAMES)}")


def check(name: str, answer: Any, *, reveal: bool = False, file: TextIO | None = None) -> None:
    """Check one exercise from a notebook cell and print the verdict, as `python -m exercises`.

    `check("reciprocal", reciprocal)` checks your function for Part A;
    `check("P1", 0.25)` checks your number for Part B. (`check_module` returns the outcomes.)
    """
    target = task_name(name)
    module = ModuleType("your_notebook")
    setattr(module, target, answer)
    out = sys.stdout if file is None else file
    _restored_notice(out)
    report(check_module(module, [target], reveal), module, out)


def main(argv: list[str] | None = None, file: TextIO | None = None) -> int:
    """Check a workbook; exit status 0 when every exercise passes, 1 otherwise, 2 on a bad file."""
    p = argparse.ArgumentParser(prog="python -m exercises", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--file", type=Path, help="check this file instead of the workbook")
    which.add_argument("--solutions", action="store_true",
                       help="check the reference answers (spoilers are not printed)")
    p.add_argument("--only", nargs="+", choices=TASK_NAMES, metavar="NAME", default=(),
                   help="check only these exercises, e.g. --only reciprocal P1")
    p.add_argument("--reveal", action="store_true",
                   help="show the right answer when a prediction is wrong")
    args = p.parse_args(argv)
    out = sys.stdout if file is None else file
    path = SOLUTIONS if args.solutions else (args.file or WORKBOOK)
    try:
        module = load(path)
    except FileNotFoundError:
        print(f"no such file: {path}", file=out)
        return 2
    except SystemExit as exc:
        print(f"could not load {path}: {exit_text(exc)}", file=out)
        return 2
    except Exception as exc:  # a syntax error or similar in the learner's file
        print(f"could not load {path}: {type(exc).__name__}: {exc}", file=out)
        return 2
    print(f"Checking {path}", file=out)
    _restored_notice(out)
    outcomes = check_module(module, args.only, args.reveal)
    report(outcomes, module, out)
    return 0 if all(o.status == "pass" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
