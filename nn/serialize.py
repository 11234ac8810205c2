"""Model files: the architecture and every parameter, as JSON. Never pickle, never eval.

    {"format": "scalargrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
     "parameters": {"layers.0.neurons.0.w.0": 0.4371..., ...}}

Floats are written with Python's shortest round-trip repr, so save → load gives back exactly
the same numbers. Saving writes a temporary file (`.sgtmp-…`) in the same folder and renames
it over the target (`os.replace`), so a crash mid-save leaves the old file intact; leftovers
of a killed save are removed by the next save to the same file. Loading checks everything
before it changes anything — and, for `load`, before it builds anything: a malformed file, a
file for another architecture, a missing or extra parameter, a value that is not a finite
number — each raises `ModelFileError` (a ValueError) naming the file and the problem
(hostile text escaped, long lists cut), and leaves the model as it was. Errors of the file
system (missing, a directory, a FIFO or device, no permission) are `OSError`s naming the
path the caller gave.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Iterator, Mapping, NamedTuple, Union

from scalargrad.files import read_regular, write_atomic

from . import module as _module
from ._checks import is_real
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

PathLike = Union[str, "os.PathLike[str]"]
_EXAMPLES = 3
FORMAT = "scalargrad.nn"
VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any model this engine can train


class ModelFileError(ValueError):
    """A model file (or state dict) that cannot be loaded: malformed, mismatched or non-finite."""


def to_dict(model: Module) -> dict[str, Any]:
    """The JSON-ready description of `model`: format, version, architecture, parameters."""
    if not isinstance(model, Module):
        raise TypeError(f"expected an nn Module, got {type(model).__name__}")
    params = {}
    for name, p in model.named_parameters():
        if not math.isfinite(p.data):
            raise ModelFileError(f"cannot save: parameter {name} is {p.data!r}, "
                                 "and a model file holds finite numbers only")
        params[name] = p.data
    return {"format": FORMAT, "version": VERSION, "architecture": model.config(),
            "parameters": params}


def save(model: Module, path: PathLike) -> None:
    """Write `model` to `path` as JSON, atomically: a temporary file in the same folder, then
    a rename over the target. Missing parent folders are created.

    `path` must be a regular file or not exist yet; a symlink is followed and its target
    replaced (the link stays). An existing file keeps its permissions (and, where allowed,
    its owner); a new one gets the permissions the process umask gives (0o666 & ~umask).
    """
    text = json.dumps(to_dict(model), indent=1, allow_nan=False) + "\n"
    write_atomic(path, text, "nn.save will not replace it with a model file")


def load(path: PathLike) -> Module:
    """Rebuild the model stored in `path` (its architecture and parameters).

    Everything that can be checked without building the model is checked first: the
    architecture, its parameter count against the file's, every parameter name and value.
    """
    data = read(path)
    where = os.fspath(path)
    spec = _architecture(data["architecture"], where)
    state = data["parameters"]
    _check_count(spec, len(state), where)
    _check_names(spec, state, where)
    _check_values(state, list(state), where)
    model = _build(spec)
    apply_state(model, state, where)
    return model


def load_into(model: Module, path: PathLike) -> Module:
    """Load the parameters stored in `path` into an existing `model`, all or nothing.

    The file's architecture must be the model's (same type, sizes and activation).
    """
    data = read(path)
    where = os.fspath(path)
    mine, theirs = model.config(), data["architecture"]
    if theirs is not None and mine is not None and mine != theirs:
        raise ModelFileError(f"{where}: the file holds {_describe(theirs)}, "
                             f"but the model is {_describe(mine)}")
    apply_state(model, data["parameters"], where)
    return model


def read(path: PathLike) -> dict[str, Any]:
    """Parse and check a model file's structure; raise ModelFileError if anything is off.

    Only a regular file is opened: a FIFO, a device or a socket is refused from its
    `os.stat`, before any `open()` (which could block forever or have side effects).
    """
    where = os.fspath(path)
    raw = read_regular(where, MAX_FILE_BYTES, "nn.load reads model files only")
    if len(raw) > MAX_FILE_BYTES:
        raise ModelFileError(f"{where}: the file is larger than {MAX_FILE_BYTES} bytes; "
                             "not a model file written by nn.save")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicates)
    except ModelFileError as e:
        raise ModelFileError(f"{where}: {e}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{where}: not valid JSON ({_cap(str(e))})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = {"format", "version", "architecture", "parameters"} - data.keys()
    if missing:
        raise ModelFileError(f"{where}: missing key(s) {', '.join(sorted(missing))}; "
                             "not a model file written by nn.save")
    if data["format"] != FORMAT:
        raise ModelFileError(f"{where}: format is {_show(data['format'])}, "
                             f"expected {FORMAT!r}")
    if type(data["version"]) is not int or data["version"] != VERSION:
        raise ModelFileError(f"{where}: version {_show(data['version'])} is not supported "
                             f"(this nn reads version {VERSION})")
    if data["architecture"] is not None and not isinstance(data["architecture"], dict):
        raise ModelFileError(f"{where}: architecture must be an object, "
                             f"got {type(data['architecture']).__name__}")
    if not isinstance(data["parameters"], dict):
        raise ModelFileError(f"{where}: parameters must be an object of name: number, "
                             f"got {type(data['parameters']).__name__}")
    return data


def from_architecture(arch: Any, where: str = "architecture",
                      expected_count: int | None = None) -> Module:
    """Build an untrained model from an architecture dict (as stored by `save`).

    With `expected_count`, the architecture's parameter count is checked against it before
    anything is built, so a hostile file cannot ask for a billion parameters.
    """
    spec = _architecture(arch, where)
    if expected_count is not None:
        _check_count(spec, expected_count, where)
    return _build(spec)


def apply_state(model: Module, state: Mapping[str, Any], where: str = "state") -> None:
    """Set every parameter of `model` from `state`, after checking all of it (all or nothing)."""
    if not isinstance(state, Mapping):
        raise ModelFileError(f"{where}: parameters must be a mapping of name: number, "
                             f"got {type(state).__name__}")
    named = model.named_parameters()
    names = {name for name, _ in named}
    missing = [name for name, _ in named if name not in state]
    extra = [name for name in state if name not in names]
    if missing or extra:
        raise ModelFileError(f"{where}: the parameters do not fit this model "
                             f"({_cap(model.describe())}, {len(named):,} parameters): "
                             f"{_mismatch(missing, len(missing), extra, len(extra))}")
    values = _check_values(state, [name for name, _ in named], where)
    for (_, p), f in zip(named, values):
        p.data = f
        p.grad = 0.0


# -- checks made before anything is built ---------------------------------------------------

class _Spec(NamedTuple):
    """A checked architecture: what to build, and the layer sizes [nin, width, ...]."""

    kind: str
    sizes: list[int]
    activation: str
    arch: dict[str, Any]

    @property
    def n_params(self) -> int:
        s = self.sizes
        return sum((s[i] + 1) * s[i + 1] for i in range(len(s) - 1))


def _architecture(arch: Any, where: str) -> _Spec:
    """Check an architecture dict completely, allocating nothing in proportion to its sizes."""
    if arch is None:
        raise ModelFileError(f"{where}: the file has no architecture (a custom module); "
                             "build the model yourself and call model.load(path)")
    if not isinstance(arch, dict):
        raise ModelFileError(f"{where}: architecture must be an object, got {_show(arch)}")
    kind = arch.get("type")
    fields = {"MLP": ("nin", "nouts", "activation"), "Layer": ("nin", "nout", "activation"),
              "Neuron": ("nin", "activation")}
    if not isinstance(kind, str) or kind not in fields:  # a list/dict "type" is unhashable
        raise ModelFileError(f"{where}: unknown model type {_show(kind)}; expected one of "
                             f"{', '.join(fields)}")
    expected = {"type", *fields[kind]}
    if set(arch) != expected:
        raise ModelFileError(f"{where}: a {kind} architecture has the keys "
                             f"{', '.join(sorted(expected))}; "
                             f"got {_cap(', '.join(_show(k) for k in sorted(arch)))}")
    act = arch["activation"]
    if not isinstance(act, str) or act not in ACTIVATIONS:
        raise ModelFileError(f"{where}: activation {_show(act)} is not one of "
                             f"{', '.join(ACTIVATIONS)}")
    nin = _size(arch["nin"], "nin", where)
    if kind == "Neuron":
        widths = [1]
    elif kind == "Layer":
        widths = [_size(arch["nout"], "nout", where)]
    else:
        nouts = arch["nouts"]
        if not isinstance(nouts, list) or not nouts:
            raise ModelFileError(f"{where}: nouts must be a non-empty list of layer widths, "
                                 f"got {_show(nouts)}")
        widths = [_size(w, "a layer width", where) for w in nouts]
    return _Spec(kind, [nin, *widths], act, arch)


def _check_count(spec: _Spec, count: int, where: str) -> None:
    if spec.n_params != count:
        raise ModelFileError(f"{where}: a {_describe(spec.arch)} has {spec.n_params:,} parameters, "
                             f"but the file lists {count:,}")


def _index(text: str) -> int | None:
    """A list index as written by named_parameters (plain ASCII digits, no leading zero)."""
    if text.isascii() and text.isdigit() and (text == "0" or text[0] != "0"):
        return int(text)
    return None


def _belongs(spec: _Spec, name: Any) -> bool:
    """Whether `name` is one of the parameter names of the model `spec` describes."""
    if not isinstance(name, str) or len(name) > 100:
        return False
    parts = name.split(".")
    i = 0
    if spec.kind == "MLP":
        if len(parts) < 2 or parts[0] != "layers":
            return False
        layer = _index(parts[1])
        if layer is None or layer >= len(spec.sizes) - 1:
            return False
        i, parts = layer, parts[2:]
    if spec.kind != "Neuron":
        if len(parts) < 2 or parts[0] != "neurons":
            return False
        j = _index(parts[1])
        if j is None or j >= spec.sizes[i + 1]:
            return False
        parts = parts[2:]
    if parts == ["b"]:
        return True
    if len(parts) != 2 or parts[0] != "w":
        return False
    k = _index(parts[1])
    return k is not None and k < spec.sizes[i]


def _names(spec: _Spec) -> Iterator[str]:
    """The model's parameter names, in `named_parameters()` order, one at a time."""
    s = spec.sizes
    for i in range(len(s) - 1):
        for j in range(s[i + 1]):
            front = (f"layers.{i}." if spec.kind == "MLP" else "") + (
                f"neurons.{j}." if spec.kind != "Neuron" else "")
            for k in range(s[i]):
                yield f"{front}w.{k}"
            yield f"{front}b"


