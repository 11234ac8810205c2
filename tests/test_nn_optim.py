"""Optimizers step by step against torch.optim (float64); schedules; bad arguments."""

from __future__ import annotations

import math

import pytest

import nn
from scalargrad import Value

START = [0.5, -1.5, 2.0, 0.01, -0.3]
COEF = [1.0, 0.5, -2.0, 3.0, 0.25]


def our_loss(ps):
    """Σ cᵢ·pᵢ² + sin(pᵢ)·p₀: a loss with different, changing gradients per parameter."""
    total = Value(0.0)
    for c, p in zip(COEF, ps):
        total = total + c * p * p + p.sin() * ps[0]
    return total


def torch_loss(torch, t):
    return sum(c * t[i] * t[i] + torch.sin(t[i]) * t[0] for i, c in enumerate(COEF))


def run_both(make_ours, make_torch, steps=8, lrs=None):
    """Run both optimizers on the same loss; return the two trajectories of parameter values."""
    torch = pytest.importorskip("torch")
    ps = [Value(x) for x in START]
    t = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    ours, theirs = make_ours(ps), make_torch(torch, [t])
    a, b = [], []
    for k in range(steps):
        ours.zero_grad()
        our_loss(ps).backward()
        ours.step()
        theirs.zero_grad()
        torch_loss(torch, t).backward()
        if lrs is not None:
            for group in theirs.param_groups:
                group["lr"] = lrs[k]
        theirs.step()
        a.append([p.data for p in ps])
        b.append(t.detach().tolist())
    return a, b


def assert_same_path(a, b):
    for step, (x, y) in enumerate(zip(a, b)):
        assert x == pytest.approx(y, rel=1e-12, abs=1e-14), f"differs at step {step}"


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.2),
    dict(lr=0.05, momentum=0.8, nesterov=True),
])
def test_sgd_matches_torch(kwargs):
    a, b = run_both(lambda ps: nn.SGD(ps, **kwargs),
                    lambda torch, ts: torch.optim.SGD(ts, foreach=False, **kwargs))
    assert_same_path(a, b)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.1, weight_decay=0.05),
])
def test_adam_matches_torch(kwargs):
    a, b = run_both(lambda ps: nn.Adam(ps, **kwargs),
                    lambda torch, ts: torch.optim.Adam(ts, foreach=False, **kwargs), steps=12)
    assert_same_path(a, b)


def test_adamw_matches_torch():
    a, b = run_both(lambda ps: nn.AdamW(ps, lr=0.1, weight_decay=0.1),
                    lambda torch, ts: torch.optim.AdamW(ts, lr=0.1, weight_decay=0.1,
                                                        foreach=False), steps=12)
    assert_same_path(a, b)


def test_scheduled_sgd_matches_torch_with_lr_set_each_step():
    """lr as a schedule: step k uses schedule(k), as if torch's lr were set before each step."""
    schedule = nn.LinearDecay(1.0, 0.1, steps=10)
    lrs = [1.0 - 0.9 * k / 10 for k in range(10)]
    a, b = run_both(lambda ps: nn.SGD(ps, lr=schedule, momentum=0.5),
                    lambda torch, ts: torch.optim.SGD(ts, lr=1.0, momentum=0.5, foreach=False),
                    steps=10, lrs=lrs)
    assert_same_path(a, b)


def test_plain_sgd_is_micrograds_update():
    """With defaults, p ← p − lr·grad (checked by hand)."""
    p = Value(2.0)
    p.grad = 0.5
    opt = nn.SGD([p], lr=0.1)
    opt.step()
    assert p.data == 2.0 - 0.1 * 0.5
    assert opt.steps == 1


def test_zero_grad_clears_gradients():
    ps = [Value(1.0), Value(2.0)]
    (ps[0] * ps[1]).backward()
    opt = nn.Adam(ps)
    opt.zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


# -- schedules ------------------------------------------------------------------------------------

def test_linear_decay_is_micrograds_demo_schedule():
    """LinearDecay(1.0, 0.1, 100) gives micrograd's lr = 1.0 − 0.9·k/100 exactly, then holds."""
    s = nn.LinearDecay(1.0, 0.1, steps=100)
    assert [s(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert s(100) == pytest.approx(0.1) and s(500) == s(100)


@pytest.mark.parametrize("schedule, expected", [
    (nn.ConstantLR(0.3), [0.3, 0.3, 0.3]),
    (nn.StepDecay(1.0, every=2, gamma=0.5), [1.0, 1.0, 0.5, 0.5, 0.25]),
    (nn.ExponentialDecay(2.0, gamma=0.5), [2.0, 1.0, 0.5]),
    (nn.CosineDecay(1.0, 0.0, steps=4), [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                                         (1 + math.cos(3 * math.pi / 4)) / 2, 0.0, 0.0]),
])
def test_schedules(schedule, expected):
    assert [schedule(k) for k in range(len(expected))] == pytest.approx(expected, abs=1e-15)


def test_optimizer_records_current_lr():
    p = Value(1.0)
    opt = nn.SGD([p], lr=nn.StepDecay(1.0, every=1, gamma=0.5))
    assert opt.lr == 1.0
    opt.step()
    opt.step()
    assert opt.lr == 0.5 and opt.steps == 2


def test_reprs_are_readable():
    ps = [Value(1.0)]
    assert repr(nn.SGD(ps, lr=0.1, momentum=0.9)) == "SGD(1 parameters, lr=0.1, momentum=0.9)"
    assert repr(nn.LinearDecay(1.0, 0.1, 100)) == "LinearDecay(1, 0.1, steps=100)"


# -- bad arguments --------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error", [
    (lambda: nn.SGD([], lr=0.1), ValueError),
    (lambda: nn.SGD(Value(1.0), lr=0.1), TypeError),
    (lambda: nn.SGD([1.0], lr=0.1), TypeError),
    (lambda: nn.SGD([Value(1.0)], lr=-0.1), ValueError),
    (lambda: nn.SGD([Value(1.0)], lr="0.1"), TypeError),
    (lambda: nn.SGD([Value(1.0)], lr=math.nan), ValueError),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError),
    (lambda: nn.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError),
    (lambda: nn.Adam([Value(1.0)], betas=0.9), TypeError),
    (lambda: nn.Adam([Value(1.0)], eps=-1e-8), ValueError),
    (lambda: nn.LinearDecay(1.0, 0.1, steps=0), ValueError),
    (lambda: nn.StepDecay(1.0, every=1.5), TypeError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_same_parameter_twice_is_rejected():
    p = Value(1.0)
    with pytest.raises(ValueError, match="same parameter twice"):
        nn.SGD([p, p], lr=0.1)


def test_schedule_giving_negative_lr_is_caught_at_step():
    p = Value(1.0)
    p.grad = 1.0
    opt = nn.SGD([p], lr=lambda k: 0.5 - 1.0 * k)
    opt.step()
    assert p.data == 0.5
    with pytest.raises(ValueError, match="lr at step 1"):
        opt.step()
    assert p.data == 0.5 and opt.steps == 1  # the refused step changed nothing
