"""The answer key (docs/answers.md) is the checker's own derivations, regenerated and compared;
--reveal and --hint give every exercise its derivation and its hints one at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exercises import answers
from exercises.check import TASK_NAMES, check, hints_of, main, reveal_of

ROOT = Path(__file__).resolve().parent.parent


def test_the_answer_key_is_up_to_date() -> None:
    """docs/answers.md is exactly what `python -m exercises.answers` writes now."""
    on_disk = (ROOT / "docs" / "answers.md").read_text(encoding="utf-8")
    assert on_disk == answers.markdown(), (
        "docs/answers.md is stale: run `python -m exercises.answers > docs/answers.md`")


@pytest.mark.parametrize("name", TASK_NAMES)
def test_every_exercise_has_a_derivation_and_three_hints(name: str) -> None:
    """Each exercise, Part A to D, has a revealed derivation and hints from a nudge up."""
    assert len(reveal_of(name)) >= 2
    assert len(hints_of(name)) == 3


def test_the_derivations_sum_where_a_value_is_used_twice() -> None:
    """P3's derivation shows both sums of the lesson (1 + 1 = 2, 2 + 2 = 4)."""
    lines = "\n".join(reveal_of("P3"))
    assert "the sum 1.0 + 1.0 = 2.0" in lines and "the sum 2.0 + 2.0 = 4.0" in lines


def test_reveal_in_a_notebook_gives_the_derivation() -> None:
    """check(..., reveal=True) adds the derivation, for Part A as well as Part B."""
    text = str(check("reciprocal", None, reveal=True))
    assert "worked out:\n            local gradient: ∂f/∂x = −1/x²" in text
    assert "  answer: ∂c/∂a = 4.0" in str(check("P3", 1, reveal=True))


def test_hints_come_one_at_a_time() -> None:
    """A FAIL shows hint 1 and how to ask for 2; hint=2 shows two and how to ask for 3;
    hint=3 shows all three; a TODO shows hints only when asked."""
    one = str(check("P3", 1))
    assert "hint 1 of 3" in one and "hint 2 of 3" not in one
    assert "check('P3', P3, hint=2)" in one
    two = str(check("P3", 1, hint=2))
    assert "hint 2 of 3" in two and "hint 3 of 3" not in two and "hint=3" in two
    three = str(check("P3", 1, hint=3))
    assert "hint 3 of 3" in three and "more:" not in three
    assert "hint" not in str(check("P3", None))
    assert "hint 1 of 3" in str(check("P3", None, hint=1))


def test_the_command_line_hint_and_reveal(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m exercises --only mul --hint 2 --reveal` on the untouched workbook."""
    assert main(["--only", "mul", "--hint", "2", "--reveal"]) == 1
    out = capsys.readouterr().out
    assert "… TODO  mul" in out and "hint 2 of 3" in out and "--only mul --hint 3" in out
    assert "worked out:" in out and "  downstream = upstream × local gradient" in out


def test_python_m_exercises_solutions_exits_0() -> None:
    """The reference solutions pass every exercise from the command line."""
    done = subprocess.run([sys.executable, "-m", "exercises", "--solutions"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Score: {len(TASK_NAMES)} of {len(TASK_NAMES)} passed.  All done!" in done.stdout


RECIPROCAL_WRONG = '''
from scalargrad import Value


def reciprocal(x: Value) -> Value:
    out = 1.0 / x.data

    def _backward(upstream: float) -> tuple[float]:
        return (-1.0 / x.data,)

    return Value.from_op(out, (x,), op="reciprocal", backward=_backward)
'''


def test_the_example_in_docs_exercises_is_the_checkers_output(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    """The FAIL quoted in docs/exercises.md is what the checker prints for that closure."""
    text = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    quoted = text.split("For example:\n\n```\n", 1)[1].split("```", 1)[0]
    mine = tmp_path / "mine.py"
    mine.write_text(RECIPROCAL_WRONG, encoding="utf-8")
    assert main(["--file", str(mine), "--only", "reciprocal"]) == 1
    out = capsys.readouterr().out
    assert quoted.strip("\n") in out
