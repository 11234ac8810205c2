"""The answer key, docs/answers.md, written from a run:
`python -m exercises.answers > docs/answers.md`.

Every exercise derived step by step in the lesson's words (upstream × local gradient =
downstream, the sums where a value is used twice; tangent out = Σ local gradient × tangent
in), each number computed by the checker's own code (`reveal_of`), and the reference
solutions checked to pass before anything is written. tests/test_exercise_answers.py
regenerates it and compares.
"""

from __future__ import annotations

import sys

from . import local, predict, tangent, walk
from .check import SOLUTIONS, TASK_NAMES, check_module, hints_of, load, reveal_of
from .verdict import PARTS

HEAD = """# Answer key

For the teacher (spoilers). Every exercise of the workbook (`exercises/workbook.py`, docs/
[exercises.md](exercises.md)) derived step by step. Generated from a run by
`python -m exercises.answers > docs/answers.md`: the numbers are the checker's own, and
`tests/test_exercise_answers.py` regenerates this file and compares. A learner sees the same
derivation with `python -m exercises --only NAME --reveal` or `check("NAME", answer,
reveal=True)`.
"""


def _title(name: str) -> str:
    if name in local.TASKS:
        return local.TASKS[name].formula
    if name in predict.TASKS:
        return predict.TASKS[name].question
    title = walk.TITLE if name == walk.NAME else tangent.TITLE
    return title[len(name):].strip()


def markdown() -> str:
    """The answer key as Markdown."""
    outcomes = check_module(load(SOLUTIONS))
    failing = [o.name for o in outcomes if o.status != "pass"]
    if failing:
        raise AssertionError(f"the reference solutions fail: {', '.join(failing)}")
    parts = {o.name: o.part for o in outcomes}
    lines = [HEAD]
    for part, heading in PARTS:
        names = [n for n in TASK_NAMES if parts[n] == part]
        lines += [f"## {heading.split(' (')[0]}", ""]
        for name in names:
            lines += [f"### `{name}`: {_title(name)}", ""]
            lines += [f"- {line}" for line in reveal_of(name)]
            hints = hints_of(name)
            lines += ["", "Hints, in the order the checker gives them: "
                      + " / ".join(f"({i}) {h}" for i, h in enumerate(hints, 1)), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
