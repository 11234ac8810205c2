"""Graduate to PyTorch: the moons model trained here and in PyTorch, from the same weights.

    The setup of demos.moons: 100 points (noise 0.1), labels −1/+1;  MLP(2, [16, 16, 1]) with
    ReLU hidden layers;  loss = hinge loss + 1e-4 · Σ p²;  SGD, lr = 1 − 0.9·k/steps.

The model is built here, then `nn.to_torch` turns it into a `torch.nn.Sequential` of Linear
and ReLU layers holding exactly the same weights (float64). Both are trained for the same
steps with the same loss, optimizer and schedule: here one scalar at a time, in PyTorch one
batched matrix product per layer. The two loss curves are printed side by side with the
largest difference; the final weights and outputs are compared too. They agree to about
1e-15: the two sides add the same numbers in a different order, nothing more.

Exits with status 1 if any difference exceeds the tolerance (1e-9, relative to a value's size
when that is above 1), or if PyTorch is not installed. Writes graduate_model.py to the output
folder: PyTorch source that rebuilds the trained model (`nn.torch_code`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

import nn

from ._common import Report, parser
from .moons import L2, LAYERS, NOISE, POINTS

TOLERANCE = 1e-9


def run(seed: int = 0, steps: int = 100, *, out: Path | str | None = "out",
        file: TextIO | None = None) -> dict[str, Any]:
    """Train the moons model here and its PyTorch twin; return both curves and the differences."""
    import torch

    r = Report(out, plots=False, file=file)
    r.title("Graduating to PyTorch: the same model, the same numbers")
    X, y = nn.moons(POINTS, noise=NOISE, seed=seed, signed=True)
    model = nn.MLP(2, LAYERS, seed=seed, init="micrograd")
    twin = nn.to_torch(model)  # before any training: both start from the same weights
    r.say(f"data       {len(X)} moons points, noise {NOISE}, labels −1/+1 (seed {seed})",
          f"model      {model.describe()}: {model.num_parameters()} parameters",
          f"loss       hinge + {L2:g} · Σ p²;  SGD, lr = 1 − 0.9·k/{steps}, {steps} steps",
          "", "nn.to_torch(model) gives its PyTorch twin, with the same weights:",
          *("    " + line for line in repr(twin).splitlines()))

    r.section("Training here, one scalar at a time")
    start = time.perf_counter()
    optimizer = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, steps=steps))
    ours = []
    for _ in range(steps):
        scores = [model(x) for x in X]
        loss = nn.hinge_loss(scores, y) + nn.l2_regularization(model.parameters(), L2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ours.append(loss.data)
    r.say(f"{steps} steps in {time.perf_counter() - start:.2f} s")

    r.section("Training the twin in PyTorch, one batch at a time")
    start = time.perf_counter()
    inputs = torch.tensor(X, dtype=torch.float64)  # one row per point
    labels = torch.tensor(y, dtype=torch.float64)
    params = list(twin.parameters())
    torch_optimizer = torch.optim.SGD(params, lr=1.0)
    schedule = torch.optim.lr_scheduler.LinearLR(torch_optimizer, start_factor=1.0,
                                                 end_factor=0.1, total_iters=steps)
    theirs = []
    for _ in range(steps):
        scores_t = twin(inputs).squeeze(1)
        loss_t = torch.relu(1.0 - labels * scores_t).mean() + L2 * sum((p * p).sum()
                                                                        for p in params)
        torch_optimizer.zero_grad()
        loss_t.backward()
        torch_optimizer.step()
        schedule.step()
        theirs.append(loss_t.item())
    r.say(f"{steps} steps in {time.perf_counter() - start:.2f} s")

    r.section("Both loss curves")
    r.say(f"{'step':>6}  {'scalargrad':>22}  {'PyTorch':>22}  {'difference':>10}")
    every = max(1, steps // 10)
    for k in range(steps):
        if (k + 1) % every == 0 or k in (0, steps - 1):
            r.say(f"{k + 1:>6}  {ours[k]:>22.17g}  {theirs[k]:>22.17g}  "
                  f"{abs(ours[k] - theirs[k]):>10.2g}")

    loss_diff = max(_difference(a, b) for a, b in zip(ours, theirs))
    trained = nn.torch_state_dict(model)
    param_diff = max(_difference(a, b) for name, t in twin.state_dict().items()
                     for a, b in zip(trained[name].flatten().tolist(), t.flatten().tolist()))
    with torch.no_grad():
        torch_scores = twin(inputs).squeeze(1).tolist()
    our_scores = nn.predict(model, X)
    score_diff = max(_difference(a, b) for a, b in zip(our_scores, torch_scores))
    acc_ours = nn.accuracy(our_scores, y)
    acc_torch = nn.accuracy(torch_scores, y)
    ok = max(loss_diff, param_diff, score_diff) <= TOLERANCE

    r.section("The largest differences")
    rows = [(f"loss, over all {steps} steps", f"{loss_diff:.3g}"),
            (f"final weights (all {model.num_parameters()})", f"{param_diff:.3g}"),
            (f"final scores ({len(X)} points)", f"{score_diff:.3g}"),
            ("accuracy", f"{acc_ours:.1%} here, {acc_torch:.1%} in PyTorch")]
    r.say(*(f"{what:<30}{value}" for what, value in rows),
          f"(differences are |a − b| / max(1, |b|); tolerance {TOLERANCE:g})", "",
          "they agree" if ok else f"THEY DISAGREE beyond the tolerance {TOLERANCE:g}")

    code_path = None
    if out is not None:
        r.section("Files")
        code_path = r.path("graduate_model.py")
        code_path.write_text(nn.torch_code(model), encoding="utf-8")
        r.wrote(code_path, "PyTorch source that rebuilds the trained model, weights included")
    return {"ours": ours, "theirs": theirs, "loss_difference": loss_diff,
            "parameter_difference": param_diff, "score_difference": score_diff,
            "accuracy": acc_ours, "torch_accuracy": acc_torch, "ok": ok, "model": model,
            "twin": twin, "files": r.written, "code": code_path}


def _difference(a: float, b: float) -> float:
    """|a − b|, relative to |b| when |b| > 1."""
    return abs(a - b) / max(1.0, abs(b))


def main(argv: list[str] | None = None) -> int:
    args = parser("demos.graduate", __doc__, seed=0, steps=100, plots=False).parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("demos.graduate needs PyTorch, which is not installed here: "
              "pip install torch==2.13.0 (the [torch] extra), then run it again.",
              file=sys.stderr)
        return 1
    result = run(args.seed, args.steps, out=args.out)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
