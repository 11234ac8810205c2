"""Training helpers: `fit` runs the usual loop for you; `accuracy`, `evaluate`, `predict`.

`fit` only saves typing. The loop it runs is the four lines you can write by hand:

    for k in range(steps):
        loss = nn.hinge_loss([model(x) for x in X], y) + nn.l2_regularization(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Sequence, TextIO, Union

from scalargrad import Value, no_grad

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
    """What `fit` recorded, one entry per step: the loss, the batch accuracy, the lr used."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.step)

    def __repr__(self) -> str:
        if not self.step:
            return "History(no steps)"
        acc = self.accuracy[-1]
        acc_text = f", accuracy {acc:.1%}" if acc is not None else ""
        return f"History({len(self)} steps; last: loss {self.loss[-1]:.6g}{acc_text})"

    def _repr_html_(self) -> str:  # Jupyter: the loss/accuracy curves and a few of the steps
        from scalargrad.display import history_html

        return history_html(self)

    def _repr_markdown_(self) -> str:
        from scalargrad.display import history_markdown

        return history_markdown(self)


def accuracy(outputs: Sequence[Output], labels: Sequence[Any]) -> float:
    """The fraction of samples classified right.

    One score per sample: predicted positive when the score is > 0, true positive when the label
    is > 0 (so labels may be 0/1 or −1/+1). A list of k scores per sample: the predicted class
    is the index of the largest score (argmax), compared with an int label 0..k−1.
    """
    if len(outputs) != len(labels):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(labels)} labels")
    if not outputs:
        raise ValueError("accuracy of no samples is undefined: expected at least one")
    right = 0
    for out, label in zip(outputs, labels):
        if isinstance(out, (list, tuple)):
            scores = [_number(s) for s in out]
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
    return [[_number(o) for o in out] if isinstance(out, (list, tuple)) else _number(out)
            for out in outs]


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
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn optimizer (SGD, Adam, ...), got "
                        f"{type(optimizer).__name__}")
    if len(X) != len(y):
        raise ValueError(f"fit: {len(X)} inputs but {len(y)} labels")
    if not X:
        raise ValueError("fit: no training samples")
    steps = _count(steps, "steps", 0)
    loss_fn, classifier = _loss(loss, compute_accuracy)
    if isinstance(l2, bool) or not isinstance(l2, Real) or l2 < 0:
        raise ValueError(f"fit: l2 must be a number >= 0, got {l2!r}")
    n = len(X)
    batch = n if batch_size is None else min(_count(batch_size, "batch_size", 1), n)
    every = max(1, steps // 10) if print_every is None else _count(print_every, "print_every", 1)
    out = sys.stdout if file is None else file
    rng = random.Random(seed)
    order = list(range(n))
    cursor = n  # forces a shuffle before the first mini-batch
    params = model.parameters()
    history = History()
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
        outputs = [model(x) for x in xb]
        total = loss_fn(outputs, yb)
        if l2:
            total = total + l2_regularization(params, l2)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        lr = optimizer.lr  # the rate this step used
        acc = accuracy(outputs, yb) if classifier else None
        history.step.append(k)
        history.loss.append(total.data)
        history.accuracy.append(acc)
        history.lr.append(lr)
        if progress and ((k + 1) % every == 0 or k == steps - 1):
            acc_text = f"  accuracy {acc:6.1%}" if acc is not None else ""
            print(f"step {k + 1:>{len(str(steps))}}/{steps}  loss {total.data:.6f}{acc_text}"
                  f"  lr {lr:.4g}", file=out, flush=True)
        if callback is not None:
            callback(k, history)
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


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _count(n: Any, what: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"fit: {what} must be an int, got {n!r}")
    if n < minimum:
        raise ValueError(f"fit: {what} must be at least {minimum}, got {n}")
    return n
