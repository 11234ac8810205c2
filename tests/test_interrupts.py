"""Ctrl-C while training: an optimizer step is all-or-nothing, and fit hands back its History."""

from __future__ import annotations

import io
import signal
import sys

import pytest

import nn
from scalargrad import Value


class Bomb:
    """A gradient whose arithmetic raises KeyboardInterrupt, as a Ctrl-C mid-update would."""

    def _boom(self, *args: object) -> None:
        raise KeyboardInterrupt

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _boom
    __truediv__ = __rtruediv__ = __neg__ = __float__ = _boom


def _params() -> list[Value]:
    return [Value(0.1 * (i + 1)) for i in range(6)]


def _two_steps_and_third_grads(opt: nn.Optimizer, params: list[Value]) -> None:
    """Two real steps, then the gradients of a third (not taken)."""
    for k in range(2):
        for i, p in enumerate(params):
            p.grad = 0.5 + i - k
        opt.step()
    for i, p in enumerate(params):
        p.grad = 0.25 * i


def _two_steps_then_bomb(opt: nn.Optimizer, params: list[Value]) -> tuple[list, list]:
    """Two real steps; then a third whose fourth gradient blows up. Returns (before, after)."""
    _two_steps_and_third_grads(opt, params)
    params[3].grad = Bomb()  # type: ignore[assignment]
    before = [p.data for p in params], _buffers(opt)
    with pytest.raises(KeyboardInterrupt):
        opt.step()
    return before, ([p.data for p in params], _buffers(opt))


def _buffers(opt: nn.Optimizer) -> list:
    return [list(getattr(opt, name)) for name in opt._state_lists]


