"""Modules: `Module`, `Neuron`, `Layer` and `MLP`, API-compatible with micrograd.

A neuron computes  act(w·x + b).  By default (`fused=True`) the pre-activation w·x + b is ONE
graph node made by `scalargrad.dot`, with an edge to every weight, to the bias and to every
input that is a `Value` (plain-number inputs stay constants, with no edge). With
`fused=False` the neuron builds the elementary graph micrograd builds, b + w₀·x₀ + w₁·x₁ + …,
one `*` and one `+` node per input, so every multiply and add can be drawn for teaching. Both
views compute the same numbers in the same order and give the same gradients.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterator, Mapping, Sequence, Union

from scalargrad import Value, dot

from ._checks import as_count, is_array, is_real

Input = Union[Value, int, float]
Seed = Union[int, random.Random, None]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("auto", "he", "lecun", "micrograd")

_ACTIVATION_OP = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid,
                  "linear": None}
_NEURON_NAME = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}

# The model-file module (nn/serialize.py), which Module.save, load and load_state call. It
# imports this module for the classes it builds, so it is not imported here (that would be
# an import cycle): it hands itself over when it is imported, as `import nn` does.
_serialize: Any = None


def _model_files() -> Any:
    """nn/serialize.py, or a RuntimeError if it has not been imported yet."""
    if _serialize is None:
        raise RuntimeError("nn.serialize is not imported: `import nn` (which imports it) "
                           "before saving or loading a module")
    return _serialize


class Module:
    """Anything with parameters: a neuron, a layer, a network, or your own combination.

    Every `Value` stored on a module attribute (directly, or inside a list, tuple or dict),
    and every parameter of every `Module` stored the same way, is a parameter. Attributes
    whose names start with `_` are private and are not searched.
    """

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Value]]:
        """Every parameter with its dotted path, e.g. ``("layers.0.neurons.3.w.1", Value)``.

        The order is the order of `parameters()`; a `Value` reachable twice is listed once.
        """
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for name, item in _walk(self, prefix):
            if isinstance(item, Value) and id(item) not in seen:
                seen.add(id(item))
                found.append((name, item))
        return found

    def parameters(self) -> list[Value]:
        """The trainable `Value`s, in a fixed order (the one `named_parameters()` uses)."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, outermost first."""
        yield self
        for _, item in _walk(self, ""):
            if isinstance(item, Module):
                yield item

    def num_parameters(self) -> int:
        """How many scalar parameters the module has (each one a `Value`)."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's `grad` to 0 (do it before each `backward()`: leaves accumulate)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Parameter values by name: ``{"layers.0.neurons.0.w.0": 0.42, ...}`` (plain floats)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from `state` (as made by `state_dict()`), all or nothing.

        Raises `ModelFileError` (a ValueError) if a name is missing or unexpected, or a value
        is not a finite real number; the module is then left unchanged. Gradients are reset to 0.
        """
        _model_files().apply_state(self, state)

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this module's shape, or None if unknown.

        `nn.save` stores it in the model file so that `nn.load` can rebuild the model.
        """
        return None

    def save(self, path: Any) -> None:
        """Write the architecture and parameters to a JSON file, atomically (see `nn.save`)."""
        _model_files().save(self, path)

    def load(self, path: Any) -> Module:
        """Load parameters from a file written by `save` into this model (see `nn.load_into`)."""
        return _model_files().load_into(self, path)

    def set_fused(self, fused: bool) -> Module:
        """Switch every neuron between the fused view (one dot node) and the elementary view."""
        if not isinstance(fused, bool):
            raise TypeError(f"set_fused expected True or False, got {fused!r}")
        for m in self.modules():
            if isinstance(m, Neuron):
                m.fused = fused
        return self

    def summary(self) -> str:
        """A table: each direct sub-module, its shape and its parameter count.

        The result is a str (print it) that a notebook shows as an HTML table.
        """
        from scalargrad.see.display.history import TextTable

        title = f"{self.describe()}: {self.num_parameters()} parameters"
        lines, rows = [title], []
        for name, item in _children(self):
            items = enumerate(item) if isinstance(item, (list, tuple)) else [(None, item)]
            for i, sub in items:
                if isinstance(sub, Module):
                    label = name if i is None else f"{name}.{i}"
                    lines.append(f"  {label:<12} {sub.describe():<36} {sub.num_parameters():>8}")
                    rows.append((label, sub.describe(), str(sub.num_parameters())))
        return TextTable("\n".join(lines), heading=title, header=("name", "module", "parameters"),
                         rows=rows, align="llr")

    def describe(self) -> str:
        """A one-line description of the module's shape (its constructor call)."""
        return type(self).__name__


