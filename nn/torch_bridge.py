"""The bridge to PyTorch: the same model as `torch.nn` layers, and back, with the same numbers.

    seq = nn.to_torch(model)           # torch.nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)
    model = nn.from_torch(seq)         # an nn.MLP with exactly the weights of seq
    sd = nn.torch_state_dict(model)    # {"0.weight": tensor, "0.bias": tensor, "2.weight": ...}
    nn.load_torch_state_dict(model, sd)   # all or nothing
    print(nn.torch_code(model))        # PyTorch source that rebuilds the model, weights included

A neuron's weights are one row of a `Linear` layer's `weight` matrix (shape out × in) and its
bias one entry of `bias`; layer i of an `MLP` is the Linear at index 2i of the Sequential,
followed by its activation module (`Identity` for a linear hidden layer), and the last layer
has no activation after it. torch is imported inside these functions only: `import nn` never
imports it, and the engine and `nn` keep to the standard library.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Mapping, Sequence

from scalargrad import Value

from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

# nn's activation name -> the torch.nn module class that computes the same function
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}
SUPPORTED = ("Linear (with bias), ReLU, Tanh, Sigmoid, Identity; as a torch.nn.Sequential, "
             "a ModuleList or a list of them, Linear layers with activations between them")
_FLOATS = ("float64", "float32", "float16", "bfloat16")


class TorchBridgeError(ValueError):
    """A torch module or state dict with no `nn` counterpart, or one that does not fit the model."""


class PrecisionWarning(UserWarning):
    """A conversion whose numbers cannot agree digit for digit with the other side (float32)."""


class _Block:
    """One Linear layer of the model: its weight rows and bias as Values, and what follows it."""

    def __init__(self, rows: list[list[Value]], bias: list[Value], after: str | None) -> None:
        self.rows, self.bias, self.after = rows, bias, after  # after: an activation name or None

    @property
    def nin(self) -> int:
        return len(self.rows[0])

    @property
    def nout(self) -> int:
        return len(self.rows)


# -- nn -> torch ----------------------------------------------------------------------------

def to_torch(model: Module, dtype: Any = None) -> Any:
    """`model` (an MLP, Layer or Neuron) as a `torch.nn.Sequential` with exactly its weights.

    `dtype` is torch.float64 by default, so the numbers are the same to the last bit; with
    torch.float32 each weight is rounded to the nearest float32 (about 7 significant digits),
    and outputs then differ from this model's at about 1e-7 relative.
    """
    torch = _torch("to_torch")
    dtype = _dtype(torch, dtype, "to_torch")
    modules = []
    for block in _blocks(model):
        linear = torch.nn.utils.skip_init(torch.nn.Linear, block.nin, block.nout, dtype=dtype)
        with torch.no_grad():  # skip_init leaves the weights uninitialised; no RNG is touched
            linear.weight.copy_(torch.tensor(_numbers(block.rows), dtype=torch.float64))
            linear.bias.copy_(torch.tensor(_numbers(block.bias), dtype=torch.float64))
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
    state = {}
    for index, block in _layout(model):
        state[f"{index}.weight"] = torch.tensor(_numbers(block.rows), dtype=torch.float64).to(dtype)
        state[f"{index}.bias"] = torch.tensor(_numbers(block.bias), dtype=torch.float64).to(dtype)
    return state


def load_torch_state_dict(model: Module, state: Mapping[str, Any]) -> Module:
    """Set `model`'s parameters from a PyTorch-named state dict, all or nothing; returns `model`.

    Every name, shape and value is checked before any parameter changes: a missing or
    unexpected name, a wrong shape, a non-float tensor or a NaN/infinity raises
    `TorchBridgeError` and leaves the model as it was. Values are tensors (any float dtype) or
    nested lists of numbers. Gradients are reset to 0.
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
        tensor = _as_tensor(torch, state[key], key)
        if tuple(tensor.shape) != shape:
            raise TorchBridgeError(f"{key} has shape {tuple(tensor.shape)}, but "
                                   f"{model.describe()} needs {shape}")
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
    if dtype not in _FLOATS:
        raise ValueError(f"torch_code: dtype must be one of {', '.join(_FLOATS)}; got {dtype!r}")
    layout = _layout(model)
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


