"""Differential fuzzing: random expression graphs and random MLPs, engine vs PyTorch float64.

A seeded generator writes a small *program* — a list of steps such as ``v5 = 2.0 / v3`` or
``v7 = sum([v2, 1.5, v6], start=v1)`` — using every op, reusing nodes (``v3 * v3``), putting
constants on either side, and joining every unused node into the output so that several paths
meet there. The same program is then run on scalargrad Values and on 0-d float64 torch tensors
(with ``retain_grad`` on every node), and every node's value and gradient must agree to a
relative tolerance of 1e-9. Inputs are kept inside each op's domain while the program is
written (log of a positive number, no division by nearly zero, …), so neither side raises.

Random MLPs (sizes, activations, weights, batch) are built with ``scalargrad.dot`` and, as a
second engine path, with elementary ``*`` and ``+``; their parameter gradients are compared
with the same network written with torch matrices.

CI runs a bounded number of examples. A longer run is one command away::

    SCALARGRAD_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/test_fuzz_torch.py
    .venv/bin/python tests/test_fuzz_torch.py 100000     # the same, with a summary line

A failure names the seed and prints the program, so it can be replayed with
``print(random_program(seed))``.
"""

from __future__ import annotations

import math
import os
import random
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pytest

import scalargrad as sg
from scalargrad import Value

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for the fuzz tests: "
                            "pip install torch==2.13.0 (the [torch] extra)")

# How many random graphs the run tries; MLPs are a tenth of that. CI uses the default.
EXAMPLES = int(os.environ.get("SCALARGRAD_FUZZ_EXAMPLES", "400"))
CHUNK = 100
RTOL = 1e-9
# Values are kept within about 1e6, so a difference below 1e-12 is rounding noise left by
# cancellation (x − y with x ≈ y), not a wrong gradient.
ATOL = 1e-12
LIMIT = 1e6    # the generator rejects a step whose result is larger than this
MARGIN = 0.05  # …and keeps inputs this far from poles and domain edges


# -- programs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An operand that is an earlier node of the program (by index)."""

    index: int

    def __repr__(self) -> str:
        return f"v{self.index}"


Arg = Any  # a Ref, or a plain int/float constant


@dataclass(frozen=True)
class Step:
    """One node of the program: an op applied to earlier nodes and constants."""

    op: str
    args: tuple
    param: Any = None  # leaky_relu slope, or the number of weights of a dot

    def __str__(self) -> str:
        a = self.args
        if self.op in _INFIX:
            return f"{a[0]!r} {_INFIX[self.op]} {a[1]!r}"
        if self.op == "sum":
            return f"sum({list(a[1:])!r}, start={a[0]!r})"
        if self.op == "dot":
            k = self.param
            bias = f", bias={a[2 * k]!r}" if len(a) > 2 * k else ""
            return f"dot({list(a[:k])!r}, {list(a[k:2 * k])!r}{bias})"
        if self.op == "leaky_relu":
            return f"{a[0]!r}.leaky_relu({'' if self.param is None else self.param!r})"
        if self.op in ("neg", "pos"):
            return f"{'-' if self.op == 'neg' else '+'}{a[0]!r}"
        if self.op == "builtin_abs":
            return f"abs({a[0]!r})"
        return f"{a[0]!r}.{self.op}()"


@dataclass(frozen=True)
class Program:
    """Leaf values, then steps; the last step is the output."""

    seed: int
    inputs: tuple
    steps: tuple
    seed_grad: float = 1.0

    def __str__(self) -> str:
        lines = [f"# seed {self.seed}; backward({self.seed_grad!r}) from the last node"]
        lines += [f"v{i} = Value({x!r})" for i, x in enumerate(self.inputs)]
        n = len(self.inputs)
        lines += [f"v{n + i} = {s}" for i, s in enumerate(self.steps)]
        return "\n".join(lines)


_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _sg_leaky(x: Value, slope: float | None) -> Value:
    return x.leaky_relu() if slope is None else x.leaky_relu(slope)


def _th_leaky(x: Any, slope: float | None) -> Any:
    return torch.nn.functional.leaky_relu(x, 0.01 if slope is None else slope)


