"""The exercise checker under careless and hostile workbooks: every one gets a verdict."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exercises import check, guard
from scalargrad import Value

ROOT = Path(__file__).resolve().parent.parent

MUL_RIGHT = """
from scalargrad import Value
def mul(a, b):
    return Value.from_op(a.data * b.data, (a, b), backward=lambda u: (u * b.data, u * a.data))
"""


def _workbook(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.mark.parametrize("call", ["import sys\nsys.exit(0)\n", "exit()\n", "raise SystemExit\n"])
def test_an_exit_at_import_is_reported_not_obeyed_from_the_command_line(tmp_path, call) -> None:
    """`python -m exercises --file f.py` with sys.exit(0) in f.py: exit status 2 and a message,
    not silence and 0 (which reads as "all passed")."""
    path = _workbook(tmp_path, call)
    done = subprocess.run([sys.executable, "-m", "exercises", "--file", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "could not load" in done.stdout and "sys.exit" in done.stdout


def test_an_exit_inside_a_backward_is_an_error_for_that_exercise(tmp_path, capsys) -> None:
    path = _workbook(tmp_path, """
        import sys
        from scalargrad import Value
        def neg(x):
            def _backward(upstream):
                sys.exit(0)
            return Value.from_op(-x.data, (x,), backward=_backward)
        """)
    assert check.main(["--file", str(path), "--only", "neg"]) == 1
    out = capsys.readouterr().out
    assert "ERROR neg" in out and "called sys.exit(0)" in out


@pytest.mark.parametrize("body", ["while True: pass", "__import__('time').sleep(60)"])
def test_an_endless_backward_gets_a_verdict(tmp_path, capsys, monkeypatch, body) -> None:
    monkeypatch.setattr(guard, "TIME_LIMIT", 0.5)
    path = _workbook(tmp_path, f"""
from scalargrad import Value
def neg(x):
    def _backward(upstream):
        {body}
    return Value.from_op(-x.data, (x,), backward=_backward)
""")
    assert check.main(["--file", str(path), "--only", "neg"]) == 1
    out = capsys.readouterr().out
    assert "ERROR neg" in out and "took longer than 0.5 s" in out


def test_an_endless_loop_at_import_gets_a_verdict(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(guard, "TIME_LIMIT", 0.5)
    path = _workbook(tmp_path, "while True:\n    pass\n")
    assert check.main(["--file", str(path)]) == 2
    assert "importing mine.py took longer than 0.5 s" in capsys.readouterr().out


def test_a_patched_operator_does_not_change_the_checkers_verdicts(tmp_path, capsys) -> None:
    """A workbook that replaces Value.__mul__: the checker puts it back, says so, and a right
    answer still passes (a wrong engine product would have made it fail)."""
    path = _workbook(tmp_path, MUL_RIGHT + "Value.__mul__ = lambda self, other: 0\nP1 = 0.25\n")
    real = Value.__mul__
    assert check.main(["--file", str(path), "--only", "mul", "P1"]) == 0
    out = capsys.readouterr().out
    assert "your code changed Value.__mul__" in out
    assert Value.__mul__ is real


def test_a_huge_integer_answer_is_a_wrong_answer_with_a_hint() -> None:
    """check("P1", 10**400) used to end in an OverflowError traceback."""
    out = str(check.check("P1", 10**400))
    assert "FAIL" in out and "401 digits" in out and "hint 1 of 3:" in out


def test_check_in_a_notebook_gets_a_time_limit_too(monkeypatch) -> None:
    monkeypatch.setattr(guard, "TIME_LIMIT", 0.5)

    def neg(x: Value) -> Value:
        def _backward(upstream: float) -> tuple:
            while True:
                pass
        return Value.from_op(-x.data, (x,), backward=_backward)

    assert "took longer than 0.5 s" in str(check.check("neg", neg))


def test_an_endless_backward_walk_gets_a_verdict(monkeypatch) -> None:
    """Part C: a walk that never ends is an ERROR with the time limit, not a hang."""
    monkeypatch.setattr(guard, "TIME_LIMIT", 0.5)

    def backward(root: Value) -> None:
        while True:
            pass

    report = check.check("backward", backward)
    assert report["backward"].status == "error" and "took longer than 0.5 s" in str(report)


def test_an_exit_inside_backward_or_tangent_div_is_an_error() -> None:
    """sys.exit() inside Parts C and D is reported, never obeyed."""
    def leave(*args: object) -> None:
        raise SystemExit(3)

    for name in ("backward", "tangent_div"):
        report = check.check(name, leave)
        assert report[name].status == "error" and "sys.exit(3)" in str(report)


class Nasty:
    """An answer whose repr and str raise, and whose text would be markup."""

    def __repr__(self) -> str:
        raise RuntimeError("<b>no</b>")

    __str__ = __repr__


def test_an_answer_that_cannot_be_shown_still_gets_a_verdict() -> None:
    """A number answer whose repr raises, and a closure returning one: ERROR/FAIL, shown by
    type only; an exception message of a megabyte is cut short."""
    report = check.check("P1", Nasty())
    assert report["P1"].status == "error" and "got Nasty <Nasty" in str(report)

    def neg(x: Value) -> Value:
        return Value.from_op(-x.data, (x,), backward=lambda u: Nasty())

    assert "your _backward returns Nasty <Nasty" in str(check.check("neg", neg))

    def loud(x: Value) -> Value:
        raise ValueError("x" * 1_000_000)

    text = str(check.check("neg", loud))
    assert "ValueError: xxx" in text and len(text) < 2000


# -- numpy answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["float64", "float32", "longdouble"])
def test_a_numpy_scalar_answer_is_checked_as_its_number(kind: str) -> None:
    """P1 = numpy.float64(0.25) (or another numpy float) is the number 0.25: PASS."""
    numpy = pytest.importorskip("numpy")
    assert check.check("P1", getattr(numpy, kind)(0.25))["P1"].status == "pass"


def test_a_numpy_integer_answer_gets_its_mistake_named() -> None:
    """P2 = numpy.int64(3), a known wrong answer, is a FAIL naming that mistake."""
    numpy = pytest.importorskip("numpy")
    report = check.check("P2", numpy.int64(3))
    assert report["P2"].status == "fail" and "only one contribution" in str(report)


@pytest.mark.parametrize("shape", [(), (1,), (2, 2)], ids=["0-d", "one number", "2x2"])
def test_a_numpy_array_answer_is_refused_as_an_array(shape: tuple) -> None:
    """P1 = numpy.array(0.25) or numpy.array([0.25]) is an ERROR that says it is a numpy
    array and to give the number itself."""
    numpy = pytest.importorskip("numpy")
    report = check.check("P1", numpy.full(shape, 0.25))
    text = str(report)
    assert report["P1"].status == "error"
    assert "numpy array" in text and "give the number itself" in text


def test_the_gradient_as_a_numpy_array_is_named_like_the_gradient_as_a_list() -> None:
    """D1 = numpy.array(∇f) gets the same diagnosis as D1 = [∇f]: that is the gradient."""
    numpy = pytest.importorskip("numpy")
    as_list = check.check("D1", [-1.0, 3.0])["D1"]
    as_array = check.check("D1", numpy.array([-1.0, 3.0]))["D1"]
    assert as_array.status == as_list.status == "fail"
    assert "that is the gradient" in str(check.check("D1", numpy.array([-1.0, 3.0])))