class Neuron(Module):
    """One neuron: act(w·x + b), with `nin` weights and a bias.

    `Neuron(nin, nonlin=True)` is micrograd's ReLU neuron; `nonlin=False` is a linear one.
    `activation` picks the nonlinearity ("relu", "tanh", "sigmoid", "linear"). `init`:
    "micrograd" draws w ~ U(−1, 1); "he" w ~ U(−√(6/nin), √(6/nin)) (Var w = 2/nin, for ReLU);
    "lecun" w ~ U(−√(3/nin), √(3/nin)) (Var w = 1/nin); "auto" (default) is "he" for ReLU and
    "lecun" otherwise. The bias starts at 0. `seed` is None (Python's global `random`, as
    micrograd), an int, or a `random.Random`.
    """

    def __init__(self, nin: int, nonlin: bool = True, *, activation: str = "relu",
                 init: str = "auto", seed: Seed = None, fused: bool = True) -> None:
        self.nin = _count(nin, "Neuron nin")
        if not isinstance(nonlin, bool):
            raise TypeError(f"Neuron nonlin must be True or False, got {nonlin!r}")
        act = _activation(activation) if nonlin else "linear"
        bound = _init_bound(init, act, self.nin)
        rng = make_rng(seed)
        self.w = [Value(rng.uniform(-bound, bound), label=f"w{i}") for i in range(self.nin)]
        self.b = Value(0.0, label="b")
        self.activation = act
        self.nonlin = act != "linear"
        self.fused = _flag(fused, "fused")

    def __call__(self, x: Sequence[Input] | Input) -> Value:
        return self._forward(_inputs(x, self.nin, self))

    def _forward(self, x: Sequence[Input]) -> Value:
        if self.fused:
            act = dot(self.w, x, self.b)
        else:  # the elementary graph: b + w0*x0 + w1*x1 + ..., as micrograd builds it
            act = self.b
            for wi, xi in zip(self.w, x):
                act = act + wi * xi
        op = _ACTIVATION_OP[self.activation]
        return op(act) if op is not None else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def config(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def describe(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"

    def __repr__(self) -> str:
        return f"{_NEURON_NAME[self.activation]}Neuron({self.nin})"


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs; keyword arguments go to each Neuron.

    Calling a layer returns a `Value` when `nout == 1`, else a list of `nout` Values.
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.nin = _count(nin, "Layer nin")
        self.nout = _count(nout, "Layer nout")
        kwargs["seed"] = make_rng(kwargs.get("seed"))  # one stream for all neurons
        self.neurons = [Neuron(self.nin, **kwargs) for _ in range(self.nout)]

    def __call__(self, x: Sequence[Input] | Input) -> Value | list[Value]:
        out = self._forward(_inputs(x, self.nin, self))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Input]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def config(self) -> dict[str, Any]:
        return {"type": "Layer", "nin": self.nin, "nout": self.nout,
                "activation": self.activation}

    def describe(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {self.activation})"

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: `MLP(nin, [h1, h2, ..., nout])`.

    Hidden layers use `activation` (ReLU by default, as micrograd); the last layer is linear,
    so its outputs are scores/logits. A call returns a `Value` for one output, else a list.
    `init`, `seed` and `fused` are as for `Neuron`; `MLP(2, [16, 16, 1], seed=0)` is
    reproducible, and `init="micrograd"` with the same random stream gives micrograd's weights.
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = "relu",
                 init: str = "auto", seed: Seed = None, fused: bool = True) -> None:
        self.nin = _count(nin, "MLP nin")
        if not is_array(nouts):  # a list, a tuple, a numpy array
            raise TypeError(f"MLP nouts must be a list of layer widths, got {nouts!r}")
        if len(nouts) == 0:
            raise ValueError("MLP nouts must name at least one layer width, got []")
        self.nouts = [_count(n, "MLP layer width") for n in nouts]
        self.activation = act = _activation(activation)
        _init_bound(init, act, 1)  # validate once, before any weight is drawn
        rng = make_rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last, activation=act,
                             init=init, seed=rng, fused=fused)
                       for i in range(len(self.nouts))]

    def __call__(self, x: Sequence[Input] | Input) -> Value | list[Value]:
        out: Any = _inputs(x, self.nin, self)
        for layer in self.layers:  # lists between layers, so a width-1 hidden layer works
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def config(self) -> dict[str, Any]:
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts),
                "activation": self.activation}

    def describe(self) -> str:
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r})"

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def make_rng(seed: Seed) -> Any:
    """The random stream for `seed`: Python's global `random` for None, else a `random.Random`."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if as_count(seed) is not None:  # an int or a numpy integer
        return random.Random(as_count(seed))
    raise TypeError(f"seed must be None, an int or a random.Random, got {seed!r}")


# -- helpers -------------------------------------------------------------------------------

def _inputs(x: Any, nin: int, owner: Module) -> Sequence[Input]:
    """The inputs as a list or tuple of exactly `nin` items (a lone number is allowed if nin=1)."""
    if not isinstance(x, (list, tuple)):
        if isinstance(x, Value) or is_real(x):
            x = [x]
        elif isinstance(x, (str, bytes)):
            raise TypeError(f"{owner.describe()} expects a list of {nin} numbers, got {x!r}")
        else:  # a numpy row or another iterable: its numbers become plain floats
            try:
                x = [v if isinstance(v, Value) or not is_real(v) else float(v) for v in x]
            except TypeError:
                raise TypeError(f"{owner.describe()} expects a list of {nin} numbers, "
                                f"got {type(x).__name__}") from None
    if len(x) != nin:
        raise ValueError(f"{owner.describe()} expects {nin} inputs, got {len(x)}")
    return x


def _count(n: Any, what: str) -> int:
    """A positive int: an int or a numpy integer (stored as a Python int); never a bool."""
    count = as_count(n)
    if count is None:
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r}")
    n = count
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n}")
    return n


def _flag(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"{what} must be True or False, got {v!r}")
    return v


def _activation(name: Any) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return name


def _init_bound(init: Any, activation: str, nin: int) -> float:
    """Half-width of the uniform weight distribution for this init scheme."""
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    if init == "micrograd":
        return 1.0
    if init == "he" or (init == "auto" and activation == "relu"):
        return math.sqrt(6.0 / nin)
    return math.sqrt(3.0 / nin)


def _children(module: Module) -> Iterator[tuple[str, Any]]:
    for name, value in vars(module).items():
        if not name.startswith("_"):
            yield name, value


def _walk(module: Module, prefix: str) -> Iterator[tuple[str, Any]]:
    """(dotted name, item) for every Value and Module under `module`, depth first, in order.

    Each module and container is opened once, so a back-reference (a layer that stores its
    model, a list that contains itself) cannot make the walk go round forever.
    """
    stack: list[tuple[str, Any]] = [(f"{prefix}{name}", value)
                                    for name, value in _children(module)][::-1]
    opened = {id(module)}
    while stack:
        name, item = stack.pop()
        if isinstance(item, Value):
            yield name, item
            continue
        if isinstance(item, (Module, list, tuple, dict)):
            if id(item) in opened:
                continue
            opened.add(id(item))
        if isinstance(item, Module):
            yield name, item
            stack.extend([(f"{name}.{k}", v) for k, v in _children(item)][::-1])
        elif isinstance(item, (list, tuple)):
            stack.extend([(f"{name}.{i}", v) for i, v in enumerate(item)][::-1])
        elif isinstance(item, dict):
            stack.extend([(f"{name}.{k}", v) for k, v in item.items()][::-1])
