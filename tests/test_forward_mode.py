"""Forward mode against PyTorch float64 and finite differences.

`jvp` against `torch.func.jvp`, `jacfwd` and `jacrev` against
`torch.autograd.functional.jacobian`, `hvp` against `torch.autograd.functional.hvp`: on every
op of the ops table, on the fuzz tests' random graphs of every op, on an MLP's input Jacobian
(nn.MLP through `nn.to_torch`) and on nn's losses. Central differences of the forward values
(no derivative of ours involved) are the second oracle. The engine is never its own oracle.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ops_table import OPS, Op
from strategies import PROPERTY, programs

import nn
import scalargrad as sg
from scalargrad import Value

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for forward mode")
from test_fuzz_torch import _apply_sg, _apply_torch, random_program  # noqa: E402
from test_higher_order import _program_fn, _torch_leaf, _torch_quirk, close_vectors  # noqa: E402

F64 = torch.float64


def _t(xs: Sequence[float]) -> tuple:
    return tuple(torch.tensor(float(x), dtype=F64) for x in xs)


def _direction(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.choice([1.0, -0.5, rng.uniform(-2.0, 2.0)]) for _ in range(n)]


def torch_jvp(fn: Callable, xs: Sequence[float], ts: Sequence[float]) -> tuple[float, float]:
    value, tangent = torch.func.jvp(lambda *a: fn(*a), _t(xs), _t(ts))
    return float(value), float(tangent)


def torch_jacobian(fn: Callable, xs: Sequence[float]) -> list:
    """torch's Jacobian as ours is shaped: n floats for one output, m lists for m."""
    jac = torch.autograd.functional.jacobian(fn, _t(xs))  # one entry per input
    if jac[0].dim() == 0:  # one output: n scalars
        return [float(j) for j in jac]
    return [[float(column[i]) for column in jac] for i in range(len(jac[0]))]


def torch_hvp(fn: Callable, xs: Sequence[float], v: Sequence[float]) -> list[float]:
    _, product = torch.autograd.functional.hvp(fn, _t(xs), _t(v))
    return [float(p) for p in product]


# -- every op ------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=str)
def test_jvp_of_each_op_matches_torch_func_jvp(op: Op) -> None:
    """jvp of every op at its point, along a mixed direction, is torch.func.jvp's."""
    ts = _direction(op.arity, 1)
    ours = sg.jvp(op.engine, list(op.at), ts)
    theirs = torch_jvp(op.torch, op.at, ts)
    assert close_vectors(ours, theirs), (ours, theirs)


@pytest.mark.parametrize("op", OPS, ids=str)
@PROPERTY
@given(data=st.data())
def test_jvp_of_each_op_matches_torch_on_its_domain(op: Op, data: st.DataObject) -> None:
    """jvp agrees with torch.func.jvp at random points of each op's domain."""
    xs = list(data.draw(op.inputs()))
    ts = data.draw(st.lists(st.floats(-3.0, 3.0), min_size=op.arity, max_size=op.arity))
    ours = sg.jvp(op.engine, xs, ts)
    theirs = torch_jvp(op.torch, xs, ts)
    assert close_vectors(ours, theirs), (xs, ts, ours, theirs)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_jacfwd_and_jacrev_of_each_op_match_torch_jacobian(op: Op) -> None:
    """Both Jacobians of every op are torch.autograd.functional.jacobian's."""
    theirs = torch_jacobian(op.torch, op.at)
    assert close_vectors(sg.jacfwd(op.engine)(*op.at), theirs)
    assert close_vectors(sg.jacrev(op.engine)(*op.at), theirs)


@pytest.mark.parametrize("op", OPS, ids=str)
def test_hvp_of_each_op_matches_torch_hvp(op: Op) -> None:
    """H·v of sin(op(x))·op(x) (curved, so H is not 0) is torch.autograd.functional.hvp's."""
    def curved(engine: Callable) -> Callable:
        return lambda *a: (lambda y: y.sin() * y)(engine(*a))

    v = _direction(op.arity, 2)
    ours = sg.hvp(curved(op.engine), list(op.at), v)
    theirs = torch_hvp(curved(op.torch), op.at, v)
    assert close_vectors(ours, theirs), (ours, theirs)


# -- random graphs -------------------------------------------------------------------------------


def _program(seed: int) -> tuple[Any, Callable, Callable]:
    program = random_program(seed)
    ours = _program_fn(program, _apply_sg, lambda x: x)
    theirs = _program_fn(program, _apply_torch, _torch_leaf)
    return program, (lambda *xs: ours(list(xs))), (lambda *xs: theirs(list(xs)))


