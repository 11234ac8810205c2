"""Optimizers (SGD, Adam, AdamW) with PyTorch's update rules, and learning-rate schedules.

An optimizer holds a list of parameters (`Value`s) and, on `step()`, moves each one's `data`
using its `grad`. `lr` is a number, or a schedule: a callable that maps the step number
k = 0, 1, 2, ... to the learning rate used at that step (see `LinearDecay`).

    opt = SGD(model.parameters(), lr=LinearDecay(1.0, 0.1, steps=100))   # micrograd's demo
    for k in range(100):
        loss = ...                # forward
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import Any, Callable, Iterable, Union

from scalargrad import Value

from ._checks import finite_real, nonneg, parameter_list_mistake

Schedule = Callable[[int], float]
_data = attrgetter("data")
LR = Union[float, Schedule]


class Optimizer:
    """Base class: the parameter list, the learning rate (or schedule), a step counter."""

    def __init__(self, params: Iterable[Value], lr: LR) -> None:
        who = type(self).__name__
        parameter_list_mistake(params, who)
        if isinstance(params, Value):
            raise TypeError(f"{who} expected a list of parameters, got one Value; "
                            "pass [value] or model.parameters()")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{who} expected a list of parameters (model.parameters()), "
                            f"got {type(params).__name__}") from None
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        seen: set[int] = set()
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"optimizer parameters must be Values, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"optimizer got the same parameter twice: {p!r}")
            seen.add(id(p))
        if callable(lr):
            self.schedule: Schedule | None = lr
            self.lr = nonneg(lr(0), "lr (the schedule's value at step 0)")
        else:
            self.schedule = None
            self.lr = nonneg(lr, "lr")
        self.steps = 0  # how many updates have been made

    def zero_grad(self) -> None:
        """Set every parameter's `grad` to 0 (leaves accumulate across backward passes)."""
        for p in self.params:
            p.grad = 0.0

    # Names of the per-parameter lists `_update` changes (momentum buffers, Adam's m and v):
    # `step` puts them back with the parameters when an update is interrupted.
    _state_lists: tuple[str, ...] = ()

    def step(self) -> None:
        """Update every parameter once from its `grad`: all of them, or none.

        If the update is interrupted (Ctrl-C) or raises part way, every parameter, buffer,
        `lr` and `steps` is put back as it was before the call, then the error goes on.
        """
        saved = self._snapshot()
        try:
            if self.schedule is not None:
                self.lr = nonneg(self.schedule(self.steps), f"lr at step {self.steps}")
            self._update(self.lr)
            self.steps += 1
        except BaseException:
            self._restore(saved)
            raise

    def _snapshot(self) -> tuple[Any, ...]:
        return (self.steps, self.lr, list(map(_data, self.params)),
                [list(getattr(self, name)) for name in self._state_lists])

    def _restore(self, saved: tuple[Any, ...]) -> None:
        steps, lr, data, lists = saved
        for p, d in zip(self.params, data):
            p.data = d
        for name, values in zip(self._state_lists, lists):
            getattr(self, name)[:] = values
        self.steps, self.lr = steps, lr

    def _update(self, lr: float) -> None:
        raise NotImplementedError

    def _hyper(self) -> str:
        return ""

    def __repr__(self) -> str:
        lr = repr(self.schedule) if self.schedule is not None else f"{self.lr:g}"
        return f"{type(self).__name__}({len(self.params)} parameters, lr={lr}{self._hyper()})"


