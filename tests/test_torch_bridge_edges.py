"""The torch bridge refuses what it cannot carry faithfully, naming the key or parameter.

Only finite numbers cross, either way: meta and sparse tensors, booleans, integers beyond
float's range and wrong shapes are refused by key before anything is copied; a NaN or a weight
too large for the dtype asked for is refused on export by parameter name. torch's own
conversion is the oracle for which weights overflow each dtype.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

import nn


def _model() -> nn.MLP:
    return nn.MLP(2, [3, 1], seed=0)


def _state(torch, **changes):
    state = nn.torch_state_dict(_model())
    state.update(changes)
    return state


def _bits(model: nn.Module) -> list[float]:
    return [p.data for p in model.parameters()]


def _refused(model: nn.Module, state: dict, pattern: str) -> None:
    """The import raises TorchBridgeError matching `pattern`, and the model is unchanged."""
    before = _bits(model)
    with pytest.raises(nn.TorchBridgeError, match=pattern):
        nn.load_torch_state_dict(model, state)
    assert _bits(model) == before


# -- importing a state dict ---------------------------------------------------------------

def test_a_meta_tensor_is_refused_by_key(torch) -> None:
    _refused(_model(), _state(torch, **{"0.weight": torch.empty(3, 2, device="meta")}),
             r"0\.weight is a meta tensor")


def test_from_torch_of_a_meta_linear_names_its_weight(torch) -> None:
    """from_torch(Linear(3, 2, device='meta')) is a TorchBridgeError naming the parameter
    (it failed inside torch with "Tensor.item() cannot be called on meta tensors")."""
    with pytest.raises(nn.TorchBridgeError, match=r"parameter weight of layer 0 .* meta"):
        nn.from_torch(torch.nn.Linear(3, 2, device="meta"))


def test_from_torch_names_a_meta_bias_inside_a_sequential(torch) -> None:
    """A Sequential whose last Linear has a meta bias is refused naming it as its state
    dict key, 2.bias."""
    stack = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    stack[2].bias = torch.nn.Parameter(torch.empty(1, device="meta"))
    with pytest.raises(nn.TorchBridgeError, match=r"parameter 2\.bias of layer 2 .* meta"):
        nn.from_torch(stack)


@pytest.mark.parametrize("layout", ["to_sparse", "to_sparse_csr"])
def test_a_sparse_tensor_is_refused_by_key(torch, layout: str) -> None:
    sparse = getattr(nn.torch_state_dict(_model())["0.weight"], layout)()
    _refused(_model(), _state(torch, **{"0.weight": sparse}), r"0\.weight is a sparse.*to_dense")


def test_a_huge_integer_is_refused_by_key_and_place(torch) -> None:
    _refused(_model(), _state(torch, **{"0.bias": [1, 10**400, 2]}),
             r"0\.bias\[1\] is an integer of 1329 bits, too large for a float")


def test_a_boolean_in_a_list_is_refused_by_key_and_place(torch) -> None:
    _refused(_model(), _state(torch, **{"0.weight": [[1.0, 2.0], [3.0, True], [0.0, 0.0]]}),
             r"0\.weight\[1\]\[1\] is True, a boolean")


def test_a_numpy_boolean_in_a_list_is_refused(torch) -> None:
    np = pytest.importorskip("numpy")
    _refused(_model(), _state(torch, **{"0.bias": [0.5, np.bool_(False), 1.0]}),
             r"0\.bias\[1\] is .*a boolean")


def test_text_in_a_list_is_refused_by_key_and_place(torch) -> None:
    _refused(_model(), _state(torch, **{"0.bias": [0.5, "1", 1.0]}), r"0\.bias\[1\] is '1'")


def test_plain_integers_still_load_as_floats(torch) -> None:
    model = nn.load_torch_state_dict(_model(), _state(torch, **{"0.bias": [1, 2, 3]}))
    assert [n.b.data for n in model.layers[0].neurons] == [1.0, 2.0, 3.0]


def test_a_wrong_shape_names_the_key_and_both_shapes(torch) -> None:
    _refused(_model(), _state(torch, **{"2.weight": torch.zeros(3, 1, dtype=torch.float64)}),
             r"2\.weight has shape \(3, 1\), but MLP.* needs \(1, 3\)")


HUGE = """
import resource, torch, nn
model = nn.MLP(2, [3, 1], seed=0)
state = nn.torch_state_dict(model)
state["0.bias"] = torch.zeros(1, dtype=torch.float32).expand(2 * 10**8)  # 1.6 GB as float64
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    nn.load_torch_state_dict(model, state)
except nn.TorchBridgeError as e:
    print(str(e)[:40])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_huge_broadcast_tensor_of_the_wrong_shape_is_not_copied(torch) -> None:
    """A stride-0 view of 2·10^8 floats is refused on its shape alone: the peak memory of a
    fresh process grows by far less than the 1.6 GB a float64 copy would take."""
    pytest.importorskip("resource")
    out = subprocess.run([sys.executable, "-c", HUGE], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert out[0].startswith("0.bias has shape (200000000,), but MLP")
    assert int(out[1]) < 200_000  # KiB


# -- exporting ----------------------------------------------------------------------------

def _with(value: float, where: int = 4) -> nn.MLP:
    model = _model()
    model.parameters()[where].data = value
    return model


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("export", ["to_torch", "torch_state_dict", "torch_code"])
def test_a_non_finite_parameter_is_not_exported(torch, export: str, bad: float) -> None:
    model = _with(bad)
    name = [n for n, _ in model.named_parameters()][4]
    with pytest.raises(nn.TorchBridgeError, match=rf"{export}: parameter {re.escape(name)} is "):
        getattr(nn, export)(model)


def test_torch_code_without_weights_ignores_their_values() -> None:
    assert "Linear(2, 3)" in nn.torch_code(_with(math.nan), weights=False)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("export", ["to_torch", "torch_state_dict"])
def test_a_weight_too_large_for_the_dtype_is_refused(torch, export: str, dtype: str) -> None:
    big = 1e39 if dtype != "float16" else 1e5
    with pytest.raises(nn.TorchBridgeError, match=rf"beyond the largest {dtype} .*become inf"):
        getattr(nn, export)(_with(big), getattr(torch, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_torch_code_refuses_a_weight_too_large_for_the_dtype(dtype: str) -> None:
    big = 1e39 if dtype != "float16" else 1e5
    with pytest.raises(nn.TorchBridgeError, match=rf"beyond the largest {dtype}"):
        nn.torch_code(_with(big), dtype)


def _edges(torch, dtype):
    """Values around the point where torch's own conversion to `dtype` starts giving inf."""
    top = torch.finfo(dtype).max
    return [top, math.nextafter(top, math.inf), top * (1 + 2.0 ** -12), top * (1 + 2.0 ** -9),
            top * (1 + 2.0 ** -25), top * 1.01, top * 2, 1e300, -top * 1.01]


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16"])
def test_torch_code_refuses_exactly_what_torch_would_turn_into_inf(torch, name: str) -> None:
    dtype = getattr(torch, name)
    for x in _edges(torch, dtype):
        becomes_inf = math.isinf(torch.tensor(x, dtype=torch.float64).to(dtype).item())
        try:
            nn.torch_code(_with(x), name)
            refused = False
        except nn.TorchBridgeError:
            refused = True
        assert refused == becomes_inf, f"{x!r} in {name}: torch gives inf? {becomes_inf}"


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16"])
def test_the_largest_finite_weight_of_a_dtype_still_exports(torch, name: str) -> None:
    dtype = getattr(torch, name)
    top = torch.finfo(dtype).max
    seq = nn.to_torch(_with(top), dtype)
    assert seq[0].weight[1, 1].item() == top