# op name -> (scalargrad function, torch function) on already-resolved operands
UNARY: dict[str, tuple[Callable, Callable]] = {
    "neg": (lambda x: -x, lambda x: -x),
    "pos": (lambda x: +x, lambda x: +x),
    "exp": (Value.exp, torch.exp),
    "log": (Value.log, torch.log),
    "sqrt": (Value.sqrt, torch.sqrt),
    "tanh": (Value.tanh, torch.tanh),
    "sigmoid": (Value.sigmoid, torch.sigmoid),
    "relu": (Value.relu, torch.relu),
    "abs": (Value.abs, torch.abs),
    "builtin_abs": (abs, torch.abs),
    "sin": (Value.sin, torch.sin),
    "cos": (Value.cos, torch.cos),
    "reciprocal": (Value.reciprocal, torch.reciprocal),
}
BINARY: dict[str, Callable] = {  # the same Python operator works on both sides
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}
ALL_OPS = sorted([*UNARY, *BINARY, "leaky_relu", "sum", "dot"])


def _unary_ok(op: str, x: float) -> bool:
    """Is x inside the op's domain, a margin away from its poles and edges?"""
    if op == "exp":
        return x < 13.0
    if op in ("log", "sqrt"):
        return x >= MARGIN
    if op == "reciprocal":
        return abs(x) >= MARGIN
    return True


def _binary_ok(op: str, a: Arg, b: Arg, ad: float, bd: float) -> bool:
    if op == "div":
        return abs(bd) >= MARGIN
    if op == "pow":
        if isinstance(b, Ref):  # a Value exponent: ∂/∂b needs ln a
            return ad >= MARGIN and abs(bd) <= 4.0
        if float(bd).is_integer():  # a number exponent: any base, away from 0 if negative
            return abs(ad) >= MARGIN or bd >= 1
        return ad >= MARGIN
    return True


def _constant(rng: random.Random) -> float | int:
    """A constant operand: small ints, round numbers and arbitrary floats."""
    return rng.choice([rng.randint(-3, 3), rng.choice([0.5, -1.5, 2.0, 10.0, 0.1]),
                       rng.uniform(-4.0, 4.0)])


def _exponent(rng: random.Random) -> float | int:
    return rng.choice([2, 3, -1, -2, 0, 1, 2.0, 0.5, -0.5, 1.5, rng.uniform(-3.0, 3.0)])


def random_program(seed: int) -> Program:
    """A random program, written step by step with the engine evaluating it as it grows.

    Every step is checked to stay inside its op's domain and below `LIMIT`; a step that
    would not is redrawn. Unused nodes are finally joined (by a `sum` or a `dot`) into the
    output, so every node reaches it and several paths meet there.
    """
    rng = random.Random(seed)
    inputs = tuple(rng.choice([rng.uniform(-3.0, 3.0), float(rng.randint(-3, 3)), 0.5])
                   for _ in range(rng.randint(1, 4)))
    nodes: list[Value] = [Value(x) for x in inputs]
    steps: list[Step] = []
    used: set[int] = set()

    def pick() -> Ref:
        if rng.random() < 0.6:  # mostly recent nodes, so chains get deep
            return Ref(rng.randrange(max(0, len(nodes) - 3), len(nodes)))
        return Ref(rng.randrange(len(nodes)))

    def resolve(arg: Arg) -> Any:
        return nodes[arg.index] if isinstance(arg, Ref) else arg

    def data(arg: Arg) -> float:
        return nodes[arg.index].data if isinstance(arg, Ref) else float(arg)

    def try_step() -> Step | None:
        op = rng.choice(ALL_OPS)
        if op in UNARY:
            x = pick()
            if not _unary_ok(op, data(x)):
                return None
            return Step(op, (x,))
        if op == "leaky_relu":
            return Step(op, (pick(),), rng.choice([None, 0.2, 0.0, rng.uniform(0.0, 1.0), 2]))
        if op in BINARY:
            a, b = pick(), pick()
            side = rng.random()
            if op == "pow":
                if side < 0.35:
                    b = _exponent(rng)
                elif side < 0.5:  # a constant base raised to a Value must be positive
                    a = abs(_constant(rng)) + MARGIN
            elif side < 0.2:
                a = _constant(rng)
            elif side < 0.4:
                b = _constant(rng)
            if not _binary_ok(op, a, b, data(a), data(b)):
                return None
            return Step(op, (a, b))
        if op == "sum":
            terms = [pick() if rng.random() < 0.75 else _constant(rng)
                     for _ in range(rng.randint(0, 5))]
            start = pick() if rng.random() < 0.3 else _constant(rng)
            return Step(op, (start, *terms))
        k = rng.randint(1, 4)  # dot
        weights = [pick() if rng.random() < 0.6 else _constant(rng) for _ in range(k)]
        xs = [pick() if rng.random() < 0.6 else _constant(rng) for _ in range(k)]
        bias = rng.choice([(), (_constant(rng),), (pick(),)])
        return Step(op, (*weights, *xs, *bias), k)

    for _ in range(rng.randint(1, 20)):
        for _attempt in range(50):
            step = try_step()
            if step is None or not any(isinstance(a, Ref) for a in step.args):
                continue
            try:
                out = _apply_sg(step, [resolve(a) for a in step.args])
            except (ValueError, ZeroDivisionError, OverflowError):
                continue
            if not abs(out.data) <= LIMIT:  # also rejects nan
                continue
            steps.append(step)
            used.update(a.index for a in step.args if isinstance(a, Ref))
            nodes.append(out)
            break

    sinks = [Ref(i) for i in range(len(nodes)) if i not in used]
    if rng.random() < 0.5:
        steps.append(Step("sum", (_constant(rng), *sinks)))
    else:
        weights = [rng.choice([1, -1, 0.5, rng.uniform(-2.0, 2.0)]) for _ in sinks]
        steps.append(Step("dot", (*weights, *sinks), len(sinks)))
    seed_grad = rng.choice([1.0, 1.0, 1.0, -2.5, 0.125])
    return Program(seed, inputs, tuple(steps), seed_grad)


