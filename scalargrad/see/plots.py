"""Training plots with matplotlib: decision boundary, loss/accuracy curves, f and f′.

Each function returns a matplotlib `Figure` and saves a PNG when given `path=`; without
matplotlib (as in the browser) it returns the same plot drawn as SVG (`svg_figure`). Figures are
made without pyplot, on the Agg canvas, so they work headless (no display, no GUI backend) and
are not kept alive by pyplot's global figure list; they show themselves inline in Jupyter
with no magic command. Legends sit outside the plotting area, so they never hide data.
matplotlib is imported only when one of these functions is called.
"""

from __future__ import annotations

import math
from numbers import Real
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Callable, Hashable, Mapping, Sequence, Union

from scalargrad.grad_mode import no_grad
from scalargrad.value import Value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_function", "plot_history"]

PathLike = Union[str, FilePath, None]
History = Union[Mapping[str, Sequence[Any]], Sequence[Any]]

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")


def _figure(width: float, height: float, rows: int = 1, cols: int = 1) -> tuple[Figure, list]:
    try:
        from scalargrad.see.figure import new_figure
    except ImportError:  # no matplotlib (the browser): the same plot as SVG, in pure Python
        from scalargrad.see.svg_figure import SvgFigure

        svg = SvgFigure(width, height, rows, cols)
        return svg, list(svg.axes)  # type: ignore[return-value]
    figure = new_figure((width, height), 100.0)
    figure.set_layout_engine("constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, [ax for row in axes for ax in row]


def _save(figure: Figure, path: PathLike) -> None:
    if path is not None:
        path = FilePath(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, metadata={"Software": None} if path.suffix.lower() in (".png", "")
                       else None)


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


# -- decision boundary -----------------------------------------------------------------------


def plot_decision_boundary(predict: Callable[[list[float]], Any], X: Sequence[Sequence[float]],
                           y: Sequence[Hashable], *, threshold: float = 0.0,
                           resolution: int = 100, padding: float = 0.5,
                           title: str | None = None, path: PathLike = None,
                           held_out: tuple[Sequence[Sequence[float]], Sequence[Hashable]]
                           | None = None) -> Figure:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    `predict` takes one point `[x1, x2]` (plain floats) and returns either
    - one score (a float or a Value): class `max(y)` where score > `threshold`, else `min(y)`
      (labels ±1 with threshold 0 as in micrograd's demo; a sigmoid output wants 0.5), or
    - one score per class (a sequence): the class is the index of the largest score, or
    - the class label itself (an int).
    It is called (resolution)² times under `no_grad()`, so no graph is built; lower
    `resolution` for a big model. `X, y` are the training points (dots); `held_out=(X_test,
    y_test)` adds held-out points (triangles). The title gives the accuracy on each set;
    misclassified points are ringed in black. Each class's region is filled in its own colour
    only, with the boundary interpolated from the scores, so regions have clean edges.
    """
    points = [(float(p[0]), float(p[1])) for p in X]
    labels = list(y)
    if len(points) != len(labels):
        raise ValueError(f"plot_decision_boundary: {len(points)} points but {len(labels)} labels")
    if not points:
        raise ValueError("plot_decision_boundary: no points to plot")
    test_points: list[tuple[float, float]] = []
    test_labels: list[Hashable] = []
    if held_out is not None:
        test_points = [(float(p[0]), float(p[1])) for p in held_out[0]]
        test_labels = list(held_out[1])
        if len(test_points) != len(test_labels):
            raise ValueError(f"plot_decision_boundary: held_out has {len(test_points)} points "
                             f"but {len(test_labels)} labels")
    classes = sorted(set(labels) | set(test_labels), key=_sort_key)
    low, high = classes[0], classes[-1]

    def classify(point: list[float]) -> tuple[Hashable, list[float] | None]:
        """The class, and a margin per class (> 0 inside its region) when there are scores."""
        with no_grad():
            out = predict(point)
        if isinstance(out, Value) or (isinstance(out, Real) and not _is_label(out)):
            score = _number(out) - threshold
            return (high if score > 0 else low), [-score, score]
        if _is_label(out):
            return out, None
        scores = [_number(s) for s in out]
        best = max(range(len(scores)), key=scores.__getitem__)
        margins = [v - max(scores[:k] + scores[k + 1:], default=-math.inf)
                   for k, v in enumerate(scores)]
        return best, margins

    everything = points + test_points
    xs = [p[0] for p in everything]
    ys = [p[1] for p in everything]
    gx = _linspace(min(xs) - padding, max(xs) + padding, resolution)
    gy = _linspace(min(ys) - padding, max(ys) + padding, resolution)
    grid_class = []
    margins: list[list[float] | None] = []
    for yv in gy:
        row = []
        for xv in gx:
            label, margin = classify([xv, yv])
            row.append(label)
            margins.append(margin)
        grid_class.append(row)
    for row in grid_class:
        for label in row:
            if label not in classes:
                classes.append(label)
    position = {label: k for k, label in enumerate(classes)}
    colors = [CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(len(classes))]
    known = [m for m in margins if m is not None]
    binary = len(known) == len(margins) and all(len(m) == 2 for m in known) and len(classes) <= 2
    per_class = len(known) == len(margins) and all(len(m) == len(classes) for m in known)
    figure, (ax,) = _figure(7.8, 5.4)
    for label in classes:
        k = position[label]
        if binary:
            side = 1 if label == high else 0
            field = _rows([m[side] for m in known], resolution)
        elif per_class:
            field = _rows([m[k] for m in known], resolution)
        else:  # only labels: the region is where this label was predicted
            field = [[1.0 if c == label else -1.0 for c in row] for row in grid_class]
        if any(v > 0 for row in field for v in row):
            # one class, one colour, one level: no band of another class's colour between two
            # regions (a contour of class numbers would pass through the classes in between)
            ax.contourf(gx, gy, field, levels=[0.0, math.inf], colors=[colors[k]], alpha=0.25,
                        antialiased=True)
    if binary:
        scores = _rows([m[1] for m in known], resolution)
        flat = [v for row in scores for v in row]
        if min(flat) < 0 < max(flat):
            ax.contour(gx, gy, scores, levels=[0.0], colors="black", linewidths=1.2)

    def draw(pts: list[tuple[float, float]], truth: list[Hashable], marker: str, size: float,
             what: str) -> tuple[int, int]:
        predicted = [classify(list(p))[0] for p in pts]
        for label in classes:
            members = [i for i, t in enumerate(truth) if t == label]
            if members:
                ax.scatter([pts[i][0] for i in members], [pts[i][1] for i in members], s=size,
                           marker=marker, color=colors[position[label]], edgecolors="white",
                           linewidths=0.6, label=f"{what}class {label}", zorder=3)
        wrong = [i for i, (p, t) in enumerate(zip(predicted, truth)) if p != t]
        if wrong:
            ax.scatter([pts[i][0] for i in wrong], [pts[i][1] for i in wrong], s=size * 3.2,
                       marker="o", facecolors="none", edgecolors="black", linewidths=1.2,
                       label=f"{what}misclassified", zorder=4)
        return len(truth) - len(wrong), len(truth)

    right, total = draw(points, labels, "o", 24, "train, " if test_points else "")
    accuracy = f"accuracy {100.0 * right / total:.1f}% ({right} of {total})"
    if test_points:
        right_t, total_t = draw(test_points, test_labels, "^", 46, "held out, ")
        accuracy = (f"accuracy {100.0 * right / total:.1f}% train ({right} of {total}), "
                    f"{100.0 * right_t / total_t:.1f}% held out ({right_t} of {total_t})")
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9, frameon=False)
    ax.set_title(f"{title}\n{accuracy}" if title else f"Decision boundary\n{accuracy}",
                 fontsize=11)
    _save(figure, path)
    return figure


def _linspace(lo: float, hi: float, count: int) -> list[float]:
    return [lo + (hi - lo) * k / (count - 1) for k in range(count)]


def _rows(values: list[float], width: int) -> list[list[float]]:
    return [values[k:k + width] for k in range(0, len(values), width)]


def _is_label(x: Any) -> bool:
    """Ints (and bools, numpy ints) are class labels; floats and Values are scores."""
    return isinstance(x, int) or (hasattr(x, "dtype") and getattr(x.dtype, "kind", "") in "iub"
                                  and not hasattr(x, "__len__"))


def _sort_key(label: Hashable) -> tuple[int, Any]:
    return (0, label) if isinstance(label, Real) else (1, str(label))


# -- training history -------------------------------------------------------------------------

_X_KEYS = ("step", "epoch", "iteration", "iter")


def _columns(history: History) -> dict[str, list[Any]]:
    """A history as columns: a dict of lists, or an object whose fields are lists (such as
    nn's History), as is; a list of records (dicts or objects) field by field."""
    if not isinstance(history, (Mapping, list, tuple)):
        fields = {k: v for k, v in _record(history).items() if isinstance(v, (list, tuple))}
        if fields:  # its list fields (nn's History also has a flag, `interrupted`)
            history = fields
        else:
            raise TypeError("plot_history: expected a dict of lists, an object whose fields are "
                            "lists, or a list of records; got " + type(history).__name__)
    if isinstance(history, Mapping):
        return {str(k): list(v) for k, v in history.items()}
    records = [_record(r) for r in history]
    keys: dict[str, None] = {}
    for r in records:
        keys.update(dict.fromkeys(r))
    return {k: [r.get(k) for r in records] for k in keys}


def _record(r: Any) -> dict[str, Any]:
    if isinstance(r, Mapping):
        return {str(k): v for k, v in r.items()}
    if hasattr(r, "_asdict"):
        return dict(r._asdict())
    if hasattr(r, "__dataclass_fields__"):
        return {k: getattr(r, k) for k in r.__dataclass_fields__}
    if hasattr(r, "__dict__"):
        return {k: v for k, v in vars(r).items() if not k.startswith("_")}
    raise TypeError(f"plot_history: a record must be a dict or an object with fields, got "
                    f"{type(r).__name__}")


def _as_number(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, Value):
        return v.data
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def plot_history(history: History, *, keys: Sequence[str] | None = None,
                 log_loss: bool | None = None, title: str | None = None,
                 path: PathLike = None) -> Figure:
    """Loss and accuracy curves from a training history.

    `history` is a dict of lists (`{"loss": [...], "accuracy": [...]}`), an object whose
    fields are lists (nn's `History`), or a list of records (dicts, dataclasses, named tuples
    or plain objects, one per step). A "step", "epoch" or
    "iteration" field, if present, is the x axis. Fields named like "*loss*" go in the first
    panel, "*acc*" in the second, any other numeric field picked with `keys` in a third. The
    loss axis is logarithmic with `log_loss=True`, and by default (`None`) whenever the losses
    are positive and span more than two decades, so a spike does not flatten the rest. A
    panel with one curve names it on its axis; with several, a legend under the panel does.
    """
    columns = _columns(history)
    x_key = next((k for k in _X_KEYS if k in columns), None)
    chosen = list(keys) if keys is not None else [k for k in columns if k != x_key]
    missing = [k for k in chosen if k not in columns]
    if missing:
        raise KeyError(f"plot_history: no field {missing[0]!r} in the history; fields: "
                       f"{', '.join(columns)}")
    groups: dict[str, list[str]] = {"loss": [], "accuracy": [], "other": []}
    for k in chosen:
        values = [_as_number(v) for v in columns[k]]
        if all(math.isnan(v) for v in values):
            continue
        low = k.lower()
        group = "loss" if "loss" in low else "accuracy" if "acc" in low else "other"
        if group == "other" and keys is None:
            continue
        groups[group].append(k)
    panels = [(g, ks) for g, ks in groups.items() if ks]
    if not panels:
        raise ValueError("plot_history: nothing to plot; expected fields named like 'loss' or "
                         f"'accuracy' (or pick them with keys=); fields: {', '.join(columns)}")
    figure, axes = _figure(5.2 * len(panels), 4.0, 1, len(panels))
    for ax, (group, ks) in zip(axes, panels):
        finite = []
        for k in ks:
            values = [_as_number(v) for v in columns[k]]
            xs = ([_as_number(v) for v in columns[x_key]] if x_key else list(range(len(values))))
            ax.plot(xs, values, label=k, linewidth=1.6)
            finite += [v for v in values if not math.isnan(v)]
        ax.set_xlabel(x_key or "step")
        ax.set_ylabel(ks[0] if len(ks) == 1 else group)
        ax.grid(True, alpha=0.3)
        if group == "loss":
            positive = bool(finite) and min(finite) > 0
            spans = positive and max(finite) / min(finite) > 100.0
            if log_loss or (log_loss is None and spans):
                ax.set_yscale("log")
        if group == "accuracy":
            top = max(finite)
            ax.set_ylim(0.0, 1.05 if top <= 1.0 else 105.0)
        if len(ks) > 1:
            ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.18),
                      ncol=min(3, len(ks)), frameon=False)
        ax.set_title(group.capitalize() + (" (log scale)" if ax.get_yscale() == "log" else ""),
                     fontsize=11)
    if title:
        figure.suptitle(title, fontsize=12)
    _save(figure, path)
    return figure


# -- a function and its derivative -------------------------------------------------------------


def plot_function(f: Callable[[Value], Any], x_range: tuple[float, float] = (-3.0, 3.0), *,
                  points: int = 201, eps: float = 1e-6, marker_every: int = 10,
                  title: str | None = None, path: PathLike = None, name: str = "f",
                  variable: str = "x") -> Figure:
    """f(x) and f′(x) over `x_range`: the engine's gradient beside central finite differences.

    `f` takes a Value and returns a Value (e.g. `lambda x: x.tanh()`). The top panel is f;
    the bottom one the engine's f′ (a line, from `backward()`) and (f(x+ε) − f(x−ε)) / 2ε
    (dots, every `marker_every`-th point); the legend, under the plot, gives the largest
    difference. `name` and `variable` label the axes (`name="σ", variable="z"` gives σ(z),
    σ′(z) and z). Points outside f's domain are left as gaps.
    """
    if points < 2:
        raise ValueError(f"plot_function: points must be at least 2, got {points}")
    lo, hi = float(x_range[0]), float(x_range[1])
    xs = [lo + (hi - lo) * k / (points - 1) for k in range(points)]
    values, slopes, numeric = [], [], []
    for x in xs:
        leaf = Value(x)
        try:
            out = f(leaf)
            if isinstance(out, Value):
                out.backward()
                values.append(out.data)
                slopes.append(leaf.grad)
            else:
                values.append(float(out))
                slopes.append(0.0)
        except (ArithmeticError, ValueError):
            values.append(math.nan)
            slopes.append(math.nan)
        numeric.append(_central_difference(f, x, eps))
    diffs = [abs(a - b) for a, b in zip(slopes, numeric) if not (math.isnan(a) or math.isnan(b))]
    worst = max(diffs) if diffs else math.nan

    fx, dfx = f"{name}({variable})", f"{name}′({variable})"
    figure, (top, bottom) = _figure(6.4, 6.2, 2, 1)
    top.plot(xs, values, color="#1f77b4", linewidth=1.8, label=fx)
    top.set_ylabel(fx)
    top.set_xlabel(variable)
    top.grid(True, alpha=0.3)
    bottom.plot(xs, slopes, color="#d62728", linewidth=1.8, label=f"{dfx}, engine (backward)")
    step = max(1, marker_every)
    bottom.plot(xs[::step], numeric[::step], "o", color="black", markersize=3.5,
                label=f"finite difference, max |difference| {worst:.2g}")
    bottom.set_xlabel(variable)
    bottom.set_ylabel(dfx)
    bottom.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
                  frameon=False)
    bottom.grid(True, alpha=0.3)
    top.set_title(title or f"{name} and its derivative: engine vs finite differences",
                  fontsize=11)
    _save(figure, path)
    return figure


def _central_difference(f: Callable[[Value], Any], x: float, eps: float) -> float:
    try:
        with no_grad():
            up = _number(f(Value(x + eps)))
            down = _number(f(Value(x - eps)))
    except (ArithmeticError, ValueError):
        return math.nan
    return (up - down) / (2 * eps)
