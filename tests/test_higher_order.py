"""Gradients of gradients against PyTorch float64 (torch.autograd.grad with create_graph=True).

Second and third derivatives of every op, of random graphs of every op, and Hessians of random
small MLP losses (through nn's fused losses) must match PyTorch to a relative 1e-9; finite
differences of the engine's first derivatives are a second, independent oracle.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Sequence

import pytest
from ops_table import OPS, Op

import nn
import scalargrad as sg
from scalargrad import Value

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for higher orders")
from test_fuzz_torch import (  # noqa: E402  (needs torch, like that module)
    Ref,
    _apply_sg,
    _apply_torch,
    random_program,
)

RTOL = 1e-9
ATOL = 1e-12


def close_vectors(ours: Sequence[float], theirs: Sequence[float]) -> bool:
    """Component-wise equal to RTOL of the larger of the two or of the vector's largest entry."""
    finite = [abs(x) for x in list(ours) + list(theirs) if math.isfinite(x)]
    scale = max(finite, default=0.0)
    for a, b in zip(ours, theirs):
        if math.isnan(a) or math.isnan(b):
            if not (math.isnan(a) and math.isnan(b)):
                return False
        elif math.isinf(a) or math.isinf(b):
            if a != b:
                return False
        elif abs(a - b) > RTOL * max(abs(a), abs(b), scale) + ATOL:
            return False
    return len(ours) == len(theirs)


def _weights(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.choice([1.0, -0.5, rng.uniform(-2.0, 2.0)]) for _ in range(n)]


def three_orders_sg(build: Callable[[list[Value]], Value], xs: Sequence[float],
                    seed: int = 0) -> list[list[float]]:
    """∂y/∂x, then ∂(c·∂y/∂x)/∂x, then ∂(d·that)/∂x, for fixed random c, d."""
    leaves = [Value(x) for x in xs]
    y = build(leaves)
    out = []
    grads: list = []
    for weights in (None, _weights(len(xs), seed), _weights(len(xs), seed + 1)):
        if weights is not None:
            y = sg.sum([g * w for g, w in zip(grads, weights)])
        grads = sg.gradients(y, leaves, create_graph=True)
        out.append([g.data for g in grads])
    return out


def three_orders_torch(build: Callable[[list[Any]], Any], xs: Sequence[float],
                       seed: int = 0) -> list[list[float]]:
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = build(leaves)
    out = []
    grads: list = []
    for weights in (None, _weights(len(xs), seed), _weights(len(xs), seed + 1)):
        if weights is not None:
            y = sum(g * w for g, w in zip(grads, weights))
        if not isinstance(y, torch.Tensor) or not y.requires_grad:
            grads = [torch.zeros((), dtype=torch.float64) for _ in leaves]
        else:
            found = torch.autograd.grad(y, leaves, create_graph=True, allow_unused=True)
            grads = [torch.zeros((), dtype=torch.float64) if g is None else g for g in found]
        out.append([float(g.detach()) for g in grads])
    return out


# -- every op --------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=str)
def test_second_and_third_derivatives_of_each_op(op: Op) -> None:
    """Each op's own derivatives of orders 1–3 at its fixed point match PyTorch."""
    ours = three_orders_sg(lambda v: op.engine(*v), op.at)
    theirs = three_orders_torch(lambda t: op.torch(*t), op.at)
    assert all(close_vectors(a, b) for a, b in zip(ours, theirs)), (ours, theirs)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_derivatives_of_each_op_under_a_curved_upstream(op: Op) -> None:
    """sin(op(x))·op(x): the op's graph form chained with a non-constant upstream."""
    ours = three_orders_sg(lambda v: (lambda y: y.sin() * y)(op.engine(*v)), op.at)
    theirs = three_orders_torch(lambda t: (lambda y: y.sin() * y)(op.torch(*t)), op.at)
    assert all(close_vectors(a, b) for a, b in zip(ours, theirs)), (ours, theirs)


