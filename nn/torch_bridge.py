"""The bridge to PyTorch: the same model as `torch.nn` layers, and back, with the same numbers.

    seq = nn.to_torch(model)           # torch.nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
    model = nn.from_torch(seq)         # an nn.MLP with exactly the weights of seq
    sd = nn.torch_state_dict(model)    # {"0.weight": tensor, "0.bias": tensor, "2.weight": ...}
    nn.load_torch_state_dict(model, sd)   # all or nothing
    print(nn.torch_code(model))        # PyTorch source that rebuilds the model, weights included

How the layers line up is in `_torch_layout.py`. torch is imported inside these functions
only: `import nn` never imports it, and the engine and `nn` keep to the standard library.
Only finite numbers cross the bridge, either way: a NaN or an infinity, or a weight too large
for the dtype asked for, is refused with the parameter's name.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Iterable, Mapping

from scalargrad import Value

from ._torch_layout import (
    FLOATS,
    SUPPORTED,
    TORCH_ACTIVATIONS,
    PrecisionWarning,
    TorchBridgeError,
    _blocks,
    _dtype,
    _few,
    _finite,
    _fits_dtype,
    _layout,
    _literal,
    _numbers,
    _show,
    _torch,
    _wrap,
)
from .module import MLP, Layer, Module, Neuron

__all__ = ["SUPPORTED", "TORCH_ACTIVATIONS", "PrecisionWarning", "TorchBridgeError",
           "from_torch", "load_torch_state_dict", "to_torch", "torch_code", "torch_state_dict"]

# -- nn -> torch ----------------------------------------------------------------------------

def to_torch(model: Module, dtype: Any = None) -> Any:
    """`model` (an MLP, Layer or Neuron) as a `torch.nn.Sequential` with exactly its weights.

    `dtype` is torch.float64 by default, so the numbers are the same to the last bit; with
    torch.float32 each weight is rounded to the nearest float32 (about 7 significant digits),
    and outputs then differ from this model's at about 1e-7 relative.
    """
    torch = _torch("to_torch")
    dtype = _dtype(torch, dtype, "to_torch")
    blocks = _blocks(model)
    names = _finite(model, "to_torch")
    modules = []
    for block in blocks:
        linear = torch.nn.utils.skip_init(torch.nn.Linear, block.nin, block.nout, dtype=dtype)
        with torch.no_grad():  # skip_init leaves the weights uninitialised; no RNG is touched
            linear.weight.copy_(torch.tensor(_numbers(block.rows), dtype=torch.float64))
            linear.bias.copy_(torch.tensor(_numbers(block.bias), dtype=torch.float64))
        _in_range(torch, linear.weight, block.rows, names, "to_torch")
        _in_range(torch, linear.bias, block.bias, names, "to_torch")
        modules.append(linear)
        if block.after is not None:
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[block.after])())
    return torch.nn.Sequential(*modules)


def torch_state_dict(model: Module, dtype: Any = None) -> dict[str, Any]:
    """The parameters in PyTorch's naming and shapes: {"0.weight": (out × in), "0.bias": ...}.

    The keys are those of `to_torch(model).state_dict()`, so `seq.load_state_dict(...)` takes it.
    """
    torch = _torch("torch_state_dict")
    dtype = _dtype(torch, dtype, "torch_state_dict")
    layout = _layout(model)
    names = _finite(model, "torch_state_dict")
    state = {}
    for index, block in layout:
        for key, values in ((f"{index}.weight", block.rows), (f"{index}.bias", block.bias)):
            tensor = torch.tensor(_numbers(values), dtype=torch.float64).to(dtype)
            _in_range(torch, tensor, values, names, "torch_state_dict")
            state[key] = tensor
    return state


def load_torch_state_dict(model: Module, state: Mapping[str, Any]) -> Module:
    """Set `model`'s parameters from a PyTorch-named state dict, all or nothing; returns `model`.

    Every name, shape and value is checked before any parameter changes: a missing or
    unexpected name, a wrong shape, a non-float, meta or sparse tensor, a boolean, an integer
    too large for a float, or a NaN/infinity raises `TorchBridgeError` naming the key and
    leaves the model as it was. Values are tensors (any float dtype; the shape is checked
    before anything is copied) or nested lists of numbers. Gradients are reset to 0.
    """
    torch = _torch("load_torch_state_dict")
    if not isinstance(state, Mapping):
        raise TorchBridgeError("load_torch_state_dict expected a mapping of name: tensor "
                               f"(a state_dict), got {type(state).__name__}")
    layout = _layout(model)
    expected: dict[str, tuple[tuple[int, ...], list]] = {}
    for index, block in layout:
        expected[f"{index}.weight"] = ((block.nout, block.nin), block.rows)
        expected[f"{index}.bias"] = ((block.nout,), block.bias)
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        parts = ([f"missing {_few(missing)}"] if missing else []) + (
            [f"unexpected {_few(extra)}"] if extra else [])
        raise TorchBridgeError(f"the state dict does not fit {_show(model.describe())}: "
                               f"{'; '.join(parts)} (it expects {_few(list(expected))})")
    names = {id(p): name for name, p in model.named_parameters()}
    flat: dict[str, float] = {}
    for key, (shape, values) in expected.items():
        tensor = _as_tensor(torch, state[key], key, shape, model)
        if not bool(torch.isfinite(tensor).all()):
            raise TorchBridgeError(f"{key} holds NaN or infinity; expected finite numbers")
        numbers = tensor.tolist()
        if len(shape) == 1:
            pairs: Iterable[tuple[Value, float]] = zip(values, numbers)
        else:
            pairs = ((v, x) for row, xs in zip(values, numbers) for v, x in zip(row, xs))
        for p, x in pairs:
            flat[names[id(p)]] = float(x)
    model.load_state(flat)  # checks again and writes every parameter, or none
    return model


def torch_code(model: Module, dtype: str = "float64", *, weights: bool = True) -> str:
    """PyTorch source that rebuilds `model` as `model = torch.nn.Sequential(...)`, weights included.

    Paste it into a file or a notebook cell: it needs only `import torch`. Every weight is
    written with Python's shortest round-trip repr, so in float64 the rebuilt model has exactly
    this model's numbers. `weights=False` writes the layers only.
    """
    if dtype not in FLOATS:
        raise ValueError(f"torch_code: dtype must be one of {', '.join(FLOATS)}; got {dtype!r}")
    layout = _layout(model)
    if weights:
        _fits_dtype(model, dtype, _finite(model, "torch_code"))
    lines = ["import torch", "",
             f"# {_show(model.describe())}: {model.num_parameters()} parameters, "
             "exported from scalargrad's nn",
             "model = torch.nn.Sequential("]
    for block in _blocks(model):
        lines.append(f"    torch.nn.Linear({block.nin}, {block.nout}),")
        if block.after is not None:
            lines.append(f"    torch.nn.{TORCH_ACTIVATIONS[block.after]}(),")
    lines.append(f").to(torch.{dtype})")
    if weights:
        lines += ["", "with torch.no_grad():  # the weights (one row per neuron) and the biases"]
        for index, block in layout:
            lines.append(f"    model[{index}].weight.copy_(torch.tensor([")
            for row in block.rows:
                lines += _wrap([_literal(v.data) for v in row], "        [", "],")
            lines.append("    ], dtype=torch.float64))")
            lines.append(f"    model[{index}].bias.copy_(torch.tensor(")
            lines += _wrap([_literal(v.data) for v in block.bias], "        [", "],")
            lines.append("        dtype=torch.float64))")
    return "\n".join(lines) + "\n"


# -- torch -> nn ----------------------------------------------------------------------------

def from_torch(module: Any) -> Module:
    """An `nn` model with exactly the weights of a PyTorch stack of Linear layers and activations.

    `module` is a `torch.nn.Sequential`, a `ModuleList`, a list or tuple of modules, or one
    `Linear`. Linear, activation, Linear, ..., Linear gives an `nn.MLP` (its hidden layers
    share one activation: ReLU, Tanh, Sigmoid, or Identity/none for linear); one Linear with
    an activation after it gives a `Layer` (a `Neuron` if it has one output). Anything else
    (a convolution, batch norm, dropout, a Linear without bias, a final activation after
    several layers, widths that do not chain) raises `TorchBridgeError` naming the layer.

    float32 (or half) weights are copied exactly (every float32 is a float64), but this model
    computes in float64: its outputs then differ from the PyTorch module's at about 1e-7
    relative, and a `PrecisionWarning` says so. Call `module.double()` first to compare
    digit for digit.
    """
    torch = _torch("from_torch")
    items = _items(torch, module)
    if not items:
        raise TorchBridgeError(f"from_torch: the module holds no layers; supported: {SUPPORTED}")
    linears: list[tuple[str, Any]] = []
    hidden: list[tuple[str, str]] = []  # (where it is decided, activation) per hidden layer
    pending: tuple[str, str] | None = None  # (where, activation) seen since the last Linear
    low_precision: list[tuple[str, Any]] = []  # (where, dtype) of each non-float64 Linear
    for position, (name, m) in enumerate(items):
        where = f"layer {name}" + ("" if name == str(position) else f" (position {position})")
        if type(m) is torch.nn.Linear:
            if m.bias is None:
                raise TorchBridgeError(f"from_torch: {where} is {_show(m)}, a Linear without "
                                       "bias; every nn neuron has a bias. Supported: "
                                       f"{SUPPORTED}")
            if not m.weight.dtype.is_floating_point:
                raise TorchBridgeError(f"from_torch: {where} is {_show(m)} with "
                                       f"{m.weight.dtype} weights; expected real floats")
            for part in ("weight", "bias"):
                if getattr(m, part).is_meta:
                    # (named as in the state dict of what was passed: a lone Linear's "weight")
                    key = part if m is module else f"{name}.{part}"
                    raise TorchBridgeError(
                        f"from_torch: parameter {key} of {where} ({_show(m)}) is a meta "
                        "tensor: it has a shape but no numbers (made on device='meta'); give "
                        "the module real weights first (module.to_empty(device='cpu'), then "
                        "initialise or load them)")
            if linears:
                prev = linears[-1][1]
                if m.in_features != prev.out_features:
                    raise TorchBridgeError(f"from_torch: {where} is {_show(m)}, which reads "
                                           f"{m.in_features} inputs, but the Linear before it "
                                           f"gives {prev.out_features}")
                hidden.append(pending or (f"{linears[-1][0]} ({_show(prev)}), followed "
                                          "directly by a Linear,", "linear"))
            if not all(bool(torch.isfinite(t).all()) for t in (m.weight, m.bias)):
                raise TorchBridgeError(f"from_torch: {where} ({_show(m)}) holds NaN or "
                                       "infinity; expected finite weights")
            if m.weight.dtype != torch.float64 or m.bias.dtype != torch.float64:
                low_precision.append((where, m.weight.dtype))
            linears.append((where, m))
            pending = None
            continue
        act = _activation_of(torch, m)
        if act is None:
            raise TorchBridgeError(f"from_torch: {where} is {_show(m)}, which nn has no "
                                   f"counterpart for. Supported: {SUPPORTED}")
        if not linears:
            raise TorchBridgeError(f"from_torch: {where} is {_show(m)}, an activation before "
                                   "any Linear; the stack must start with a Linear")
        if pending is not None:
            raise TorchBridgeError(f"from_torch: {where} is {_show(m)}, a second activation "
                                   "in a row; put one activation between two Linear layers")
        pending = (f"{where} ({_show(m)})", act)
    acts = {a for _, a in hidden}
    if len(acts) > 1:
        first = hidden[0][1]
        where, act = next(h for h in hidden if h[1] != first)
        raise TorchBridgeError(f"from_torch: {where} makes a hidden layer {act}, but the first "
                               f"hidden layer is {first}; an nn.MLP uses one activation for all "
                               "its hidden layers")
    nin = linears[0][1].in_features
    widths = [m.out_features for _, m in linears]
    final = pending[1] if pending is not None and pending[1] != "linear" else None
    if pending is not None and final is not None:
        if len(linears) > 1:
            raise TorchBridgeError(
                f"from_torch: {pending[0]} is an activation after the last Linear; an "
                "nn.MLP's last layer is linear (its outputs are scores for the loss to read). "
                "Drop it and apply it to the outputs (for Sigmoid, use nn.bce_with_logits on "
                "the scores)")
        model: Module = (Neuron(nin, activation=final, seed=0) if widths[0] == 1
                         else Layer(nin, widths[0], activation=final, seed=0))
    else:
        model = MLP(nin, widths, activation=acts.pop() if acts else "relu", seed=0)
    if low_precision:
        eps = max(torch.finfo(dtype).eps for _, dtype in low_precision)
        layers = ", ".join(f"{where} ({str(dtype).replace('torch.', '')})"
                           for where, dtype in low_precision)
        warnings.warn(f"from_torch: {layers}: the weights are copied exactly, but nn computes "
                      "in float64, so this model's outputs will differ from the PyTorch "
                      f"module's at about {eps:.0e} relative; call module.double() first to "
                      "compare digit for digit", PrecisionWarning, stacklevel=2)
    state = {}
    for (index, _), (_, m) in zip(_layout(model), linears):
        state[f"{index}.weight"] = m.weight.detach()
        state[f"{index}.bias"] = m.bias.detach()
    return load_torch_state_dict(model, state)


# -- reading torch's values -----------------------------------------------------------------

def _items(torch: Any, module: Any) -> list[tuple[str, Any]]:
    """The layers of `module` with their names ("0", "1", ... for a plain Sequential)."""
    if isinstance(module, (torch.nn.Sequential, torch.nn.ModuleList)):
        return list(module.named_children())
    if type(module) is torch.nn.Linear:
        return [("0", module)]
    if isinstance(module, (list, tuple)):
        for i, m in enumerate(module):
            if not isinstance(m, torch.nn.Module):
                raise TypeError(f"from_torch: item {i} of the list is {type(m).__name__}, "
                                "not a torch.nn.Module")
        return [(str(i), m) for i, m in enumerate(module)]
    if isinstance(module, torch.nn.Module):
        raise TorchBridgeError(f"from_torch: {_show(module)} is a {type(module).__name__}, whose "
                               "forward() the bridge cannot read; pass a torch.nn.Sequential "
                               f"(or a list of layers). Supported: {SUPPORTED}")
    raise TypeError(f"from_torch expected a torch.nn.Sequential or a list of layers, "
                    f"got {type(module).__name__}")


def _activation_of(torch: Any, m: Any) -> str | None:
    """nn's name for the activation module `m`, or None (exact types: a subclass may differ)."""
    for name, cls in TORCH_ACTIVATIONS.items():
        if type(m) is getattr(torch.nn, cls):
            return name
    return None


