"""Second derivatives through nn's fused losses when the predictions share ancestors.

A fused loss's graph form (what `backward(create_graph=True)` differentiates again) must give
the loss node's *partial* derivatives with respect to its direct inputs. When one prediction is
computed from another (y and x·y), a total derivative would count the path between them twice
and make the Hessian asymmetric. Every loss of nn/losses.py (mse, hinge, bce with logits,
softmax cross entropy, l2), in each reduction, is run on predictions that share ancestors in the
three ways a network makes them: one prediction an ancestor of another, one prediction used
twice, one weight in several predictions. The oracle is PyTorch float64 on the same expression
(torch.autograd.functional.hessian and .hvp, torch.autograd.grad), to a relative 1e-9.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import pytest

import nn
import scalargrad as sg
from scalargrad import Value
from scalargrad.backward_graph import partials

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for second orders")
from test_higher_order import close_vectors  # noqa: E402  (needs torch, like that module)

F64 = torch.float64
POINT = [0.7, -1.3, 0.4]  # x, y, w
DIRECTION = [1.0, 0.5, -2.0]


# -- the predictions: three ways of sharing ancestors (each gives 3 predictions of x, y, w) --------

def _ancestor(x: Any, y: Any, w: Any) -> list:
    """y is an ancestor of x·y, which is an ancestor of tanh(x·y)·w."""
    xy = x * y
    return [xy, y, xy.tanh() * w]


def _twice(x: Any, y: Any, w: Any) -> list:
    """The same node x·y is two of the predictions."""
    xy = x * y
    return [xy, xy, y + w]


def _weight(x: Any, y: Any, w: Any) -> list:
    """The weight w is in every prediction; none is another's ancestor."""
    return [w * x, w * y, w * w - x]


PATTERNS: dict[str, Callable[..., list]] = {
    "ancestor": _ancestor, "twice": _twice, "shared weight": _weight}


# -- the losses, ours and torch's, on a list of 3 predictions (and the inputs x, y, w) ------------

def _stack(ps: Sequence[Any]) -> Any:
    return torch.stack(list(ps))


def _t(xs: Sequence[float]) -> Any:
    return torch.tensor(list(xs), dtype=F64)


def _weighted(nodes: Any, weights: Sequence[float] = (1.0, -2.0, 0.5)) -> Any:
    """Σ cᵢ·Lᵢ of reduction="none"'s per-sample nodes (distinct weights, so each one counts)."""
    return sum((c * n for c, n in zip(weights, nodes)), 0.0 * nodes[0])


def _one(loss: Value | list[Value]) -> Value:
    """A loss with reduction "mean" or "sum": one node."""
    assert isinstance(loss, Value)
    return loss


MSE_T = [0.5, -1.0, 0.25]
HINGE_Y = [1, -1, 1]
BCE_T = [1.0, 0.0, 0.3]
CE_Y = [0, 2]


def _ce_rows(ps: Sequence[Any], y: Any) -> list:
    """Two samples of 3 classes, sharing predictions between rows and within one."""
    return [[ps[0], ps[1], ps[2]], [ps[2], ps[0], y]]


def _hinge_torch(ps: Sequence[Any]) -> Any:
    return torch.clamp(1.0 - _t(HINGE_Y) * _stack(ps), min=0.0)


def _ce_torch(ps: Sequence[Any], y: Any, reduction: str) -> Any:
    logits = torch.stack([_stack(row) for row in _ce_rows(ps, y)])
    return torch.nn.functional.cross_entropy(logits, torch.tensor(CE_Y), reduction=reduction)


def _bce_torch(ps: Sequence[Any], targets: Any, reduction: str) -> Any:
    return torch.nn.functional.binary_cross_entropy_with_logits(_stack(ps), targets,
                                                                reduction=reduction)


Loss = tuple[Callable[..., Any], Callable[..., Any]]  # (ours, torch's): f(predictions, x, y, w)