class SGD(Optimizer):
    """Stochastic gradient descent, exactly as `torch.optim.SGD`.

    g ← grad + λ·p  (weight decay λ);  with momentum μ:  b ← g on the first step, then
    b ← μ·b + (1 − τ)·g  (dampening τ);  g ← g + μ·b if nesterov else b;  p ← p − lr·g.
    With the defaults this is micrograd's update, p ← p − lr·grad.
    """

    _state_lists = ("buffers",)

    def __init__(self, params: Iterable[Value], lr: LR = 0.01, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = nonneg(momentum, "momentum")
        self.weight_decay = nonneg(weight_decay, "weight_decay")
        self.dampening = finite_real(dampening, "dampening")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        self.nesterov = nesterov
        self.buffers: list[float | None] = [None] * len(self.params)

    def _update(self, lr: float) -> None:
        mu, wd = self.momentum, self.weight_decay
        if mu == 0.0 and wd == 0.0:
            for p in self.params:
                p.data -= lr * p.grad
            return
        bufs = self.buffers
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                b = bufs[i]
                b = g if b is None else b * mu + (1.0 - self.dampening) * g
                bufs[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g

    def _hyper(self) -> str:
        parts = []
        if self.momentum:
            parts.append(f", momentum={self.momentum:g}")
        if self.weight_decay:
            parts.append(f", weight_decay={self.weight_decay:g}")
        if self.nesterov:
            parts.append(", nesterov=True")
        return "".join(parts)


class Adam(Optimizer):
    """Adam, exactly as `torch.optim.Adam` (amsgrad off).

    t ← t + 1;  g ← grad + λ·p;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
    """

    decoupled = False
    _state_lists = ("m", "v")

    def __init__(self, params: Iterable[Value], lr: LR = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        b1, b2 = (finite_real(b, "beta") for b in betas)
        for name, b in (("beta1", b1), ("beta2", b2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {b!r}")
        self.betas = (b1, b2)
        self.eps = nonneg(eps, "eps")
        self.weight_decay = nonneg(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self, lr: float) -> None:
        b1, b2 = self.betas
        t = self.steps + 1
        step_size = lr / (1.0 - b1 ** t)
        root_bc2 = math.sqrt(1.0 - b2 ** t)
        eps, wd = self.eps, self.weight_decay
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                if self.decoupled:
                    p.data *= 1.0 - lr * wd
                else:
                    g = g + wd * p.data
            mi = m[i] + (1.0 - b1) * (g - m[i])  # = β₁m + (1 − β₁)g, as torch's lerp computes it
            vi = v[i] * b2 + (1.0 - b2) * g * g
            m[i], v[i] = mi, vi
            p.data += -step_size * (mi / (math.sqrt(vi) / root_bc2 + eps))

    def _hyper(self) -> str:
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f", betas={self.betas}, eps={self.eps:g}{wd}"


class AdamW(Adam):
    """Adam with decoupled weight decay, as `torch.optim.AdamW`: p ← p·(1 − lr·λ), then Adam."""

    decoupled = True

    def __init__(self, params: Iterable[Value], lr: LR = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


# -- learning-rate schedules: callables from step k (0, 1, 2, ...) to a learning rate --------

class ConstantLR:
    """lr(k) = lr."""

    def __init__(self, lr: float) -> None:
        self.lr = nonneg(lr, "lr")

    def __call__(self, k: int) -> float:
        return self.lr

    def __repr__(self) -> str:
        return f"ConstantLR({self.lr:g})"


class LinearDecay:
    """lr(k) = start − (start − end)·k/steps for k ≤ steps, then `end`.

    micrograd's demo: `LinearDecay(1.0, 0.1, 100)` gives lr = 1 − 0.9·k/100.
    """

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = nonneg(start, "start")
        self.end = nonneg(end, "end")
        self.steps = _positive_int(steps, "steps")

    def __call__(self, k: int) -> float:
        k = min(k, self.steps)
        return self.start - (self.start - self.end) * k / self.steps

    def __repr__(self) -> str:
        return f"LinearDecay({self.start:g}, {self.end:g}, steps={self.steps})"


class StepDecay:
    """lr(k) = lr·γ^⌊k / every⌋: multiply by γ every `every` steps."""

    def __init__(self, lr: float, every: int, gamma: float = 0.1) -> None:
        self.lr = nonneg(lr, "lr")
        self.every = _positive_int(every, "every")
        self.gamma = nonneg(gamma, "gamma")

    def __call__(self, k: int) -> float:
        return self.lr * self.gamma ** (k // self.every)

    def __repr__(self) -> str:
        return f"StepDecay({self.lr:g}, every={self.every}, gamma={self.gamma:g})"


class ExponentialDecay:
    """lr(k) = lr·γᵏ."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = nonneg(lr, "lr")
        self.gamma = nonneg(gamma, "gamma")

    def __call__(self, k: int) -> float:
        return self.lr * self.gamma ** k

    def __repr__(self) -> str:
        return f"ExponentialDecay({self.lr:g}, gamma={self.gamma:g})"


class CosineDecay:
    """lr(k) = end + (start − end)·(1 + cos(π·k/steps))/2 for k ≤ steps, then `end`."""

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = nonneg(start, "start")
        self.end = nonneg(end, "end")
        self.steps = _positive_int(steps, "steps")

    def __call__(self, k: int) -> float:
        k = min(k, self.steps)
        return self.end + (self.start - self.end) * (1.0 + math.cos(math.pi * k / self.steps)) / 2

    def __repr__(self) -> str:
        return f"CosineDecay({self.start:g}, {self.end:g}, steps={self.steps})"


def _positive_int(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be a positive int, got {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n}")
    return n
