"""What every engine computes: the data, the starting weights and the graph shapes.

Everything here is plain Python numbers, made from seeds, so each engine's process rebuilds
exactly the same points and weights and the results can be compared number for number.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterable, List, Tuple

Point = Tuple[float, float]
Neuron = Tuple[List[float], float]  # (weights, bias)
Layer = List[Neuron]

DEMO_SIZES = (2, 16, 16, 1)  # micrograd's demo: MLP(2, [16, 16, 1])
DEMO_ALPHA = 1e-4  # its L2 penalty: alpha · Σ p²
DEMO_SEED = 1337  # its notebook seeds random and numpy with 1337


def moons(n: int = 100, noise: float = 0.1, seed: int = DEMO_SEED) -> tuple[list[Point], list[int]]:
    """Two interleaving half circles with Gaussian noise, labels −1 / +1 (micrograd's demo data).

    The upper moon is (cos t, sin t), the lower one (1 − cos t, 0.5 − sin t), t evenly spaced
    in [0, π]; half the points (the extra one when n is odd) on the upper moon, as in
    scikit-learn's make_moons, whose points these are not (different random numbers).
    """
    rng = random.Random(seed)
    n_upper = (n + 1) // 2
    n_lower = n - n_upper
    points: list[Point] = []
    labels: list[int] = []
    for count, label in ((n_upper, -1), (n_lower, 1)):
        for i in range(count):
            t = math.pi * i / (count - 1) if count > 1 else 0.0
            if label < 0:
                x, y = math.cos(t), math.sin(t)
            else:
                x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
            points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
            labels.append(label)
    order = list(range(n))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


def mlp_weights(sizes: tuple[int, ...] = DEMO_SIZES, seed: int = DEMO_SEED) -> list[Layer]:
    """micrograd's initialisation: every weight uniform in [−1, 1], every bias 0.

    Returned per layer, per neuron, as (weights, bias), in the order micrograd's and our
    `parameters()` list them (each neuron's weights, then its bias).
    """
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes[:-1], sizes[1:])]


def flat_parameters(weights: list[Layer]) -> list[float]:
    """The numbers of `mlp_weights` in `parameters()` order."""
    return [p for layer in weights for w, b in layer for p in (*w, b)]


def learning_rate(step: int) -> float:
    """micrograd's demo schedule: lr = 1 − 0.9·k/100 at step k."""
    return 1.0 - 0.9 * step / 100


def demo_loss(scores: list, labels: list[int], params: Iterable) -> Any:
    """micrograd's demo loss, line for line: mean(relu(1 − y·s)) + α·Σ p².

    Written once for every engine: `scores` and `params` are that engine's scalars (our Value,
    micrograd's Value or a 0-d tensor), and only + * relu are used, so each engine builds
    micrograd's graph op for op. Runs in the engine's own process; imports no engine.
    """
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = DEMO_ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def chain_parameters(blocks: int, seed: int = 0) -> list[tuple[float, float]]:
    """(w, b) for each block of the elementary-op graphs: every relu passes its gradient.

    w = e^u with u uniform in [−0.1, 0.1] and b uniform in [0.1, 0.5], so h stays positive
    along h ← relu(h·w + b), and d h/d x = Π w is a random walk in log space: it neither
    underflows to 0 nor overflows over a million ops, so the gradient check means something.
    """
    rng = random.Random(seed)
    return [(math.exp(rng.uniform(-0.1, 0.1)), rng.uniform(0.1, 0.5)) for _ in range(blocks)]


# The elementary-op graphs: no op can be fused, every node is a +, * or relu with two (or one)
# Value parents. micrograd 0.1.0 has no tanh, so these use + * relu only.
#   chain: h ← relu(h·w_i + b_i)                       3 ops per block, depth 3·blocks
#   wide:  s ← s + relu(x·w_i + b_i)                   4 ops per block, x used `blocks` times
OPS_PER_BLOCK = {"chain": 3, "wide": 4}
X0 = 1.0  # the input x of both shapes


def chain_reference(shape: str, params: list[tuple[float, float]]) -> tuple[float, float]:
    """(output, d output / d x) in plain floats: the oracle every engine must agree with."""
    if shape == "chain":
        h, dh = X0, 1.0
        for w, b in params:
            pre = h * w + b
            h, dh = (pre, dh * w) if pre > 0.0 else (0.0, 0.0)
        return h, dh
    s, ds = 0.0, 0.0
    for w, b in params:
        pre = X0 * w + b
        if pre > 0.0:
            s, ds = s + pre, ds + w
    return s, ds


def elementary_graph(shape: str, x: Any, leaves: list) -> Any:
    """Build the chain or wide graph above from one engine's scalars: `x` and (w, b) pairs.

    Only + * relu are used, so the same code builds our, micrograd's and PyTorch's graph op for op.
    """
    if shape == "chain":
        h = x
        for w, b in leaves:
            h = (h * w + b).relu()
        return h
    (w, b), rest = leaves[0], leaves[1:]
    s = (x * w + b).relu()
    for w, b in rest:
        s = s + (x * w + b).relu()
    return s


class ElementaryWorkload:
    """The elementary graphs for an engine whose scalar class is `value` (micrograd's or ours).

    Both engines' Values take a float, have `.data` and `.grad`, and backpropagate with
    `.backward()`; an engine's module subclasses this, naming its class and counting nodes.
    """

    value: Any  # the engine's scalar class, set by the subclass

    def __init__(self, shape: str, params: list[tuple[float, float]]) -> None:
        make = type(self).value
        self.shape = shape
        self.x = make(X0)
        self.leaves = [(make(w), make(b)) for w, b in params]

    def forward(self) -> Any:
        return elementary_graph(self.shape, self.x, self.leaves)

    def run(self) -> tuple[float, float]:
        """(output, d output/dx) of one forward + backward."""
        self.x.grad = 0.0
        out = self.forward()
        out.backward()
        return out.data, self.x.grad


# The two directions of the chain rule (jacfwd against jacrev). Both functions share a trunk of
# TRUNK rounds h ← tanh(a·h + b), so one pass costs about the same whatever n or m:
#   in:   f(x₁, …, xₙ) = trunk(Σᵢ tanh(wᵢ·xᵢ + cᵢ))           ℝⁿ → ℝ
#   out:  f(x) = [tanh(wᵢ·trunk(x) + cᵢ) for i in 1..m]         ℝ → ℝᵐ
# jacfwd needs one forward pass per input (n), jacrev one backward pass per output (m).
TRUNK = 30
JAC_X0 = 0.3  # every input's value


def jacobian_parameters(size: int, seed: int = 0) -> tuple[list[tuple[float, float]],
                                                           list[tuple[float, float]]]:
    """((wᵢ, cᵢ) for each of the `size` inputs or outputs, (a, b) for each trunk round)."""
    rng = random.Random(seed)
    ends = [(rng.uniform(-1.5, 1.5), rng.uniform(-0.5, 0.5)) for _ in range(size)]
    trunk = [(rng.uniform(0.9, 1.1), rng.uniform(-0.1, 0.1)) for _ in range(TRUNK)]
    return ends, trunk


def jacobian_reference(direction: str, size: int) -> list:
    """The Jacobian in plain floats, by the chain rule written out (the oracle): n floats for
    "in", m rows of one float for "out"."""
    ends, trunk = jacobian_parameters(size)

    def through_trunk(h: float) -> tuple[float, float]:
        slope = 1.0
        for a, b in trunk:
            h = math.tanh(a * h + b)
            slope *= a * (1.0 - h * h)
        return h, slope

    if direction == "in":
        s = sum(math.tanh(w * JAC_X0 + c) for w, c in ends)
        _, slope = through_trunk(s)
        return [slope * w * (1.0 - math.tanh(w * JAC_X0 + c) ** 2) for w, c in ends]
    h, slope = through_trunk(JAC_X0)
    return [[w * (1.0 - math.tanh(w * h + c) ** 2) * slope] for w, c in ends]
