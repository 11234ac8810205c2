"""Training helpers: `fit` runs the usual loop for you; `accuracy`, `evaluate`, `predict`.

`fit` only saves typing. The loop it runs is the four lines you can write by hand:

    for k in range(steps):
        loss = nn.hinge_loss([model(x) for x in X], y) + nn.l2_regularization(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()

`X` and `y` may be lists or numpy arrays (anything with len() and indexing).
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, TextIO, Union, cast

from scalargrad import Value, no_grad

from . import _collector
from ._checks import count, is_array, is_real
from .losses import bce_with_logits, cross_entropy, hinge_loss, l2_regularization, mse_loss
from .module import Module
from .optim import Optimizer

LossFn = Callable[..., Any]  # f(outputs, targets) -> Value
LOSSES: dict[str, LossFn] = {
    "hinge": hinge_loss,
    "mse": mse_loss,
    "bce": bce_with_logits,
    "cross_entropy": cross_entropy,
}
_CLASSIFIERS = ("hinge", "bce", "cross_entropy")
Output = Union[Value, float, Sequence[Union[Value, float]]]


@dataclass
class History:
    """What `fit` recorded, one entry per step: the loss, the batch accuracy, the lr used.

    `interrupted` is True when Ctrl-C stopped `fit` before its last step.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.step)

    def __repr__(self) -> str:
        stopped = ", interrupted" if self.interrupted else ""
        if not self.step:
            return f"History(no steps{stopped})"
        acc = self.accuracy[-1]
        acc_text = f", accuracy {acc:.1%}" if acc is not None else ""
        return f"History({len(self)} steps{stopped}; last: loss {self.loss[-1]:.6g}{acc_text})"

    def _add(self, k: int, loss: float, acc: float | None, lr: float) -> None:
        self.step.append(k)
        self.loss.append(loss)
        self.accuracy.append(acc)
        self.lr.append(lr)

    def _trim(self) -> None:  # after an interrupt: drop a half-added entry
        n = min(len(self.step), len(self.loss), len(self.accuracy), len(self.lr))
        for column in (self.step, self.loss, self.accuracy, self.lr):
            del column[n:]

    def _repr_html_(self) -> str:  # Jupyter: the loss/accuracy curves and a few of the steps
        from scalargrad.see.display.history import history_html

        return history_html(self)

    def _repr_markdown_(self) -> str:
        from scalargrad.see.display.history import history_markdown

        return history_markdown(self)


class NonFiniteLossError(FloatingPointError):
    """`fit` stopped: the loss of a step was NaN or ±inf. The step's update was not made.

    Attributes: `step` (1-based), `loss`, and `history` (every step so far, this one last).
    """

    def __init__(self, message: str, step: int, loss: float, history: History) -> None:
        super().__init__(message)
        self.step, self.loss, self.history = step, loss, history


def accuracy(outputs: Sequence[Output], labels: Sequence[Any]) -> float:
    """The fraction of samples classified right.

    One score per sample: predicted positive when the score is > 0, true positive when the label
    is > 0 (so labels may be 0/1 or −1/+1). A list of k scores per sample: the predicted class
    is the index of the largest score (argmax), compared with an int label 0..k−1.
    """
    if len(outputs) != len(labels):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(labels)} labels")
    if len(outputs) == 0:
        raise ValueError("accuracy of no samples is undefined: expected at least one")
    right = 0
    for out, label in zip(outputs, labels):
        if is_array(out):
            scores = [_number(s) for s in cast(Sequence[Any], out)]
            right += max(range(len(scores)), key=scores.__getitem__) == label
        else:
            right += (_number(out) > 0.0) == (label > 0)
    return right / len(outputs)


def predict(model: Callable[[Any], Any], X: Sequence[Any]) -> list[Any]:
    """The model's outputs on every input as plain floats (lists of floats for several outputs).

    Runs under `no_grad()`: no graph is built.
    """
    with no_grad():
        outs = [model(x) for x in X]
    return [[_number(o) for o in out] if is_array(out) else _number(out) for out in outs]


def evaluate(model: Callable[[Any], Any], X: Sequence[Any], y: Sequence[Any],
             loss: str | LossFn = "hinge") -> tuple[float, float | None]:
    """(loss, accuracy) of `model` on the whole of `X, y`, without building a graph.

    The accuracy is None for "mse" and for a custom loss function.
    """
    loss_fn, classifier = _loss(loss, None)
    with no_grad():
        outs = [model(x) for x in X]
        value = loss_fn(outs, list(y))
    return _number(value), (accuracy(outs, y) if classifier else None)


