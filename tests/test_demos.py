"""The demos and the exercises run, print the lesson's numbers, and write their files.

Every demo runs in-process with small --steps into a temporary --out folder; the main demo
also runs once exactly as the README gives it (`python -m demos.moons`, full 100 steps, in a
fresh folder, as a subprocess with no display). The printed numbers are checked against
values worked out by hand or with plain `math` (never against the engine itself), and every
file is checked to be a non-empty file of the right kind.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the demos' pictures need matplotlib: "
                    "pip install matplotlib (the [plots] extra)")

import demos.all as all_demos  # noqa: E402
import nn  # noqa: E402
from demos import (  # noqa: E402
    accumulation,
    moons,
    multivariate,
    neuron,
    quickstart,
    regression,
    second_order,
    sigmoid,
    spiral,
)
from exercises import check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMOS = [sigmoid, multivariate, accumulation, neuron, moons, spiral, regression, second_order,
         all_demos, quickstart]


def assert_file(path: Path) -> None:
    """`path` exists, is non-empty, and starts the way its kind of file must."""
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data, f"{path} is empty"
    kind = path.suffix
    if kind == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
    elif kind == ".svg":
        assert b"<svg" in data[:2000], f"{path} is not an SVG"
    elif kind == ".gif":
        assert data.startswith(b"GIF8"), f"{path} is not a GIF"
    elif kind == ".json":
        json.loads(data)
    else:
        raise AssertionError(f"unexpected file kind {path}")


def sigmoid_at(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@pytest.mark.parametrize("demo", DEMOS, ids=lambda m: m.__name__.split(".")[-1])
def test_help(demo, capsys):
    """Every demo answers --help with its usage and exits 0."""
    with pytest.raises(SystemExit) as stop:
        demo.main(["--help"])
    assert stop.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_sigmoid_demo(tmp_path, capsys):
    """sigmoid: 0.25 from the narrated backward, ≈ 0.25 from ε = 0.01, 0.25 from sigmoid()."""
    assert sigmoid.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    fd = (sigmoid_at(0.01) - sigmoid_at(0.0)) / 0.01  # the lesson's forward difference, by hand
    assert f"= {fd:.6g}  ≈ 0.25" in out
    assert "Result: dy/dz = 0.25" in out
    for k, op in enumerate(["reciprocal", "+", "exp", "neg"], start=1):
        assert f"  {k}. {op} " in out  # the lesson's order, output first
    assert "local gradient  ∂(1/s)/∂s = −1/s², at s = 2.0: -0.25" in out
    assert "downstream      -0.25 × -1.0 = 0.25" in out
    assert "fused sigmoid(): dy/dz = 0.25" in out
    assert "gradcheck passed" in out
    for name in ("sigmoid_graph.svg", "sigmoid_graph.png", "sigmoid_backward.gif",
                 "sigmoid_curve.png"):
        assert_file(tmp_path / name)


def test_sigmoid_demo_other_point(capsys):
    """At z = 2 the narrated gradient is σ(2)(1 − σ(2)), worked out with plain math."""
    result = sigmoid.run(2.0, out=None)
    s = sigmoid_at(2.0)
    assert result["grad"] == pytest.approx(s * (1 - s), rel=1e-12)
    assert result["fused_grad"] == pytest.approx(s * (1 - s), rel=1e-12)
    assert f"Result: dy/dz = {s * (1 - s):.6g}" in capsys.readouterr().out


def test_multivariate_demo(tmp_path, capsys):
    """multivariate: x.grad = 2 + 3 = 5, two paths, f(0.01) = 0.05 → 5."""
    assert multivariate.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "x.grad = 2.0 + 3.0 = 5.0" in out
    assert "product 2.0 × 1.0 = 2.0" in out and "product 3.0 × 1.0 = 3.0" in out
    assert "f(0.01) = 0.01·2.0 + 0.01·3.0 = 0.05" in out
    assert "(0.05 − 0.0) / 0.01 = 5.0" in out
    assert_file(tmp_path / "multivariate_graph.svg")
    assert_file(tmp_path / "multivariate_graph.png")
    svg = (tmp_path / "multivariate_graph.dot").read_text()
    assert "1.0 × 2.0 = 2.0" in svg and "1.0 × 3.0 = 3.0" in svg  # x's two edges, labelled


def test_accumulation_demo(tmp_path, capsys):
    """accumulation: assigning gives dc/da = 1, accumulating gives 4 = the slope of c = 4a."""
    assert accumulation.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dc/da: wrong 1.0 vs right 4.0" in out
    assert "dc/db: wrong 1.0 vs right 2.0" in out
    assert "scalargrad's own backward() gives 4.0" in out
    assert "1 + 1 + 2 + 2 = 6.0 instead of 4.0" in out
    for name in ("accumulation_right", "accumulation_wrong"):
        assert_file(tmp_path / f"{name}.svg")
        assert_file(tmp_path / f"{name}.png")
    assert "grad 4.0" in (tmp_path / "accumulation_right.dot").read_text()
    assert "grad 4.0" not in (tmp_path / "accumulation_wrong.dot").read_text()


def test_second_order_demo(tmp_path, capsys):
    """second_order: d²tanh/dx² through the gradient's graph equals −2 tanh x (1 − tanh² x),
    and Newton with grad(grad(f)) lands where f′(x) = 4x³ − 6x + 1 = 0, f″ > 0."""
    result = second_order.run(0.5, out=tmp_path)
    t = math.tanh(0.5)
    assert result["dydx"] == pytest.approx(1 - t * t, rel=1e-15)
    assert result["second"] == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    x = result["minimum"]
    assert abs(4 * x ** 3 - 6 * x + 1) < 1e-12 and 12 * x * x - 6 > 0
    out = capsys.readouterr().out
    assert "x.grad is a Value" in out
    for name in ("dtanh_graph.svg", "dtanh_graph.png", "curvature.png"):
        assert_file(tmp_path / name)


def test_neuron_demo(tmp_path, capsys):
    """neuron: with n = 0, σ′ = 0.25 and each gradient is the other factor × 0.25."""
    assert neuron.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "n = x1w1 + x2w2 + b = 0.0" in out
    assert "w1.grad = x1 × 0.25 = 0.5" in out  # x1 = 2
    assert "x1.grad = w1 × 0.25 = -0.75" in out  # w1 = -3
    assert "w2.grad = x2 × 0.25 = -0.25" in out  # x2 = -1
    assert "x2.grad = w2 × 0.25 = 0.25" in out  # w2 = 1
    assert "b.grad  = 1 × 0.25 = 0.25" in out
    assert "check_graph passed" in out
    assert "gradients (w1, w2, b, x1, x2): 0.5, -0.25, 0.25, -0.75, 0.25  — the same." in out
    assert "MLP(2, [4, 4, 1], activation='relu')" in out and "37 parameters" in out
    for name in ("neuron_graph.svg", "neuron_graph.png", "neuron_backward.gif",
                 "neuron_fused.svg", "neuron_fused.png", "mlp_graph.svg", "mlp_graph.png"):
        assert_file(tmp_path / name)


def test_moons_demo_small(tmp_path, capsys):
    """moons with 5 steps writes every file; the model file reloads with 337 parameters."""
    assert moons.main(["--out", str(tmp_path), "--steps", "5", "--resolution", "12"]) == 0
    out = capsys.readouterr().out
    assert "MLP(2, [16, 16, 1], activation='relu'): 337 parameters" in out
    assert "lr = 1 − 0.9·k/5" in out
    assert re.search(r"^step 5/5  loss \d+\.\d{6}  accuracy +\d+\.\d%  lr 0\.28$", out, re.M)
    match = re.search(r"^final accuracy: (\d+\.\d)% \((\d+) of 100 points\)$", out, re.M)
    assert match, out
    for name in ("moons_boundary.png", "moons_curves.png", "moons_model.json",
                 "moons_history.json", "moons_neuron.svg", "moons_neuron.png"):
        assert_file(tmp_path / name)
    model = nn.load(tmp_path / "moons_model.json")
    assert model.num_parameters() == 337
    X, y = nn.moons(100, noise=0.1, seed=0, signed=True)
    _, acc = nn.evaluate(model, X, y)
    assert f"{acc:.1%}" == f"{match.group(1)}%"
    history = json.loads((tmp_path / "moons_history.json").read_text())
    assert len(history["loss"]) == 5
    assert history["lr"] == pytest.approx([1 - 0.9 * k / 5 for k in range(5)])
    assert history["final"]["accuracy"] == acc


def test_moons_is_seeded():
    """The same seed gives the same numbers; another seed gives other numbers."""
    a = moons.run(seed=3, steps=3, out=None)
    b = moons.run(seed=3, steps=3, out=None)
    c = moons.run(seed=4, steps=3, out=None)
    assert a["history"].loss == b["history"].loss
    assert a["history"].loss != c["history"].loss


def test_moons_no_plots(tmp_path, capsys):
    """--no-plots writes the model and history files but no images."""
    assert moons.main(["--out", str(tmp_path), "--steps", "2", "--no-plots"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moons_history.json",
                                                         "moons_model.json"]
    assert "(no pictures: plots are switched off)" in capsys.readouterr().out


def test_graph_fallback_without_dot(tmp_path, capsys, monkeypatch):
    """Without graphviz's `dot`, the graph pictures are drawn by matplotlib, with a note."""
    monkeypatch.setattr("scalargrad.see.draw.dot.shutil.which", lambda name: None)
    assert multivariate.main(["--out", str(tmp_path)]) == 0
    assert "`dot` program is not installed" in capsys.readouterr().out
    assert_file(tmp_path / "multivariate_graph.svg")
    assert_file(tmp_path / "multivariate_graph.png")


