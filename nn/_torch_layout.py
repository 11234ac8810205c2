"""What the PyTorch bridge shares: how an nn model lies out as Linear layers, and its errors.

A neuron's weights are one row of a `Linear` layer's `weight` matrix (shape out × in) and its
bias one entry of `bias`; layer i of an `MLP` is the Linear at index 2i of the Sequential,
followed by its activation module (`Identity` for a linear hidden layer), and the last layer
has no activation after it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from scalargrad import Value

from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

# nn's activation name -> the torch.nn module class that computes the same function
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}
SUPPORTED = ("Linear (with bias), ReLU, Tanh, Sigmoid, Identity; as a torch.nn.Sequential, "
             "a ModuleList or a list of them, Linear layers with activations between them")
FLOATS = ("float64", "float32", "float16", "bfloat16")
# |x| at or above which a float64 rounds to inf in each dtype (the largest finite value plus
# half a unit in the last place; round-half-even takes the halfway point to inf)
_OVERFLOW = {"float64": math.inf, "float32": (2 - 2 ** -24) * 2.0 ** 127,
             "float16": (2 - 2 ** -11) * 2.0 ** 15, "bfloat16": (2 - 2 ** -8) * 2.0 ** 127}
_LARGEST = {"float64": 1.7976931348623157e308, "float32": 3.4028234663852886e38,
            "float16": 65504.0, "bfloat16": 3.3895313892515355e38}


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


def _finite(model: Module, caller: str) -> dict[int, str]:
    """Refuse a model with a NaN or infinite parameter (as nn.save does); {id: name} otherwise."""
    names = {}
    for name, p in model.named_parameters():
        if not math.isfinite(p.data):
            raise TorchBridgeError(f"{caller}: parameter {name} is {p.data!r}; only finite "
                                   "numbers cross the bridge (nn.save refuses it too)")
        names[id(p)] = name
    return names


def _fits_dtype(model: Module, dtype: str, names: dict[int, str]) -> None:
    """Refuse a weight that `dtype` (one of FLOATS) would round to inf, naming it."""
    limit = _OVERFLOW[dtype]
    for p in model.parameters():
        if abs(p.data) >= limit:
            raise TorchBridgeError(
                f"torch_code: parameter {names[id(p)]} is {p.data!r}, beyond the largest "
                f"{dtype} ({_LARGEST[dtype]:.6g}): it would become inf. Use float64 (the "
                "default) or a wider dtype")
