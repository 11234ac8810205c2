"""Fit a curve: regression of y = sin(x) + noise with a small MLP and the mean squared error.

    64 points, x evenly spaced in [−3, 3], y = sin x + N(0, 0.1²);
    MLP(1, [16, 16, 1]) with tanh hidden layers;  loss = mean of (prediction − y)²;  Adam, lr 0.05.

The same training loop as the classifiers, with a different loss: the mean squared error's
local gradient with respect to each prediction is 2·(prediction − y)/n, so every point pulls
the curve towards itself in proportion to how far off it is. The noise has variance 0.01, so
a loss near 0.01 means the network has found the curve and is not chasing the noise.

Writes regression_fit.png (data, the true curve, the network's prediction),
regression_curves.png (the loss per step, log scale) and regression_model.json.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import nn

from ._common import Report, training_main

POINTS, NOISE, LAYERS, LR, LOW, HIGH = 64, 0.1, [16, 16, 1], 0.05, -3.0, 3.0


def run(seed: int = 0, steps: int = 150, *, out: Path | str | None = "out", plots: bool = True,
        file: TextIO | None = None) -> dict[str, Any]:
    """Fit sin(x) + noise; return the final mean squared error and the history."""
    r = Report(out, plots=plots, file=file)
    r.title("Regression: fitting y = sin x + noise with an MLP")
    start = time.perf_counter()
    X, y = nn.regression_1d(POINTS, noise=NOISE, seed=seed, low=LOW, high=HIGH, fn=math.sin)
    model = nn.MLP(1, LAYERS, activation="tanh", seed=seed)
    optimizer = nn.Adam(model.parameters(), lr=LR)
    r.say(f"data       {len(X)} points, x in [{LOW:g}, {HIGH:g}], y = sin x + noise "
          f"(σ = {NOISE}, seed {seed})",
          f"model      {model.describe()}: {model.num_parameters()} parameters",
          "loss       mean squared error, (1/n) Σ (prediction − y)²",
          f"optimizer  Adam, lr {LR}, {steps} full-batch steps")
    loss0, _ = nn.evaluate(model, X, y, loss="mse")
    r.say(f"before training: mean squared error {loss0:.6f}")

    r.section("Training")
    history = r.fit(model, X, y, optimizer=optimizer, loss="mse", steps=steps)
    seconds = time.perf_counter() - start
    mse, _ = nn.evaluate(model, X, y, loss="mse")
    predictions = nn.predict(model, X)
    truth_mse = sum((p - math.sin(x[0])) ** 2 for p, x in zip(predictions, X)) / len(X)
    r.say(f"trained in {seconds:.1f} s", "",
          f"final mean squared error: {mse:.6f} on the noisy data (the noise alone gives "
          f"about {NOISE ** 2:g})",
          f"against the true curve sin x: {truth_mse:.6f}")

    r.section("Files")
    r.save_model(model, "regression_model.json", "the trained model, as JSON")
    r.figure("regression_fit.png", lambda p: plot_fit(model, X, y, p),
             "the data, the true curve and the network's prediction")
    r.curves("regression_curves.png", history, "Regression: mean squared error per step",
             "the loss per step (log scale)", accuracy=False, log_loss=True)
    r.no_pictures_note()
    return {"mse": mse, "initial_mse": loss0, "truth_mse": truth_mse, "history": history,
            "model": model, "seconds": seconds, "files": r.written, "figures": r.figures}


def plot_fit(model: nn.MLP, X: list[list[float]], y: list[float], path: Path) -> Any:
    """Data points, sin x, and the model's prediction on a fine grid a little beyond the data."""
    from scalargrad.see.figure import new_figure

    grid = [LOW - 1.0 + (HIGH - LOW + 2.0) * k / 300 for k in range(301)]
    figure = new_figure((8.2, 4.6), 100.0)
    figure.set_layout_engine("constrained")
    ax = figure.add_subplot()
    ax.axvspan(LOW - 1.0, LOW, color="#eeeeee")
    ax.axvspan(HIGH, HIGH + 1.0, color="#eeeeee", label="outside the data")
    ax.plot(grid, [math.sin(x) for x in grid], "--", color="#757575", label="sin x (the truth)")
    ax.scatter([x[0] for x in X], y, s=16, color="#1f77b4", label="data (sin x + noise)",
               zorder=3)
    ax.plot(grid, nn.predict(model, [[x] for x in grid]), color="#d62728", linewidth=2,
            label="the network's prediction")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    ax.set_title("Regression with MLP(1, [16, 16, 1])", fontsize=11)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    return figure


def main(argv: list[str] | None = None) -> int:
    return training_main("demos.regression", __doc__, run, argv, steps=150, resolution=False)


if __name__ == "__main__":
    sys.exit(main())
