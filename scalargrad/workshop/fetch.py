"""The pinned outside pieces of the workshop site, fetched once at build time and checked.

Pyodide, Viz.js, the graphviz wheel, the licence texts and the code editor's npm packages:
each is a file from the npm registry or PyPI with its size and SHA-256 written here; a
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


class NpmModule(NamedTuple):
    """One ES module of an npm package, served at `path` and named `specifier` in the page's
    import map (so the modules import each other by their package names, with no bundler)."""
    specifier: str  # the package name, as the modules import it
    artifact: Artifact
    module: str  # the module's path in the tarball, under package/

    @property
    def path(self) -> str:
        """Where the site serves it: editor/<package name, @ dropped, / as ->.js"""
        return "editor/" + self.specifier.lstrip("@").replace("/", "-") + ".js"


def _npm(name: str, version: str, module: str, sha256: str, size: int) -> NpmModule:
    base = name.rsplit("/", 1)[-1]
    filename = name.lstrip("@").replace("/", "-") + f"-{version}.tgz"
    return NpmModule(name, Artifact(f"{name} {version}", filename,
                                    f"https://registry.npmjs.org/{name}/-/{base}-{version}.tgz",
                                    sha256, size, "MIT"), module)


# The editor of every code cell: CodeMirror 6 (the editor of JupyterLab 4) with its Python
# mode, and every package those import (`npm view PKG dependencies`, checked against the
# modules' own import lines). Each is the registry's tarball, as `npm pack PKG@VERSION` gives.
EDITOR = (
    _npm("@codemirror/state", "6.7.6", "dist/index.js",
         "91d75acc955ceeaf86af9396c11cda7694fe6222aac8427fa033d89eff5ac839", 108828),
    _npm("@codemirror/view", "6.44.2", "dist/index.js",
         "a3e9495b313c5fa659934420c13b70eae75b6379e924eab85eac5ebf118b3f3f", 319055),
    _npm("@codemirror/language", "6.13.1", "dist/index.js",
         "e711ec28da046f6c163e777c5466d8ac805ee9ef5f51c511e8729c6789be7f83", 77933),
    _npm("@codemirror/commands", "6.11.2", "dist/index.js",
         "0855ce82cd6ee087588705c11bded0d63ee205d23c9cd85167d4c3d1c953cc49", 50520),
    _npm("@codemirror/autocomplete", "6.20.4", "dist/index.js",
         "40b9657b137284426bcd829cdee7dc78a748337de997a12b10b5c725f67aa0d0", 65656),
    _npm("@codemirror/lang-python", "6.2.1", "dist/index.js",
         "022a075ece066c3015dce4fbddd4d8b6f597679e756d50e697ec16cd3e5b59ca", 8063),
    _npm("@codemirror/streamparser", "6.0.0", "dist/index.js",
         "b4888c5ab40350e7a1747d765948a8fa45cfd127c479dd4cdef8097046efe14a", 4559),
    _npm("@lezer/common", "1.5.7", "dist/index.js",
         "86538f2eddc95599553ee04b6d61eb757a144d35f97a981c945e71ba02befe2f", 59201),
    _npm("@lezer/highlight", "1.2.5", "dist/index.js",
         "e349eec1ff4382439c1e6286ae937e0203a8349c5192e2e133863391775ac7ff", 17085),
    _npm("@lezer/lr", "1.4.13", "dist/index.js",
         "07b262963f115d8a95569ba1a05d35f54ea712709e3505312b99a19f9d27c3a4", 42811),
    _npm("@lezer/python", "1.1.19", "dist/index.js",
         "0e00a32717366099c01b38a19ceb73315cd1dd9b335d98b49fea50ab7c5c2a98", 47608),
    _npm("@marijn/find-cluster-break", "1.0.4", "src/index.js",
         "5d12b770b64d46632c84fcd18e1d4c09f195ed0f5dbc71f94a41f0af333eaeae", 4960),
    _npm("style-mod", "4.1.5", "src/style-mod.js",
         "c4a44844213a141da55c51a2f81d701acdb9944465328b4a2a6b9626c6d9fc39", 6143),
    _npm("w3c-keyname", "2.2.8", "index.js",
         "05d21484026d1f2dd842c843181e391e66d60f1d5dff292d562c3f40302dab36", 2970),
    _npm("crelt", "1.0.7", "index.js",
         "3542299c0278fdc26aceb2b13d31bffbcb89d7367706bbc457130e3fd103c03e", 2385),
)
ALL = (PYODIDE, VIZ, GRAPHVIZ_PY, LICENCES) + tuple(m.artifact for m in EDITOR)

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
    """The checked local copy of `artifact`: from `source` or the cache, else downloaded.

    A file in `source` that is not the pinned one is refused; a damaged file in the cache is
    downloaded again (offline, refused), each named with both SHA-256 hashes."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"cannot make the download cache folder {cache}: {e.strerror}; "
                         "give another with --cache DIR") from e
    damaged = None  # the cached copy and its hash, when it is there but not the pinned file
    for folder in ([source] if source else []) + [cache]:
        path = folder / artifact.filename
        if not path.is_file():
            continue
        got = _sha256(path)
        if got == artifact.sha256:
            return path
        if folder == source:
            raise FetchError(f"{path} is not the pinned {artifact.name}: its SHA-256 is "
                             f"{got}, expected {artifact.sha256}; replace it with the file "
                             f"from {artifact.url}")
        damaged = (path, got)
    if offline:
        if damaged:
            path, got = damaged
            raise FetchError(f"{path} is in the cache but damaged (SHA-256 mismatch: expected "
                             f"{artifact.sha256}, got {got}); delete it and build once with "
                             f"the network, or copy the right file there (from "
                             f"{artifact.url})")
        where = f"{source} nor in the cache {cache}" if source else f"the cache {cache}"
        raise FetchError(f"{artifact.name} ({artifact.filename}) is not in {where}; build "
                         f"once with the network, or copy the file there (from "
                         f"{artifact.url})")
    target = cache / artifact.filename
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(artifact.url, timeout=60) as response, \
                open(partial, "wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise FetchError(f"could not download {artifact.name} from {artifact.url}: {e}; "
                         "check the network (or build with --from DIR or --offline from "
                         "files copied from another machine)") from e
    got = _sha256(partial)
    if got != artifact.sha256:
        partial.unlink()
        raise FetchError(f"the download of {artifact.filename} from {artifact.url} is not the "
                         f"pinned file (SHA-256 mismatch: expected {artifact.sha256}, got "
                         f"{got}); check the network (a proxy or a captive portal may have "
                         "answered instead) and build again")
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
