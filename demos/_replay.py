"""The demos' browser pages: a training replay for the classifiers, a stepper for the lessons.

Each is one self-contained HTML file next to the demo's other pictures (open it from disk: no
server, no network). Nothing is recorded or written when pictures are off (--no-plots).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nn
from scalargrad import TrainingRecorder, Value, to_html

from ._common import Report

FRAMES = 50  # about this many frames per run, whatever --steps is


def recorder(r: Report, model: nn.MLP, X: list, y: list, steps: int) -> TrainingRecorder | None:
    """A `fit` callback recording the run for the replay (None when pictures are off).

    It watches the first hidden neuron, as the neuron picture does.
    """
    if not r.pictures:
        return None
    neuron = model.layers[0].neurons[0]
    watch = {**{f"w{i}": w for i, w in enumerate(neuron.w)}, "b": neuron.b}
    return TrainingRecorder(model, X, y, watch=watch,
                            watch_title="The first hidden neuron (layers.0.neurons.0)",
                            every=max(1, steps // FRAMES))


def write_replay(r: Report, rec: TrainingRecorder | None, name: str, title: str) -> Path | None:
    """Write the replay page `name` into the output folder (nothing without a recorder)."""
    if rec is None:
        return None
    path = rec.page(title).save(r.path(name))
    return r.wrote(path, "the training replay, to open in a browser: play, step and scrub "
                         "through the steps")


def write_stepper(r: Report, root: Value, name: str, what: str, **options: Any) -> Path | None:
    """Write the backprop stepper page of `root` into the output folder (if pictures are on)."""
    if not r.pictures:
        return None
    return r.wrote(to_html(root, r.path(name), **options), what)
