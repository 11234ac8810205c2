"""Training plots: decision boundary, loss/accuracy curves, f and f′; headless PNGs."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import scalargrad as sg
from scalargrad import Value

pytest.importorskip("matplotlib", reason="plots need matplotlib: pip install matplotlib "
                    "(the [plots] extra)")

PNG = b"\x89PNG\r\n\x1a\n"


def assert_drawn_png(path: Path) -> None:
    """The file is a PNG with something drawn on it: many colours, not one blank background."""
    from matplotlib.image import imread

    assert path.read_bytes().startswith(PNG)
    pixels = imread(str(path))
    height, width = pixels.shape[:2]
    assert height > 100 and width > 100
    colours = {tuple(pixels[r, c]) for r in range(0, height, 3) for c in range(0, width, 3)}
    assert len(colours) > 20


def ring_data(n: int = 40, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Points in [−2, 2]², labelled +1 inside the circle of radius √1.5 and −1 outside."""
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    y = [1 if p[0] ** 2 + p[1] ** 2 < 1.5 else -1 for p in X]
    return X, y


def ring_score(p: list[float]) -> Value:
    return 1.5 - (Value(p[0]) ** 2 + Value(p[1]) ** 2)


# -- decision boundary ----------------------------------------------------------------------------


def test_decision_boundary_of_a_perfect_classifier(tmp_path: Path) -> None:
    """A score that matches the labels: 100% in the title, one scatter per class, a PNG file."""
    X, y = ring_data()
    path = tmp_path / "plots" / "boundary.png"
    figure = sg.plot_decision_boundary(ring_score, X, y, resolution=25, path=path)
    (ax,) = figure.axes
    assert f"accuracy 100.0% ({len(y)} of {len(y)})" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["class -1", "class 1"]
    assert_drawn_png(path)
    assert type(figure.canvas).__name__ == "FigureCanvasAgg"


def test_misclassified_points_are_ringed() -> None:
    """A classifier that is wrong on some points reports them and rings them."""
    X, y = ring_data()
    figure = sg.plot_decision_boundary(lambda p: Value(p[0]), X, y, resolution=10)
    (ax,) = figure.axes
    predicted = [1 if p[0] > 0 else -1 for p in X]
    wrong = sum(a != b for a, b in zip(predicted, y))
    assert wrong > 0
    right = len(y) - wrong
    assert f"({right} of {len(y)})" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "misclassified" in legend
    ringed = ax.collections[-1].get_offsets()
    assert len(ringed) == wrong


def test_decision_boundary_multiclass_scores_and_int_labels() -> None:
    """A list of scores picks the argmax; an int is a label: both give three classes."""
    X = [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    y = [0, 1, 2]

    def scores(p: list[float]) -> list[Value]:
        return [Value(-p[0]), Value(p[1]), Value(p[0])]

    def label(p: list[float]) -> int:
        return max(range(3), key=[-p[0], p[1], p[0]].__getitem__)

    for predict in (scores, label):
        figure = sg.plot_decision_boundary(predict, X, y, resolution=12)
        (ax,) = figure.axes
        assert "accuracy 100.0% (3 of 3)" in ax.get_title()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "class 0", "class 1", "class 2"]


def test_decision_boundary_builds_no_graph() -> None:
    """predict runs under no_grad: the Values it makes have no parents."""
    seen = []

    def predict(p: list[float]) -> Value:
        out = Value(p[0]) * 2.0
        seen.append(out)
        return out

    sg.plot_decision_boundary(predict, [[0.0, 0.0], [1.0, 1.0]], [-1, 1], resolution=5)
    assert seen and all(not v._prev for v in seen)


def test_decision_boundary_checks_its_inputs() -> None:
    """Points and labels of different lengths are a ValueError."""
    with pytest.raises(ValueError, match="3 points but 2 labels"):
        sg.plot_decision_boundary(ring_score, [[0, 0]] * 3, [1, -1])


# -- history --------------------------------------------------------------------------------------


def loss_curve(n: int = 30) -> list[float]:
    return [math.exp(-k / 10) for k in range(n)]