# -- helpers --------------------------------------------------------------------------------

def _torch(caller: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{caller} needs PyTorch, which is not installed: "
                          "pip install torch==2.13.0 (the [torch] extra)") from None
    return torch


def _dtype(torch: Any, dtype: Any, caller: str) -> Any:
    if dtype is None:
        return torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"{caller}: dtype must be a torch floating-point dtype such as "
                        f"torch.float64 or torch.float32, got {dtype!r}")
    return dtype


def _blocks(model: Any) -> list[_Block]:
    """The model's Linear layers, in order, each with the activation module that follows it."""
    if isinstance(model, Neuron):
        after = model.activation if model.activation != "linear" else None
        return [_Block([list(model.w)], [model.b], _checked(after))]
    if isinstance(model, Layer):
        after = model.activation if model.activation != "linear" else None
        return [_Block([list(n.w) for n in model.neurons], [n.b for n in model.neurons],
                       _checked(after))]
    if isinstance(model, MLP):
        last = len(model.layers) - 1
        return [_Block([list(n.w) for n in layer.neurons], [n.b for n in layer.neurons],
                       _checked(model.activation) if i != last else None)
                for i, layer in enumerate(model.layers)]
    if isinstance(model, Module):
        raise TypeError(f"the PyTorch bridge converts Neuron, Layer and MLP; got "
                        f"{_show(model.describe())}, a module of your own: write its "
                        "torch twin by hand (its parameters are in named_parameters())")
    raise TypeError(f"expected an nn Neuron, Layer or MLP, got {type(model).__name__}")


def _layout(model: Any) -> list[tuple[int, _Block]]:
    """(index of the Linear in the Sequential, block) for each block, as `to_torch` lays it out."""
    out, index = [], 0
    for block in _blocks(model):
        out.append((index, block))
        index += 1 if block.after is None else 2
    return out


def _checked(activation: str | None) -> str | None:
    if activation is not None and activation not in TORCH_ACTIVATIONS:
        raise TorchBridgeError(f"activation {activation!r} has no torch counterpart in the "
                               f"bridge yet (it knows {', '.join(TORCH_ACTIVATIONS)}; "
                               f"nn offers {', '.join(ACTIVATIONS)})")
    return activation


def _numbers(values: Sequence[Any]) -> list[Any]:
    return [_numbers(v) if isinstance(v, list) else v.data for v in values]


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


def _as_tensor(torch: Any, value: Any, key: str) -> Any:
    if isinstance(value, torch.Tensor):
        if not value.dtype.is_floating_point:
            raise TorchBridgeError(f"{key} is a {value.dtype} tensor; expected floats")
        return value.detach().to("cpu", torch.float64)
    if isinstance(value, (list, tuple)):
        try:
            return torch.tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as e:
            raise TorchBridgeError(f"{key} is not a (nested) list of numbers: {e}") from None
    raise TorchBridgeError(f"{key} must be a tensor or a list of numbers, got "
                           f"{type(value).__name__}")


def _literal(x: float) -> str:
    return repr(x) if math.isfinite(x) else f"float({str(x)!r})"


def _wrap(items: list[str], start: str, end: str, width: int = 96) -> list[str]:
    """`start` + comma-separated `items` + `end`, wrapped to lines of at most `width`."""
    lines, line = [], start
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + len(piece) + 1 > width and line.strip() not in ("[", ""):
            lines.append(line.rstrip())
            line = " " * len(start) + piece
        else:
            line += ("" if line.endswith("[") else " ") + piece
    lines.append(line + end)
    return lines


def _few(names: list, shown: int = 4) -> str:
    """A few names, escaped, and how many more: a large model's error stays one line."""
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(_show(n) for n in names[:shown]) + more


def _show(x: Any, limit: int = 100) -> str:
    """A printable one-line text for `x` (a module's repr), control characters escaped."""
    text = x if isinstance(x, str) else repr(x)
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."
