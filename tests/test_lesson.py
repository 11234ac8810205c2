"""The seed lesson's worked examples, as tests: the sigmoid split into neg → exp → add →
reciprocal, its gradient 0.25 at z = 0, and f(x) = w1·x + w2·x with df/dx = w1 + w2 = 5."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from strategies import PROPERTY, reals

from scalargrad import Value, forward_difference, topological_order


def decomposed_sigmoid(z: Value) -> Value:
    """σ(z) = 1 / (1 + e^(−z)) built from primitives: neg → exp → add → reciprocal."""
    return (1.0 + (-z).exp()).reciprocal()


def fused_sigmoid(z: Value) -> Value:
    return z.sigmoid()


# -- the decomposed sigmoid against the fused one ------------------------------------------------

def test_decomposed_sigmoid_is_built_from_four_primitives() -> None:
    """The decomposed sigmoid's graph is exactly neg, exp, +, reciprocal, in that order."""
    ops = [n._op for n in topological_order(decomposed_sigmoid(Value(0.3))) if n._prev]
    assert ops == ["neg", "exp", "+", "reciprocal"]


@PROPERTY
@given(reals(-30.0, 30.0))
def test_decomposed_sigmoid_value_equals_fused(z: float) -> None:
    """Both sigmoids compute the same value."""
    assert math.isclose(decomposed_sigmoid(Value(z)).data, fused_sigmoid(Value(z)).data,
                        rel_tol=1e-12)


@PROPERTY
@given(reals(-30.0, 30.0))
def test_decomposed_sigmoid_gradient_equals_fused(z: float) -> None:
    """Both sigmoids give the same dσ/dz (the fused σ(1−σ) loses a few bits in the tail, so an
    absolute tolerance of 1e-15 on a slope of at most 0.25)."""
    a, b = Value(z), Value(z)
    decomposed_sigmoid(a).backward()
    fused_sigmoid(b).backward()
    assert math.isclose(a.grad, b.grad, rel_tol=1e-9, abs_tol=1e-15)


# -- sigmoid at z = 0 -----------------------------------------------------------------------------

def test_sigmoid_gradient_at_zero_is_a_quarter() -> None:
    """σ′(0) = σ(0)(1 − σ(0)) = 0.5 · 0.5 = 0.25."""
    z = Value(0.0)
    z.sigmoid().backward()
    assert z.grad == 0.25


def test_decomposed_sigmoid_chain_at_zero_gives_the_lesson_numbers() -> None:
    """Backward through the chain at z = 0: ∂L/∂(1+e^−z) = −1/2² = −0.25, ∂L/∂e^−z = −0.25,
    ∂L/∂(−z) = −0.25·e⁰ = −0.25, and ∂L/∂z = −0.25·(−1) = 0.25."""
    z = Value(0.0)
    neg = -z
    exp = neg.exp()
    add = 1.0 + exp
    out = add.reciprocal()
    out.backward()
    assert [add.grad, exp.grad, neg.grad, z.grad] == [-0.25, -0.25, -0.25, 0.25]


def test_sigmoid_at_a_hundredth_is_the_lessons_0_5025() -> None:
    """σ(0.01) ≈ 0.5025, the number the lesson's forward difference starts from."""
    assert math.isclose(Value(0.01).sigmoid().data, 0.5025, abs_tol=1e-6)


def test_forward_difference_of_sigmoid_at_zero_is_about_a_quarter() -> None:
    """(σ(0.01) − σ(0)) / 0.01 ≈ 0.25, to within 1e-3 (the forward difference's O(ε) error)."""
    assert math.isclose(forward_difference(fused_sigmoid, 0.0, eps=0.01), 0.25, abs_tol=1e-3)


def test_forward_difference_of_decomposed_sigmoid_at_zero_is_about_a_quarter() -> None:
    """The decomposed sigmoid's forward difference at 0 is ≈ 0.25 too."""
    assert math.isclose(forward_difference(decomposed_sigmoid, 0.0, eps=0.01), 0.25, abs_tol=1e-3)


# -- f(x) = w1·x + w2·x: x has two upstreams ------------------------------------------------------

def linear(x: Value, w1: float = 2.0, w2: float = 3.0) -> Value:
    """f(x) = h(x) + g(x) with h(x) = w1·x and g(x) = w2·x."""
    return w1 * x + w2 * x


def test_x_feeds_two_upstream_nodes() -> None:
    """In w1·x + w2·x, x is a parent of both products."""
    x = Value(0.0)
    f = linear(x)
    products = f._prev
    assert all(any(p is x for p in prod._prev) for prod in products)