OPTIMIZERS = {
    "SGD": lambda ps: nn.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: nn.Adam(ps, lr=0.1),
    "AdamW": lambda ps: nn.AdamW(ps, lr=0.1),
    "SGD with a schedule": lambda ps: nn.SGD(ps, lr=nn.LinearDecay(1.0, 0.1, 10)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_interrupted_step_leaves_every_parameter_as_before(name: str) -> None:
    params = _params()
    before, after = _two_steps_then_bomb(OPTIMIZERS[name](params), params)
    assert after[0] == before[0]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_interrupted_step_leaves_the_buffers_as_before(name: str) -> None:
    params = _params()
    before, after = _two_steps_then_bomb(OPTIMIZERS[name](params), params)
    assert after[1] == before[1]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_interrupted_step_is_not_counted(name: str) -> None:
    params = _params()
    opt = OPTIMIZERS[name](params)
    _two_steps_then_bomb(opt, params)
    assert opt.steps == 2


def test_an_interrupted_step_keeps_the_learning_rate_of_the_last_step_made() -> None:
    params = _params()
    opt = nn.SGD(params, lr=nn.LinearDecay(1.0, 0.1, 10))
    _two_steps_then_bomb(opt, params)
    assert opt.lr == nn.LinearDecay(1.0, 0.1, 10)(1)


def test_the_step_after_an_interrupt_is_the_step_that_was_interrupted() -> None:
    ours, clean = _params(), _params()
    opt = nn.Adam(ours, lr=0.1)
    _two_steps_then_bomb(opt, ours)
    ours[3].grad = 0.75
    opt.step()
    ref = nn.Adam(clean, lr=0.1)
    _two_steps_and_third_grads(ref, clean)
    clean[3].grad = 0.75
    ref.step()
    assert [p.data for p in ours] == [p.data for p in clean]


# -- fit ----------------------------------------------------------------------------------

def _data() -> tuple[list, list]:
    X, y = nn.moons(24, noise=0.1, seed=3, signed=True)
    return X, y


def _model() -> nn.MLP:
    return nn.MLP(2, [4, 1], seed=5)


def _fit(steps: int, optimizer_type: type = nn.SGD, **kw: object) -> tuple[nn.MLP, nn.History]:
    X, y = _data()
    model = _model()
    opt = optimizer_type(model.parameters(), lr=0.1)
    history = nn.fit(model, X, y, optimizer=opt, steps=steps, **kw)
    return model, history


def _weights(model: nn.Module) -> list[float]:
    return [p.data for p in model.parameters()]


def _stop_in_callback_at(n: int):
    def callback(k: int, history: nn.History) -> None:
        if k == n - 1:
            raise KeyboardInterrupt
    return callback


def test_fit_returns_the_history_so_far_when_interrupted() -> None:
    _, history = _fit(10, progress=False, callback=_stop_in_callback_at(3))
    assert len(history) == 3


def test_an_interrupted_history_says_so() -> None:
    _, history = _fit(10, progress=False, callback=_stop_in_callback_at(3))
    assert history.interrupted and "interrupted" in repr(history)


def test_a_finished_history_is_not_interrupted() -> None:
    _, history = _fit(3, progress=False)
    assert not history.interrupted


def test_an_interrupted_fit_equals_a_shorter_fit() -> None:
    model, history = _fit(10, progress=False, callback=_stop_in_callback_at(3))
    short, short_history = _fit(3, progress=False)
    assert (_weights(model), history.loss) == (_weights(short), short_history.loss)


def test_an_interrupted_fit_prints_what_happened() -> None:
    out = io.StringIO()
    _fit(10, file=out, callback=_stop_in_callback_at(3))
    assert "interrupted (Ctrl-C) after 3 of 10 steps" in out.getvalue()


def test_an_interrupted_fit_prints_nothing_without_progress() -> None:
    out = io.StringIO()
    _fit(10, progress=False, file=out, callback=_stop_in_callback_at(3))
    assert out.getvalue() == ""


class _StopsInsideStep(nn.SGD):
    """An SGD whose update is interrupted half way through the parameters at its third step."""

    def _update(self, lr: float) -> None:
        if self.steps == 2:
            half = len(self.params) // 2
            for p in self.params[:half]:
                p.data -= lr * p.grad
            raise KeyboardInterrupt
        super()._update(lr)


class _StopsAfterStep(nn.SGD):
    """An SGD interrupted right after its third update landed, before fit recorded it."""

    def step(self) -> None:
        super().step()
        if self.steps == 3:
            raise KeyboardInterrupt


def test_an_interrupt_inside_the_update_leaves_the_model_at_the_step_before() -> None:
    model, history = _fit(10, _StopsInsideStep, progress=False)
    short, _ = _fit(2, progress=False)
    assert (len(history), _weights(model)) == (2, _weights(short))


def test_an_update_that_landed_is_recorded() -> None:
    model, history = _fit(10, _StopsAfterStep, progress=False)
    short, short_history = _fit(3, progress=False)
    assert (history.loss, _weights(model)) == (short_history.loss, _weights(short))


def test_fit_puts_the_collector_back_when_interrupted() -> None:
    import gc

    _fit(10, progress=False, callback=_stop_in_callback_at(2))
    assert gc.isenabled()


@pytest.mark.skipif(not hasattr(signal, "setitimer") or sys.platform == "win32",
                    reason="needs signal.setitimer")
@pytest.mark.parametrize("delay", [0.013, 0.031, 0.047, 0.071, 0.093, 0.12])
def test_a_real_interrupt_at_any_moment_leaves_a_model_of_a_whole_step(delay: float) -> None:
    """A SIGINT-like signal at an arbitrary moment: the model is that of len(history) steps."""
    X, y = _data()
    model = _model()
    opt = nn.SGD(model.parameters(), lr=0.1)
    old = signal.signal(signal.SIGALRM, signal.default_int_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, delay)
        history = nn.fit(model, X, y, optimizer=opt, steps=400, progress=False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert history.interrupted, "the signal came after fit finished: use a shorter delay"
    short, short_history = _fit(len(history), progress=False)
    assert (_weights(model), history.loss) == (_weights(short), short_history.loss)