# -- random graphs ---------------------------------------------------------------------------


def _program_fn(program: Any, apply: Callable, to_leaf: Callable) -> Callable:
    def build(leaves: list) -> Any:
        nodes = list(leaves)
        for step in program.steps:
            args = [nodes[a.index] if isinstance(a, Ref) else a for a in step.args]
            out = apply(step, args)
            nodes.append(to_leaf(out))
        return nodes[-1] * program.seed_grad
    return build


def _torch_leaf(x: Any) -> Any:
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)


def _torch_quirk(program: Any) -> bool:
    """True if a power with a Value exponent has base exactly 1: there PyTorch's third
    derivative is off (d³(x**x)/dx³ at 1 is 3; torch.autograd.grad gives 2)."""
    nodes: list = [Value(x) for x in program.inputs]
    for step in program.steps:
        args = [nodes[a.index] if isinstance(a, Ref) else a for a in step.args]
        if (step.op == "pow" and all(isinstance(a, Value) for a in args)
                and args[0].data == 1.0):
            return True
        nodes.append(_apply_sg(step, args))
    return False


def test_the_torch_quirk_is_torchs() -> None:
    """d³(x**x)/dx³ at 1 is 3 (x^x((ln x + 1)³ + 3(ln x + 1)/x − 1/x²)): the engine says 3."""
    third = sg.grad(sg.grad(sg.grad(lambda x: x ** x)))
    assert third(1.0) == pytest.approx(3.0, rel=1e-12)


@pytest.mark.parametrize("chunk", range(4))
def test_random_graphs_to_third_order(chunk: int) -> None:
    """Random graphs of every op (the fuzz tests' generator): orders 1–3 match PyTorch."""
    failures = []
    for seed in range(chunk * 50, chunk * 50 + 50):
        program = random_program(10_000 + seed)
        if _torch_quirk(program):
            continue
        ours = three_orders_sg(_program_fn(program, _apply_sg, lambda x: x), program.inputs,
                               seed)
        theirs = three_orders_torch(_program_fn(program, _apply_torch, _torch_leaf),
                                    program.inputs, seed)
        for order, (a, b) in enumerate(zip(ours, theirs), start=1):
            if not close_vectors(a, b):
                failures.append(f"{program}\n  order {order}: engine {a}, torch {b}")
                break
    assert not failures, "\n\n".join(failures[:3])


def test_second_derivatives_match_finite_differences_of_the_first() -> None:
    """The second oracle: ∂(c·∇y)/∂x ≈ central differences of c·∇y, the engine's own first
    derivatives at x ± h (no torch involved)."""
    checked = 0
    for seed in range(40):
        program = random_program(20_000 + seed)
        build = _program_fn(program, _apply_sg, lambda x: x)
        c = _weights(len(program.inputs), seed)

        def first(xs: Sequence[float], build: Callable = build, c: list = c) -> float:
            leaves = [Value(x) for x in xs]
            grads = sg.gradients(build(leaves), leaves)
            return math.fsum(g * w for g, w in zip(grads, c))

        second = three_orders_sg(build, program.inputs, seed)[1]
        for k, x in enumerate(program.inputs):
            h = 1e-5 * max(1.0, abs(x))
            up = list(program.inputs)
            down = list(program.inputs)
            up[k], down[k] = x + h, x - h
            try:
                fd = (first(up) - first(down)) / (2 * h)
            except (ValueError, ZeroDivisionError, OverflowError):
                continue  # x ± h left the domain
            if not (math.isfinite(fd) and math.isfinite(second[k])) or abs(second[k]) > 1e6:
                continue
            assert abs(fd - second[k]) <= 1e-4 * max(1.0, abs(second[k])), (
                f"{program}\n  input {k}: engine {second[k]}, finite differences {fd}")
            checked += 1
    assert checked > 50


# -- MLP losses ------------------------------------------------------------------------------

LOSSES = ("mse", "bce", "cross_entropy", "hinge")


