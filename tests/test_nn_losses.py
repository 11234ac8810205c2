"""Losses: values and gradients against PyTorch float64 and gradcheck; stability; bad inputs."""

from __future__ import annotations

import math

import pytest

import nn
from scalargrad import Value, gradcheck, no_grad

SCORES = [0.3, -1.2, 2.5, 0.9, -0.05, 1.0]
SIGNED = [1, -1, -1, 1, 1, 1]          # the last one sits exactly on the margin: 1 − 1·1 = 0
TARGETS = [0.5, -1.0, 2.0, 1.5, 0.0, -0.3]
PROBS = [1.0, 0.0, 0.25, 1.0, 0.0, 0.7]
LOGITS = [[0.2, -1.0, 3.0], [1.5, 1.5, -0.5], [-2.0, 0.1, 0.3], [10.0, -10.0, 0.0]]
CLASSES = [2, 0, 1, 1]


def leaves(xs):
    return [Value(x) for x in xs]


def grads(vs):
    return [v.grad for v in vs]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def t64(torch, xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


# -- against PyTorch ---------------------------------------------------------------------------

# (our loss, PyTorch's functional name, predictions, targets): both sides get gradients
PAIRWISE = [
    (nn.mse_loss, "mse_loss", SCORES, TARGETS),
    (nn.bce_with_logits, "binary_cross_entropy_with_logits", SCORES, PROBS),
]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss_fn, torch_name, preds, targets", PAIRWISE,
                         ids=[row[1] for row in PAIRWISE])