def _as_tensor(torch: Any, value: Any, key: str, shape: tuple[int, ...], model: Module) -> Any:
    """`value` as a float64 CPU tensor of `shape`, or a TorchBridgeError naming `key`."""
    if isinstance(value, torch.Tensor):
        if value.is_meta:
            raise TorchBridgeError(f"{key} is a meta tensor: it has a shape but no numbers "
                                   "(made on device='meta'); load a state dict of real weights")
        if value.layout != torch.strided:
            raise TorchBridgeError(f"{key} is a {str(value.layout).replace('torch.', '')} "
                                   "tensor; expected an ordinary dense one (call .to_dense())")
        _same_shape(tuple(value.shape), shape, key, model)  # before any copy: it may be huge
        if not value.dtype.is_floating_point:
            raise TorchBridgeError(f"{key} is a {value.dtype} tensor; expected floats")
        return value.detach().to("cpu", torch.float64)
    if isinstance(value, (list, tuple)):
        _plain_numbers(value, key)
        try:
            tensor = torch.tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as e:
            raise TorchBridgeError(f"{key} is not a (nested) list of numbers: {e}") from None
        _same_shape(tuple(tensor.shape), shape, key, model)
        return tensor
    raise TorchBridgeError(f"{key} must be a tensor or a list of numbers, got "
                           f"{type(value).__name__}")


