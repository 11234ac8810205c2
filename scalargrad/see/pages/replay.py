"""A training run, replayed in the browser: the decision boundary, the curves, one neuron.

    recorder = TrainingRecorder(model, X, y, watch=neuron_parameters)
    history = nn.fit(model, X, y, optimizer=opt, steps=100, callback=recorder)
    recorder.page("Two moons").save("out/moons_training.html")

`TrainingRecorder` is a `fit` callback (`recorder(k, history)` after step k). Every `every`
steps it records a frame: the model's prediction on a coarse grid over the data (quantised to
one character per grid point, or one per class, so a 100-step run stays a few hundred KB), the
accuracy on (X, y) at that moment, and the values and gradients of the watched parameters.
The page plays, pauses, steps and scrubs through those frames, with the loss and accuracy
curves that `fit` recorded and a cursor at the current step. It is as self-contained as the
backprop stepper (`scalargrad.page`) and uses the same player.

Works for a model that takes one 2-D point and returns one score (two classes, split at
`threshold`) or one score per class (argmax), as `plot_decision_boundary` does.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable, Hashable, Mapping, Sequence

from scalargrad.grad_mode import no_grad
from scalargrad.see.pages.page import Page, render
from scalargrad.see.text import format_number
from scalargrad.value import Value

__all__ = ["TrainingRecorder"]

# 64 symbols, one per quantisation level: a grid point is one character in the page's JSON.
_LEVELS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")  # as plot_decision_boundary


class TrainingRecorder:
    """Records frames of a training run for `page()`; pass it to `nn.fit` as `callback=`.

    `watch`: parameters to show with their values and gradients (a mapping name -> Value, or
    Values named by their labels). `grid`: grid points per side of the decision boundary;
    `every`: record a frame every that many steps (the last step is always recorded);
    `padding`: how far the grid reaches past the data. The frame of step 0 (before training)
    is recorded when the recorder is made.
    """

    def __init__(self, model: Callable[[list[float]], Any], X: Sequence[Sequence[float]],
                 y: Sequence[Hashable], *, watch: Mapping[str, Value] | Sequence[Value] = (),
                 watch_title: str = "one neuron", grid: int = 20, every: int = 1,
                 padding: float = 0.5, threshold: float = 0.0) -> None:
        if len(X) != len(y) or not X:
            raise ValueError(f"TrainingRecorder: expected as many labels as points (at least "
                             f"one), got {len(X)} points and {len(y)} labels")
        if any(len(p) != 2 for p in X):
            raise ValueError("TrainingRecorder: the replay draws 2-D data; expected points "
                             "[x1, x2]")
        bad = next((p for p in X if not all(math.isfinite(float(v)) for v in p)), None)
        if bad is not None:
            raise ValueError(f"TrainingRecorder: every coordinate must be a finite number, "
                             f"got the point {list(bad)!r}")
        for what, n, low in (("grid", grid, 2), ("every", every, 1)):
            if isinstance(n, bool) or not isinstance(n, int) or n < low:
                raise ValueError(f"TrainingRecorder: {what} must be an int >= {low}, got {n!r}")
        self.model = model
        self.X = [[float(a), float(b)] for a, b in X]
        self.y = list(y)
        if isinstance(watch, Mapping):
            self.watch = list(watch.items())
        else:
            self.watch = [(v.label or f"p{i}", v) for i, v in enumerate(watch)]
        self.watch_title = watch_title
        self.grid, self.every, self.threshold = grid, every, threshold
        xs = [p[0] for p in self.X]
        ys = [p[1] for p in self.X]
        self.box = (min(xs) - padding, max(xs) + padding, min(ys) - padding, max(ys) + padding)
        self.classes = sorted(set(self.y), key=lambda c: (str(type(c)), c))
        self.loss: list[float] = []
        self.accuracy: list[float | None] = []
        self.frames: list[dict[str, Any]] = []
        self._last_step = 0
        self._record(0, with_grads=False)

    def __repr__(self) -> str:
        return f"TrainingRecorder({len(self.frames)} frames, {len(self.loss)} steps)"

    def __call__(self, k: int, history: Any) -> None:
        """The `fit` callback: after step k (from 0), note its loss and maybe record a frame."""
        self.loss.append(float(history.loss[-1]))
        acc = history.accuracy[-1] if getattr(history, "accuracy", None) else None
        self.accuracy.append(None if acc is None else float(acc))
        self._last_step = k + 1
        if (k + 1) % self.every == 0:
            self._record(k + 1)

    # -- recording -------------------------------------------------------------------------

    def _outputs(self, points: Sequence[list[float]]) -> list[Any]:
        with no_grad():
            outs = [self.model(p) for p in points]
        return [[_number(s) for s in o] if isinstance(o, (list, tuple)) else _number(o)
                for o in outs]

    def _record(self, step: int, with_grads: bool = True) -> None:
        x0, x1, y0, y1 = self.box
        n = self.grid
        points = [[x0 + (x1 - x0) * c / (n - 1), y0 + (y1 - y0) * r / (n - 1)]
                  for r in range(n) for c in range(n)]
        grid_outs = self._outputs(points)
        data_outs = self._outputs(self.X)
        wrong = ["0" if self._correct(o, label) else "1" for o, label in zip(data_outs, self.y)]
        correct = wrong.count("0")
        accuracy = correct / len(self.y)
        self.frames.append({
            "step": step,
            "grid": "".join(_quantise(o, self.threshold) for o in grid_outs),
            "wrong": "".join(wrong),
            "accuracy": f"{accuracy:.1%}", "correct": correct, "acc": accuracy,
            "values": [format_number(v.data) for _, v in self.watch],
            "grads": [format_number(v.grad) if with_grads else None for _, v in self.watch],
        })

    def _correct(self, out: Any, label: Hashable) -> bool:
        # The rule of nn.accuracy: one score is right when its sign matches the label's
        # (labels ±1 or 0/1), several scores when the largest one's index is the label.
        if isinstance(out, list):
            return max(range(len(out)), key=out.__getitem__) == label
        return (out > self.threshold) == (label > 0)  # type: ignore[operator]

    def finish(self) -> None:
        """Record the last step if the run did not end on a multiple of `every`."""
        if self.frames[-1]["step"] != self._last_step:
            self._record(self._last_step)

    # -- the page --------------------------------------------------------------------------

    def data(self, title: str = "Training replay") -> dict[str, Any]:
        """Everything the replay page shows, as JSON-ready values."""
        self.finish()
        x0, x1, y0, y1 = self.box
        width = len(self.frames[0]["grid"]) // (self.grid * self.grid)
        return {
            "title": title,
            "box": [x0, x1, y0, y1], "n": self.grid, "width": width, "levels": _LEVELS,
            "multi": width > 1,
            "points": [[round(p[0], 4), round(p[1], 4), self.classes.index(c)]
                       for p, c in zip(self.X, self.y)],
            "classes": [str(c) for c in self.classes],
            "colors": [CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(len(self.classes))],
            "loss": [format_number(v) for v in self.loss],
            "accuracy": [None if a is None else round(a, 6) for a in self.accuracy],
            "watch": [name for name, _ in self.watch], "watchTitle": self.watch_title,
            "frames": [{k: v for k, v in f.items() if k != "acc"} for f in self.frames],
            "final": self.frames[-1]["accuracy"],
        }

    def page(self, title: str = "Training replay", *, autoplay: bool = False) -> Page:
        """The replay page (a `Page`: `.save(path)`, shown inline in Jupyter).

        `autoplay`: the page starts playing once open (Pause or Space stops it), unless the
        reader's system asks for reduced motion (prefers-reduced-motion: reduce)."""
        data = {**self.data(title), "autoplay": bool(autoplay)}
        return Page(render("replay", title, data), title, height=900)


def _number(x: Any) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"TrainingRecorder: the model returned {type(x).__name__}; expected a "
                    "score (a Value or a number) or a list of scores per class")


def _quantise(out: float | list[float], threshold: float) -> str:
    """One character per class: tanh(score − threshold) for a single score (its sign is the
    class), or the softmax probability of each class. A NaN score says nothing: no class
    for a list, the boundary for a single score; infinite scores share the probability."""
    top = len(_LEVELS) - 1
    if isinstance(out, list):
        if any(s != s for s in out):
            return _LEVELS[0] * len(out)
        m = max(out)
        exps = [float(s == m) if math.isinf(m) else math.exp(s - m) for s in out]
        total = math.fsum(exps)
        return "".join(_LEVELS[round(e / total * top)] for e in exps)
    if out != out:
        return _LEVELS[round(top / 2)]
    t = math.tanh(out - threshold) if math.isfinite(out) else math.copysign(1.0, out)
    return _LEVELS[round((t + 1.0) / 2.0 * top)]
