"""The checker: runs every workbook exercise and gives PASS, FAIL (with the mistake named),
TODO or ERROR, with hints one at a time and, on asking, the derivation.

Part A (write the backward): each op's `_backward` closure is called with upstreams 1, −1.5,
0.3 and 2 at several points and compared with upstream × the true local gradient (a known
formula, confirmed by finite differences of the forward value; never your code).
Part B (predict a gradient) and Part D's D1, D2 (a directional derivative): your number
against the engine's, which is itself confirmed by finite differences first.
Part C (write backward()): your walk on graphs that expose each classic bug.
Part D (tangent_div): your tangent rule against finite differences along the tangents.

    python -m exercises                    check exercises/workbook.py
    python -m exercises --only mul P3      check a few
    python -m exercises --hint 2           more help on what is not passing yet
    python -m exercises --reveal           the derivation and answer of each exercise
    python -m exercises --file my.py       check another file with the same names
    python -m exercises --solutions        check the reference answers (the checker's own test)

In a notebook: `check("mul", mul)`, `check("mul", mul, hint=2)`, `check("P3", 4,
reveal=True)`; the result shows as the same verdicts (HTML in a notebook or the browser).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Optional, Sequence, TextIO

from scalargrad import Value

from . import local, predict, tangent, walk
from .guard import TimeLimitError, exit_text, time_limit
from .local import check_local
from .local_tasks import LOCAL_TASKS, LocalTask
from .predict import check_predict, true_gradient
from .predict_tasks import DIRECTION_TASKS, PREDICT_TASKS, PredictTask
from .verdict import MARK, Outcome, Report

__all__ = ["LOCAL_TASKS", "PREDICT_TASKS", "DIRECTION_TASKS", "TASK_NAMES", "PARTS",
           "LocalTask", "PredictTask", "Outcome", "Report", "check", "check_module", "main",
           "load", "composed_sigmoid", "true_gradient", "hints_of", "reveal_of", "MARK",
           "WORKBOOK", "SOLUTIONS"]

HERE = Path(__file__).resolve().parent
WORKBOOK = HERE / "workbook.py"
SOLUTIONS = HERE / "solutions.py"

TASK_NAMES: tuple[str, ...] = (tuple(t.name for t in LOCAL_TASKS)
                               + tuple(t.name for t in PREDICT_TASKS)
                               + (walk.NAME, tangent.NAME)
                               + tuple(t.name for t in DIRECTION_TASKS))
PARTS = {name: ("A" if name in local.TASKS else "C" if name == walk.NAME
                else "D" if name in (tangent.NAME, "D1", "D2") else "B") for name in TASK_NAMES}
CHAINED = ("neg", "exp", "reciprocal")

_ENGINE = local._ENGINE  # the engine as the checker needs it (see guard.py)
_SEEN: dict[str, Any] = {}  # a notebook's latest neg, exp and reciprocal, for the chained line


def hints_of(name: str) -> tuple[str, ...]:
    """The exercise's hints, a nudge first."""
    if name in local.TASKS:
        return local.TASKS[name].hints
    if name in predict.TASKS:
        return predict.TASKS[name].hints
    return walk.HINTS if name == walk.NAME else tangent.HINTS


def reveal_of(name: str) -> list[str]:
    """The derivation of the exercise's answer, with numbers from a run."""
    if name in local.TASKS:
        return local.reveal(local.TASKS[name])
    if name in predict.TASKS:
        return predict.reveal(predict.TASKS[name])
    return walk.reveal() if name == walk.NAME else tangent.reveal()


def _one(module: Any, name: str, reveal: bool) -> Outcome:
    if name in local.TASKS:
        return check_local(module, local.TASKS[name])
    if name in predict.TASKS:
        return check_predict(module, predict.TASKS[name], reveal)
    return walk.check_backward(module) if name == walk.NAME else tangent.check_tangent(module)


def _help(o: Outcome, hint: Optional[int], reveal: bool, call: str) -> Outcome:
    """Add the hints asked for (a FAIL gets the first unasked) and the derivation."""
    hints = hints_of(o.name)
    wanted = (1 if o.status == "fail" else 0) if hint is None else max(0, min(hint, len(hints)))
    if o.status == "pass":
        wanted = 0
    extra = [f"hint {i + 1} of {len(hints)}: {hints[i]}" for i in range(wanted)]
    if 0 < wanted < len(hints):
        extra.append(f"more: {call.format(name=o.name, hint=wanted + 1)}")
    if reveal:
        extra += ["worked out:"] + [f"  {line}" for line in reveal_of(o.name)]
    if not extra:
        return o
    return Outcome(o.name, o.status, o.title, o.details + tuple(extra), o.part, o.diagnosis)


COMMAND = "python -m exercises --only {name} --hint {hint}"
NOTEBOOK = "check({name!r}, {name}, hint={hint})"


def check_module(module: Any, only: Sequence[str] = (), reveal: bool = False,
                 hint: Optional[int] = None, call: str = COMMAND) -> list[Outcome]:
    """Every exercise (or those named in `only`), in the workbook's order."""
    wanted = [task_name(n) for n in only]
    outcomes = []
    for name in TASK_NAMES:
        if not wanted or name in wanted:
            o = _one(module, name, reveal)
            outcomes.append(_help(Outcome(o.name, o.status, o.title, o.details, PARTS[name],
                                          o.diagnosis), hint, reveal, call))
    return outcomes


