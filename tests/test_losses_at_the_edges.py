"""Losses at the edges of float64: NaN, ±inf, 1e±308 and subnormals give PyTorch's answers.

Each loss's value and the gradient of every prediction (and target, where it is a Value) are
compared with PyTorch float64; NaN in both counts as agreement. The one deliberate difference:
`bce_with_logits` at a logit of ±inf gives the true limit where PyTorch gives NaN.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import PROPERTY, extreme_floats, unit_targets

import nn
from scalargrad import Value

inf, nan = math.inf, math.nan


def agree(ours: float, theirs: float, rel: float = 1e-12, eps: float = 1e-300) -> bool:
    """Equal, both NaN, or within `rel` of the larger magnitude (summation order) plus `eps`."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if ours == theirs:
        return True
    if math.isinf(ours) or math.isinf(theirs):
        return False
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs)) + eps


def assert_agree(what: str, ours: list[float], theirs: list[float], eps: float = 1e-300) -> None:
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert agree(a, b, eps=eps), f"{what}[{i}]: ours {a!r}, torch {b!r}"


def bce_eps(z: float) -> float:
    """PyTorch's rounding in a bce term: it computes (1 − t)·z − log σ(z), and for z < 0 that
    is a difference of two numbers of size |z|, off by up to an ulp of |z| (for z = −40 and
    t = 0 it gives 0 where log1p gives 4e-18). Our form has no such cancellation."""
    return 2.0 ** -52 * max(1.0, abs(z)) if math.isfinite(z) else 0.0


def t64(torch: Any, xs: Any, grad: bool = True) -> Any:
    return torch.tensor(xs, dtype=torch.float64, requires_grad=grad)


# -- one test per reported defect -----------------------------------------------------------

def test_hinge_loss_propagates_nan_scores() -> None:
    """A NaN score makes the hinge loss NaN (it used to count as 0: 0.5, and 0.0 for all NaN)."""
    assert math.isnan(nn.hinge_loss([Value(nan), Value(0.0)], [1, 1]).data)
    assert math.isnan(nn.hinge_loss([Value(nan), Value(nan)], [1, -1]).data)
    assert math.isnan(nn.hinge_loss([Value(nan)], [1], reduction="none")[0].data)


def test_cross_entropy_keeps_the_loss_for_huge_logits() -> None:
    """Equal logits give log k at any size (1e16, 1e16 → log 2, where it used to give 0.0)."""
    for big in (1e16, 1e12, 1e9, 1000.0, 1e308):
        loss = nn.cross_entropy([[Value(big), Value(big)]], [0])
        assert loss.data == math.log(2.0), big
        three = nn.cross_entropy([[Value(big), Value(big), Value(big)]], [2])
        assert three.data == math.log(3.0), big


def test_bce_with_logits_at_infinite_logits_is_the_limit() -> None:
    """(+inf, 0) and (+inf, 0.5) give inf (they gave NaN); an agreeing target gives 0."""
    assert nn.bce_with_logits(Value(inf), 0.0).data == inf
    assert nn.bce_with_logits(Value(inf), 0.5).data == inf
    assert nn.bce_with_logits(Value(inf), 1.0).data == 0.0
    assert nn.bce_with_logits(Value(-inf), 0.0).data == 0.0
    assert nn.bce_with_logits(Value(-inf), 0.5).data == inf
    z = Value(inf)
    nn.bce_with_logits(z, 0.25).backward()
    assert z.grad == 0.75  # σ(inf) − t


def test_mse_gradient_of_huge_differences_does_not_overflow() -> None:
    """mse_loss([1e308, 1e308], 0): the gradient is (2/n)·d = 1e308, as PyTorch (was inf)."""
    ps = [Value(1e308), Value(1e308)]
    loss = nn.mse_loss(ps, [0.0, 0.0])
    loss.backward()
    assert loss.data == inf
    assert [p.grad for p in ps] == [1e308, 1e308]


@pytest.mark.parametrize("label", [nan, inf, -inf])
def test_hinge_loss_non_finite_label_is_named(label: float) -> None:
    """A NaN or inf label is refused naming the loss and the label (not a bare int() error)."""
    with pytest.raises(ValueError, match=rf"hinge_loss: labels must be finite.*got {label!r}"):
        nn.hinge_loss([Value(1.0)], [label])
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be finite"):
        nn.cross_entropy([[Value(1.0), Value(2.0)]], [label])


# -- property tests against PyTorch float64 ---------------------------------------------------

batches = st.integers(1, 4)


