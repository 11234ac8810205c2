"""Train a classifier on two moons with the engine: micrograd's demo, reproduced.

    100 points (noise 0.1), labels −1/+1;  MLP(2, [16, 16, 1]) with ReLU hidden layers;
    loss = hinge loss + 1e-4 · Σ p²  (L2);  SGD, lr = 1 − 0.9·k/100 at step k;  100 steps.

Every step is the loop of the lesson at the scale of a network: a forward pass over all 100
points builds one graph, backward() sends the gradient of the loss to each of the 337
parameters, and SGD moves every parameter a little against its gradient.

Writes to the output folder (default ./out):
  moons_boundary.png     the decision boundary with the data points
  moons_curves.png       loss and accuracy, step by step
  moons_model.json       the trained model (reload it with nn.load)
  moons_history.json     the numbers behind the curves
  moons_neuron.svg/.png  the computation graph of one trained neuron on one point, with the
                         gradients of its output
  moons_training.html    the training replay, to open in a browser: boundary, curves, a neuron
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import nn
from scalargrad import Value, plot_decision_boundary, topological_order

from ._common import Report, training_main
from ._replay import recorder, write_replay

POINTS, NOISE, LAYERS, L2 = 100, 0.1, [16, 16, 1], 1e-4


def run(seed: int = 0, steps: int = 100, *, out: Path | str | None = "out", plots: bool = True,
        resolution: int = 100, file: TextIO | None = None) -> dict[str, Any]:
    """Train the two-moons classifier, write its pictures and files, return the numbers."""
    r = Report(out, plots=plots, file=file)
    r.title("Two moons: training a neural network with the engine (micrograd's demo)")
    start = time.perf_counter()

    X, y = nn.moons(POINTS, noise=NOISE, seed=seed, signed=True)
    model = nn.MLP(2, LAYERS, seed=seed, init="micrograd")
    schedule = nn.LinearDecay(1.0, 0.1, steps=steps)
    optimizer = nn.SGD(model.parameters(), lr=schedule)
    r.say(f"data       {len(X)} points in two interleaving half circles, noise {NOISE}, "
          f"labels −1/+1 (seed {seed})",
          f"model      {model.describe()}: {model.num_parameters()} parameters, "
          "weights drawn from U(−1, 1) as in micrograd",
          f"loss       hinge: mean of max(0, 1 − yᵢ·scoreᵢ), plus L2 {L2:g} · Σ p²",
          f"optimizer  SGD, lr = 1 − 0.9·k/{steps} (from 1.0 down to 0.1), {steps} steps")

    loss0, acc0 = nn.evaluate(model, X, y, loss="hinge")
    r.section("Training")
    r.say(f"before training: loss {loss0:.6f} (hinge alone, without L2), accuracy {acc0:.1%}",
          "each step below prints the training loss: hinge + L2, what SGD minimises")
    replay = recorder(r, model, X, y, steps)
    history = r.fit(model, X, y, optimizer=optimizer, loss="hinge", steps=steps, l2=L2,
                    callback=replay)
    seconds = time.perf_counter() - start
    data_loss, accuracy = nn.evaluate(model, X, y, loss="hinge")
    correct = round(accuracy * len(X))
    r.say(f"trained in {seconds:.1f} s", "",
          f"final accuracy: {accuracy:.1%} ({correct} of {len(X)} points)",
          f"final loss: {data_loss:.6f} (hinge alone, without L2; with L2, the last step "
          f"printed {history.loss[-1]:.6f})")

    r.section("Files")
    acc_reloaded = None
    model_path = r.save_model(model, "moons_model.json",
                              "the trained model: architecture and every parameter, as JSON")
    if model_path is not None:
        reloaded = nn.load(model_path)
        _, acc_reloaded = nn.evaluate(reloaded, X, y, loss="hinge")
        r.say(f"  reloaded it with nn.load: accuracy {acc_reloaded:.1%}"
              + (" (the same)" if acc_reloaded == accuracy else " (DIFFERENT!)"))
        history_path = r.path("moons_history.json")
        record = {"setup": {"points": POINTS, "noise": NOISE, "layers": LAYERS, "l2": L2,
                            "lr": f"1 - 0.9*k/{steps}", "steps": steps, "seed": seed},
                  "step": history.step, "loss": history.loss, "accuracy": history.accuracy,
                  "lr": history.lr, "final": {"loss": data_loss, "accuracy": accuracy}}
        history_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        r.wrote(history_path, "loss, accuracy and lr at every step")
    r.figure("moons_boundary.png",
             lambda p: plot_decision_boundary(model, X, y, resolution=resolution, path=p,
                                              title="Two moons, MLP(2, [16, 16, 1])"),
             "the decision boundary and the points")
    r.curves("moons_curves.png", history, "Two moons: training", "loss and accuracy per step",
             loss_name="loss (hinge + L2)")
    write_replay(r, replay, "moons_training.html", "Two moons: training replay")
    neuron_out, neuron, index, names = one_neuron(model, X)
    r.graph(neuron_out, "moons_neuron",
            f"layer 1, neuron 1, trained, on data point {index + 1} (X[{index}]); each grad is "
            "the gradient of the neuron's output o; each edge shows upstream × local = "
            "downstream",
            edge_labels=True, params=neuron.parameters(), names=names,
            title=neuron_title(index, len(X)))
    r.no_pictures_note()
    return {"accuracy": accuracy, "correct": correct, "loss": data_loss,
            "initial_accuracy": acc0, "initial_loss": loss0, "history": history,
            "model": model, "reloaded_accuracy": acc_reloaded, "seconds": seconds,
            "files": r.written, "figures": r.figures}


def neuron_title(index: int, points: int) -> str:
    """The title of the neuron picture for the data point X[index] of `points`: counted from
    1 as the lesson counts (layer 1, neuron 1, data point index + 1), and saying whose
    gradients the boxes show: the neuron's output o's, since backward() starts there."""
    return (f"Layer 1, neuron 1, trained, on data point {index + 1} of {points}\n"
            "grad = ∂o/∂(value), o the neuron's output (not the loss)")


def one_neuron(model: nn.MLP, X: list[list[float]]) -> tuple[Value, nn.Neuron, int,
                                                               dict[Value, str]]:
    """The first hidden neuron as elementary ops, on the first point that switches it on
    (pre-activation > 0, so gradients flow through its ReLU), after o.backward() from its own
    output o; its index in X; and the names to draw its nodes with, those of the lesson's
    neuron o = relu(n), n = w1·x1 + w2·x2 + b (inputs and weights counted from 1)."""
    neuron = model.layers[0].neurons[0]
    index = next((i for i, x in enumerate(X)
                  if neuron.b.data + sum(w.data * xi for w, xi in zip(neuron.w, x)) > 0.0), 0)
    fused = neuron.fused
    neuron.fused = False  # draw every multiply and add, as in the neuron demo
    try:
        out = neuron([Value(x, label=f"x{i + 1}") for i, x in enumerate(X[index])])
    finally:
        neuron.fused = fused
    names: dict[Value, str] = {w: f"w{i + 1}" for i, w in enumerate(neuron.w)}
    names[neuron.b] = "b"
    for node in topological_order(out):  # name the interior nodes by what they compute
        if node._prev and node is not out:
            left, right = (names.get(p, p.label) for p in node._prev)
            names[node] = f"{left}·{right}" if node._op == "*" else f"{left} + {right}"
    names[out._prev[0]] = "n"
    names[out] = "o"
    neuron.zero_grad()
    out.backward()
    return out, neuron, index, names


def main(argv: list[str] | None = None) -> int:
    return training_main("demos.moons", __doc__, run, argv, steps=100)


if __name__ == "__main__":
    sys.exit(main())