def test_history_as_a_dict_of_lists(tmp_path: Path) -> None:
    """Two panels, loss and accuracy, with the history's numbers as their lines."""
    history = {"loss": loss_curve(), "accuracy": [min(1.0, k / 20) for k in range(30)]}
    path = tmp_path / "history.png"
    figure = sg.plot_history(history, path=path)
    loss_ax, acc_ax = figure.axes
    assert list(loss_ax.lines[0].get_ydata()) == history["loss"]
    assert list(acc_ax.lines[0].get_ydata()) == history["accuracy"]
    assert list(loss_ax.lines[0].get_xdata()) == list(range(30))
    assert acc_ax.get_ylim() == (0.0, 1.05)  # the 1.0 line is inside the panel, not its edge
    assert loss_ax.get_yscale() == "linear"  # e^-2.9 … 1 spans less than two decades
    assert_drawn_png(path)


def test_history_as_records_with_a_step_field() -> None:
    """A list of dicts: "step" is the x axis; a missing accuracy is a gap (NaN)."""
    records = [{"step": 10 * k, "loss": 1.0 / (k + 1), "acc": None if k == 1 else 0.5}
               for k in range(4)]
    figure = sg.plot_history(records, log_loss=True)
    loss_ax, acc_ax = figure.axes
    assert list(loss_ax.lines[0].get_xdata()) == [0, 10, 20, 30]
    assert loss_ax.get_yscale() == "log"
    accuracy = list(acc_ax.lines[0].get_ydata())
    assert math.isnan(accuracy[1]) and accuracy[0] == 0.5


