"""scalargrad, as a user would write the workloads: nn.MLP and the fused losses by default.

Variants of the demo step:
  "fused"       nn.MLP (one `dot` node per neuron), nn.hinge_loss, nn.l2_regularization,
                inputs as plain floats (constants: no nodes). The default a user gets.
  "elementary"  the same graph micrograd builds, node for node: nn.MLP(fused=False), inputs
                wrapped in Values, and micrograd's loss expression written with + * relu.
"""

from __future__ import annotations

import nn
import scalargrad
from scalargrad import Value, topological_order

from ..workloads import (
    DEMO_ALPHA,
    JAC_X0,
    ElementaryWorkload,
    demo_loss,
    jacobian_parameters,
    learning_rate,
)


def describe() -> str:
    return f"scalargrad {scalargrad.__version__}"


class Demo:
    """micrograd's demo step: forward, hinge loss + L2, zero_grad, backward, SGD update."""

    def __init__(self, points: list, labels: list, weights: list, variant: str = "fused") -> None:
        if variant not in ("fused", "elementary"):
            raise ValueError(f"unknown variant {variant!r}")
        sizes = [len(weights[0][0][0])] + [len(layer) for layer in weights]
        self.model = nn.MLP(sizes[0], sizes[1:], fused=variant == "fused")
        self.params = self.model.parameters()
        for p, value in zip(self.params, (q for layer in weights for w, b in layer
                                          for q in (*w, b))):
            p.data = value
        self.points, self.labels, self.variant = points, labels, variant

    def forward(self) -> Value:
        """The loss node of one forward pass."""
        if self.variant == "fused":
            scores = [self.model(x) for x in self.points]
            return (nn.hinge_loss(scores, self.labels)
                    + nn.l2_regularization(self.params, DEMO_ALPHA))
        # micrograd's demo code, line for line, with our Value
        inputs = [list(map(Value, x)) for x in self.points]
        scores = list(map(self.model, inputs))
        return demo_loss(scores, self.labels, self.params)

    def step(self, k: int) -> float:
        loss = self.forward()
        self.model.zero_grad()
        loss.backward()
        lr = learning_rate(k)
        for p in self.params:
            p.data -= lr * p.grad
        return loss.data

    def count_nodes(self) -> int:
        return len(topological_order(self.forward()))


class Elementary(ElementaryWorkload):
    """The + * relu graphs of `bench.workloads` (no fusion possible), built from Values."""

    value = Value

    def count_nodes(self) -> int:
        return len(topological_order(self.forward()))


class Fit:
    """One `nn.fit` step per call (hinge loss, SGD) on `points` moons points, batch = all;
    with `by_hand` the same step written as the four-line loop (the collector as it comes)."""

    def __init__(self, points: list, labels: list, weights: list, by_hand: bool) -> None:
        self.demo = Demo(points, labels, weights, "fused")
        self.model = self.demo.model
        self.optimizer = nn.SGD(self.demo.params, lr=0.01)
        self.points, self.labels, self.by_hand = points, labels, by_hand

    def step(self, k: int) -> float:
        if not self.by_hand:
            history = nn.fit(self.model, self.points, self.labels, optimizer=self.optimizer,
                             steps=1, progress=False, compute_accuracy=False)
            return history.loss[-1]
        loss = nn.hinge_loss([self.model(x) for x in self.points], self.labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.data

    def forward(self) -> Value:
        return nn.hinge_loss([self.model(x) for x in self.points], self.labels)

    def count_nodes(self) -> int:
        """The ops a step builds: the parameters (338 leaves, made once) are not counted, so
        the smallest graph's time per node is not lowered by leaves that cost it nothing."""
        return sum(1 for node in topological_order(self.forward()) if node._prev)


class Jacobian:
    """The Jacobian of the "in" (ℝⁿ → ℝ) or "out" (ℝ → ℝᵐ) function of `bench.workloads`
    by jacfwd (n forward passes) or jacrev (one forward pass, m backward passes)."""

    def __init__(self, direction: str, size: int, mode: str) -> None:
        if direction not in ("in", "out") or mode not in ("jacfwd", "jacrev"):
            raise ValueError(f"unknown Jacobian workload {direction!r} by {mode!r}")
        self.ends, self.trunk = jacobian_parameters(size)
        self.direction, self.size = direction, size
        self.jacobian = getattr(scalargrad, mode)(self.f_in if direction == "in" else self.f_out)

    def _trunk(self, h: Value) -> Value:
        for a, b in self.trunk:
            h = (h * a + b).tanh()
        return h

    def f_in(self, *xs: Value) -> Value:
        return self._trunk(scalargrad.sum([(x * w + c).tanh() for x, (w, c) in
                                           zip(xs, self.ends)]))

    def f_out(self, x: Value) -> list:
        h = self._trunk(x)
        return [(h * w + c).tanh() for w, c in self.ends]

    def run(self) -> list:
        inputs = [JAC_X0] * (self.size if self.direction == "in" else 1)
        return self.jacobian(*inputs)

    def count_nodes(self) -> int:
        """The nodes of one evaluation of f (what one reverse-mode pass walks)."""
        if self.direction == "in":
            out = self.f_in(*[Value(JAC_X0) for _ in range(self.size)])
            return len(topological_order(out))
        return len({id(n) for y in self.f_out(Value(JAC_X0)) for n in topological_order(y)})