def _apply_sg(step: Step, args: list) -> Value:
    op = step.op
    if op in UNARY:
        return UNARY[op][0](args[0])
    if op == "leaky_relu":
        return _sg_leaky(args[0], step.param)
    if op in BINARY:
        return BINARY[op](*args)
    if op == "sum":
        return sg.sum(args[1:], start=args[0])
    k = step.param
    return sg.dot(args[:k], args[k:2 * k], args[2 * k] if len(args) > 2 * k else None)


def _apply_torch(step: Step, args: list) -> Any:
    op = step.op
    if op in UNARY:
        return UNARY[op][1](args[0])
    if op == "leaky_relu":
        return _th_leaky(args[0], step.param)
    if op in BINARY:
        return BINARY[op](*args)
    # sum and dot add left to right from the start (bias) exactly as the engine does
    if op == "sum":  # always a new node, like the engine's, even with no terms
        total = args[0].clone() if isinstance(args[0], torch.Tensor) else args[0]
        for term in args[1:]:
            total = total + term
        return total
    k = step.param
    total = args[2 * k] if len(args) > 2 * k else 0.0
    for w, x in zip(args[:k], args[k:2 * k]):
        total = total + w * x
    return total


def run_scalargrad(program: Program) -> tuple[list[float], list[float], list[float]]:
    """Every node's value, gradient, and gradient scale after backward() on the engine.

    The scale of a gradient is the sum of the *absolute values* of all the chain-rule
    contributions that make it up. Where contributions cancel (x/x has gradient 0, made of
    1/x and −x/x²), the two libraries' rounding can differ by about 1e-16 × scale, however
    small the gradient itself is; a wrong local gradient is off by a whole contribution.
    """
    nodes: list[Value] = [Value(x) for x in program.inputs]
    for step in program.steps:
        args = [nodes[a.index] if isinstance(a, Ref) else a for a in step.args]
        nodes.append(_apply_sg(step, args))
    root = nodes[-1]
    root.backward(program.seed_grad)
    scale = {root: abs(program.seed_grad)}
    for node in reversed(sg.topological_order(root)):
        upstream = scale.get(node, 0.0)
        for parent, local in zip(node._prev, sg.graph.local_gradients(node)):
            scale[parent] = scale.get(parent, 0.0) + abs(local) * upstream
    return [n.data for n in nodes], [n.grad for n in nodes], [scale[n] for n in nodes]