@_collector.pausing_collector
def fit(model: Module, X: Sequence[Any], y: Sequence[Any], *, optimizer: Optimizer,
        loss: str | LossFn = "hinge", steps: int = 100, batch_size: int | None = None,
        l2: float = 0.0, seed: int = 0, progress: bool = True, print_every: int | None = None,
        file: TextIO | None = None, compute_accuracy: bool | None = None,
        callback: Callable[[int, History], Any] | None = None) -> History:
    """Train `model` on `X, y` for `steps` optimizer steps and return the `History`.

    Each step: pick a batch (all samples if `batch_size` is None, else the next `batch_size`
    of a shuffled pass over the data, reshuffled each pass with `seed`), run the forward pass,
    compute `loss` ("hinge", "mse", "bce", "cross_entropy", or f(outputs, targets) -> Value)
    plus `l2_regularization(model.parameters(), l2)` if `l2` > 0, then `optimizer.zero_grad()`,
    `backward()` and `optimizer.step()`. Records the loss and the batch accuracy of that forward
    pass (accuracy for the classification losses, or when `compute_accuracy=True`) and the lr
    used by the update. With `progress`
    (the default) a line is printed every `print_every` steps (about ten lines per run) and
    at the last step; `progress=False` prints nothing. `callback(k, history)` runs after each step.

    Ctrl-C (KeyboardInterrupt) stops training and `fit` returns the History of the steps that
    were made, with `history.interrupted` True (and a line saying so with `progress`): each
    optimizer step is all-or-nothing, so the model holds the parameters of its last recorded
    step.

    `X` and `y` may be numpy arrays. The optimizer must hold the model's parameters (some of
    them, to train only those): one built for another model is refused. If a step's loss is
    NaN or ±inf, `fit` raises `NonFiniteLossError` (a FloatingPointError) naming the step,
    before that step's update: the model keeps the parameters of the step before.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn optimizer (SGD, Adam, ...), got "
                        f"{type(optimizer).__name__}")
    for name, data in (("X", X), ("y", y)):
        if not is_array(data):
            raise TypeError(f"fit: {name} must be a list or an array of samples, "
                            f"got {type(data).__name__}")
    if len(X) != len(y):
        raise ValueError(f"fit: {len(X)} inputs but {len(y)} labels")
    if len(X) == 0:
        raise ValueError("fit: no training samples")
    steps = count(steps, "fit: steps", 0)
    loss_fn, classifier = _loss(loss, compute_accuracy)
    if not is_real(l2) or not l2 >= 0:
        raise ValueError(f"fit: l2 must be a number >= 0, got {l2!r}")
    n = len(X)
    batch = n if batch_size is None else min(count(batch_size, "fit: batch_size", 1), n)
    every = (max(1, steps // 10) if print_every is None
             else count(print_every, "fit: print_every", 1))
    out = sys.stdout if file is None else file
    rng = random.Random(seed)
    order = list(range(n))
    cursor = n  # forces a shuffle before the first mini-batch
    params = model.parameters()
    _check_optimizer(model, params, optimizer)
    forward = cast(Callable[[Any], Any], model)  # Module itself declares no __call__
    history = History()
    start = optimizer.steps
    pending: tuple[int, float, float | None] | None = None  # the step being made
    try:
        for k in range(steps):
            if batch == n:
                xb, yb = X, list(y)
            else:
                if cursor + batch > n:
                    rng.shuffle(order)
                    cursor = 0
                idx = order[cursor:cursor + batch]
                cursor += batch
                xb, yb = [X[i] for i in idx], [y[i] for i in idx]
            outputs = [forward(x) for x in xb]
            total = loss_fn(outputs, yb)
            if l2:
                total = total + l2_regularization(params, l2)
            if not math.isfinite(total.data):
                history._add(k, total.data, None, optimizer.lr)
                raise NonFiniteLossError(
                    f"fit: the loss is {total.data!r} at step {k + 1} of {steps}; stopped before "
                    f"that step's update, so the model holds its parameters after step {k}. "
                    "Usual causes: a learning rate too large, a NaN or inf in X or y, or "
                    "parameters that already are NaN; run one step inside "
                    "`with scalargrad.detect_anomaly():` to see where it first appears "
                    "(the history so far is this error's .history)", k + 1, total.data, history)
            acc = accuracy(outputs, yb) if classifier else None
            optimizer.zero_grad()
            total.backward()
            pending = (k, total.data, acc)
            optimizer.step()
            lr = optimizer.lr  # the rate this step used
            history._add(k, total.data, acc, lr)
            if progress and ((k + 1) % every == 0 or k == steps - 1):
                acc_text = f"  accuracy {acc:6.1%}" if acc is not None else ""
                print(f"step {k + 1:>{len(str(steps))}}/{steps}  loss {total.data:.6f}{acc_text}"
                      f"  lr {lr:.4g}", file=out, flush=True)
            if callback is not None:
                callback(k, history)
            del outputs, total  # free this step's graph now: the next one reuses its memory
            _collector.step_done()
    except KeyboardInterrupt:
        history._trim()
        if pending is not None and len(history) < optimizer.steps - start:
            history._add(*pending, optimizer.lr)  # the update landed; record it
        history.interrupted = True
        if progress:
            print(f"fit: interrupted (Ctrl-C) after {len(history)} of {steps} steps; the "
                  "model holds the parameters of the last step made, and this is the history "
                  "so far", file=out, flush=True)
    return history


def _loss(loss: str | LossFn, compute_accuracy: bool | None) -> tuple[LossFn, bool]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)} "
                             "or a function f(outputs, targets) -> Value")
        fn, classifier = LOSSES[loss], loss in _CLASSIFIERS
    elif callable(loss):
        fn, classifier = loss, False
    else:
        raise TypeError(f"loss must be a name or a function, got {loss!r}")
    if compute_accuracy is not None:
        classifier = bool(compute_accuracy)
    return fn, classifier


def _check_optimizer(model: Module, params: list[Value], optimizer: Optimizer) -> None:
    """Refuse an optimizer that would train nothing: none of its parameters are the model's
    (typically built for a model made by an earlier run of the same notebook cell)."""
    mine = {id(p) for p in params}
    if not any(id(p) in mine for p in optimizer.params):
        raise ValueError(
            f"fit: the optimizer holds {len(optimizer.params):,} parameters, none of them this "
            f"model's ({_short(model)}, {len(params):,} parameters), so training would change "
            "nothing. It was probably built for another model (a model made again by re-running "
            f"a cell); build it from this one: {type(optimizer).__name__}(model.parameters(), ...)")


def _short(model: Module) -> str:
    text = model.describe()
    return text if len(text) <= 80 else text[:80] + "…"


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


