"""Model files: the architecture and every parameter, as JSON. Never pickle, never eval.

    {"format": "scalargrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
     "parameters": {"layers.0.neurons.0.w.0": 0.4371..., ...}}

Floats are written with Python's shortest round-trip repr, so save → load gives back exactly
the same numbers. Saving writes a temporary file in the same folder and renames it over the
target (`os.replace`), so a crash mid-save leaves the old file intact. Loading checks
everything before it changes anything: a malformed file, a file for another architecture, a
missing or extra parameter, a value that is not a finite number — each raises
`ModelFileError` (a ValueError) naming the file and the problem, and leaves the model as it was.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any, Mapping, Union

from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

PathLike = Union[str, "os.PathLike[str]"]
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
    """Write `model` to `path` as JSON, atomically: temp file in the same folder, then rename."""
    text = json.dumps(to_dict(model), indent=1, allow_nan=False) + "\n"
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load(path: PathLike) -> Module:
    """Rebuild the model stored in `path` (its architecture and parameters)."""
    data = read(path)
    where = os.fspath(path)
    model = from_architecture(data["architecture"], where, len(data["parameters"]))
    apply_state(model, data["parameters"], where)
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
    """Parse and check a model file's structure; raise ModelFileError if anything is off."""
    where = os.fspath(path)
    with open(where, "rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ModelFileError(f"{where}: the file is larger than {MAX_FILE_BYTES} bytes; "
                             "not a model file written by nn.save")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicates)
    except ModelFileError as e:
        raise ModelFileError(f"{where}: {e}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(f"{where}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = {"format", "version", "architecture", "parameters"} - data.keys()
    if missing:
        raise ModelFileError(f"{where}: missing key(s) {', '.join(sorted(missing))}; "
                             "not a model file written by nn.save")
    if data["format"] != FORMAT:
        raise ModelFileError(f"{where}: format is {data['format']!r}, expected {FORMAT!r}")
    if type(data["version"]) is not int or data["version"] != VERSION:
        raise ModelFileError(f"{where}: version {data['version']!r} is not supported "
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
    if arch is None:
        raise ModelFileError(f"{where}: the file has no architecture (a custom module); "
                             "build the model yourself and call model.load(path)")
    if not isinstance(arch, dict):
        raise ModelFileError(f"{where}: architecture must be an object, got {arch!r}")
    kind = arch.get("type")
    fields = {"MLP": ("nin", "nouts", "activation"), "Layer": ("nin", "nout", "activation"),
              "Neuron": ("nin", "activation")}
    if not isinstance(kind, str) or kind not in fields:  # a list/dict "type" is unhashable
        raise ModelFileError(f"{where}: unknown model type {kind!r}; expected one of "
                             f"{', '.join(fields)}")
    expected = {"type", *fields[kind]}
    if set(arch) != expected:
        raise ModelFileError(f"{where}: a {kind} architecture has the keys "
                             f"{', '.join(sorted(expected))}; got {', '.join(sorted(arch))}")
    act = arch["activation"]
    if act not in ACTIVATIONS:
        raise ModelFileError(f"{where}: activation {act!r} is not one of "
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
                                 f"got {nouts!r}")
        widths = [_size(w, "a layer width", where) for w in nouts]
    sizes = [nin, *widths]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(widths)))
    if expected_count is not None and count != expected_count:
        raise ModelFileError(f"{where}: a {_describe(arch)} has {count} parameters, "
                             f"but the file lists {expected_count}")
    if kind == "Neuron":
        return Neuron(nin, activation=act, seed=0)
    if kind == "Layer":
        return Layer(nin, widths[0], activation=act, seed=0)
    return MLP(nin, widths, activation=act, seed=0)


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
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if extra:
            parts.append(f"{len(extra)} unexpected (e.g. {', '.join(map(str, extra[:3]))})")
        raise ModelFileError(f"{where}: the parameters do not fit this model "
                             f"({model.describe()}, {len(named)} parameters): "
                             f"{'; '.join(parts)}")
    values = []
    for name, _ in named:
        v = state[name]
        if type(v) is bool or not isinstance(v, (int, float)):
            raise ModelFileError(f"{where}: parameter {name} must be a number, got {v!r}")
        try:
            f = float(v)
        except OverflowError:
            raise ModelFileError(f"{where}: parameter {name} is too large for a float") from None
        if not math.isfinite(f):
            raise ModelFileError(f"{where}: parameter {name} is {f!r}; expected a finite number")
        values.append(f)
    for (_, p), f in zip(named, values):
        p.data = f
        p.grad = 0.0


def _size(n: Any, what: str, where: str) -> int:
    if type(n) is not int or n < 1:
        raise ModelFileError(f"{where}: {what} must be a positive integer, got {n!r}")
    if n > 1_000_000:
        raise ModelFileError(f"{where}: {what} {n} is implausibly large for a model file")
    return n


def _describe(config: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in config.items() if k != "type")
    return f"{config.get('type')}({args})"


def _reject_constant(name: str) -> None:
    raise ModelFileError(f"the file holds {name}, but a model file holds finite numbers only")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ModelFileError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