def run_torch(program: Program) -> tuple[list[float], list[float]]:
    """Every node's value and gradient after backward() on float64 torch tensors."""
    nodes = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.inputs]
    for step in program.steps:
        args = [nodes[a.index] if isinstance(a, Ref) else a for a in step.args]
        out = _apply_torch(step, args)
        if not isinstance(out, torch.Tensor):  # a sum of constants only
            out = torch.tensor(float(out), dtype=torch.float64, requires_grad=True)
        if not out.is_leaf:
            out.retain_grad()
        nodes.append(out)
    nodes[-1].backward(torch.tensor(program.seed_grad, dtype=torch.float64))
    grads = [0.0 if n.grad is None else n.grad.item() for n in nodes]
    return [n.item() for n in nodes], grads


def close(ours: float, theirs: float, scale: float = 0.0) -> bool:
    """Equal to RTOL of the larger of the two (or of `scale`), plus ATOL near 0.

    NaN matches only NaN, and infinities match exactly.
    """
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= RTOL * max(abs(ours), abs(theirs), scale) + ATOL


def compare_program(program: Program) -> list[str]:
    """The disagreements between engine and torch on one program (empty when they agree)."""
    values, grads, scales = run_scalargrad(program)
    t_values, t_grads = run_torch(program)
    problems = []
    for i, (v, tv, g, tg, s) in enumerate(zip(values, t_values, grads, t_grads, scales)):
        if not close(v, tv):
            problems.append(f"v{i}.data: engine {v!r}, torch {tv!r}")
        if not close(g, tg, s):
            problems.append(f"v{i}.grad: engine {g!r}, torch {tg!r} (scale {s:.3g})")
    return problems


def check_graphs(seeds: Sequence[int]) -> list[str]:
    """A report per failing seed: the program and what disagreed."""
    failures = []
    for seed in seeds:
        program = random_program(seed)
        problems = compare_program(program)
        if problems:
            failures.append(f"{program}\n  " + "\n  ".join(problems))
    return failures


# -- random MLPs ------------------------------------------------------------------------------

ACTIVATIONS = {
    "relu": (Value.relu, torch.relu),
    "tanh": (Value.tanh, torch.tanh),
    "sigmoid": (Value.sigmoid, torch.sigmoid),
    "linear": (lambda v: v, lambda t: t),
}


@dataclass(frozen=True)
class MLPCase:
    """A random network: per layer a weight matrix (rows = neurons), biases and activation."""

    seed: int
    layers: tuple  # of (weights: tuple of rows, biases: tuple, activation name)
    batch: tuple   # of input vectors
    targets: tuple  # of output vectors


def random_mlp(seed: int) -> MLPCase:
    """Random sizes (hidden widths 1–5, including width 1), activations, weights and data."""
    rng = random.Random(seed)
    sizes = [rng.randint(1, 4)] + [rng.randint(1, 5) for _ in range(rng.randint(0, 2))]
    sizes.append(rng.randint(1, 3))
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        weights = tuple(tuple(rng.uniform(-1.0, 1.0) for _ in range(nin)) for _ in range(nout))
        biases = tuple(rng.uniform(-0.5, 0.5) for _ in range(nout))
        layers.append((weights, biases, rng.choice(list(ACTIVATIONS))))
    batch = tuple(tuple(rng.uniform(-2.0, 2.0) for _ in range(sizes[0]))
                  for _ in range(rng.randint(1, 3)))
    targets = tuple(tuple(rng.uniform(-1.0, 1.0) for _ in range(sizes[-1])) for _ in batch)
    return MLPCase(seed, tuple(layers), batch, targets)


def mlp_scalargrad(case: MLPCase, fused: bool) -> tuple[float, list[float]]:
    """Loss (sum of squared errors) and every parameter's gradient, weights then bias, by row.

    `fused` builds each neuron as one `dot` node; otherwise as a chain of `*` and `+`.
    """
    params = [([[Value(w) for w in row] for row in W], [Value(b) for b in B], act)
              for W, B, act in case.layers]
    loss: Value | float = 0.0
    for x, target in zip(case.batch, case.targets):
        h: list = list(x)  # plain numbers: constants of the first layer
        for W, B, act in params:
            if fused:
                pre = [sg.dot(row, h, b) for row, b in zip(W, B)]
            else:
                pre = []
                for row, b in zip(W, B):
                    total = b
                    for w, xi in zip(row, h):
                        total = total + w * xi
                    pre.append(total)
            h = [ACTIVATIONS[act][0](p) for p in pre]
        for out, t in zip(h, target):
            loss = loss + (out - t) ** 2
    loss.backward()
    grads = [v.grad for W, B, _ in params for row, b in zip(W, B) for v in (*row, b)]
    return loss.data, grads


