"""Silent training mistakes made loud: an optimizer for another model, `model.parameters`
without the call, and a loss that became NaN or inf."""

from __future__ import annotations

import math

import pytest

import nn


def test_fit_refuses_an_optimizer_built_for_another_model() -> None:
    """A re-run notebook cell makes a new model but keeps the old optimizer: fit says so (it
    trained nothing, and the loss stayed exactly constant)."""
    X, y = nn.moons(20, seed=0, signed=True)
    old = nn.MLP(2, [4, 1], seed=0)
    opt = nn.SGD(old.parameters(), lr=0.1)
    model = nn.MLP(2, [4, 1], seed=0)  # the cell ran again
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"none of them this model's.*SGD\(model\.parameters\(\)"):
        nn.fit(model, X, y, optimizer=opt, steps=3, progress=False)
    assert model.state_dict() == before


def test_fit_accepts_an_optimizer_over_some_of_the_parameters() -> None:
    """Training only part of a model (the last layer here) is allowed, and changes only it."""
    X, y = nn.moons(20, seed=0, signed=True)
    model = nn.MLP(2, [4, 1], seed=0)
    first = [p.data for p in model.layers[0].parameters()]
    opt = nn.SGD(model.layers[1].parameters(), lr=0.1)
    nn.fit(model, X, y, optimizer=opt, steps=3, progress=False)
    assert [p.data for p in model.layers[0].parameters()] == first


@pytest.mark.parametrize("make", [nn.SGD, nn.Adam, nn.AdamW])
def test_optimizer_given_the_method_says_call_it(make: type) -> None:
    """nn.SGD(model.parameters, ...) says "call model.parameters()" (it gave only "'method'
    object is not iterable"); the same for every optimizer and for l2_regularization."""
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"call model\.parameters\(\)"):
        make(model.parameters, lr=0.1)
    with pytest.raises(TypeError, match=r"call model\.parameters\(\)"):
        nn.l2_regularization(model.parameters)
    with pytest.raises(TypeError, match=r"list of parameters.*got int"):
        make(3, lr=0.1)


def test_fit_stops_when_the_loss_is_nan() -> None:
    """A model whose weights went NaN: fit raises naming step 1 and changes nothing (it
    reported history.loss == [0.0, 0.0, 0.0], which looks converged)."""
    X, y = nn.moons(20, seed=0, signed=True)
    model = nn.MLP(2, [4, 1], seed=0)
    for p in model.parameters():
        p.data = math.nan
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(nn.NonFiniteLossError, match=r"loss is nan at step 1 of 3") as info:
        nn.fit(model, X, y, optimizer=opt, steps=3, progress=False)
    assert isinstance(info.value, FloatingPointError)
    assert info.value.step == 1 and math.isnan(info.value.loss)
    assert len(info.value.history) == 1 and math.isnan(info.value.history.loss[0])
    assert opt.steps == 0


def test_fit_stops_at_the_step_the_loss_overflows() -> None:
    """A learning rate far too large: the step whose loss is inf is named, and the model
    keeps the parameters of the step before, whose loss was finite."""
    X, y = nn.regression_1d(16, seed=0)
    model = nn.MLP(1, [8, 1], activation="tanh", seed=0)
    opt = nn.SGD(model.parameters(), lr=1e80)
    with pytest.raises(nn.NonFiniteLossError) as info:
        nn.fit(model, X, y, loss="mse", optimizer=opt, steps=50, progress=False)
    err = info.value
    assert err.step > 1 and f"at step {err.step} of 50" in str(err)
    assert not math.isfinite(err.loss) and math.isfinite(err.history.loss[-2])
    assert opt.steps == err.step - 1
    assert all(math.isfinite(p.data) for p in model.parameters())