LOSSES: dict[str, Loss] = {
    "mse mean": (lambda ps, x, y, w: nn.mse_loss(ps, MSE_T),
                 lambda ps, x, y, w: ((_stack(ps) - _t(MSE_T)) ** 2).mean()),
    "mse sum": (lambda ps, x, y, w: nn.mse_loss(ps, MSE_T, reduction="sum"),
                lambda ps, x, y, w: ((_stack(ps) - _t(MSE_T)) ** 2).sum()),
    "mse none": (lambda ps, x, y, w: _weighted(nn.mse_loss(ps, MSE_T, reduction="none")),
                 lambda ps, x, y, w: _weighted((_stack(ps) - _t(MSE_T)) ** 2)),
    "mse, Value targets": (  # the targets are ancestors of the predictions too
        lambda ps, x, y, w: nn.mse_loss(ps, [y, x * w, 0.25]),
        lambda ps, x, y, w: ((_stack(ps) - torch.stack([y, x * w, _t([0.25])[0]])) ** 2).mean()),
    "hinge mean": (lambda ps, x, y, w: nn.hinge_loss(ps, HINGE_Y),
                   lambda ps, x, y, w: _hinge_torch(ps).mean()),
    "hinge none": (lambda ps, x, y, w: _weighted(nn.hinge_loss(ps, HINGE_Y, reduction="none")),
                   lambda ps, x, y, w: _weighted(_hinge_torch(ps))),
    "bce mean": (lambda ps, x, y, w: nn.bce_with_logits(ps, BCE_T),
                 lambda ps, x, y, w: _bce_torch(ps, _t(BCE_T), "mean")),
    "bce sum": (lambda ps, x, y, w: nn.bce_with_logits(ps, BCE_T, reduction="sum"),
                lambda ps, x, y, w: _bce_torch(ps, _t(BCE_T), "sum")),
    "bce none": (lambda ps, x, y, w: _weighted(nn.bce_with_logits(ps, BCE_T, reduction="none")),
                 lambda ps, x, y, w: _weighted(_bce_torch(ps, _t(BCE_T), "none"))),
    "bce, Value targets": (
        lambda ps, x, y, w: nn.bce_with_logits(ps, [w.sigmoid(), (x * y).sigmoid(), 0.3]),
        lambda ps, x, y, w: _bce_torch(ps, torch.stack([w.sigmoid(), (x * y).sigmoid(),
                                                        _t([0.3])[0]]), "mean")),
    "cross entropy mean": (lambda ps, x, y, w: nn.cross_entropy(_ce_rows(ps, y), CE_Y),
                           lambda ps, x, y, w: _ce_torch(ps, y, "mean")),
    "cross entropy sum": (
        lambda ps, x, y, w: nn.cross_entropy(_ce_rows(ps, y), CE_Y, reduction="sum"),
        lambda ps, x, y, w: _ce_torch(ps, y, "sum")),
    "cross entropy none": (
        lambda ps, x, y, w: _weighted(nn.cross_entropy(_ce_rows(ps, y), CE_Y, reduction="none")),
        lambda ps, x, y, w: _weighted(_ce_torch(ps, y, "none"))),
    "l2": (lambda ps, x, y, w: nn.l2_regularization([*ps, x], 0.1),
           lambda ps, x, y, w: 0.1 * (_stack([*ps, x]) ** 2).sum()),
}

CASES = [(loss, pattern) for loss in LOSSES for pattern in PATTERNS]


def _functions(loss: str, pattern: str) -> tuple[Callable, Callable]:
    """(ours, torch's): the loss of the pattern's predictions, as a function of x, y, w."""
    ours, theirs = LOSSES[loss]
    build = PATTERNS[pattern]
    return (lambda x, y, w: ours(build(x, y, w), x, y, w),
            lambda x, y, w: theirs(build(x, y, w), x, y, w))


def _scalars(xs: Sequence[float], grad: bool = False) -> tuple:
    return tuple(torch.tensor(v, dtype=F64, requires_grad=grad) for v in xs)


def _torch_hessian(f: Callable) -> list[list[float]]:
    h = torch.autograd.functional.hessian(f, _scalars(POINT))
    return [[float(entry) for entry in row] for row in h]