def _same_shape(got: tuple[int, ...], shape: tuple[int, ...], key: str, model: Module) -> None:
    if got != shape:
        raise TorchBridgeError(f"{key} has shape {got}, but {_show(model.describe())} "
                               f"needs {shape}")


def _plain_numbers(value: Any, key: str, where: str = "") -> None:
    """Refuse booleans, integers beyond float's range and non-numbers in a nested list."""
    for i, x in enumerate(value):
        at = f"{where}[{i}]"
        if isinstance(x, (list, tuple)):
            _plain_numbers(x, key, at)
        elif isinstance(x, bool) or (type(x).__module__ == "numpy"
                                     and type(x).__name__ in ("bool", "bool_")):
            raise TorchBridgeError(f"{key}{at} is {x!r}, a boolean; expected a number "
                                   "(nn.load_state refuses booleans too)")
        elif isinstance(x, numbers.Integral):
            try:
                float(x)
            except OverflowError:
                raise TorchBridgeError(f"{key}{at} is an integer of {int(x).bit_length()} bits, "
                                       "too large for a float (the largest is about "
                                       "1.8e308)") from None
        elif not isinstance(x, numbers.Real):
            raise TorchBridgeError(f"{key}{at} is {_show(repr(x), 40)} ({type(x).__name__}); "
                                   "expected a number")


def _in_range(torch: Any, tensor: Any, values: list, names: dict[int, str], caller: str) -> None:
    """Refuse a weight that became infinite in a narrower dtype, naming it."""
    bad = (~torch.isfinite(tensor)).nonzero()
    if len(bad):
        v: Any = values
        for i in bad[0].tolist():
            v = v[i]
        dtype = str(tensor.dtype).replace("torch.", "")
        raise TorchBridgeError(
            f"{caller}: parameter {names[id(v)]} is {v.data!r}, beyond the largest {dtype} "
            f"({torch.finfo(tensor.dtype).max:.6g}): it would become inf. Use float64 (the "
            "default) or a wider dtype")
