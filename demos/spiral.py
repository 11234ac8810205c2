"""Three spiral arms: a 3-class classifier with softmax cross-entropy and Adam.

    150 points on 3 interleaved spiral arms (noise 0.2), 20% held out for testing;
    MLP(2, [16, 16, 3]): one score (logit) per class;  softmax cross-entropy;  Adam, lr 0.05.

With more than two classes the network gives one score per class. Softmax turns the scores
into probabilities, and the cross-entropy loss is −log(probability of the right class). Its
local gradient with respect to each score is simple: probability − 1 for the right class,
probability for the others. Adam scales each parameter's step by a running average of its
gradients, which copes with the twisted arms better than plain SGD.

Writes spiral_regions.png (the regions each class gets, with the points), spiral_curves.png
(loss and accuracy per step), spiral_model.json and spiral_training.html (the training
replay, to open in a browser) to the output folder.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import nn
from scalargrad import plot_decision_boundary

from ._common import Report, training_main
from ._replay import recorder, write_replay

POINTS, CLASSES, NOISE, LAYERS, LR = 150, 3, 0.2, [16, 16, 3], 0.05


def run(seed: int = 0, steps: int = 100, *, out: Path | str | None = "out", plots: bool = True,
        resolution: int = 100, file: TextIO | None = None) -> dict[str, Any]:
    """Train the spiral classifier; return train/test accuracy and the history."""
    r = Report(out, plots=plots, file=file)
    r.title("Three spirals: softmax cross-entropy and Adam")
    start = time.perf_counter()
    X, y = nn.spiral(POINTS, classes=CLASSES, noise=NOISE, seed=seed)
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, 0.2, seed=seed)
    model = nn.MLP(2, LAYERS, seed=seed)
    optimizer = nn.Adam(model.parameters(), lr=LR)
    r.say(f"data       {len(X)} points on {CLASSES} spiral arms (noise {NOISE}, seed {seed}): "
          f"{len(X_train)} to train on, {len(X_test)} held out",
          f"model      {model.describe()}: {model.num_parameters()} parameters, "
          f"{CLASSES} scores per point",
          "loss       softmax cross-entropy: −log softmax(scores)[right class]",
          f"optimizer  Adam, lr {LR}, {steps} full-batch steps")

    logits = model(X_train[0])
    loss = nn.cross_entropy(logits, y_train[0])
    loss.backward()
    probs = _softmax([v.data for v in logits])
    r.section("One point, before training: the loss's local gradient")
    r.say(f"  scores {', '.join(f'{v.data:+.4f}' for v in logits)}  →  softmax "
          f"{', '.join(f'{p:.4f}' for p in probs)};  right class {y_train[0]}",
          f"  loss = −log {probs[y_train[0]]:.4f} = {loss.data:.4f};  ∂loss/∂score = "
          f"{', '.join(f'{v.grad:+.4f}' for v in logits)}",
          "  (probability − 1 for the right class, probability for the others)")
    model.zero_grad()

    r.section("Training")
    replay = recorder(r, model, X_train, y_train, steps)
    history = r.fit(model, X_train, y_train, optimizer=optimizer, loss="cross_entropy",
                    steps=steps, callback=replay)
    seconds = time.perf_counter() - start
    train_loss, train_acc = nn.evaluate(model, X_train, y_train, loss="cross_entropy")
    test_loss, test_acc = nn.evaluate(model, X_test, y_test, loss="cross_entropy")
    r.say(f"trained in {seconds:.1f} s", "",
          f"final accuracy: {train_acc:.1%} on the {len(X_train)} training points, "
          f"{test_acc:.1%} on the {len(X_test)} held-out points",
          f"final loss: {train_loss:.6f} (train), {test_loss:.6f} (held out)")

    r.section("Files")
    r.save_model(model, "spiral_model.json", "the trained model, as JSON")
    r.figure("spiral_regions.png",
             lambda p: plot_decision_boundary(model, X_train, y_train, resolution=resolution,
                                              path=p, held_out=(X_test, y_test),
                                              title="Three spirals, MLP(2, [16, 16, 3])"),
             "the region each class gets; dots trained on, triangles held out")
    r.curves("spiral_curves.png", history, "Three spirals: training",
             "loss (log scale) and accuracy per step", log_loss=True)
    write_replay(r, replay, "spiral_training.html", "Three spirals: training replay")
    r.no_pictures_note()
    return {"train_accuracy": train_acc, "test_accuracy": test_acc, "train_loss": train_loss,
            "test_loss": test_loss, "history": history, "model": model, "seconds": seconds,
            "files": r.written, "figures": r.figures}


def _softmax(zs: list[float]) -> list[float]:
    top = max(zs)
    exps = [math.exp(z - top) for z in zs]
    total = sum(exps)
    return [e / total for e in exps]


def main(argv: list[str] | None = None) -> int:
    return training_main("demos.spiral", __doc__, run, argv, steps=100)


if __name__ == "__main__":
    sys.exit(main())
