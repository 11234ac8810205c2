"""The pinned outside pieces of the workshop site, fetched once at build time and checked.

Each is a file from the npm registry or PyPI with its size and SHA-256 written here; a
download that does not match is refused, and nothing else is ever fetched. Downloads are kept
in a cache folder (default `~/.cache/scalargrad-workshop`), so a second build needs no
network; a folder holding the same files (`--from DIR`, e.g. copied from another machine)
works offline.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.request
from pathlib import Path
from typing import NamedTuple


class Artifact(NamedTuple):
    name: str  # what it is, for messages
    filename: str
    url: str
    sha256: str
    size: int
    licence: str  # SPDX id


PYODIDE_VERSION = "314.0.8"
PYODIDE = Artifact("Pyodide core", f"pyodide-{PYODIDE_VERSION}.tgz",
                   f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz",
                   "9a52704e0ae5b07aaacb8e4fed9f1658e8024694a078695ea45ac79dee4cefcb",
                   6487361, "MPL-2.0")
VIZ = Artifact("Viz.js (Graphviz compiled to WebAssembly)", "viz-js-viz-3.31.0.tgz",
               "https://registry.npmjs.org/@viz-js/viz/-/viz-3.31.0.tgz",
               "7dc0189874849cca2fed7cbe88bf334cd0e6e012db16657794a812ad6f2b8c70",
               1907571, "MIT")
GRAPHVIZ_PY = Artifact("the graphviz Python package", "graphviz-0.20.3-py3-none-any.whl",
                       "https://files.pythonhosted.org/packages/00/be/d59db2d1d52697c6adc9ea"
                       "caf50e8965b6345cc143f671e1ed068818d5cf/graphviz-0.20.3-py3-none-any.whl",
                       "81f848f2904515d8cd359cc611faba817598d2feaac4027b266aa3eda7b3dde5",
                       47126, "MIT")
LICENCES = Artifact("licence texts (SPDX)", "spdx-license-list-6.10.0.tgz",
                    "https://registry.npmjs.org/spdx-license-list/-/spdx-license-list-6.10.0.tgz",
                    "d80c9febdcb88dbd6dc4ceffc1143dce273ca741e9d7b596b023afd77e37da98",
                    2475636, "MIT")
ALL = (PYODIDE, VIZ, GRAPHVIZ_PY, LICENCES)

# The files of Pyodide's npm package that the site needs (13.5 MB), and of Viz.js.
PYODIDE_FILES = ("pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide.mjs", "python_stdlib.zip",
                 "pyodide-lock.json")
VIZ_FILES = ("dist/viz.js",)


class FetchError(RuntimeError):
    """A pinned piece could not be fetched, or was not the file pinned."""


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "scalargrad-workshop"


def fetch(artifact: Artifact, cache: Path, source: Path | None = None,
          offline: bool = False) -> Path:
    """The checked local copy of `artifact`: from `source` or the cache, else downloaded."""
    cache.mkdir(parents=True, exist_ok=True)
    for folder in ([source] if source else []) + [cache]:
        path = folder / artifact.filename
        if not path.is_file():
            continue
        got = _sha256(path)
        if got == artifact.sha256:
            return path
        if folder == source:
            raise FetchError(f"{path} is not the pinned {artifact.name}: its SHA-256 is "
                             f"{got}, expected {artifact.sha256}")
    if offline:
        raise FetchError(f"{artifact.name} ({artifact.filename}) is not in "
                         f"{source or cache}; build once with the network, or copy the file "
                         f"there (from {artifact.url})")
    target = cache / artifact.filename
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(artifact.url, timeout=60) as response, \
                open(partial, "wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise FetchError(f"could not download {artifact.name} from {artifact.url}: {e}") from e
    got = _sha256(partial)
    if got != artifact.sha256:
        partial.unlink()
        raise FetchError(f"the download of {artifact.name} from {artifact.url} is not the "
                         f"pinned file: SHA-256 {got}, expected {artifact.sha256}")
    os.replace(partial, target)
    return target


def extract(tgz: Path, members: tuple[str, ...], into: Path) -> list[Path]:
    """Copy `members` (paths under the npm tarball's `package/`) into `into`, flattened."""
    into.mkdir(parents=True, exist_ok=True)
    written = []
    with tarfile.open(tgz, "r:gz") as tar:
        for member in members:
            path = into / Path(member).name
            path.write_bytes(_member(tar, tgz, member))
            written.append(path)
    return written


def read_member(tgz: Path, member: str) -> bytes:
    """One file of the npm tarball (a path under its `package/`)."""
    with tarfile.open(tgz, "r:gz") as tar:
        return _member(tar, tgz, member)


def _member(tar: tarfile.TarFile, tgz: Path, member: str) -> bytes:
    source = tar.extractfile(f"package/{member}")
    if source is None:
        raise FetchError(f"{tgz.name} has no file package/{member}")
    return source.read()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