def _mlp_case(seed: int) -> tuple[list[int], list[float], list[list[float]], list, str, str]:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)]
    loss = LOSSES[seed % len(LOSSES)]
    if loss in ("bce", "hinge"):
        sizes[-1] = 1
    if loss == "cross_entropy":
        sizes[-1] = max(2, sizes[-1])
    n = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    params = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    batch = [[rng.uniform(-2.0, 2.0) for _ in range(sizes[0])] for _ in range(rng.randint(1, 3))]
    if loss == "mse":
        targets: list = [[rng.uniform(-1.0, 1.0) for _ in range(sizes[-1])] for _ in batch]
    elif loss == "bce":
        targets = [rng.random() for _ in batch]
    elif loss == "hinge":
        targets = [rng.choice([-1, 1]) for _ in batch]
    else:
        targets = [rng.randrange(sizes[-1]) for _ in batch]
    return sizes, params, batch, targets, loss, rng.choice(["tanh", "sigmoid"])


def _forward(sizes: list[int], params: Sequence[Any], x: Sequence[Any], act: Callable,
             dot: Callable) -> list:
    it = iter(params)
    h = list(x)
    for li, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        rows = [([next(it) for _ in range(nin)], next(it)) for _ in range(nout)]
        h = [dot(w, h, b) for w, b in rows]
        if li < len(sizes) - 2:
            h = [act(z) for z in h]
    return h


def _sg_loss(sizes: list, batch: list, targets: list, loss: str, act: str) -> Callable:
    def f(*params: Value) -> Value:
        outs = [_forward(sizes, params, x, getattr(Value, act), sg.dot) for x in batch]
        if loss == "mse":
            return nn.mse_loss(outs, targets)
        if loss == "bce":
            return nn.bce_with_logits([o[0] for o in outs], targets)
        if loss == "hinge":
            return nn.hinge_loss([o[0] for o in outs], targets) + nn.l2_regularization(
                list(params), 0.01)
        return nn.cross_entropy(outs, targets)
    return f


def _torch_loss(sizes: list, batch: list, targets: list, loss: str, act: str) -> Callable:
    F = torch.nn.functional

    def dot(w: list, x: list, b: Any) -> Any:
        return torch.stack([wi * xi for wi, xi in zip(w, x)]).sum() + b

    def f(flat: Any) -> Any:
        params = list(flat.unbind())
        fn = getattr(torch, act)
        outs = [torch.stack(_forward(sizes, params, x, fn, dot)) for x in batch]
        if loss == "mse":
            terms = [(o - torch.tensor(t, dtype=torch.float64)) ** 2 for o, t in zip(outs, targets)]
            return torch.stack(terms).mean()
        if loss == "bce":
            return F.binary_cross_entropy_with_logits(torch.stack([o[0] for o in outs]),
                                                      torch.tensor(targets, dtype=torch.float64))
        if loss == "hinge":
            margins = torch.stack([torch.relu(1 - t * o[0]) for o, t in zip(outs, targets)])
            return margins.mean() + 0.01 * (flat * flat).sum()
        return F.cross_entropy(torch.stack(outs), torch.tensor(targets))
    return f


@pytest.mark.parametrize("seed", range(12))
def test_hessian_of_a_small_mlp_loss(seed: int) -> None:
    """sg.hessian of an MLP's loss (dot neurons, nn's fused loss) matches PyTorch's."""
    sizes, params, batch, targets, loss, act = _mlp_case(seed)
    ours = sg.hessian(_sg_loss(sizes, batch, targets, loss, act))(*params)
    theirs = torch.autograd.functional.hessian(
        _torch_loss(sizes, batch, targets, loss, act),
        torch.tensor(params, dtype=torch.float64)).tolist()
    assert len(ours) == len(theirs)
    for row_ours, row_theirs in zip(ours, theirs):
        assert close_vectors(row_ours, row_theirs), (loss, act, row_ours, row_theirs)