def test_linear_gradient_is_w1_plus_w2() -> None:
    """df/dx = w1 + w2 = 2 + 3 = 5 at x = 0 (the multivariate chain rule sums both paths)."""
    x = Value(0.0)
    linear(x).backward()
    assert x.grad == 5.0


def test_linear_weights_get_x_as_gradient() -> None:
    """∂f/∂w1 = ∂f/∂w2 = x: 1.5 at lesson 4's x = 1.5 (checked against PyTorch in float64)."""
    torch = pytest.importorskip("torch")
    x, w1, w2 = Value(1.5), Value(2.0), Value(3.0)
    (w1 * x + w2 * x).backward()
    tw1, tw2 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, 3.0))
    (tw1 * 1.5 + tw2 * 1.5).backward()
    assert (w1.grad, w2.grad) == (tw1.grad.item(), tw2.grad.item()) == (1.5, 1.5)


def test_linear_at_a_hundredth_is_0_05() -> None:
    """f(0.01) = 2·0.01 + 3·0.01 = 0.05."""
    assert math.isclose(linear(Value(0.01)).data, 0.05, rel_tol=1e-12)


def test_linear_forward_difference_is_5() -> None:
    """(f(0.01) − f(0)) / 0.01 = 0.05 / 0.01 = 5."""
    assert math.isclose(forward_difference(linear, 0.0, eps=0.01), 5.0, rel_tol=1e-9)


# -- values are named by what they are -------------------------------------------------------------

def test_the_sigmoids_constant_one_is_named_by_its_number() -> None:
    """In 1 + e^−z the constant 1 is called `1` in the narrated trace, never an automatic v0."""
    from scalargrad import explain

    z = Value(0.0, label="z")
    y = (1 + (-z).exp()).reciprocal()
    names = [step.name for step in explain(y).steps if not step.op]
    assert names == ["z", "1"]


# -- the lessons' own numbers ----------------------------------------------------------------------
# Each number a lesson's prose (or docs/guide.md) quotes, computed by the lesson's own code.

ROOT = Path(__file__).resolve().parent.parent


def lesson_cells(stem: str) -> list[str]:
    """The code cells of notebooks/<stem>.ipynb, in order (the exercise cells left out)."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
            and "exercise" not in c.get("metadata", {}).get("tags", [])]


def lesson_prose(stem: str) -> str:
    """The markdown of notebooks/<stem>.ipynb, its lines joined by spaces."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return " ".join(" ".join("".join(c["source"]).split()) for c in nb["cells"]
                    if c["cell_type"] == "markdown")


def run_cells(cells: list[str]) -> tuple[dict[str, Any], str]:
    """Run `cells` in one namespace, as a kernel would; the namespace and what they printed."""
    space: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for source in cells:
            exec(compile(source, "<lesson cell>", "exec"), space)
    return space, out.getvalue()


LESSON3 = "03-checking-a-gradient"
CENTRAL = "return (f(x + eps) - f(x - eps)) / (2 * eps)"


def lesson3_table() -> str:
    """Lesson 3's table of differences, printed with the central difference written in."""
    cells = [c for c in lesson_cells(LESSON3) if "sigma" in c or "central_difference" in c]
    blank = "return None  # your formula"
    assert sum(blank in c for c in cells) == 1, "lesson 3 has one central_difference to write"
    _, printed = run_cells(["import math\nfrom scalargrad import Value"]
                           + [c.replace(blank, CENTRAL) for c in cells])
    return printed


def test_lesson3_table_unwritten_shows_the_forward_column_and_asks() -> None:
    """Run as it stands (nothing written yet), the table shows the forward differences and asks
    for the central one instead of failing."""
    cells = [c for c in lesson_cells(LESSON3) if "sigma" in c or "central_difference" in c]
    _, printed = run_cells(["import math\nfrom scalargrad import Value", *cells])
    assert printed.count("(write central_difference)") == 14