@pytest.mark.parametrize("loss, pattern", CASES)
def test_hessian_matches_torch(loss: str, pattern: str) -> None:
    """sg.hessian of the loss of predictions sharing ancestors is torch's Hessian."""
    ours, theirs = _functions(loss, pattern)
    found = sg.hessian(ours)(*POINT)
    expected = _torch_hessian(theirs)
    for row_found, row_expected in zip(found, expected):
        assert close_vectors(row_found, row_expected), (found, expected)


@pytest.mark.parametrize("loss, pattern", CASES)
def test_hessian_is_symmetric(loss: str, pattern: str) -> None:
    """∂²L/∂a∂b = ∂²L/∂b∂a for every pair of inputs (to rounding)."""
    h = sg.hessian(_functions(loss, pattern)[0])(*POINT)
    for i in range(3):
        for j in range(i):
            assert abs(h[i][j] - h[j][i]) <= 1e-12 * max(1.0, abs(h[i][j])), h


@pytest.mark.parametrize("loss, pattern", CASES)
def test_hvp_matches_torch(loss: str, pattern: str) -> None:
    """sg.hvp (forward mode over the create_graph backward pass) is
    torch.autograd.functional.hvp's."""
    ours, theirs = _functions(loss, pattern)
    _, product = torch.autograd.functional.hvp(theirs, _scalars(POINT), _scalars(DIRECTION))
    assert close_vectors(sg.hvp(ours, POINT, DIRECTION), [float(p) for p in product])


@pytest.mark.parametrize("loss, pattern", CASES)
def test_create_graph_gradient_matches_torch(loss: str, pattern: str) -> None:
    """The gradient that backward(create_graph=True) leaves in .grad (built by the graph
    forms) is torch's gradient."""
    ours, theirs = _functions(loss, pattern)
    leaves = [Value(v) for v in POINT]
    ours(*leaves).backward(create_graph=True)
    ts = _scalars(POINT, grad=True)
    expected = torch.autograd.grad(theirs(*ts), ts)
    grads: list[Any] = [v.grad for v in leaves]  # Values: the backward pass as a graph
    assert close_vectors([g.data for g in grads], [float(g) for g in expected])


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_the_gradient_of_a_gradient_component_matches_torch(loss: str) -> None:
    """∂(∂L/∂y)/∂x through the graph form, with y an ancestor of a prediction (the entry
    the double count made wrong), is torch's: backward on the create_graph gradient."""
    ours, theirs = _functions(loss, "ancestor")
    x, y, w = (Value(v) for v in POINT)
    dy = sg.gradients(ours(x, y, w), [y], create_graph=True)[0]
    found = sg.gradients(dy, [x, w])
    ts = _scalars(POINT, grad=True)
    (dy_t,) = torch.autograd.grad(theirs(*ts), [ts[1]], create_graph=True)
    expected = torch.autograd.grad(dy_t, [ts[0], ts[2]])
    assert close_vectors(found, [float(g) for g in expected])


def _net(a: Any, b: Any, c: Any, d: Any, e: Any) -> list:
    """Deep supervision on two samples: each gives its hidden unit h = tanh(a·x₀ + b·x₁), its
    output o = c·h + d and e·o, so h is an ancestor of o and every weight is in several."""
    preds = []
    for x0, x1 in ((0.5, -1.0), (-0.3, 0.8)):
        h = (a * x0 + b * x1).tanh()
        o = c * h + d
        preds += [h, o, e * o]
    return preds