def test_spiral_demo(tmp_path, capsys):
    """spiral: 3 scores per point, the cross-entropy gradient is softmax − one-hot."""
    assert spiral.main(["--out", str(tmp_path), "--steps", "3", "--resolution", "12"]) == 0
    out = capsys.readouterr().out
    match = re.search(r"scores (\S+), (\S+), (\S+)  →  softmax (\S+), (\S+), (\S+);  right "
                      r"class (\d)\n.*∂loss/∂score = (\S+), (\S+), (\S+)", out)
    assert match, out
    scores = [float(v) for v in match.group(1, 2, 3)]
    total = sum(math.exp(s) for s in scores)
    probs = [math.exp(s) / total for s in scores]
    label = int(match.group(7))
    grads = [float(v) for v in match.group(8, 9, 10)]
    for k in range(3):
        assert grads[k] == pytest.approx(probs[k] - (k == label), abs=2e-4)
    assert re.search(r"^final accuracy: \d+\.\d% on the 120 training points, \d+\.\d% on the 30 "
                     r"held-out points$", out, re.M)
    for name in ("spiral_regions.png", "spiral_curves.png", "spiral_model.json"):
        assert_file(tmp_path / name)


def test_regression_demo(tmp_path, capsys):
    """regression: the loss goes down, and the printed MSE is the model file's MSE."""
    assert regression.main(["--out", str(tmp_path), "--steps", "20"]) == 0
    out = capsys.readouterr().out
    before = float(re.search(r"before training: mean squared error (\S+)", out).group(1))
    after = float(re.search(r"final mean squared error: (\S+)", out).group(1))
    assert after < before
    model = nn.load(tmp_path / "regression_model.json")
    X, y = nn.regression_1d(64, noise=0.1, seed=0)
    mse = sum((p - t) ** 2 for p, t in zip(nn.predict(model, X), y)) / len(y)
    assert mse == pytest.approx(after, abs=1e-6)
    for name in ("regression_fit.png", "regression_curves.png", "regression_model.json"):
        assert_file(tmp_path / name)