@PROPERTY
@given(data=st.data())
def test_mse_matches_torch_at_the_edges(torch: Any, data: st.DataObject) -> None:
    """mse_loss value and both sides' gradients equal PyTorch's for any floats."""
    n = data.draw(batches)
    ps = data.draw(st.lists(extreme_floats(), min_size=n, max_size=n))
    ts = data.draw(st.lists(extreme_floats(), min_size=n, max_size=n))
    for reduction in ("mean", "sum"):
        pv, tv = [Value(p) for p in ps], [Value(t) for t in ts]
        loss = nn.mse_loss(pv, tv, reduction=reduction)
        loss.backward()
        pt, tt = t64(torch, ps), t64(torch, ts)
        ref = torch.nn.functional.mse_loss(pt, tt, reduction=reduction)
        ref.backward()
        assert_agree("loss", [loss.data], [ref.item()])
        assert_agree("d/dp", [v.grad for v in pv], pt.grad.tolist())
        assert_agree("d/dt", [v.grad for v in tv], tt.grad.tolist())


@PROPERTY
@given(data=st.data())
def test_hinge_matches_torch_at_the_edges(torch: Any, data: st.DataObject) -> None:
    """hinge_loss equals torch.relu(1 − y·s).mean(); NaN stays NaN, with slope 0 there.

    The slope at NaN is the engine relu's (0); torch.relu says 1 and torch.clamp says 0.
    """
    n = data.draw(batches)
    ss = data.draw(st.lists(extreme_floats(), min_size=n, max_size=n))
    ys = data.draw(st.lists(st.sampled_from((-1, 1)), min_size=n, max_size=n))
    sv = [Value(s) for s in ss]
    loss = nn.hinge_loss(sv, ys)
    loss.backward()
    st_ = t64(torch, ss)
    z = 1.0 - torch.tensor(ys, dtype=torch.float64) * st_
    ref = torch.relu(z).mean()
    ref.backward()
    expected = [0.0 if math.isnan(zi) else g for zi, g in zip(z.tolist(), st_.grad.tolist())]
    assert_agree("loss", [loss.data], [ref.item()])
    assert_agree("d/ds", [v.grad for v in sv], expected)


def _bce_limit(z: float, t: float, torch_value: float) -> float:
    """PyTorch's term, or the true limit where PyTorch gives NaN at an infinite logit."""
    if math.isnan(torch_value) and math.isinf(z):
        agrees = (z > 0 and t == 1.0) or (z < 0 and t == 0.0)
        return 0.0 if agrees else inf
    return torch_value


@PROPERTY
@given(data=st.data())
def test_bce_with_logits_matches_torch_at_the_edges(torch: Any, data: st.DataObject) -> None:
    """bce_with_logits: PyTorch's value (the limit at ±inf logits) and gradients."""
    n = data.draw(batches)
    zs = data.draw(st.lists(extreme_floats(), min_size=n, max_size=n))
    ts = data.draw(st.lists(unit_targets(), min_size=n, max_size=n))
    zv, tv = [Value(z) for z in zs], [Value(t) for t in ts]
    terms = nn.bce_with_logits(zv, tv, reduction="none")
    ref_terms = torch.nn.functional.binary_cross_entropy_with_logits(
        t64(torch, zs, False), t64(torch, ts, False), reduction="none").tolist()
    expected = [_bce_limit(z, t, r) for z, t, r in zip(zs, ts, ref_terms)]
    for i, (z, ours, theirs) in enumerate(zip(zs, terms, expected)):
        assert agree(ours.data, theirs, eps=bce_eps(z)), f"term {i}: {ours.data!r} vs {theirs!r}"
    loss = nn.bce_with_logits(zv, tv)
    loss.backward()
    assert_agree("mean", [loss.data], [torch.tensor(expected, dtype=torch.float64).mean().item()],
                 max(bce_eps(z) for z in zs))
    zt, tt = t64(torch, zs), t64(torch, ts)
    torch.nn.functional.binary_cross_entropy_with_logits(zt, tt).backward()
    assert_agree("d/dz", [v.grad for v in zv], zt.grad.tolist())
    assert_agree("d/dt", [v.grad for v in tv], tt.grad.tolist())


@PROPERTY
@given(data=st.data())
def test_cross_entropy_matches_torch_at_the_edges(torch: Any, data: st.DataObject) -> None:
    """cross_entropy value and every logit's gradient equal PyTorch's for any logits."""
    n, k = data.draw(batches), data.draw(st.integers(1, 4))
    rows = data.draw(st.lists(st.lists(extreme_floats(), min_size=k, max_size=k),
                              min_size=n, max_size=n))
    ys = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    rv = [[Value(z) for z in row] for row in rows]
    loss = nn.cross_entropy(rv, ys)
    loss.backward()
    zt = t64(torch, rows)
    ref = torch.nn.functional.cross_entropy(zt, torch.tensor(ys))
    ref.backward()
    assert_agree("loss", [loss.data], [ref.item()])
    assert_agree("d/dz", [v.grad for row in rv for v in row],
                 [g for row in zt.grad.tolist() for g in row])