NET_POINT = [0.6, -0.4, 1.1, 0.2, -0.7]
NET_HINGE_Y = [1, -1, 1, -1, 1, -1]
NET_LOSSES: dict[str, Loss] = {  # f(predictions) of the six predictions, ours and torch's
    "mse": (lambda ps: nn.mse_loss(ps, [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
            lambda ps: ((_stack(ps) - _t([0.1, -0.2, 0.3, 0.4, -0.5, 0.6])) ** 2).mean()),
    "bce": (lambda ps: nn.bce_with_logits(ps, [1.0, 0.0, 0.5, 0.0, 1.0, 0.2]),
            lambda ps: _bce_torch(ps, _t([1.0, 0.0, 0.5, 0.0, 1.0, 0.2]), "mean")),
    "cross entropy": (lambda ps: nn.cross_entropy([ps[:3], ps[3:]], [2, 0]),
                      lambda ps: torch.nn.functional.cross_entropy(
                          torch.stack([_stack(ps[:3]), _stack(ps[3:])]), torch.tensor([2, 0]))),
    "hinge + l2": (lambda ps: _one(nn.hinge_loss(ps, NET_HINGE_Y))
                   + nn.l2_regularization(ps[:2], 0.05),
                   lambda ps: torch.clamp(1.0 - _t(NET_HINGE_Y) * _stack(ps),
                                          min=0.0).mean() + 0.05 * (_stack(ps[:2]) ** 2).sum()),
}


def test_the_point_is_away_from_every_kink() -> None:
    """At POINT (and NET_POINT) no hinge margin is at its kink and both bce branches (z ≥ 0
    and z < 0) are taken, so the torch comparisons test smooth second derivatives."""
    for build in PATTERNS.values():
        scores = [v.data for v in build(*(Value(v) for v in POINT))]
        margins = [1.0 - y * s for y, s in zip(HINGE_Y, scores)]
        assert min(abs(m) for m in margins) > 1e-3, margins
    scores = [v.data for v in _net(*(Value(v) for v in NET_POINT))]
    margins = [1.0 - y * s for y, s in zip(NET_HINGE_Y, scores)]
    assert min(abs(m) for m in margins) > 1e-3, margins
    logits = [v.data for build in PATTERNS.values()
              for v in build(*(Value(v) for v in POINT))]
    assert any(z >= 0 for z in logits) and any(z < 0 for z in logits), logits


@pytest.mark.parametrize("loss", sorted(NET_LOSSES))
def test_hessian_of_a_deeply_supervised_net_matches_torch(loss: str) -> None:
    """The Hessian with respect to a small network's five weights, of a loss on its hidden
    unit and its outputs (hidden an ancestor of output, each weight in several predictions),
    is torch's."""
    ours, theirs = NET_LOSSES[loss]
    found = sg.hessian(lambda *ws: ours(_net(*ws)))(*NET_POINT)
    h = torch.autograd.functional.hessian(lambda *ws: theirs(_net(*ws)), _scalars(NET_POINT))
    expected = [[float(entry) for entry in row] for row in h]
    for row_found, row_expected in zip(found, expected):
        assert close_vectors(row_found, row_expected), (found, expected)


def test_a_hook_on_a_prediction_runs_once_with_the_total_gradient() -> None:
    """A hook on a prediction runs once in a create_graph backward, seeing torch's gradient
    of the loss with respect to it (the graph form's own walk does not run it)."""
    x, y = Value(1.3), Value(-0.7)
    xy = x * y
    seen: list = []
    xy.register_hook(lambda g: seen.append(g.data))
    _one(nn.mse_loss([xy, y], [0.5, -1.0])).backward(create_graph=True)
    tx, ty = _scalars([1.3, -0.7], grad=True)
    txy = tx * ty
    (expected,) = torch.autograd.grad(((torch.stack([txy, ty]) - _t([0.5, -1.0])) ** 2).mean(),
                                      [txy])
    assert len(seen) == 1 and close_vectors(seen, [float(expected)]), seen


def test_partials_hold_the_inputs_independent() -> None:
    """backward_graph.partials of q·p with q = p·y computed from p gives upstream × q for p
    (its partial), not upstream × (q + p·y) (its total derivative); y, not reached, gets 0."""
    p, y = Value(1.5), Value(-2.0)
    q = p * y
    upstream = Value(3.0)
    dp, dq, dy = partials(q * p, [p, q, y], upstream)
    assert (dp.data, dq.data, dy.data) == (3.0 * q.data, 3.0 * p.data, 0.0)


def test_partials_give_a_repeated_input_its_partial_once() -> None:
    """An input listed twice gets its partial derivative the first time and 0 the second, as
    the two edges of a node are added up."""
    p = Value(2.0)
    first, second = partials(p * p, [p, p], Value(1.0))
    assert (first.data, second.data) == (4.0, 0.0)
