"""check() returns a report: the terminal's text as str/repr (so a `python` prompt shows
it), and in a notebook or the browser HTML with one marked verdict per exercise."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from exercises import solutions
from exercises.check import SOLUTIONS, check, check_module, load
from exercises.verdict import Report

ROOT = Path(__file__).resolve().parent.parent


def test_check_returns_a_report_and_prints_nothing(capsys) -> None:
    """In a notebook the returned report is shown by the notebook; check() prints nothing."""
    report = check("P1", 0.25)
    assert isinstance(report, Report)
    assert capsys.readouterr().out == ""
    assert repr(report) == str(report)
    assert "✓ PASS  P1" in str(report) and "Score: 1 of 1 passed.  All done!" in str(report)


def test_check_with_a_file_writes_the_text_there() -> None:
    """check(..., file=f) also writes the terminal's text (for scripts and tests)."""
    out = io.StringIO()
    report = check("P3", 1, file=out)
    assert out.getvalue() == str(report) + "\n"


def test_a_plain_python_prompt_shows_the_verdict() -> None:
    """At an interactive `python` prompt, `check(...)` echoes the verdict text."""
    done = subprocess.run([sys.executable, "-i", "-q"], cwd=ROOT, text=True, timeout=60,
                          input="from exercises.check import check\ncheck('P3', 1)\n",
                          capture_output=True)
    shown = done.stdout + done.stderr
    assert "✗ FAIL  P3" in shown and "each use replaced the gradient" in shown


def test_the_html_marks_each_verdict_with_a_word_a_symbol_and_its_status() -> None:
    """One element per exercise with class sg-verdict, data-verdict and role=status, showing
    the word and the symbol; the container carries the overall verdict."""
    module = load(SOLUTIONS)
    module.P3 = 1
    module.P4 = None
    del module.tangent_div
    module.D1 = "five"
    page = Report(check_module(module, ["neg", "P3", "P4", "D1"]))._repr_html_()
    verdicts = re.findall(r'<div class="sg-verdict" data-verdict="(\w+)" role="status"', page)
    assert verdicts == ["pass", "fail", "todo", "error"]
    for shown in ("✓ PASS", "✗ FAIL", "… TODO", "! ERROR"):
        assert shown in page
    assert page.startswith('<div class="sg-check" data-verdict="error">')
    assert Report(check_module(solutions, ["neg"]))._repr_html_().startswith(
        '<div class="sg-check" data-verdict="pass">')


def test_learner_text_in_the_html_is_escaped() -> None:
    """A hostile answer is shown as text, never as markup."""
    page = check("P3", "<img src=x onerror=alert(1)>")._repr_html_()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    page = check("mul", lambda a, b: 1 / 0)._repr_html_()
    assert 'data-verdict="error"' in page and "ZeroDivisionError" in page


def test_the_browser_workshop_kernel_shows_the_report_as_html() -> None:
    """The workshop's kernel (the same code Pyodide runs) sends the report as text/html with
    the marked verdict, and the terminal's text as text/plain."""
    from scalargrad.workshop.kernel import mime_bundle

    report = check("P3", 1)
    bundle = mime_bundle(report)
    assert 'class="sg-verdict" data-verdict="fail" role="status"' in bundle["text/html"]
    assert bundle["text/plain"] == str(report)
