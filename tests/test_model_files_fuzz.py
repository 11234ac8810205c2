"""Model files from strangers: nn.load / load_into against corrupted, truncated, wrongly-shaped,
oversized and NaN-laden files, a byte-by-byte mutation fuzz, and crashes in the middle of save.

The contract (nn/serialize.py): a file that cannot be loaded raises `nn.ModelFileError` — one
error type, whatever is wrong with the content — and leaves the model exactly as it was
(parameters and gradients). A file that does load gives finite parameters equal to the file's
numbers. Saving is atomic: a crash mid-save leaves the old file intact and no temp file behind.
Reading a file never evaluates its content. (Errors opening the file — missing file, a
directory — stay OSError, as for any file.)

CI tries every truncation and every single-byte edit of a small model file plus 2,000 random
multi-byte mutations; SCALARGRAD_FUZZ_EXAMPLES=N tries 5·N random mutations.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

nn = pytest.importorskip("nn")
ModelFileError = nn.ModelFileError
serialize = nn.serialize

RANDOM_MUTATIONS = 5 * int(os.environ.get("SCALARGRAD_FUZZ_EXAMPLES", "400"))
GRAD_SENTINEL = 0.25  # gradients are set to this before a load: a refused load keeps it


def _model(seed: int = 0) -> Any:
    return nn.MLP(2, [3, 1], seed=seed)


@pytest.fixture
def valid(tmp_path: Path) -> bytes:
    """The bytes of a valid model file (MLP(2, [3, 1]), 13 parameters)."""
    path = tmp_path / "valid.json"
    nn.save(_model(0), path)
    return path.read_bytes()


class Checker:
    """Writes candidate files and checks the contract on each: refused cleanly, or loaded right."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "candidate.json"
        self.target = _model(seed=1)
        self.initial = [p.data for p in self.target.parameters()]
        self.refused = self.loaded = 0

    def snapshot(self) -> list[tuple[float, float]]:
        return [(p.data, p.grad) for p in self.target.parameters()]

    def reset_target(self) -> None:
        for p, data in zip(self.target.parameters(), self.initial):
            p.data, p.grad = data, GRAD_SENTINEL

    def check(self, data: bytes) -> str:
        """'refused' or 'loaded'; fails the test on any other outcome."""
        self.path.write_bytes(data)
        self.reset_target()
        before = self.snapshot()
        outcomes = []
        for load in (lambda: nn.load(self.path), lambda: nn.load_into(self.target, self.path)):
            try:
                model = load()
            except ModelFileError:
                assert self.snapshot() == before, f"model changed by a refused file: {data!r}"
                outcomes.append("refused")
                continue
            except Exception as e:  # anything else is a bug in the loader
                pytest.fail(f"{type(e).__name__}: {e} escaped from loading {data[:300]!r}")
            outcomes.append("loaded")
            self._check_loaded(model, data)
        if outcomes[1] == "loaded" or outcomes[0] == "loaded":
            self.loaded += 1
        else:
            self.refused += 1
        return "loaded" if "loaded" in outcomes else "refused"

    @staticmethod
    def _check_loaded(model: Any, data: bytes) -> None:
        params = json.loads(data.decode("utf-8"))["parameters"]
        state = model.state_dict()
        assert state.keys() == params.keys()
        for name, value in state.items():
            assert math.isfinite(value) and value == float(params[name]), name
        assert all(p.grad == 0.0 for p in model.parameters())


@pytest.fixture
def checker(tmp_path: Path) -> Checker:
    return Checker(tmp_path)


def test_round_trip_is_exact(valid: bytes, checker: Checker) -> None:
    """The unmutated file loads, with exactly the saved numbers (the fuzz's baseline)."""
    assert checker.check(valid) == "loaded"
    assert nn.load(checker.path).state_dict() == _model(0).state_dict()


