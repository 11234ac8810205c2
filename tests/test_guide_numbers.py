"""The numbers docs/guide.md quotes from the demos are the demos' own, run now.

(The numbers it quotes from the lessons are held in tests/test_notebooks.py, which runs the
lessons in a kernel, and tests/test_lesson.py.) Each test finds its sentence in the guide,
takes the number from it, and compares it with what the demo returns, rounded as written.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "guide.md").read_text(encoding="utf-8")
PROSE = " ".join(GUIDE.split())  # sentences wrapped over lines, joined


def quoted(pattern: str) -> tuple[str, ...]:
    """The groups of `pattern` in the guide's prose; fails if the sentence is gone."""
    match = re.search(pattern, PROSE)
    assert match, f"docs/guide.md no longer says {pattern!r}"
    return match.groups()


def test_quickstart_numbers() -> None:
    """Step 1: c about -5.036 with a.grad −2.929349 and b.grad 2.0."""
    from demos import quickstart

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        quickstart.main([])
    c_printed = float(re.search(r"c = a\*b \+ tanh\(a\) = (\S+)", out.getvalue()).group(1))
    a_printed = float(re.search(r"dc/da = (\S+)", out.getvalue()).group(1))
    c, a_grad = quoted(r"# about (-\d\.\d+), (-\d\.\d+) and 2\.0")
    assert f"{c_printed:.3f}" == c and f"{a_printed:.3f}" == a_grad
    (a_grad_6,) = quoted(r"`a\.grad` is −(\d\.\d{6}), what the nudge measured")
    assert f"{-a_printed:.6f}" == a_grad_6


def test_sigmoid_demo_numbers() -> None:
    """Step 3: the demo prints the forward difference 0.249998; step 2: the fused and the
    four-op sigmoid's gradients agree to about 1e-16 over −6..6."""
    from demos import sigmoid

    result = sigmoid.run(out=None, plots=False, file=io.StringIO())
    (printed,) = quoted(r"\(the demo prints (0\.\d+)\)")
    assert f"{result['forward_difference']:.6f}" == printed
    assert "the two gradients agree to about 1e-16" in PROSE
    assert 0.0 < result["max_fused_difference"] < 5e-16


def test_second_order_numbers() -> None:
    """Step 9: d²(tanh)/dx² at 0.5 is −0.726862; Newton reaches x ≈ 1.1309011226 in five steps
    with f″ ≈ 9.35."""
    from demos import second_order

    result = second_order.run(out=None, plots=False, file=io.StringIO())
    (second,) = quoted(r"at x = 0\.5, −(\d\.\d{6}), which the demo prints")
    assert f"{-result['second']:.6f}" == second
    x_min, steps, curvature = quoted(r"f′ = 0 at x ≈ (\d\.\d+) in (\w+) steps, with f″ ≈ (\d\.\d+)")
    assert f"{result['minimum']:.10f}" == x_min
    words = {"four": 4, "five": 5, "six": 6, "seven": 7}
    first_zero = next(k for k, (_, slope, _) in enumerate(result["newton"]) if slope == 0.0)
    assert first_zero == words[steps]
    assert f"{result['newton'][-1][2]:.2f}" == curvature


def test_spiral_numbers() -> None:
    """Step 8: after 100 steps the spiral classifier gets all 120 training and all 30 held-out
    points right."""
    from demos import spiral

    result = spiral.run(out=None, plots=False, file=io.StringIO())
    assert "classifies all 120 training points and all 30 held-out points correctly" in PROSE
    assert (result["train_accuracy"], result["test_accuracy"]) == (1.0, 1.0)


def test_regression_numbers() -> None:
    """Step 8: after 150 steps the regression's error is 0.0116, 0.0012 against the true sin x."""
    from demos import regression

    result = regression.run(out=None, plots=False, file=io.StringIO())
    mse, truth = quoted(r"After 150 steps the error is (0\.\d+)\..*?true sin x is (0\.\d+)\)")
    assert (f"{result['mse']:.4f}", f"{result['truth_mse']:.4f}") == (mse, truth)
