"""PyTorch, two ways: scalar by scalar (0-d tensors, micrograd's graph) and batched tensors.

float64 throughout, so losses compare with the pure-Python engines to 1e-9; one thread, as
the Python engines have one (the batched MLP is far too small to gain from more).
"""

from __future__ import annotations

from typing import Optional

import torch

from ..workloads import DEMO_ALPHA, demo_loss, elementary_graph, learning_rate

torch.set_num_threads(1)
F64 = torch.float64
MAX_BLOCKS_TO_COUNT = 10_000


def describe() -> str:
    return f"torch {torch.__version__}"


def count_nodes(root: torch.Tensor) -> int:
    """Autograd nodes reachable from root's grad_fn (one per op, one AccumulateGrad per leaf)."""
    if root.grad_fn is None:
        return 1
    seen = {root.grad_fn}
    stack = [root.grad_fn]
    while stack:
        for fn, _ in stack.pop().next_functions:
            if fn is not None and fn not in seen:
                seen.add(fn)
                stack.append(fn)
    return len(seen)


def _scalar_leaves(weights: list) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
    return [(([torch.tensor(v, dtype=F64, requires_grad=True) for v in w]),
             torch.tensor(b, dtype=F64, requires_grad=True))
            for layer in weights for w, b in layer]


class _Step:
    """One demo step on `self.params` (a subclass supplies them and `forward()`): SGD update."""

    params: list[torch.Tensor]

    def forward(self) -> torch.Tensor:
        raise NotImplementedError

    def step(self, k: int) -> float:
        loss = self.forward()
        for p in self.params:
            p.grad = None
        loss.backward()
        lr = learning_rate(k)
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return loss.item()

    def count_nodes(self) -> int:
        return count_nodes(self.forward())


class Demo(_Step):
    """micrograd's demo step with every scalar a 0-d tensor: the same graph, op for op."""

    def __init__(self, points: list, labels: list, weights: list, variant: str = "") -> None:
        neurons = _scalar_leaves(weights)
        self.layers = []
        start = 0
        for layer in weights:
            self.layers.append(neurons[start:start + len(layer)])
            start += len(layer)
        self.params = [p for w, b in neurons for p in (*w, b)]
        self.points, self.labels = points, labels

    def _neuron(self, w: list, b: torch.Tensor, x: list, relu: bool) -> torch.Tensor:
        act = b
        for wi, xi in zip(w, x):
            act = act + wi * xi
        return act.relu() if relu else act

    def forward(self) -> torch.Tensor:
        last = len(self.layers) - 1
        scores = []
        for point in self.points:
            h = [torch.tensor(v, dtype=F64) for v in point]
            for i, layer in enumerate(self.layers):
                h = [self._neuron(w, b, h, relu=i != last) for w, b in layer]
            scores.append(h[0])
        return demo_loss(scores, self.labels, self.params)


class BatchedDemo(_Step):
    """The same MLP on the whole batch as matrices: what you would pick at scale."""

    def __init__(self, points: list, labels: list, weights: list, variant: str = "") -> None:
        self.params = []
        for layer in weights:
            w = torch.tensor([list(col) for col in zip(*(w for w, _ in layer))], dtype=F64)
            b = torch.tensor([b for _, b in layer], dtype=F64)
            self.params += [w.requires_grad_(), b.requires_grad_()]
        self.x = torch.tensor(points, dtype=F64)
        self.y = torch.tensor(labels, dtype=F64)

    def forward(self) -> torch.Tensor:
        h = self.x
        pairs = list(zip(self.params[::2], self.params[1::2]))
        for i, (w, b) in enumerate(pairs):
            h = h @ w + b
            if i != len(pairs) - 1:
                h = h.relu()
        scores = h.squeeze(1)
        data_loss = (1 - self.y * scores).relu().mean()
        reg_loss = DEMO_ALPHA * sum((p * p).sum() for p in self.params)
        return data_loss + reg_loss


class Elementary:
    """The + * relu graphs of `bench.workloads` with 0-d tensors."""

    def __init__(self, shape: str, params: list) -> None:
        self.shape = shape
        self.x = torch.tensor(1.0, dtype=F64, requires_grad=True)
        self.leaves = [(torch.tensor(w, dtype=F64, requires_grad=True),
                        torch.tensor(b, dtype=F64, requires_grad=True)) for w, b in params]

    def forward(self) -> torch.Tensor:
        return elementary_graph(self.shape, self.x, self.leaves)

    def run(self) -> tuple[float, float]:
        self.x.grad = None
        out = self.forward()
        out.backward()
        return out.item(), self.x.grad.item()

    def count_nodes(self) -> Optional[int]:
        # Walking a deep graph's grad_fn objects from Python makes torch 2.13 crash
        # (segmentation fault) when that graph is freed later, here from ~1e5 ops deep.
        if len(self.leaves) > MAX_BLOCKS_TO_COUNT:
            return None
        return count_nodes(self.forward())