def test_every_truncation_is_refused(valid: bytes, checker: Checker) -> None:
    """Each prefix of the file that cuts into the JSON is refused; the model is untouched."""
    end = valid.rindex(b"}") + 1
    for cut in range(end):
        assert checker.check(valid[:cut]) == "refused", f"prefix of {cut} bytes loaded"
    assert checker.check(valid[:end]) == "loaded"  # only the trailing newline removed


REPLACEMENTS = [b"\x00", b"\xff", b'"', b"9", b"-", b"}", b"[", b"e", b"N", b" "]


def test_every_single_byte_edit_is_refused_or_harmless(valid: bytes, checker: Checker) -> None:
    """Each byte replaced (10 ways), deleted and doubled: refused cleanly or loaded exactly."""
    for i in range(len(valid)):
        for r in REPLACEMENTS:
            checker.check(valid[:i] + r + valid[i + 1:])
        checker.check(valid[:i] + valid[i + 1:])
        checker.check(valid[:i + 1] + valid[i:])
    # both outcomes happen: edits inside numbers load, structural edits are refused
    assert checker.refused > 1000 and checker.loaded > 100


def random_mutation(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits: flip, replace, delete, insert a JSON-ish token, duplicate."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(len(b) + 1)
        kind = rng.randrange(5)
        if kind == 0 and pos < len(b):
            b[pos] ^= 1 << rng.randrange(8)
        elif kind == 1 and pos < len(b):
            b[pos] = rng.randrange(256)
        elif kind == 2:
            del b[pos:pos + rng.randint(1, 8)]
        elif kind == 3:
            b[pos:pos] = rng.choice([b"NaN", b"Infinity", b"-", b"1e400", b"null", b"true",
                                     b"[", b"]", b"{", b"}", b",", b":", b'"', b"0", b"\\u0000",
                                     b"9" * 400, b"\xef\xbb\xbf"])
        else:
            b[pos:pos] = b[pos:pos + rng.randint(1, 40)]
    return bytes(b)


def test_random_mutations_are_refused_or_harmless(valid: bytes, checker: Checker) -> None:
    """Seeded random multi-byte mutations (SCALARGRAD_FUZZ_EXAMPLES scales the count)."""
    rng = random.Random(7)
    for _ in range(RANDOM_MUTATIONS):
        checker.check(random_mutation(valid, rng))
    assert checker.refused + checker.loaded == RANDOM_MUTATIONS
    assert checker.refused > RANDOM_MUTATIONS // 2


# -- hostile documents, made on purpose -----------------------------------------------------


def _document(**changes: Any) -> dict:
    doc = serialize.to_dict(_model(0))
    for key, value in changes.items():
        if key.startswith("arch_"):
            doc["architecture"][key[5:]] = value
        else:
            doc[key] = value
    return doc


def _param(value: Any, name: str = "layers.0.neurons.0.w.0") -> dict:
    doc = _document()
    doc["parameters"][name] = value
    return doc


HOSTILE: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "whitespace": lambda: b"  \n\t ",
    "utf-8 BOM": lambda: b"\xef\xbb\xbf" + json.dumps(_document()).encode(),
    "utf-16": lambda: json.dumps(_document()).encode("utf-16"),
    "invalid utf-8": lambda: b'{"format": "\xff\xfe"}',
    "top-level list": lambda: b"[]",
    "top-level string": lambda: b'"scalargrad.nn"',
    "top-level number": lambda: b"1e400",
    "top-level NaN": lambda: b"NaN",
    "deep nesting": lambda: b"[" * 100_000 + b"]" * 100_000,
    "duplicate key": lambda: json.dumps(_document())[:-1].encode() + b', "version": 1}',
    "missing parameters": lambda: json.dumps({k: v for k, v in _document().items()
                                              if k != "parameters"}).encode(),
    "wrong format": lambda: json.dumps(_document(format="pickle")).encode(),
    "format as list": lambda: json.dumps(_document(format=["scalargrad.nn"])).encode(),
    "version 2": lambda: json.dumps(_document(version=2)).encode(),
    "version true": lambda: json.dumps(_document(version=True)).encode(),
    "version string": lambda: json.dumps(_document(version="1")).encode(),
    "parameters as list": lambda: json.dumps(_document(parameters=[0.5] * 13)).encode(),
    "architecture as list": lambda: json.dumps(_document(architecture=["MLP", 2])).encode(),
    "type as list": lambda: json.dumps(_document(arch_type=["MLP"])).encode(),
    "type as object": lambda: json.dumps(_document(arch_type={"MLP": 1})).encode(),
    "type names other class": lambda: json.dumps(_document(arch_type="Module")).encode(),
    "type is code": lambda: json.dumps(_document(
        arch_type="__import__('os').system('touch PWNED')")).encode(),
    "type is dotted path": lambda: json.dumps(_document(arch_type="os.system")).encode(),
    "activation unknown": lambda: json.dumps(_document(arch_activation="softmax")).encode(),
    "activation as list": lambda: json.dumps(_document(arch_activation=["relu"])).encode(),
    "extra architecture key": lambda: json.dumps(_document(arch_bias=False)).encode(),
    "nin mismatch": lambda: json.dumps(_document(arch_nin=3)).encode(),
    "nin zero": lambda: json.dumps(_document(arch_nin=0)).encode(),
    "nin bool": lambda: json.dumps(_document(arch_nin=True)).encode(),
    "nin huge int": lambda: json.dumps(_document(arch_nin=10 ** 400)).encode(),
    "nouts empty": lambda: json.dumps(_document(arch_nouts=[])).encode(),
    "nouts negative": lambda: json.dumps(_document(arch_nouts=[-3, 1])).encode(),
    "nouts strings": lambda: json.dumps(_document(arch_nouts=["3", "1"])).encode(),
    "nouts nested": lambda: json.dumps(_document(arch_nouts=[[3], [1]])).encode(),
    "nouts as string": lambda: json.dumps(_document(arch_nouts="3,1")).encode(),
    "nouts wrong shape": lambda: json.dumps(_document(arch_nouts=[4, 1])).encode(),
    "nouts giant": lambda: json.dumps(_document(arch_nouts=[1_000_000, 1_000_000])).encode(),
    "NaN parameter": lambda: json.dumps(_param(math.nan)).encode(),
    "Infinity parameter": lambda: json.dumps(_param(math.inf)).encode(),
    "-Infinity parameter": lambda: json.dumps(_param(-math.inf)).encode(),
    "1e400 parameter": lambda: json.dumps(_param(0.5)).replace("0.5", "1e400").encode(),
    "huge int parameter": lambda: json.dumps(_param(10 ** 400)).encode(),
    "string parameter": lambda: json.dumps(_param("0.5")).encode(),
    "null parameter": lambda: json.dumps(_param(None)).encode(),
    "bool parameter": lambda: json.dumps(_param(True)).encode(),
    "list parameter": lambda: json.dumps(_param([0.5])).encode(),
    "extra parameter": lambda: json.dumps(_param(0.5, "layers.0.neurons.0.w.2")).encode(),
    "missing parameter": lambda: json.dumps(_document(parameters={
        k: v for k, v in serialize.to_dict(_model(0))["parameters"].items()
        if not k.endswith("b")})).encode(),
    "renamed parameter": lambda: json.dumps(_document()).replace(
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.00").encode(),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_model_file_error(name: str, checker: Checker,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Each crafted bad file raises ModelFileError from load and load_into, model unchanged."""
    monkeypatch.chdir(tmp_path)  # where "touch PWNED" would land
    assert checker.check(HOSTILE[name]()) == "refused"
    assert not (tmp_path / "PWNED").exists()


def test_checker_catches_a_loader_that_half_applies(checker: Checker,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted bug: parameters written one by one, refusing at the first inf — the model is
    left half-changed, and the checker says so (so a pass above means something)."""

    def half_applying(model: Any, state: Any, where: str = "state") -> None:
        for name, p in model.named_parameters():
            if not math.isfinite(float(state[name])):
                raise ModelFileError(f"{where}: {name} is not finite")
            p.data = float(state[name])

    monkeypatch.setattr(serialize, "apply_state", half_applying)
    text = json.dumps(_param(0.5, "layers.1.neurons.0.b")).replace("0.5", "1e400")  # → inf
    with pytest.raises(AssertionError, match="model changed"):
        checker.check(text.encode())


def test_oversized_file_is_refused_before_parsing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the size limit is refused without reading it all (a sparse 64 MB+ file)."""
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(serialize.MAX_FILE_BYTES + 10)
    with pytest.raises(ModelFileError, match="larger than"):
        nn.load(big)
    small = tmp_path / "small.json"
    nn.save(_model(0), small)
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", small.stat().st_size - 1)
    with pytest.raises(ModelFileError, match="larger than"):
        nn.load(small)


def test_loader_source_never_evaluates_content() -> None:
    """nn/serialize.py uses no eval/exec/compile/pickle/marshal/import-by-name."""
    source = Path(serialize.__file__).read_text(encoding="utf-8")
    code = re.sub(r'""".*?"""|#[^\n]*', "", source, flags=re.S)  # docstrings and comments
    for word in ("eval(", "exec(", "compile(", "pickle", "marshal", "__import__", "importlib",
                 "yaml", "getattr("):
        assert word not in code, word


# -- atomic save ---------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> Iterator[tuple[Path, bytes]]:
    """A folder holding one saved model file, and its bytes."""
    path = tmp_path / "model.json"
    nn.save(_model(0), path)
    yield path, path.read_bytes()


def _assert_intact(path: Path, old: bytes) -> None:
    assert path.read_bytes() == old
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left
    assert nn.load(path).state_dict() == _model(0).state_dict()


def test_crash_at_rename_leaves_old_file(saved: tuple[Path, bytes],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """os.replace failing (disk, permissions, power) leaves the old file and no temp file."""
    path, old = saved

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("simulated crash during rename")

    monkeypatch.setattr(serialize.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        nn.save(_model(5), path)
    _assert_intact(path, old)


def test_crash_while_serialising_leaves_old_file(saved: tuple[Path, bytes],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """json.dumps failing leaves the old file untouched."""
    path, old = saved

    def broken_dumps(*args: Any, **kwargs: Any) -> str:
        raise MemoryError("simulated")

    monkeypatch.setattr(serialize.json, "dumps", broken_dumps)
    with pytest.raises(MemoryError):
        nn.save(_model(5), path)
    _assert_intact(path, old)


def test_crash_mid_write_leaves_old_file(saved: tuple[Path, bytes],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted after half the bytes are written (Ctrl-C), or at fsync: old file intact."""
    path, old = saved
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.f.close()

        def write(self, text: str) -> None:
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise KeyboardInterrupt

    monkeypatch.setattr(serialize.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(KeyboardInterrupt):
        nn.save(_model(5), path)
    _assert_intact(path, old)
    monkeypatch.setattr(serialize.os, "fdopen", real_fdopen)

    def broken_fsync(fd: int) -> None:
        raise OSError("simulated fsync failure")

    monkeypatch.setattr(serialize.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="fsync"):
        nn.save(_model(5), path)
    _assert_intact(path, old)


def test_saving_a_nan_model_leaves_old_file(saved: tuple[Path, bytes]) -> None:
    """A model with a NaN parameter is refused before anything is written."""
    path, old = saved
    model = _model(5)
    model.parameters()[0].data = math.nan
    with pytest.raises(ModelFileError, match="finite"):
        nn.save(model, path)
    _assert_intact(path, old)


def test_successful_save_replaces_the_file(saved: tuple[Path, bytes]) -> None:
    """The positive control: a save that completes does replace the old content."""
    path, old = saved
    nn.save(_model(5), path)
    assert path.read_bytes() != old
    assert nn.load(path).state_dict() == _model(5).state_dict()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