@dataclass
class Columns:
    """Like nn's History: one list per field."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


def test_history_as_an_object_of_columns() -> None:
    """An object whose fields are lists (nn's History); lr is shown only when asked for."""
    history = Columns([0, 1, 2], [0.9, 0.5, 0.2], [0.5, 0.75, 1.0], [0.1, 0.05, 0.01])
    assert len(sg.plot_history(history).axes) == 2
    figure = sg.plot_history(history, keys=["loss", "lr"])
    assert [ax.get_ylabel() for ax in figure.axes] == ["loss", "lr"]
    assert list(figure.axes[1].lines[0].get_ydata()) == [0.1, 0.05, 0.01]


def test_history_errors_name_the_fields() -> None:
    """Nothing plottable is a ValueError, an unknown key a KeyError; both list the fields."""
    with pytest.raises(ValueError, match="fields: lr"):
        sg.plot_history({"lr": [0.1, 0.2]})
    with pytest.raises(KeyError, match="no field 'los'"):
        sg.plot_history({"loss": [1.0]}, keys=["los"])


# -- a function and its derivative ----------------------------------------------------------------


def test_function_and_derivative_of_tanh(tmp_path: Path) -> None:
    """tanh: the engine's f′ is 1 − tanh² (by hand) and the finite differences agree."""
    path = tmp_path / "tanh.png"
    figure = sg.plot_function(lambda x: x.tanh(), (-3.0, 3.0), points=61, path=path)
    top, bottom = figure.axes
    xs = list(top.lines[0].get_xdata())
    assert len(xs) == 61 and xs[0] == -3.0 and xs[-1] == 3.0
    assert list(top.lines[0].get_ydata()) == pytest.approx([math.tanh(x) for x in xs],
                                                          abs=1e-15)
    engine = list(bottom.lines[0].get_ydata())
    assert engine == pytest.approx([1 - math.tanh(x) ** 2 for x in xs], abs=1e-15)
    numeric = list(bottom.lines[1].get_ydata())
    assert numeric == pytest.approx(engine[::10], abs=1e-8)
    assert "max |difference|" in bottom.get_legend().get_texts()[1].get_text()
    assert_drawn_png(path)


def test_function_outside_its_domain_leaves_gaps() -> None:
    """log on [−1, 1]: NaN where x ≤ 0, 1/x where x > 0."""
    figure = sg.plot_function(lambda x: x.log(), (-1.0, 1.0), points=5)
    _, bottom = figure.axes
    slopes = list(bottom.lines[0].get_ydata())
    assert all(math.isnan(s) for s in slopes[:3])  # x = −1, −0.5, 0
    assert slopes[3:] == [2.0, 1.0]


# -- pictures fit for a slide -------------------------------------------------------------------


def legend_boxes_clear_of_the_data(figure) -> None:
    """Every legend lies outside its axes' plotting area, so it hides no data."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box, area = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        overlap = (min(box.x1, area.x1) - max(box.x0, area.x0),
                   min(box.y1, area.y1) - max(box.y0, area.y0))
        assert overlap[0] <= 0 or overlap[1] <= 0, (ax.get_title(), box, area)


def test_function_axes_are_named_after_the_function() -> None:
    """name="σ", variable="z" labels the axes σ(z), σ′(z) and z; the legend hides nothing."""
    figure = sg.plot_function(Value.sigmoid, (-6.0, 6.0), points=41, name="σ", variable="z")
    top, bottom = figure.axes
    assert (top.get_ylabel(), bottom.get_ylabel(), bottom.get_xlabel()) == ("σ(z)", "σ′(z)",
                                                                            "z")
    legend_boxes_clear_of_the_data(figure)


def test_loss_spanning_decades_is_on_a_log_scale() -> None:
    """A loss from 2.3 down to 0.001 gets a log axis by default; the legends hide no data."""
    loss = [0.7, 2.3] + [0.5 * 0.9 ** k for k in range(60)]
    history = {"loss": loss, "loss without L2": [v * 0.9 for v in loss],
               "accuracy": [0.5] + [1.0] * 61}
    figure = sg.plot_history(history)
    loss_ax, acc_ax = figure.axes
    assert loss_ax.get_yscale() == "log"
    assert acc_ax.get_ylim()[1] > 1.0 and acc_ax.get_legend() is None  # one curve: no legend
    assert loss_ax.get_legend() is not None
    legend_boxes_clear_of_the_data(figure)
    assert sg.plot_history(history, log_loss=False).axes[0].get_yscale() == "linear"


def test_held_out_points_are_marked_and_counted_apart() -> None:
    """held_out=: triangles for held-out points, and the title splits the accuracy."""
    X, y = ring_data(40, seed=0)
    X_test, y_test = ring_data(10, seed=1)
    y_test[0] = -y_test[0]  # one held-out point the classifier gets wrong
    figure = sg.plot_decision_boundary(ring_score, X, y, resolution=20,
                                       held_out=(X_test, y_test))
    (ax,) = figure.axes
    assert "100.0% train (40 of 40), 90.0% held out (9 of 10)" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "held out, class 1" in labels and "held out, misclassified" in labels
    legend_boxes_clear_of_the_data(figure)


def test_class_regions_have_no_fringe_of_another_class() -> None:
    """Between the regions of classes 0 and 2 there is no strip of class 1's colour."""
    import numpy as np
    from matplotlib.colors import to_rgb

    def label(p: list[float]) -> int:
        return 1 if p[1] > 3.0 else (0 if p[0] < 0.0 else 2)

    X = [[-2.0, -2.0], [2.0, -2.0], [0.0, 3.5]]
    figure = sg.plot_decision_boundary(label, X, [0, 2, 1], resolution=30, padding=1.0)
    (ax,) = figure.axes
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(float) / 255
    x0, y0 = ax.transData.transform((-0.6, -2.0))
    x1, _ = ax.transData.transform((0.6, -2.0))
    row = image.shape[0] - int(y0)
    strip = image[row, int(x0):int(x1)]
    tint = np.array(to_rgb(sg.plots.CLASS_COLORS[1])) * 0.25 + 0.75  # class 1 at alpha 0.25
    assert min(np.abs(strip - tint).sum(axis=1)) > 0.05


def test_plot_figures_display_as_images() -> None:
    """Every figure the plots return shows as a PNG in IPython, not as '<Figure …>' text."""
    formatters = pytest.importorskip("IPython.core.formatters")
    X, y = ring_data(20)
    for figure in (sg.plot_decision_boundary(ring_score, X, y, resolution=10),
                   sg.plot_history({"loss": loss_curve()}),
                   sg.plot_function(lambda x: x.tanh(), points=11)):
        bundle, _ = formatters.DisplayFormatter().format(figure)
        assert bundle["image/png"].startswith(PNG)


def test_plot_history_takes_an_interrupted_history():
    """nn's History has a flag beside its lists (`interrupted`); the lists are plotted."""
    import nn

    history = nn.History(step=[0, 1, 2], loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.7, 0.9],
                         lr=[0.1] * 3, interrupted=True)
    figure = sg.plot_history(history)
    assert [ax.get_title() for ax in figure.axes] == ["Loss", "Accuracy"]