def test_lesson3_errors_shrink_then_grow_where_the_prose_says() -> None:
    """Lesson 3 says: the forward difference's error falls tenfold per row, is least (about
    5e-9) at ε = 1e-7 or 1e-8, then grows; the central one's falls a hundredfold and is least
    (about 2e-12) at ε = 1e-5. The table, with the central difference written, agrees."""
    rows = [line.split() for line in lesson3_table().splitlines() if line.startswith("1e-")]
    eps = [float(r[0]) for r in rows]
    fwd, cen = [float(r[2]) for r in rows], [float(r[4]) for r in rows]
    assert all(8 < a / b < 12 for a, b in zip(fwd[:5], fwd[1:6]))
    assert all(80 < a / b < 120 for a, b in zip(cen[:3], cen[1:4]))
    assert eps[fwd.index(min(fwd))] in (1e-7, 1e-8) and 4e-9 < min(fwd) < 7e-9
    assert eps[cen.index(min(cen))] == 1e-5 and 1e-12 < min(cen) < 3e-12
    assert fwd[-1] > 1e3 * min(fwd) and cen[-1] > 1e3 * min(cen)
    prose = lesson_prose(LESSON3)
    assert "about 5e-9, at ε = 1e-7 or 1e-8" in prose and "near ε = 1e-5" in prose
    assert "about 2e-12" in prose


def test_the_guide_shows_lesson3s_table() -> None:
    """docs/guide.md's table of differences is lesson 3's, printed with the central difference
    written in, line for line."""
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- printed by lesson 03 with central_difference written -->\n```\n"
                      r"(.*?)\n```", guide, re.S)
    assert block is not None
    assert block.group(1).splitlines() == lesson3_table().splitlines()


def test_lesson3s_quotient_at_a_hundredth_is_the_prose_0_249998() -> None:
    """Lesson 3 (and the guide) quote (σ(0.01) − σ(0))/0.01 as 0.249998."""
    assert f"{forward_difference(decomposed_sigmoid, 0.0, eps=0.01):.6f}" == "0.249998"
    assert "0.249998" in lesson_prose(LESSON3)


def test_lesson1s_prose_numbers_are_its_gradient() -> None:
    """Lesson 1 quotes a.grad = −2.929349 and the nudge's −2.929, from its own code."""
    space, printed = run_cells(lesson_cells("01-a-program-is-a-graph")[:3]
                               + ["c.backward()"])
    prose = lesson_prose("01-a-program-is-a-graph")
    assert f"{space['a'].grad:.6f}" == "-2.929349" and "−2.929349" in prose
    assert "-2.929 × h" in printed and "(−2.929)" in prose


def test_lesson6s_prose_names_the_zero_gradients_it_prints() -> None:
    """Lesson 6 explains its "31 with a non-zero gradient": the unit it names is off and
    the parameters it names are exactly those with a zero gradient."""
    cells = [c for c in lesson_cells("06-neuron-to-network")
             if "nn.MLP(2, [4, 4, 1]" in c or "out.backward()" in c or "h2 = " in c]
    space, printed = run_cells(cells)
    zero = [name for name, p in space["model"].named_parameters() if p.grad == 0]
    assert "37 parameters, 31 with a non-zero gradient" in printed
    assert zero == [f"layers.1.neurons.1.{w}" for w in ("w.0", "w.1", "w.2", "w.3", "b")] + [
        "layers.2.neurons.0.w.1"]
    assert space["h2"][1].data == 0.0
    prose = lesson_prose("06-neuron-to-network")
    assert "(`layers.1.neurons.1`) is off" in prose and "(`layers.2.neurons.0.w.1`)" in prose
    assert "six zeros, and 37 − 6 = 31" in prose


def test_lesson5s_backward_with_assign_shows_one_where_four_belongs() -> None:
    """Lesson 5 says the checker shows a.grad 1 where 4 belongs for a backward that assigns."""
    from exercises.check import check
    from scalargrad.graph import local_gradients

    def backward(root: Value) -> None:
        order = topological_order(root)
        root.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, local_gradients(node)):
                parent.grad = node.grad * local  # the bug: = instead of +=

    out = io.StringIO()
    check("backward", backward, file=out)
    assert "a.grad is 1.0, it should be 4.0" in out.getvalue()
    assert "`=` instead of `+=`" in out.getvalue()
    assert "`a.grad` of 1 where 4 belongs" in lesson_prose("05-accumulate-dont-assign")


def test_the_moons_demo_prints_the_losses_of_lesson8() -> None:
    """`python -m demos.moons` trains from lesson 8's start: its loss every tenth step is the
    loss lesson 8's hand-written loop prints (and docs/guide.md quotes)."""
    from demos import moons

    result = moons.run(out=None, plots=False, file=io.StringIO())
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    quoted = re.findall(r"^step +(\d+)  loss (\d\.\d{6})  accuracy", guide, re.M)
    assert len(quoted) == 10
    assert [(k, f"{result['history'].loss[int(k) - 1]:.6f}") for k, _ in quoted] == quoted