def mlp_torch(case: MLPCase) -> tuple[float, list[float]]:
    """The same network with torch matrices: h = act(W h + b)."""
    params = [(torch.tensor(W, dtype=torch.float64, requires_grad=True),
               torch.tensor(B, dtype=torch.float64, requires_grad=True), act)
              for W, B, act in case.layers]
    loss = torch.zeros((), dtype=torch.float64)
    for x, target in zip(case.batch, case.targets):
        h = torch.tensor(x, dtype=torch.float64)
        for W, B, act in params:
            h = ACTIVATIONS[act][1](W @ h + B)
        loss = loss + ((h - torch.tensor(target, dtype=torch.float64)) ** 2).sum()
    loss.backward()
    grads = [g for W, B, _ in params
             for row, b in zip(W.grad.tolist(), B.grad.tolist()) for g in (*row, b)]
    return loss.item(), grads


def check_mlps(seeds: Sequence[int]) -> list[str]:
    failures = []
    for seed in seeds:
        case = random_mlp(seed)
        t_loss, t_grads = mlp_torch(case)
        for fused in (True, False):
            loss, grads = mlp_scalargrad(case, fused)
            bad = [i for i, (g, tg) in enumerate(zip(grads, t_grads)) if not close(g, tg)]
            if not close(loss, t_loss) or bad or len(grads) != len(t_grads):
                failures.append(f"MLP seed {seed} ({'dot' if fused else 'elementary'}): "
                                f"loss {loss!r} vs {t_loss!r}; parameters differing: {bad}")
    return failures


def check_nn_mlps(seeds: Sequence[int]) -> list[str]:
    """`nn.MLP` (fused and elementary) against torch with the same weights, by seed."""
    nn = pytest.importorskip("nn")
    failures = []
    for seed in seeds:
        rng = random.Random(seed)
        nin = rng.randint(1, 4)
        nouts = [rng.randint(1, 5) for _ in range(rng.randint(0, 2))] + [rng.randint(1, 3)]
        activation = rng.choice(nn.ACTIVATIONS)
        model = nn.MLP(nin, nouts, activation=activation, seed=seed, fused=rng.random() < 0.5)
        batch = [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(rng.randint(1, 3))]
        targets = [[rng.uniform(-1.0, 1.0) for _ in range(nouts[-1])] for _ in batch]
        layers = tuple((tuple(tuple(w.data for w in n.w) for n in layer.neurons),
                        tuple(n.b.data for n in layer.neurons),
                        activation if i < len(nouts) - 1 else "linear")
                       for i, layer in enumerate(model.layers))
        t_loss, t_grads = mlp_torch(MLPCase(seed, layers, tuple(map(tuple, batch)),
                                            tuple(map(tuple, targets))))
        loss: Value | float = 0.0
        for x, target in zip(batch, targets):
            out = model(x)
            outs = out if isinstance(out, list) else [out]
            for o, t in zip(outs, target):
                loss = loss + (o - t) ** 2
        model.zero_grad()
        loss.backward()
        grads = [v.grad for layer in model.layers for n in layer.neurons for v in (*n.w, n.b)]
        bad = [i for i, (g, tg) in enumerate(zip(grads, t_grads)) if not close(g, tg)]
        if not close(loss.data, t_loss) or bad or len(grads) != len(t_grads):
            fused = model.layers[0].neurons[0].fused
            failures.append(f"nn.MLP seed {seed} ({model.describe()}, fused={fused}): "
                            f"loss {loss.data!r} vs {t_loss!r}; "
                            f"parameters differing: {bad}")
    return failures


# -- the tests --------------------------------------------------------------------------------


