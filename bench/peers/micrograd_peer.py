"""micrograd 0.1.0 (Karpathy), exactly as its demo notebook drives it."""

from __future__ import annotations

import sys

from micrograd.engine import Value
from micrograd.nn import MLP

from ..workloads import ElementaryWorkload, demo_loss, learning_rate


def describe() -> str:
    try:
        from importlib.metadata import version
        return f"micrograd {version('micrograd')}"
    except Exception:  # e.g. under PyPy, given micrograd's source on PYTHONPATH
        return "micrograd (source on PYTHONPATH)"


def raise_recursion_limit(nodes: int) -> None:
    """micrograd's backward is a recursive depth-first search: one frame per node of depth."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * nodes + 1000))


def count_nodes(root: Value) -> int:
    """Nodes reachable from root (iterative, so it works where micrograd's own walk would not)."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


class Demo:
    """The demo step of micrograd's notebook: loss(), model.zero_grad(), backward, SGD."""

    def __init__(self, points: list, labels: list, weights: list, variant: str = "") -> None:
        sizes = [len(weights[0][0][0])] + [len(layer) for layer in weights]
        self.model = MLP(sizes[0], sizes[1:])
        for p, value in zip(self.model.parameters(), (q for layer in weights for w, b in layer
                                                      for q in (*w, b))):
            p.data = value
        self.points, self.labels = points, labels
        raise_recursion_limit(100)

    def forward(self) -> Value:
        inputs = [list(map(Value, x)) for x in self.points]
        scores = list(map(self.model, inputs))
        return demo_loss(scores, self.labels, self.model.parameters())

    def step(self, k: int) -> float:
        loss = self.forward()
        self.model.zero_grad()
        loss.backward()
        lr = learning_rate(k)
        for p in self.model.parameters():
            p.data -= lr * p.grad
        return loss.data

    def count_nodes(self) -> int:
        return count_nodes(self.forward())


class Elementary(ElementaryWorkload):
    """The + * relu graphs of `bench.workloads`, its recursion limit raised so it can run."""

    value = Value

    def __init__(self, shape: str, params: list) -> None:
        super().__init__(shape, params)
        raise_recursion_limit(5 * len(params))

    def count_nodes(self) -> int:
        return count_nodes(self.forward())