def _check_names(spec: _Spec, state: Mapping[str, Any], where: str) -> None:
    """Every name in the file belongs to the architecture (the count is already checked)."""
    extra = [name for name in state if not _belongs(spec, name)]
    if not extra:
        return
    missing_count = len(extra)  # the counts match, so each stranger displaces one name
    missing = []
    for name in _names(spec):
        if name not in state:
            missing.append(name)
            if len(missing) == _EXAMPLES:
                break
    raise ModelFileError(f"{where}: the parameters do not fit {_describe(spec.arch)} "
                         f"({spec.n_params:,} parameters): "
                         f"{_mismatch(missing, missing_count, extra, len(extra))}")


def _check_values(state: Mapping[Any, Any], names: list[Any], where: str) -> list[float]:
    """Each value as a finite float (numpy scalars welcome, bools not)."""
    values = []
    for name in names:
        v = state[name]
        if not is_real(v):
            raise ModelFileError(f"{where}: parameter {_show(name)} must be a number, "
                                 f"got {_show(v)}")
        try:
            f = float(v)
        except OverflowError:
            raise ModelFileError(f"{where}: parameter {_show(name)} is too large for a "
                                 "float") from None
        if not math.isfinite(f):
            raise ModelFileError(f"{where}: parameter {_show(name)} is {f!r}; "
                                 "expected a finite number")
        values.append(f)
    return values