@pytest.mark.parametrize("chunk", range(3))
def test_jvp_of_random_graphs_matches_torch(chunk: int) -> None:
    """Random graphs of every op (fan-out, repeats, sum, dot): value and tangent match
    torch.func.jvp."""
    failures = []
    for seed in range(chunk * 60, chunk * 60 + 60):
        program, ours_fn, theirs_fn = _program(30_000 + seed)
        ts = _direction(len(program.inputs), seed)
        ours = sg.jvp(ours_fn, list(program.inputs), ts)
        theirs = torch_jvp(theirs_fn, program.inputs, ts)
        if not close_vectors(ours, theirs):
            failures.append(f"{program}\n  tangent {ts}: engine {ours}, torch {theirs}")
    assert not failures, "\n\n".join(failures[:3])


def _run_steps(xs: list, steps: list, unary: dict) -> Any:
    nodes = list(xs)
    for op, i, j in steps:
        a, b = nodes[i], nodes[j]
        nodes.append(unary[op](a) if op in unary else a + b if op == "+" else
                     a - b if op == "-" else a * b)
    return nodes[-1]


SG_UNARY = {"tanh": Value.tanh, "sin": Value.sin, "cos": Value.cos, "sigmoid": Value.sigmoid,
            "neg": Value.__neg__}
TORCH_UNARY = {"tanh": torch.tanh, "sin": torch.sin, "cos": torch.cos,
               "sigmoid": torch.sigmoid, "neg": torch.neg}


