"""numpy and scikit-learn style inputs: numpy scalars and arrays work wherever numbers, counts
and lists do (nn itself never imports numpy); bools are still refused as counts."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

import nn
from scalargrad import Value

np = pytest.importorskip("numpy", reason="numpy is what these tests feed nn: "
                         "pip install numpy (the [test] extra)")


def test_nn_does_not_import_numpy() -> None:
    """Accepting numpy's types never needs numpy itself: nn's source has no numpy import."""
    import pathlib
    import re

    folder = pathlib.Path(nn.__file__).parent
    for path in folder.glob("*.py"):
        code = re.sub(r'""".*?"""|#[^\n]*', "", path.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"^\s*(import|from)\s+numpy", code, flags=re.M), path.name


def test_mlp_widths_may_be_numpy_integers() -> None:
    """nn.MLP(2, [np.int64(4), 1]) builds (it raised "must be a positive int"), stores plain
    ints, and saves."""
    model = nn.MLP(np.int64(2), [np.int64(4), 1], seed=np.int64(0))
    assert model.config() == {"type": "MLP", "nin": 2, "nouts": [4, 1], "activation": "relu"}
    assert all(type(n) is int for n in [model.nin, *model.nouts])
    assert model.num_parameters() == nn.MLP(2, [4, 1], seed=0).num_parameters()
    assert nn.MLP(2, np.array([4, 1]), seed=0).nouts == [4, 1]
    assert nn.Layer(np.int32(3), np.uint8(2)).nout == 2
    assert nn.to_dict(model)["architecture"]["nouts"] == [4, 1]


@pytest.mark.parametrize("bad", [True, np.bool_(True), 2.0, np.float64(2.0)])
def test_bools_and_floats_are_still_not_widths(bad: Any) -> None:
    """A bool (Python's or numpy's) or a float is refused where a width is meant."""
    with pytest.raises(TypeError, match="positive int"):
        nn.MLP(2, [bad, 1])
    with pytest.raises(TypeError, match="positive int"):
        nn.Neuron(bad)


def test_hinge_and_cross_entropy_take_numpy_labels() -> None:
    """np.int64 labels (a numpy array, or a list of numpy scalars) give the same loss."""
    scores = [Value(0.3), Value(-2.0), Value(0.7)]
    expected = nn.hinge_loss(scores, [1, -1, -1]).data
    assert nn.hinge_loss(scores, np.array([1, -1, -1])).data == expected
    assert nn.hinge_loss(scores, [np.int64(1), np.int64(-1), np.int64(-1)]).data == expected
    assert nn.hinge_loss(scores, np.array([1.0, -1.0, -1.0])).data == expected
    logits = [[Value(1.0), Value(2.0)], [Value(0.5), Value(-1.0)]]
    expected = nn.cross_entropy(logits, [1, 0]).data
    assert nn.cross_entropy(logits, np.array([1, 0])).data == expected
    assert nn.cross_entropy(np.array([[1.0, 2.0], [0.5, -1.0]]), [1, 0]).data == expected
    with pytest.raises(TypeError, match="labels must be ints"):
        nn.hinge_loss(scores, np.array([True, False, True]))


def test_losses_take_numpy_targets_and_predictions() -> None:
    """mse_loss and bce_with_logits accept numpy arrays of targets (1-D and 2-D)."""
    preds = [Value(0.5), Value(1.5)]
    expected = nn.mse_loss(preds, [1.0, 1.0]).data
    assert nn.mse_loss(preds, np.array([1.0, 1.0])).data == expected
    assert nn.mse_loss(preds, np.array([[1.0], [1.0]], dtype=np.float32)).data == expected
    assert nn.bce_with_logits(preds, np.array([0, 1])).data == nn.bce_with_logits(
        preds, [0.0, 1.0]).data


def test_fit_takes_numpy_x_and_y() -> None:
    """nn.fit with numpy X and y trains exactly as with lists (X raised "truth value of an
    array is ambiguous")."""
    X, y = nn.moons(40, seed=1, signed=True)

    def run(X_: Any, y_: Any) -> list[float]:
        model = nn.MLP(2, [8, 1], seed=0)
        opt = nn.SGD(model.parameters(), lr=0.1)
        return nn.fit(model, X_, y_, optimizer=opt, steps=5, progress=False).loss

    expected = run(X, y)
    assert run(np.array(X), np.array(y)) == expected
    assert run(np.array(X, dtype=np.float64), list(y)) == expected
    assert run(X, np.array(y)) == expected
    model = nn.MLP(2, [4, 3], seed=0)
    Xs, ys = nn.spiral(30, seed=0)
    history = nn.fit(model, np.array(Xs), np.array(ys), loss="cross_entropy", steps=2,
                     batch_size=np.int64(10), optimizer=nn.Adam(model.parameters()),
                     progress=False)
    assert len(history) == 2 and history.accuracy[0] is not None


def test_model_call_evaluate_predict_and_split_take_numpy() -> None:
    """A numpy row is a valid input; evaluate, predict, accuracy and train_test_split take
    arrays."""
    model = nn.MLP(2, [3, 1], seed=0)
    row = np.array([0.25, -0.5])
    assert model(row).data == model([0.25, -0.5]).data
    assert model(row.astype(np.float32)).data == model([0.25, -0.5]).data
    X, y = nn.moons(20, seed=0, signed=True)
    assert nn.evaluate(model, np.array(X), np.array(y)) == nn.evaluate(model, X, y)
    assert nn.predict(model, np.array(X)) == nn.predict(model, X)
    Xtr, Xte, ytr, yte = nn.train_test_split(np.array(X), np.array(y), seed=np.int64(3))
    assert len(Xtr) + len(Xte) == 20 and len(ytr) == len(Xtr)
    assert nn.moons(np.int64(10), seed=np.int64(2)).X == nn.moons(10, seed=2).X
    assert len(nn.blobs(9, centers=np.array([[0.0, 0.0], [1.0, 1.0]])).X) == 9


def test_load_state_takes_numpy_scalars() -> None:
    """load_state with np.float32 / np.int64 values loads them as floats (it refused them)."""
    model = nn.MLP(2, [2, 1], seed=0)
    state = {name: np.float32(0.5) for name in model.state_dict()}
    state["layers.1.neurons.0.b"] = np.int64(3)
    model.load_state(state)
    assert set(model.state_dict().values()) == {0.5, 3.0}
    assert all(type(v) is float for v in model.state_dict().values())
    for bad in (np.bool_(True), np.float64(math.nan)):
        state["layers.1.neurons.0.b"] = bad
        with pytest.raises(nn.ModelFileError, match="layers.1.neurons.0.b"):
            model.load_state(state)
    assert model.state_dict()["layers.1.neurons.0.b"] == 3.0


def test_numpy_stays_unimported_by_nn() -> None:
    """Importing nn in a fresh interpreter does not import numpy."""
    import subprocess

    code = "import sys, nn; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(__import__("pathlib").Path(nn.__file__).parent.parent))
    assert out.stdout.strip() == "False", out.stderr
