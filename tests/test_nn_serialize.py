"""Model files: exact round trips, atomic saves, every bad file refused with the model intact."""

from __future__ import annotations

import json
import math
import os

import pytest

import nn
from nn import serialize
from scalargrad import Value


@pytest.fixture
def model():
    return nn.MLP(2, [3, 2], activation="tanh", seed=0)


@pytest.fixture
def saved(tmp_path, model):
    path = tmp_path / "model.json"
    nn.save(model, path)
    return path


def rewrite(path, change):
    """Load the JSON at `path`, let `change` edit it, write it back."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# -- round trips ---------------------------------------------------------------------------------

def test_save_load_round_trip_is_exact(tmp_path):
    """Every parameter comes back bit for bit, and the rebuilt model computes the same outputs."""
    original = nn.MLP(2, [16, 16, 1], seed=3)
    for p in original.parameters():  # awkward floats: repr must round-trip them all
        p.data = p.data / 3.0 + 1e-300
    path = tmp_path / "m.json"
    original.save(path)
    loaded = nn.load(path)
    assert type(loaded) is nn.MLP and loaded.config() == original.config()
    assert [p.data for p in loaded.parameters()] == [p.data for p in original.parameters()]
    assert loaded([0.3, -0.7]).data == original([0.3, -0.7]).data


@pytest.mark.parametrize("make", [lambda: nn.Neuron(3, activation="sigmoid", seed=1),
                                  lambda: nn.Layer(2, 4, nonlin=False, seed=1),
                                  lambda: nn.MLP(1, [1, 2], seed=1)])
def test_round_trip_for_each_module_type(tmp_path, make):
    m = make()
    nn.save(m, tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert repr(loaded) == repr(m)
    assert loaded.state_dict() == m.state_dict()


def test_load_into_existing_model(saved, model):
    other = nn.MLP(2, [3, 2], activation="tanh", seed=99)
    other.parameters()[0].grad = 5.0
    assert other.load(saved) is other
    assert other.state_dict() == model.state_dict()
    assert other.parameters()[0].grad == 0.0


def test_file_is_plain_json_with_architecture(saved):
    data = json.loads(saved.read_text())
    assert data["format"] == "scalargrad.nn" and data["version"] == 1
    assert data["architecture"] == {"type": "MLP", "nin": 2, "nouts": [3, 2],
                                    "activation": "tanh"}
    assert len(data["parameters"]) == 3 * 3 + 4 * 2


def test_custom_module_saves_parameters_and_loads_into_itself(tmp_path):
    class Pair(nn.Module):
        def __init__(self):
            self.a, self.b = Value(1.5), Value(-2.5)

    m = Pair()
    m.save(tmp_path / "pair.json")
    fresh = Pair()
    fresh.a.data = 0.0
    fresh.load(tmp_path / "pair.json")
    assert fresh.a.data == 1.5
    with pytest.raises(nn.ModelFileError, match="no architecture"):
        nn.load(tmp_path / "pair.json")


# -- atomic saving -------------------------------------------------------------------------------

def test_crash_during_save_leaves_old_file_and_no_temp(tmp_path, model, monkeypatch):
    path = tmp_path / "model.json"
    nn.save(model, path)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(serialize.os, "replace", crash)
    for p in model.parameters():
        p.data += 1.0
    with pytest.raises(OSError, match="disk full"):
        nn.save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_saving_non_finite_parameters_is_refused_without_touching_disk(tmp_path, model):
    model.parameters()[1].data = math.nan
    with pytest.raises(nn.ModelFileError, match="layers.0.neurons.0.w.1"):
        nn.save(model, tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_saved_file_respects_umask_permissions(saved):
    mask = os.umask(0)
    os.umask(mask)
    assert saved.stat().st_mode & 0o777 == 0o666 & ~mask


# -- bad files: one error type, model unchanged ------------------------------------------------

BAD_EDITS = {
    "another architecture": lambda d: d["architecture"].update(nouts=[4, 2]),
    "another activation": lambda d: d["architecture"].update(activation="relu"),
    "NaN value": None,  # written as raw text below
    "infinite value": None,
    "huge number": None,
    "string value": lambda d: d["parameters"].update({"layers.0.neurons.0.b": "0.5"}),
    "bool value": lambda d: d["parameters"].update({"layers.0.neurons.0.b": True}),
    "null value": lambda d: d["parameters"].update({"layers.0.neurons.0.b": None}),
    "missing parameter": lambda d: d["parameters"].pop("layers.1.neurons.1.b"),
    "extra parameter": lambda d: d["parameters"].update({"layers.9.w": 1.0}),
    "parameters not an object": lambda d: d.update(parameters=[1.0, 2.0]),
    "wrong format": lambda d: d.update(format="pickle"),
    "wrong version": lambda d: d.update(version=2),
    "version as bool": lambda d: d.update(version=True),
    "missing key": lambda d: d.pop("version"),
}


@pytest.mark.parametrize("name", list(BAD_EDITS))
def test_bad_file_raises_and_leaves_model_unchanged(saved, model, name):
    if BAD_EDITS[name] is None:
        text = saved.read_text()
        key = '"layers.0.neurons.0.b": '
        start = text.index(key) + len(key)
        end = start + len(text[start:].split(",")[0].split("\n")[0])
        value = {"NaN value": "NaN", "infinite value": "Infinity", "huge number": "1e999"}[name]
        saved.write_text(text[:start] + value + text[end:])
    else:
        rewrite(saved, BAD_EDITS[name])
    target = nn.MLP(2, [3, 2], activation="tanh", seed=5)
    before = target.state_dict()
    with pytest.raises(nn.ModelFileError) as err:
        target.load(saved)
    assert str(saved) in str(err.value)
    assert target.state_dict() == before
    if name not in ("another architecture", "another activation"):
        with pytest.raises(nn.ModelFileError):
            nn.load(saved)


@pytest.mark.parametrize("content", [
    b"", b"{", b"not json", b"[1, 2, 3]", b"\xff\xfe garbage", b"null",
    b'{"format": "scalargrad.nn", "format": "scalargrad.nn"}',
    b"[" * 100000 + b"]" * 100000,
    b"1" * 5000,
])
def test_malformed_files_raise_model_file_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(nn.ModelFileError):
        nn.load(path)


def test_truncated_file_raises(saved, model):
    saved.write_bytes(saved.read_bytes()[: len(saved.read_bytes()) // 2])
    with pytest.raises(nn.ModelFileError, match="not valid JSON"):
        nn.load(saved)


@pytest.mark.parametrize("arch", [
    {"type": "CNN", "nin": 2, "nouts": [1], "activation": "relu"},
    {"type": "MLP", "nin": 0, "nouts": [1], "activation": "relu"},
    {"type": "MLP", "nin": 2.0, "nouts": [1], "activation": "relu"},
    {"type": "MLP", "nin": 2, "nouts": [], "activation": "relu"},
    {"type": "MLP", "nin": 2, "nouts": "1", "activation": "relu"},
    {"type": "MLP", "nin": 2, "nouts": [1], "activation": "__import__('os')"},
    {"type": "MLP", "nin": 2, "nouts": [1], "activation": "relu", "extra": 1},
    {"type": "MLP", "nin": 2, "nouts": [1000000, 1000000], "activation": "relu"},
    "MLP(2, [1])",
])
def test_bad_architectures_raise_before_building(tmp_path, arch):
    """Unknown types, bad sizes and parameter counts that do not match the file are refused."""
    path = tmp_path / "arch.json"
    path.write_text(json.dumps({"format": "scalargrad.nn", "version": 1, "architecture": arch,
                                "parameters": {"layers.0.neurons.0.w.0": 1.0}}))
    with pytest.raises(nn.ModelFileError):
        nn.load(path)


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(" " * 101)
    with pytest.raises(nn.ModelFileError, match="larger than 100 bytes"):
        nn.load(path)


def test_load_state_checks_everything_first(model):
    before = model.state_dict()
    state = dict(before)
    state["layers.0.neurons.0.w.0"] = 123.0
    state["layers.1.neurons.1.b"] = math.inf
    with pytest.raises(nn.ModelFileError, match="layers.1.neurons.1.b"):
        model.load_state(state)
    assert model.state_dict() == before
    with pytest.raises(nn.ModelFileError, match="missing"):
        model.load_state({})


def test_error_is_a_value_error():
    assert issubclass(nn.ModelFileError, ValueError)