def _build(spec: _Spec) -> Module:
    nin, widths, act = spec.sizes[0], spec.sizes[1:], spec.activation
    if spec.kind == "Neuron":
        return Neuron(nin, activation=act, seed=0)
    if spec.kind == "Layer":
        return Layer(nin, widths[0], activation=act, seed=0)
    return MLP(nin, widths, activation=act, seed=0)


def _mismatch(missing: list[Any], n_missing: int, extra: list[Any], n_extra: int) -> str:
    parts = []
    if n_missing:
        parts.append(f"{n_missing:,} missing ({_examples(missing, n_missing)})")
    if n_extra:
        parts.append(f"{n_extra:,} unexpected ({_examples(extra, n_extra)})")
    return "; ".join(parts)


def _examples(names: list[Any], total: int) -> str:
    """The first few names, escaped, and how many more: "e.g. 'a', 'b', 'c' and 49,997 more"."""
    shown = ", ".join(_show(n) for n in names[:_EXAMPLES])
    more = total - min(len(names), _EXAMPLES)
    return f"e.g. {shown}" + (f" and {more:,} more" if more > 0 else "")


def _show(x: Any, limit: int = 80) -> str:
    """Hostile text made safe to print: repr's escapes (ESC, newlines, lone surrogates are
    shown as \\x1b, \\n, \\ud800), cut to `limit` characters with the length said."""
    try:
        text = repr(x)
    except RecursionError:
        text = f"<a deeply nested {type(x).__name__}>"
    return _cap(text, limit)


def _cap(text: str, limit: int = 200) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


def _size(n: Any, what: str, where: str) -> int:
    if type(n) is not int or n < 1:
        raise ModelFileError(f"{where}: {what} must be a positive integer, got {_show(n)}")
    if n > 1_000_000:
        raise ModelFileError(f"{where}: {what} {n} is implausibly large for a model file")
    return n


def _describe(config: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={_show(v)}" for k, v in config.items() if k != "type")
    return _cap(f"{config.get('type')}({args})")


def _reject_constant(name: str) -> None:
    raise ModelFileError(f"the file holds {name}, but a model file holds finite numbers only")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"the key {_show(key)} appears twice in one object")
        out[key] = value
    return out


# Module.save, load and load_state call this module's functions; module.py cannot import it
# (this module imports module.py), so it is handed over here.
_module._serialize = sys.modules[__name__]
