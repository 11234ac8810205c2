"""Loss functions and the L2 penalty, each one fused graph node.

Each loss computes its value and, side by side, its local gradient with respect to every
prediction (the same formula a hand-derived backward pass uses), and returns ONE node whose
parents are the predictions. A batch of 100 samples therefore adds one node to the graph, not
several hundred. Plain-number predictions or targets are constants and get no edge.

`reduction` is "mean" (the default, as in PyTorch), "sum", or "none" (one node per sample).

For `backward(create_graph=True)` each loss also says how to compute its terms with the
ordinary ops (`elementary(i)`: term i as a graph of +, ·, exp, relu, …); the fused node's
local gradients in Value ops are that graph's partial derivatives with respect to the node's
inputs (held independent, even when one prediction is computed from another), so a loss
differentiates again.

At the edges every loss gives PyTorch float64's value and gradient: NaN in gives NaN out,
±inf gives the limit, huge logits lose nothing. Predictions, targets and labels may be numpy
arrays or scalars (numpy is never imported here).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence, Union

import scalargrad
from scalargrad import Value
from scalargrad.backward_graph import partials

from ._checks import as_count, is_array, is_real, parameter_list_mistake

Operand = Union[Value, int, float]
REDUCTIONS = ("mean", "sum", "none")


def mse_loss(predictions: Sequence[Operand] | Operand, targets: Sequence[Operand] | Operand,
             reduction: str = "mean") -> Value | list[Value]:
    """Mean squared error: L = (1/n) Σ (pᵢ − tᵢ)²;  ∂L/∂pᵢ = 2(pᵢ − tᵢ)/n,  ∂L/∂tᵢ = −2(pᵢ − tᵢ)/n.

    Predictions and targets are numbers or Values, one per sample (lists of equal-length
    lists are flattened: each output of each sample is one term).
    """
    preds, targs = _paired(predictions, targets, "mse_loss", "predictions", "targets")
    red = _reduction(reduction, "mse_loss")
    terms = []
    for p, t in zip(preds, targs):
        d = _data(p, "mse_loss prediction") - _data(t, "mse_loss target")
        terms.append((d * d, ((p, d), (t, -d))))

    def elementary(i: int) -> Any:
        return (preds[i] - targs[i]) ** 2

    # the local gradient is (2/n)·d, scaled before the product: 2·d overflows for d = 1e308
    return _reduce(terms, red, "mse", elementary, factor=2.0)


def hinge_loss(scores: Sequence[Operand] | Operand, labels: Sequence[int] | int,
               margin: float = 1.0, reduction: str = "mean") -> Value | list[Value]:
    """Hinge (max-margin) loss, micrograd's demo loss: L = (1/n) Σ relu(margin − yᵢ·sᵢ).

    Labels are −1 or +1. ∂L/∂sᵢ = −yᵢ/n where the margin is violated (margin − yᵢsᵢ > 0),
    else 0 (also at exactly 0, as relu's slope there).
    """
    ss = _flatten(scores, "hinge_loss scores")
    ys = _labels(labels, "hinge_loss")
    _same_length(ss, ys, "hinge_loss", "scores", "labels")
    for y in ys:
        if y not in (-1, 1):
            raise ValueError(f"hinge_loss: labels must be -1 or +1, got {y!r} "
                             "(for 0/1 labels use [2*y - 1 for y in labels], or "
                             "nn.moons(..., signed=True))")
    m = _real(margin, "hinge_loss margin")
    red = _reduction(reduction, "hinge_loss")
    terms = []
    for s, y in zip(ss, ys):
        z = m - y * _data(s, "hinge_loss score")
        if z > 0.0:
            terms.append((z, ((s, -float(y)),)))
        else:  # z ≤ 0, or NaN: max(0, NaN) must stay NaN (slope 0 there, as torch.clamp's)
            terms.append((z if z != z else 0.0, ((s, 0.0),)))

    def elementary(i: int) -> Any:
        return _lift(m - ys[i] * ss[i]).relu()

    return _reduce(terms, red, "hinge", elementary)


def bce_with_logits(logits: Sequence[Operand] | Operand, targets: Sequence[Operand] | Operand,
                    reduction: str = "mean") -> Value | list[Value]:
    """Binary cross-entropy on logits (the sigmoid inside, stably), targets in [0, 1].

    Lᵢ = −[tᵢ log σ(zᵢ) + (1 − tᵢ) log(1 − σ(zᵢ))], computed as (1 − tᵢ)zᵢ + log(1 + e^−zᵢ)
    for zᵢ ≥ 0 and −tᵢzᵢ + log(1 + e^zᵢ) for zᵢ < 0, which never overflows, even for
    |z| = 1e308; at z = ±inf it is the limit (inf, or 0 when the target agrees: where
    PyTorch gives NaN).  ∂Lᵢ/∂zᵢ = σ(zᵢ) − tᵢ,  ∂Lᵢ/∂tᵢ = −zᵢ.
    """
    zs, ts = _paired(logits, targets, "bce_with_logits", "logits", "targets")
    red = _reduction(reduction, "bce_with_logits")
    terms = []
    for zv, tv in zip(zs, ts):
        z = _data(zv, "bce_with_logits logit")
        t = _data(tv, "bce_with_logits target")
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"bce_with_logits: targets must be in [0, 1], got {t!r}")
        if z >= 0.0:
            loss = _times(1.0 - t, z) + math.log1p(math.exp(-z))
        else:  # also NaN, which flows through
            loss = _times(-t, z) + math.log1p(math.exp(z))
        terms.append((loss, ((zv, _sigmoid(z) - t), (tv, -z))))

    def elementary(i: int) -> Any:
        z, t = _lift(zs[i]), ts[i]
        if z.data >= 0.0:
            return (1.0 - t) * z + (1.0 + (-z).exp()).log()
        return -t * z + (1.0 + z.exp()).log()

    return _reduce(terms, red, "bce", elementary)


def cross_entropy(logits: Sequence[Sequence[Operand]] | Sequence[Operand],
                  labels: Sequence[int] | int, reduction: str = "mean") -> Value | list[Value]:
    """Softmax cross-entropy for k classes: Lᵢ = log Σⱼ e^zᵢⱼ − zᵢ,yᵢ (stable: max subtracted).

    `logits` is a list with one list of k scores per sample (or one sample's list, with one int
    label); `labels` are class indices 0..k−1.  ∂Lᵢ/∂zᵢⱼ = softmax(zᵢ)ⱼ − [j = yᵢ].
    """
    if _is_single_sample(logits):
        logits = [logits]  # type: ignore[assignment]
        labels = [labels] if not is_array(labels) else labels  # type: ignore[list-item]
    rows = _rows(logits)
    ys = _labels(labels, "cross_entropy")
    _same_length(rows, ys, "cross_entropy", "rows of logits", "labels")
    red = _reduction(reduction, "cross_entropy")
    terms = []
    for row, y in zip(rows, ys):
        k = len(row)
        if not 0 <= y < k:
            raise ValueError(f"cross_entropy: label {y!r} is not a class index 0..{k - 1}")
        zs = [_data(z, "cross_entropy logit") for z in row]
        top = max(zs)
        if top != top or any(z != z for z in zs):  # max() of a list with NaN depends on order
            top = math.nan
        exps = [math.exp(z - top) for z in zs]
        total = _fsum(exps)
        # log Σ e^(z − top) − (z_y − top): the max leaves before the sum, so 1e16, 1e16 → log 2
        loss = math.log(total) - (zs[y] - top) if total == total else math.nan
        grads = [e / total for e in exps]
        grads[y] -= 1.0
        terms.append((loss, tuple(zip(row, grads))))

    def elementary(i: int) -> Any:
        row, y = rows[i], ys[i]
        top = max(_data(z, "cross_entropy logit") for z in row)
        return scalargrad.sum([(_lift(z) - top).exp() for z in row]).log() - (row[y] - top)

    return _reduce(terms, red, "cross_entropy", elementary)


def l2_regularization(parameters: Iterable[Value], alpha: float = 1e-4) -> Value:
    """α·Σ pᵢ² as one node (micrograd's demo uses α = 1e-4);  ∂/∂pᵢ = 2α·pᵢ.

    Note: an optimizer's `weight_decay=λ` adds λ·p to each gradient, which is the gradient of
    (λ/2)·Σ p², so `weight_decay=2α` is the same as adding this penalty.
    """
    a = _real(alpha, "l2_regularization alpha")
    parameter_list_mistake(parameters, "l2_regularization")
    params = list(parameters)
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"l2_regularization expected Values, got {type(p).__name__}")
    data = [p.data for p in params]
    total = a * _fsum(d * d for d in data)
    return _node(total, params, [2.0 * a * d for d in data], "l2",
                 lambda: a * scalargrad.sum([p * p for p in params]))


# -- helpers -------------------------------------------------------------------------------

def _node(data: float, parents: Sequence[Value], local: Sequence[float], op: str,
          elementary: Any) -> Value:
    """One graph node (`Value.from_op` records no parents inside `no_grad()`); `elementary()`
    computes the same value with the ordinary ops, for its gradient as a graph."""
    return Value.from_op(data, parents, local, op,
                         backward_graph=lambda upstream: _graph_form(elementary, parents,
                                                                     upstream))


def _graph_form(elementary: Any, parents: Sequence[Value], upstream: Value) -> list[Value]:
    """The fused node's downstreams in Value ops: upstream × the local gradient, i.e. the
    partial derivative of its elementary graph with respect to each parent, the parents
    held independent (when one prediction is computed from another, the total derivative
    would count that path twice: once here and once when the backward pass goes on from
    the prediction). A parent listed twice gets it once, as its edges are added up."""
    return partials(_lift(elementary()), parents, upstream)


def _lift(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(float(x))


Term = tuple  # (loss value, ((operand, local gradient), ...))


def _reduce(terms: list[Term], reduction: str, op: str, elementary: Any,
            factor: float = 1.0) -> Value | list[Value]:
    """Combine per-sample terms into one node ("mean"/"sum") or one node each ("none").

    Each edge's local gradient is (factor·scale)·g, with scale 1/n for "mean", else 1.
    """
    if reduction == "none":
        return [_node(loss, *_edges(edges, factor), op, lambda i=i: elementary(i))
                for i, (loss, edges) in enumerate(terms)]
    if not terms:
        raise ValueError(f"{op} loss of an empty batch: expected at least one sample")
    scale = 1.0 / len(terms) if reduction == "mean" else 1.0
    total = _fsum(loss for loss, _ in terms) * scale
    parents: list[Value] = []
    local: list[float] = []
    for _, edges in terms:
        ps, ls = _edges(edges, factor * scale)
        parents += ps
        local += ls
    n = len(terms)
    return _node(total, parents, local, op,
                 lambda: scalargrad.sum([elementary(i) for i in range(n)]) * scale)


def _edges(edges: Iterable[tuple[Operand, float]], scale: float) -> tuple[list, list]:
    parents, local = [], []
    for operand, g in edges:
        if isinstance(operand, Value):
            parents.append(operand)
            local.append(g * scale)
    return parents, local


def _fsum(xs: Iterable[float]) -> float:
    """An accurate sum; one too large for a float is inf (as in PyTorch), not an error."""
    xs = list(xs)
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):  # fsum refuses an overflow and inf + -inf; + gives inf, NaN
        return sum(xs)


def _times(a: float, b: float) -> float:
    """a·b with 0·inf = 0: the limit of a bce term whose target agrees with an infinite logit."""
    return 0.0 if a == 0.0 else a * b


def _data(x: Any, what: str) -> float:
    if isinstance(x, Value):
        return x.data
    return _real(x, what)


def _real(x: Any, what: str) -> float:
    if not is_real(x):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{what}: {x!r} is too large to be stored as a float") from None


def _flatten(xs: Any, what: str) -> list:
    if isinstance(xs, Value) or is_real(xs):
        return [xs]
    if not is_array(xs):
        raise TypeError(f"{what} must be a list of numbers or Values, got {type(xs).__name__}")
    out: list = []
    for x in xs:
        if is_array(x):  # a row of a 2-D array: each output of a sample is one term
            out.extend(x)
        else:
            out.append(x)
    return out


def _labels(labels: Any, what: str) -> list[int]:
    if as_count(labels) is not None:
        labels = [labels]
    if not is_array(labels):
        raise TypeError(f"{what}: labels must be a list of ints, got {type(labels).__name__}")
    return [_label(y, what) for y in labels]


def _label(y: Any, what: str) -> int:
    """One label as an int: an int, a numpy int, or a whole float (1.0); never a bool."""
    n = as_count(y)
    if n is not None:
        return n
    if is_real(y):
        f = float(y)
        if not math.isfinite(f):
            raise ValueError(f"{what}: labels must be finite whole numbers (class indices or "
                             f"-1/+1), got {f!r}")
        if f.is_integer():
            return int(f)
    raise TypeError(f"{what}: labels must be ints, got {type(y).__name__} {y!r}")


def _rows(logits: Any) -> list[Sequence[Operand]]:
    if not is_array(logits):
        raise TypeError("cross_entropy: logits must be a list of per-sample lists of scores, "
                        f"got {type(logits).__name__}")
    rows: list[Sequence[Operand]] = []
    for row in logits:
        if not is_array(row) or len(row) == 0:
            raise TypeError("cross_entropy: each sample's logits must be a non-empty list of "
                            f"scores, got {row!r}")
        rows.append(row)
    return rows


def _is_single_sample(logits: Any) -> bool:
    return (is_array(logits) and len(logits) > 0
            and (isinstance(logits[0], Value) or is_real(logits[0])))


def _paired(xs: Any, ys: Any, fn: str, xs_name: str, ys_name: str) -> tuple[list, list]:
    """Both sides of a two-input loss, flattened, checked to have one entry per sample."""
    a = _flatten(xs, f"{fn} {xs_name}")
    b = _flatten(ys, f"{fn} {ys_name}")
    _same_length(a, b, fn, xs_name, ys_name)
    return a, b


def _same_length(a: Sequence, b: Sequence, fn: str, a_name: str, b_name: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}: {len(a)} {a_name} but {len(b)} {b_name}; "
                         "expected one per sample")


def _reduction(reduction: Any, fn: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {', '.join(REDUCTIONS)}; "
                         f"got {reduction!r}")
    return reduction


def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