def composed_sigmoid(module: Any) -> float | None:
    """dy/dz at z = 0 for 1/(1 + e^−z) built from YOUR neg, exp and reciprocal (and the
    engine's +), or None if any of them is missing or broken."""
    try:
        with time_limit(what="the composed sigmoid"):
            z = Value(0.0)
            y = module.reciprocal(1 + module.exp(module.neg(z)))
            y.backward()
            return float(z.grad)
    except (Exception, SystemExit, TimeLimitError):  # (reported for each op; here skipped)
        return None
    finally:
        _ENGINE.restore()


def chained_line(module: Any) -> list[str]:
    """The chained sigmoid's line: ✓ only when your three ops really give 0.25."""
    if not all(callable(getattr(module, n, None)) for n in CHAINED):
        return []
    g = composed_sigmoid(module)
    if g is None:
        return []
    if math.isclose(g, 0.25, rel_tol=1e-9, abs_tol=1e-12):
        return ["✓ Your neg, exp and reciprocal chained into 1/(1 + e^−z): dy/dz at z = 0 is "
                "0.25, the lesson's number."]
    return [f"✗ Your neg, exp and reciprocal chained into 1/(1 + e^−z) give dy/dz = "
            f"{local.fmt(g)} at z = 0; it should be 0.25 (fix the ops above)."]


def _restored_notes() -> list[str]:
    """Put back whatever the learner's code changed on Value, and say so."""
    changed = _ENGINE.restore()
    if not changed:
        return []
    return [f"note: your code changed {', '.join(changed)}; the checker put the engine back "
            "before checking (make new ops with Value.from_op instead of patching Value)"]


def build_report(outcomes: list[Outcome], module: Any, notes: Sequence[str] = ()) -> Report:
    """The report of `outcomes`, with the chained sigmoid after Part A when it applies."""
    rep = Report(outcomes, list(notes))
    names = {o.name for o in outcomes}
    if names & set(CHAINED) and not any(o.status == "todo" for o in outcomes
                                        if o.name in CHAINED):
        after = chained_line(module)
        if after:
            rep.after["A"] = after
    return rep


def report(outcomes: list[Outcome], module: Any, file: TextIO) -> None:
    """Print the verdicts and the score (the terminal's text)."""
    print(build_report(outcomes, module), file=file)


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


def check(name: str, answer: Any, *, hint: Optional[int] = None, reveal: bool = False,
          file: TextIO | None = None) -> Report:
    """Check one exercise from a notebook cell; the verdicts of `python -m exercises`.

    `check("reciprocal", reciprocal)` checks your function for Part A, `check("P1", 0.25)`
    your number for Part B. `hint=2` adds the next hint, `reveal=True` the derivation.
    Returns a Report: a notebook or the browser shows it as HTML, a `python` prompt as text
    (in a script, `print(check(...))`). With `file=`, the text is also written there.
    """
    target = task_name(name)
    if not isinstance(hint, (int, type(None))) or isinstance(hint, bool):
        raise TypeError(f"check: hint should be a number (1, 2, 3), got {hint!r}")
    module = ModuleType("your_notebook")
    setattr(module, target, answer)
    notes = _restored_notes()
    outcomes = check_module(module, [target], reveal, hint, NOTEBOOK)
    chain: Any = module
    if target in CHAINED and callable(answer):
        _SEEN[target] = answer
        chain = SimpleNamespace(**_SEEN)
    rep = build_report(outcomes, chain, notes)
    if file is not None:
        print(rep, file=file)
    return rep


def load(path: Path) -> ModuleType:
    """Import a workbook file by path (fresh each time, so your latest edits count)."""
    spec = importlib.util.spec_from_file_location(f"_exercises_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    with time_limit(what=f"importing {path.name}"):
        spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None, file: TextIO | None = None) -> int:
    """Check a workbook; exit status 0 when every exercise passes, 1 otherwise, 2 on a bad file."""
    p = argparse.ArgumentParser(prog="python -m exercises", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--file", type=Path, help="check this file instead of the workbook")
    which.add_argument("--solutions", action="store_true",
                       help="check the reference answers (spoilers are not printed)")
    p.add_argument("--only", nargs="+", type=_cli_name, metavar="NAME", default=(),
                   help=f"check only these exercises ({', '.join(TASK_NAMES)})")
    p.add_argument("--hint", type=int, nargs="?", const=2, default=None, metavar="N",
                   help="show hints 1 to N (default 2) for each exercise not passing yet")
    p.add_argument("--reveal", action="store_true",
                   help="show each exercise's derivation and answer")
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
    print(f"Checking {path}\n", file=out)
    notes = _restored_notes()
    outcomes = check_module(module, args.only, args.reveal, args.hint)
    print(build_report(outcomes, module, notes), file=out)
    return 0 if all(o.status == "pass" for o in outcomes) else 1


def _cli_name(name: str) -> str:
    try:
        return task_name(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