@PROPERTY
@given(program=programs(), direction=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_jvp_of_hypothesis_programs_matches_torch(program: tuple, direction: list) -> None:
    """The shared strategy's straight-line programs (fan-out, a node used twice): jvp is
    torch.func.jvp's, and jvp = gradient · direction with torch's gradient."""
    xs, steps = program
    ours = sg.jvp(lambda *a: _run_steps(list(a), steps, SG_UNARY), xs, direction)
    theirs = torch_jvp(lambda *a: _run_steps(list(a), steps, TORCH_UNARY), xs, direction)
    assert close_vectors(ours, theirs), (program, direction, ours, theirs)
    gradient = torch_jacobian(lambda *a: _run_steps(list(a), steps, TORCH_UNARY), xs)
    dotted = math.fsum(g * d for g, d in zip(gradient, direction))
    assert close_vectors([ours[1]], [dotted]), (ours, dotted)


def test_jacobians_of_random_graphs_match_torch() -> None:
    """jacfwd (n forward passes) and jacrev (one backward pass) of random graphs both give
    torch.autograd.functional.jacobian's row."""
    failures = []
    for seed in range(60):
        program, ours_fn, theirs_fn = _program(40_000 + seed)
        theirs = torch_jacobian(theirs_fn, program.inputs)
        for name, jac in (("jacfwd", sg.jacfwd), ("jacrev", sg.jacrev)):
            ours = jac(ours_fn)(*program.inputs)
            if not close_vectors(ours, theirs):
                failures.append(f"{program}\n  {name}: engine {ours}, torch {theirs}")
    assert not failures, "\n\n".join(failures[:3])


def test_hvp_of_random_graphs_matches_torch() -> None:
    """Forward over reverse on random graphs: H·v is torch.autograd.functional.hvp's."""
    failures = []
    checked = 0
    for seed in range(60):
        program, ours_fn, theirs_fn = _program(50_000 + seed)
        if _torch_quirk(program):
            continue
        v = _direction(len(program.inputs), seed)
        ours = sg.hvp(ours_fn, list(program.inputs), v)
        theirs = torch_hvp(theirs_fn, program.inputs, v)
        checked += 1
        if not close_vectors(ours, theirs):
            failures.append(f"{program}\n  v {v}: engine {ours}, torch {theirs}")
    assert not failures, "\n\n".join(failures[:3])
    assert checked > 40


def test_vector_outputs_of_random_graphs_match_torch_jacobian() -> None:
    """f: R^n -> R^3 built on a random graph y (y, sin(y)·x₀, e^(x_last) + y²): both
    Jacobians (3 rows of n) are torch's."""
    for seed in range(30):
        program, ours_fn, theirs_fn = _program(60_000 + seed)
        if _torch_quirk(program):
            continue

        def ours(*a: Value, f: Callable = ours_fn) -> list:
            y = f(*a)
            return [y, y.sin() * a[0], a[-1].exp() + y * y]

        def theirs(*a: Any, f: Callable = theirs_fn) -> Any:
            y = f(*a)
            return torch.stack([y, y.sin() * a[0], a[-1].exp() + y * y])

        expected = torch_jacobian(theirs, program.inputs)
        for jac in (sg.jacfwd, sg.jacrev):
            got = jac(ours)(*program.inputs)
            assert len(got) == 3 and all(close_vectors(r, e) for r, e in zip(got, expected)), (
                str(program), got, expected)


# -- nn: an MLP's input Jacobian and the losses ----------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("fused", [True, False])
def test_mlp_input_jacobian_matches_torch(activation: str, fused: bool) -> None:
    """∂MLP(x)/∂x (3 inputs, 2 outputs) by jacfwd and jacrev is torch's Jacobian of the same
    network (nn.to_torch, float64)."""
    model = nn.MLP(3, [5, 4, 2], activation=activation, seed=7, fused=fused)
    twin = nn.to_torch(model, dtype=F64)
    x = [0.3, -1.2, 0.8]
    expected = torch.autograd.functional.jacobian(twin, torch.tensor(x, dtype=F64)).tolist()
    for jac in (sg.jacfwd, sg.jacrev):
        got = jac(lambda *xs: model(list(xs)))(*x)
        assert all(close_vectors(a, b) for a, b in zip(got, expected)), (got, expected)


def test_jvp_through_mlp_and_fused_losses_matches_torch() -> None:
    """A directional derivative through an MLP and each of nn's fused losses (mse, bce,
    cross entropy, hinge + l2) is torch.func.jvp's."""
    model = nn.MLP(2, [4, 3], activation="tanh", seed=3)
    twin = nn.to_torch(model, dtype=F64)
    params = model.parameters()
    F = torch.nn.functional

    losses: dict[str, tuple[Callable, Callable]] = {
        "mse": (lambda out: nn.mse_loss(out, [0.5, -1.0, 0.25]),
                lambda out: F.mse_loss(out, torch.tensor([0.5, -1.0, 0.25], dtype=F64))),
        "bce": (lambda out: nn.bce_with_logits(out, [1.0, 0.0, 0.3]),
                lambda out: F.binary_cross_entropy_with_logits(
                    out, torch.tensor([1.0, 0.0, 0.3], dtype=F64))),
        "cross_entropy": (lambda out: nn.cross_entropy(out, 2),
                          lambda out: F.cross_entropy(out.unsqueeze(0), torch.tensor([2]))),
        "hinge+l2": (lambda out: nn.hinge_loss(out, [1, -1, 1])
                     + nn.l2_regularization(params, 0.01),
                     lambda out: torch.clamp(1.0 - torch.tensor([1.0, -1.0, 1.0], dtype=F64)
                                             * out, min=0.0).mean()
                     + 0.01 * sum((p ** 2).sum() for p in twin.parameters())),
    }
    x, direction = [0.4, -0.7], [1.0, -2.0]
    for name, (ours_loss, theirs_loss) in losses.items():
        ours = sg.jvp(lambda *a, f=ours_loss: f(model(list(a))), x, direction)
        value, tangent = torch.func.jvp(lambda t, f=theirs_loss: f(twin(t)),
                                        (torch.tensor(x, dtype=F64),),
                                        (torch.tensor(direction, dtype=F64),))
        assert close_vectors(ours, (value.item(), tangent.item())), (name, ours)


def test_jvp_with_no_grad_inside_f_matches_torch_func_jvp() -> None:
    """no_grad() inside f does not stop forward mode, in torch.func.jvp nor here: through an
    MLP, a dot and an mse loss the directional derivative is torch's."""
    model = nn.MLP(2, [4, 2], activation="tanh", seed=5)
    twin = nn.to_torch(model, dtype=F64)

    def ours(a: Value, b: Value) -> Value:
        with sg.no_grad():
            out = model([a, b])
            return nn.mse_loss(out, [0.5, -0.25]) + sg.dot([a, b], out)  # type: ignore

    def theirs(t: Any) -> Any:
        with torch.no_grad():
            out = twin(t)
            return torch.nn.functional.mse_loss(
                out, torch.tensor([0.5, -0.25], dtype=F64)) + (t * out).sum()

    x, direction = [0.3, -0.6], [1.0, 0.5]
    value, tangent = torch.func.jvp(theirs, (torch.tensor(x, dtype=F64),),
                                    (torch.tensor(direction, dtype=F64),))
    got = sg.jvp(ours, x, direction)
    assert close_vectors(got, (value.item(), tangent.item())), got


def test_hvp_through_an_mlp_loss_matches_torch() -> None:
    """H·v of an MLP's loss with respect to its input (forward over the create_graph
    backward pass through dot, tanh and the fused mse node) is torch's."""
    model = nn.MLP(3, [4, 1], activation="tanh", seed=11)
    twin = nn.to_torch(model, dtype=F64)
    x, v = [0.2, -0.4, 0.9], [1.0, 0.5, -2.0]
    ours = sg.hvp(lambda *a: nn.mse_loss(model(list(a)), 0.3), x, v)
    _, theirs = torch.autograd.functional.hvp(
        lambda t: ((twin(t) - 0.3) ** 2).mean(), torch.tensor(x, dtype=F64),
        torch.tensor(v, dtype=F64))
    assert close_vectors(ours, theirs.tolist()), (ours, theirs)


def _loss_cases() -> dict:
    F = torch.nn.functional
    labels = torch.tensor([1.0, -1.0], dtype=F64)
    return {  # (ours, torch) on two inputs x, y; the predictions are the inputs' own duals
        "mse(x, y) · xy": (lambda x, y: nn.mse_loss([x, y], [1.0, 0.5]) * (x * y),
                           lambda x, y: ((x - 1) ** 2 + (y - 0.5) ** 2) / 2 * (x * y)),
        "l2 · x": (lambda x, y: nn.l2_regularization([x, y], 0.1) * x,
                   lambda x, y: 0.1 * (x * x + y * y) * x),
        "hinge + l2": (lambda x, y: nn.hinge_loss([x * y, y.tanh()], [1, -1])
                       + nn.l2_regularization([x, y], 0.1),
                       lambda x, y: torch.clamp(1 - labels * torch.stack([x * y, y.tanh()]),
                                                min=0).mean() + 0.1 * (x * x + y * y)),
        "bce": (lambda x, y: nn.bce_with_logits([x * y, x.sin()], [1.0, 0.2]),
                lambda x, y: F.binary_cross_entropy_with_logits(
                    torch.stack([x * y, x.sin()]), torch.tensor([1.0, 0.2], dtype=F64))),
        "cross entropy": (lambda x, y: nn.cross_entropy([x * y, x.sin(), y.cos()], 1),
                          lambda x, y: F.cross_entropy(torch.stack([x * y, x.sin(), y.cos()])
                                                       .unsqueeze(0), torch.tensor([1]))),
    }


@pytest.mark.parametrize("case", sorted(_loss_cases()))
def test_hvp_through_fused_losses_of_the_inputs_matches_torch(case: str) -> None:
    """H·v where the fused losses' predictions (and l2's parameters) are the inputs' duals
    themselves: the losses' graph forms rebuild their elementary graphs from those duals
    during the backward pass, and still reach them. Both sg.hvp and a hand-made jvp of grad f
    are torch.autograd.functional.hvp's."""
    ours_f, theirs_f = _loss_cases()[case]
    x, v = [0.7, -1.3], [1.0, 0.5]
    theirs = torch_hvp(theirs_f, x, v)
    assert close_vectors(sg.hvp(ours_f, x, v), theirs)
    by_hand = sg.jvp(lambda *d: list(sg.grad(ours_f, (0, 1))(*d)), x, v)[1]
    assert close_vectors(by_hand, theirs), (by_hand, theirs)


# -- finite differences: the second oracle ---------------------------------------------------------


def _central(f: Callable[[list[float]], float], xs: list[float], v: list[float],
             h: float = 1e-6) -> float:
    up = [x + h * d for x, d in zip(xs, v)]
    down = [x - h * d for x, d in zip(xs, v)]
    return (f(up) - f(down)) / (2 * h)


def test_jvp_matches_central_differences_on_random_graphs() -> None:
    """The tangent is (f(x + hv) − f(x − hv)) / 2h of the forward values alone."""
    checked = 0
    for seed in range(80):
        program, ours_fn, _ = _program(70_000 + seed)
        xs, v = list(program.inputs), _direction(len(program.inputs), seed)

        def forward(a: list[float], f: Callable = ours_fn) -> float:
            with sg.no_grad():
                return f(*[Value(x) for x in a]).data

        try:
            fd = _central(forward, xs, v)
            h = 1e-6
            ahead = (forward([x + h * d for x, d in zip(xs, v)]) - forward(xs)) / h
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # x ± hv left the domain
        if abs(fd - ahead) > 1e-3 * max(1.0, abs(fd)):
            continue  # a kink (relu, abs at 0) at x: the two sides have different slopes
        _, tangent = sg.jvp(ours_fn, xs, v)
        if not (math.isfinite(fd) and math.isfinite(tangent)) or abs(tangent) > 1e6:
            continue
        assert abs(fd - tangent) <= 1e-5 * max(1.0, abs(tangent)), (str(program), fd, tangent)
        checked += 1
    assert checked > 50


def test_hvp_matches_central_differences_of_the_gradient() -> None:
    """H·v is (∇f(x + hv) − ∇f(x − hv)) / 2h, with ∇f from torch (not from us)."""
    def f(a: Any, b: Any, c: Any) -> Any:
        return (a * b).sin() * c + (a - c).exp() / (1.0 + b * b)

    xs, v = [0.4, -1.1, 0.7], [1.0, 2.0, -0.5]
    ours = sg.hvp(f, xs, v)
    h = 1e-5
    rows = []
    for sign in (1, -1):
        point = _t([x + sign * h * d for x, d in zip(xs, v)])
        rows.append(torch.autograd.functional.jacobian(f, point))
    fd = [(float(u) - float(d)) / (2 * h) for u, d in zip(*rows)]
    assert all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(ours, fd)), (ours, fd)