def test_pairwise_loss_matches_torch(torch, loss_fn, torch_name, preds, targets, reduction):
    """MSE and BCE-with-logits: value and the gradients of predictions and targets equal
    torch.nn.functional's in float64."""
    p, t = leaves(preds), leaves(targets)
    loss = loss_fn(p, t, reduction=reduction)
    loss.backward()
    tp, tt = t64(torch, preds), t64(torch, targets)
    ref = getattr(torch.nn.functional, torch_name)(tp, tt, reduction=reduction)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert grads(p) == pytest.approx(tp.grad.tolist(), rel=1e-12, abs=1e-15)
    assert grads(t) == pytest.approx(tt.grad.tolist(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hinge_matches_torch_relu_formula(torch, reduction):
    s = leaves(SCORES)
    loss = nn.hinge_loss(s, SIGNED, reduction=reduction)
    loss.backward()
    ts = t64(torch, SCORES)
    per = torch.relu(1 - torch.tensor(SIGNED, dtype=torch.float64) * ts)
    ref = per.mean() if reduction == "mean" else per.sum()
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert grads(s) == pytest.approx(ts.grad.tolist(), rel=1e-12, abs=1e-15)
    assert s[-1].grad == 0.0  # exactly on the margin: relu's slope at 0 is 0, as in PyTorch


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_matches_torch(torch, reduction):
    z = [leaves(row) for row in LOGITS]
    loss = nn.cross_entropy(z, CLASSES, reduction=reduction)
    loss.backward()
    tz = t64(torch, LOGITS)
    ref = torch.nn.functional.cross_entropy(tz, torch.tensor(CLASSES), reduction=reduction)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert [grads(row) for row in z] == [pytest.approx(r, rel=1e-12, abs=1e-15)
                                         for r in tz.grad.tolist()]


def test_reduction_none_gives_one_node_per_sample(torch):
    z = [leaves(row) for row in LOGITS]
    per = nn.cross_entropy(z, CLASSES, reduction="none")
    ref = torch.nn.functional.cross_entropy(t64(torch, LOGITS), torch.tensor(CLASSES),
                                            reduction="none")
    assert [v.data for v in per] == pytest.approx(ref.tolist(), rel=1e-12)
    per[1].backward()
    assert all(v.grad == 0.0 for v in z[0])  # sample 1's loss does not touch sample 0
    assert sum(v.grad for v in z[1]) == pytest.approx(0.0, abs=1e-15)  # softmax − onehot sums to 0


def test_l2_regularization_matches_torch(torch):
    ps = leaves(SCORES)
    reg = nn.l2_regularization(ps, alpha=1e-4)
    reg.backward()
    tp = t64(torch, SCORES)
    ref = 1e-4 * (tp * tp).sum()
    ref.backward()
    assert reg.data == pytest.approx(ref.item(), rel=1e-12)
    assert grads(ps) == pytest.approx(tp.grad.tolist(), rel=1e-12)
    assert len(reg._prev) == len(ps)  # one node, one edge per parameter


# -- against finite differences ------------------------------------------------------------------

@pytest.mark.parametrize("name, f, inputs", [
    ("mse", lambda a, b, c: nn.mse_loss([a, b], [c, 0.5]), [0.3, -0.7, 1.1]),
    ("hinge", lambda a, b, c: nn.hinge_loss([a, b, c], [1, -1, 1]), [0.3, -0.7, 0.2]),
    ("bce", lambda a, b, c: nn.bce_with_logits([a, b], [c, 0.2]), [0.3, -2.7, 0.6]),
    ("ce", lambda a, b, c: nn.cross_entropy([a, b, c], 1), [0.3, -0.7, 1.1]),
    ("ce batch", lambda a, b, c: nn.cross_entropy([[a, b], [c, a]], [0, 1]), [0.3, -0.7, 1.1]),
    ("l2", lambda a, b, c: nn.l2_regularization([a, b, c], 0.5), [0.3, -0.7, 1.1]),
])
def test_gradcheck(name, f, inputs):
    result = gradcheck(f, *inputs)
    assert result, result.message


# -- stability -----------------------------------------------------------------------------------

@pytest.mark.parametrize("z, t, loss, slope", [
    (1000.0, 1.0, 0.0, 0.0),
    (1000.0, 0.0, 1000.0, 1.0),
    (-1000.0, 0.0, 0.0, 0.0),
    (-1000.0, 1.0, 1000.0, -1.0),
    (-1e4, 1.0, 1e4, -1.0),
])
def test_bce_with_logits_stable_for_large_logits(z, t, loss, slope):
    """−log σ(z) for |z| = 1000 would overflow or give inf done naively; here it is exact."""
    v = Value(z)
    out = nn.bce_with_logits([v], [t])
    out.backward()
    assert out.data == pytest.approx(loss, abs=1e-12)
    assert v.grad == pytest.approx(slope, abs=1e-12)


def test_cross_entropy_stable_for_large_logits(torch):
    """Logits around ±1000 (e^1000 overflows) still give PyTorch's loss and gradients."""
    rows = [[1000.0, 999.0, -1000.0], [-1000.0, -1001.0, -999.5]]
    z = [leaves(r) for r in rows]
    loss = nn.cross_entropy(z, [1, 2])
    loss.backward()
    tz = t64(torch, rows)
    ref = torch.nn.functional.cross_entropy(tz, torch.tensor([1, 2]))
    ref.backward()
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    assert [grads(r) for r in z] == [pytest.approx(g, rel=1e-12, abs=1e-15)
                                     for g in tz.grad.tolist()]


def test_losses_are_one_node_with_an_edge_per_prediction():
    """A batch loss is one node; plain-number targets are constants with no edge."""
    p = leaves(SCORES)
    loss = nn.hinge_loss(p, SIGNED)
    assert loss._op == "hinge" and list(loss._prev) == p
    assert len(nn.mse_loss(p, TARGETS)._prev) == len(p)


def test_no_grad_records_no_parents():
    with no_grad():
        loss = nn.cross_entropy([leaves(r) for r in LOGITS], CLASSES)
    assert loss._prev == ()


def test_plain_number_predictions_give_a_value():
    assert nn.mse_loss([1.0, 3.0], [0.0, 0.0]).data == 5.0


# -- bad inputs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, words", [
    (lambda: nn.mse_loss([1.0, 2.0], [1.0]), ValueError, "2 predictions but 1 targets"),
    (lambda: nn.mse_loss([1.0], ["1"]), TypeError, "real number"),
    (lambda: nn.mse_loss([], []), ValueError, "empty"),
    (lambda: nn.mse_loss("12", [1.0, 2.0]), TypeError, "list"),
    (lambda: nn.hinge_loss([1.0, 2.0], [0, 1]), ValueError, "-1 or +1"),
    (lambda: nn.hinge_loss([1.0], [1, 1]), ValueError, "1 scores but 2 labels"),
    (lambda: nn.hinge_loss([1.0], [True]), TypeError, "ints"),
    (lambda: nn.bce_with_logits([1.0], [1.5]), ValueError, "[0, 1]"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], [2]), ValueError, "0..1"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], [-1]), ValueError, "class index"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], [0.5]), TypeError, "ints"),
    (lambda: nn.cross_entropy([[1.0, 2.0], []], [0, 0]), TypeError, "non-empty"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 rows of logits but 2"),
    (lambda: nn.mse_loss([1.0], [1.0], reduction="avg"), ValueError, "reduction"),
    (lambda: nn.l2_regularization([1.0]), TypeError, "Values"),
    (lambda: nn.l2_regularization([Value(1.0)], alpha="big"), TypeError, "real number"),
])
def test_bad_inputs_raise(call, error, words):
    with pytest.raises(error) as err:
        call()
    assert words in str(err.value)


def test_loss_of_values_beyond_float_range_is_inf_not_an_internal_error():
    """A loss whose terms sum past the largest float is inf, as in PyTorch, not fsum's error."""
    loss = nn.hinge_loss([Value(-1e308), Value(-1e308)], [1, 1], reduction="sum")
    assert loss.data == float("inf")


def test_int_target_too_large_for_a_float_names_the_loss():
    """An int target beyond float range raises OverflowError naming the loss."""
    with pytest.raises(OverflowError, match="mse_loss target"):
        nn.mse_loss([Value(1.0)], [10**400])