def test_all_quick(tmp_path, capsys):
    """`python -m demos.all --quick` runs every demo in order."""
    assert all_demos.main(["--out", str(tmp_path), "--quick", "--no-plots"]) == 0
    out = capsys.readouterr().out
    order = ["chain rule on the sigmoid", "multivariate chain rule", "Accumulate, don't assign",
             "One neuron", "Two moons", "Three spirals", "Regression", "gradients of gradients"]
    positions = [out.index(title) for title in order]
    assert positions == sorted(positions)
    assert "All demos done" in out


def test_quickstart(capsys):
    """The quickstart prints c and both gradients, worked out by hand."""
    assert quickstart.main([]) == 0
    out = capsys.readouterr().out
    t = math.tanh(2.0)
    assert f"c = a*b + tanh(a) = {2.0 * -3.0 + t:.6f}" in out
    assert f"dc/da = {-3.0 + 1 - t * t:.6f}   dc/db = {2.0:.6f}" in out


def test_main_demo_as_the_readme_runs_it(tmp_path):
    """`python -m demos.moons`, exactly, in a fresh folder with no display: 100 steps, the
    final accuracy line, and every file in ./out."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    done = subprocess.run([sys.executable, "-m", "demos.moons"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "step 100/100" in out
    assert "final accuracy: 100.0% (100 of 100 points)" in out
    for name in ("moons_boundary.png", "moons_curves.png", "moons_model.json",
                 "moons_history.json", "moons_neuron.svg", "moons_neuron.png"):
        assert_file(tmp_path / "out" / name)


# -- exercises ---------------------------------------------------------------------------------


def test_exercise_solutions_pass(capsys):
    """The reference answers pass every check (so the checker accepts right answers)."""
    assert check.main(["--solutions"]) == 0
    out = capsys.readouterr().out
    assert "Score: 20 of 20 passed.  All done!" in out
    assert "dy/dz at z = 0 is 0.25" in out


def test_workbook_names_every_exercise():
    """The workbook defines every function and prediction the checker asks for."""
    book = check.load(check.WORKBOOK)
    for name in check.TASK_NAMES:
        assert hasattr(book, name), name


def test_exercises_todo(tmp_path, capsys):
    """An untouched workbook is all TODO, exit status 1."""
    blank = tmp_path / "blank.py"
    blank.write_text(check.WORKBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    assert check.main(["--file", str(blank)]) == 1
    out = capsys.readouterr().out
    assert "Score: 0 of 20 passed, 20 still to do." in out
    assert "still raises NotImplementedError" in out


def test_exercises_wrong_answers(tmp_path, capsys):
    """Wrong answers fail with the mistake named, the numbers, and a first hint."""
    mine = tmp_path / "mine.py"
    mine.write_text("from scalargrad import Value\n"
                    "def reciprocal(x):\n    out = 1 / x.data\n"
                    "    return Value.from_op(out, (x,), backward=lambda u: (u * out * out,))\n"
                    "def mul(a, b):\n    return Value.from_op(a.data * b.data, (a, b),\n"
                    "                         backward=lambda u: (u * a.data, u * b.data))\n"
                    "P3 = 2\nP2 = '5'\n", encoding="utf-8")
    assert check.main(["--file", str(mine), "--only", "reciprocal", "mul",
                       "P3", "P2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  reciprocal" in out
    assert "the sign is lost" in out
    assert "at x = 2.0, upstream 1.0: your _backward sends 0.25; upstream × local gradient " \
           "is 1.0 × -0.25 = -0.25" in out
    assert "the factors are not swapped" in out
    assert "you said 2.0: one level accumulated" in out and "the answer is" not in out
    assert "hint 1 of 3:" in out
    assert "P2 should be a number, got str '5'" in out
    assert "Score: 0 of 4 passed, 3 failed, 1 with errors." in out


def test_exercises_bad_file(tmp_path, capsys):
    """A file that does not parse is reported, exit status 2."""
    broken = tmp_path / "broken.py"
    broken.write_text("def neg(x)\n    return -1\n", encoding="utf-8")
    assert check.main(["--file", str(broken)]) == 2
    assert "could not load" in capsys.readouterr().out


def test_no_command_line_flag_in_a_notebook(capsys):
    """run(out=None), as a notebook calls it, prints no command-line flag such as --no-plots."""
    sigmoid.run(out=None)
    out = capsys.readouterr().out
    assert "Result: dy/dz = 0.25" in out and "--no-plots" not in out


def test_demo_figures_display_as_images(tmp_path, capsys):
    """Every figure a demo returns shows as a PNG in IPython, not as '<Figure …>' text."""
    formatters = pytest.importorskip("IPython.core.formatters")
    result = sigmoid.run(out=tmp_path)
    assert result["figures"]
    for name, figure in result["figures"].items():
        bundle, _ = formatters.DisplayFormatter().format(figure)
        assert bundle["image/png"].startswith(b"\x89PNG"), name
