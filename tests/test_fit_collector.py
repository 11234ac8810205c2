"""How `fit` treats CPython's cyclic garbage collector: paused while it trains, put back after."""

from __future__ import annotations

import gc
import weakref

import pytest

import nn


def _setup() -> tuple:
    X, y = nn.moons(8, noise=0.1, seed=0, signed=True)
    model = nn.MLP(2, [4, 1], seed=0)
    return model, X, y, nn.SGD(model.parameters(), lr=0.05)


def test_collector_is_paused_during_fit() -> None:
    """Inside a training step the automatic collector is off."""
    model, X, y, opt = _setup()
    seen = []
    nn.fit(model, X, y, optimizer=opt, steps=2, progress=False,
           callback=lambda k, h: seen.append(gc.isenabled()))
    assert seen == [False, False]


def test_collector_is_back_after_fit() -> None:
    """After fit returns, the collector is on again."""
    model, X, y, opt = _setup()
    assert gc.isenabled()
    nn.fit(model, X, y, optimizer=opt, steps=2, progress=False)
    assert gc.isenabled()


def test_collector_is_back_after_an_error() -> None:
    """A fit that raises puts the collector back too."""
    model, X, y, opt = _setup()

    def fail(k: int, history: nn.History) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        nn.fit(model, X, y, optimizer=opt, steps=2, progress=False, callback=fail)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    """fit never turns on a collector the user had turned off."""
    model, X, y, opt = _setup()
    gc.disable()
    try:
        nn.fit(model, X, y, optimizer=opt, steps=2, progress=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Cycle:
    """An object in a reference cycle with a 1,000-item payload (only the collector frees it)."""

    def __init__(self) -> None:
        self.me = self
        self.payload = [[i] for i in range(1000)]


def test_cycles_made_while_training_are_collected_during_fit() -> None:
    """Cyclic garbage a step leaves behind is freed by the next steps, not kept until fit ends."""
    model, X, y, opt = _setup()
    refs: list[weakref.ref] = []
    alive_later: list[bool] = []

    def make_garbage(k: int, history: nn.History) -> None:
        refs.append(weakref.ref(_Cycle()))
        if k >= 3:
            alive_later.append(refs[k - 3]() is not None)

    nn.fit(model, X, y, optimizer=opt, steps=8, progress=False, callback=make_garbage)
    assert alive_later and not any(alive_later)