def _chunks(total: int) -> list[range]:
    return [range(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]


@pytest.mark.parametrize("seeds", _chunks(EXAMPLES), ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_random_graphs_match_torch(seeds: range) -> None:
    """Every node's value and gradient equals PyTorch float64's on random programs."""
    failures = check_graphs(seeds)
    assert not failures, f"{len(failures)} of {len(seeds)} programs disagree:\n\n" + \
        "\n\n".join(failures[:3])


@pytest.mark.parametrize("seeds", _chunks(max(EXAMPLES // 10, 20)),
                         ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_random_mlps_match_torch(seeds: range) -> None:
    """Parameter gradients of random MLPs (dot and elementary) equal PyTorch float64's."""
    failures = check_mlps(seeds)
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("seeds", _chunks(max(EXAMPLES // 10, 20)),
                         ids=lambda r: f"seeds{r.start}-{r.stop - 1}")
def test_random_nn_mlps_match_torch(seeds: range) -> None:
    """nn.MLP's parameter gradients (random sizes, activation, fused or not) equal torch's."""
    failures = check_nn_mlps(seeds)
    assert not failures, "\n".join(failures[:5])


def test_fuzz_catches_a_planted_wrong_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    """With cos′ = +sin planted (instead of −sin), many programs are flagged."""

    def wrong_cos(x: Value) -> Value:
        wrong = math.sin(x.data)
        return sg.node._make(math.cos(x.data), (x,), lambda upstream: (upstream * wrong,),
                              sg.ops.COS)

    monkeypatch.setitem(UNARY, "cos", (wrong_cos, torch.cos))
    assert len(check_graphs(range(200))) > 10


def test_fuzz_catches_assignment_instead_of_accumulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The classic bug — `parent.grad = …` instead of `+=` — is flagged (nodes are reused)."""

    def assigning_backward(root: Value, grad: float = 1.0) -> None:
        order = sg.topological_order(root)
        for node in order:
            node.grad = 0.0
        root.grad = grad
        for node in reversed(order):
            for parent, local in zip(node._prev, sg.graph.local_gradients(node)):
                parent.grad = local * node.grad

    monkeypatch.setattr(sg.graph, "backward", assigning_backward)
    assert len(check_graphs(range(200))) > 10


def test_random_graphs_match_torch_in_anomaly_mode() -> None:
    """detect_anomaly() runs its own checking backward pass: it must give the same numbers."""
    programs = [random_program(seed) for seed in range(min(EXAMPLES, 200))]
    with sg.detect_anomaly():
        failures = [f"{p}\n  " + "\n  ".join(problems)
                    for p in programs if (problems := compare_program(p))]
    assert not failures, "\n\n".join(failures[:3])


def test_generator_covers_every_op_and_shape() -> None:
    """The CI seeds exercise every op, constants on each side, reuse and exact zeros at kinks.

    Without this, a change to the generator could quietly stop testing an op.
    """
    seen: set[str] = set()
    for seed in range(min(EXAMPLES, 400)):
        program = random_program(seed)
        values = run_scalargrad(program)[0]
        for step in program.steps:
            seen.add(step.op)
            refs = [a for a in step.args if isinstance(a, Ref)]
            if step.op in BINARY and not isinstance(step.args[0], Ref):
                seen.add(f"{step.op}:constant-left")
            if step.op in BINARY and not isinstance(step.args[1], Ref):
                seen.add(f"{step.op}:constant-right")
            if len(refs) != len(set(refs)):
                seen.add("reused-in-one-step")
            if step.op in ("relu", "abs", "leaky_relu") and values[refs[0].index] == 0.0:
                seen.add("kink-at-zero")
    wanted = set(ALL_OPS) | {f"{op}:constant-{side}" for op in BINARY
                             for side in ("left", "right")}
    wanted |= {"reused-in-one-step", "kink-at-zero"}
    assert wanted <= seen, f"never generated: {sorted(wanted - seen)}"


def test_a_disagreement_is_reported() -> None:
    """The comparison can fail: a wrong gradient (1 ulp × 1e8 away) is flagged, NaN ≠ number."""
    assert not close(1.0, 1.0 + 1e-8)
    assert not close(math.nan, 0.0)
    assert not close(math.inf, -math.inf)
    assert close(math.nan, math.nan) and close(2.0, 2.0 * (1 + 1e-12))


def main(argv: list[str]) -> int:
    """`python tests/test_fuzz_torch.py [graphs] [mlps]`: a long run with a summary line."""
    graphs = int(argv[1]) if len(argv) > 1 else 100_000
    mlps = int(argv[2]) if len(argv) > 2 else graphs // 10
    failures = check_graphs(range(graphs)) + check_mlps(range(mlps)) + check_nn_mlps(range(mlps))
    for failure in failures[:10]:
        print(failure, end="\n\n")
    print(f"{graphs} random graphs, {mlps} random MLPs and {mlps} random nn.MLPs "
          "compared with PyTorch float64: "
          f"{len(failures)} disagreed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # for nn
    sys.exit(main(sys.argv))
