"""`scalargrad-workshop build` loses nothing a teacher had: a rebuild keeps their own files,
a mount point is updated in place, a file, a read-only folder, a broken notebook or a damaged
download is refused on one line (exit code 2) with nothing changed; hostile notebook names
and text are shown, never run; markdown takes time linear in its length.

The builds use small lesson folders written here and the pinned downloads cached in
~/.cache/scalargrad-workshop (fetched once, as the browser tests' build does)."""

from __future__ import annotations

import errno
import hashlib
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from served import served

from scalargrad.workshop import build as build_module
from scalargrad.workshop import fetch
from scalargrad.workshop.build import BuildError, build
from scalargrad.workshop.cli import main

TEACHERS = {"notes.txt": b"my plan for Tuesday\n", "mine/slides.md": b"# slides\n",
            "pyodide/why.txt": b"a note beside Python\n"}


def _notebook(folder: Path, name: str, cells: list[dict[str, Any]] | None = None) -> Path:
    """A small notebook named `name` in `folder` (a title cell and one code cell unless
    `cells` are given)."""
    if cells is None:
        cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# {name}\n", "Text."]},
                 {"cell_type": "code", "metadata": {}, "source": "x = 1\nx", "outputs": [],
                  "execution_count": None}]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


def _lessons(folder: Path, *names: str) -> Path:
    for name in names:
        _notebook(folder, name)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too), by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _add_teachers_files(site: Path) -> None:
    for name, data in TEACHERS.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)


def _teachers_files(site: Path) -> dict[str, bytes]:
    return {name: (site / name).read_bytes() for name in TEACHERS if (site / name).is_file()}


def _leftovers(parent: Path) -> list[str]:
    """Staging or previous-build folders a build left beside (or in) its target."""
    return sorted(p.name for p in parent.iterdir() if ".building-" in p.name
                  or ".previous-" in p.name)


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from two lessons (01-first, 02-second): the previous build."""
    base = tmp_path_factory.mktemp("previous")
    lessons = _lessons(base / "lessons", "01-first.ipynb", "02-second.ipynb")
    build(base / "site", lessons=lessons)
    return base / "site"


@pytest.fixture
def site(previous_site: Path, tmp_path: Path) -> Path:
    """A copy of the previous build, with the teacher's own files added to it."""
    copy = tmp_path / "site"
    shutil.copytree(previous_site, copy)
    _add_teachers_files(copy)
    return copy


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    """The lessons of the next build: 01-first and 03-third (02-second is gone)."""
    return _lessons(tmp_path / "lessons", "01-first.ipynb", "03-third.ipynb")


# -- the teacher's files -------------------------------------------------------------------

def test_a_rebuild_keeps_the_teachers_own_files(site: Path, lessons: Path) -> None:
    """Files the previous build did not write (at the top, in a folder of theirs, inside the
    site's pyodide/) are all there, unchanged, after a rebuild."""
    build(site, lessons=lessons, offline=True)
    assert _teachers_files(site) == TEACHERS


def test_a_teachers_file_the_site_would_overwrite_is_refused(site: Path,
                                                             lessons: Path) -> None:
    """A file of the teacher's with the name of a page the new build writes is named in
    the error, and the folder is left exactly as it was."""
    (site / "03-third.html").write_text("my own page", encoding="utf-8")
    before = _snapshot(site)
    with pytest.raises(BuildError, match="03-third.html was not written by a previous build"):
        build(site, lessons=lessons, offline=True)
    assert _snapshot(site) == before and _leftovers(site.parent) == []


def test_a_build_that_fails_half_way_changes_nothing(site: Path, lessons: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up while the site is written: BuildError, and the previous site and
    the teacher's files are as they were (the site is written beside the target first)."""
    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(build_module, "_zip_packages", full)
    before = _snapshot(site)
    with pytest.raises(BuildError, match="No space left on device.*nothing in .* was changed"):
        build(site, lessons=lessons, offline=True)
    assert _snapshot(site) == before and _leftovers(site.parent) == []


# -- a mount point (a USB stick's root) ----------------------------------------------------

@pytest.fixture
def mounted(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`site` behaving as a mount point: os.path.ismount says so, and renaming or removing
    the folder itself fails with EBUSY, as it does for a mounted USB stick."""
    is_mount, rename, replace, rmdir = os.path.ismount, os.rename, os.replace, os.rmdir

    def busy(path: Any) -> None:
        if Path(path) == site:
            raise OSError(errno.EBUSY, "Device or resource busy", str(path))

    def guarded_rename(src: Any, dst: Any, **kw: Any) -> None:
        busy(src)
        busy(dst)
        rename(src, dst, **kw)

    def guarded_replace(src: Any, dst: Any, **kw: Any) -> None:
        busy(src)
        busy(dst)
        replace(src, dst, **kw)

    def guarded_rmdir(path: Any, **kw: Any) -> None:
        if kw.get("dir_fd") is None:
            busy(path)
        rmdir(path, **kw)

    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == site or is_mount(p))
    monkeypatch.setattr(os, "rename", guarded_rename)
    monkeypatch.setattr(os, "replace", guarded_replace)
    monkeypatch.setattr(os, "rmdir", guarded_rmdir)
    return site


def test_a_mount_point_is_rebuilt_in_place_keeping_the_teachers_files(mounted: Path,
                                                                       lessons: Path) -> None:
    """Rebuilding at a mount point's root succeeds and keeps the teacher's files (it used
    to delete the previous site, then fail with EBUSY)."""
    build(mounted, lessons=lessons, offline=True)
    assert _teachers_files(mounted) == TEACHERS


def test_a_mount_point_rebuilt_in_place_holds_exactly_the_new_site(mounted: Path,
                                                                   lessons: Path) -> None:
    """After the rebuild in place, the folder holds the new site's files (as its manifest
    lists them, with their hashes), the teacher's, and nothing of the previous build's
    that the new one has not (02-second.html), nor a staging folder."""
    manifest = build(mounted, lessons=lessons, offline=True)
    files = _snapshot(mounted)
    assert set(files) == set(manifest["files"]) | {"manifest.json"} | set(TEACHERS)
    assert all(hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
               for name, entry in manifest["files"].items())


# -- targets that cannot take the site -------------------------------------------------------

def test_a_file_as_target_is_refused_on_one_line(tmp_path: Path, lessons: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`build FILE`: exit code 2, one line saying it is a file, and the file is untouched."""
    target = tmp_path / "site"
    target.write_text("not a folder", encoding="utf-8")
    code = main(["build", str(target), "--offline", "--lessons", str(lessons)])
    err = capsys.readouterr().err
    assert (code, err.count("\n"), target.read_text(encoding="utf-8")) == (2, 1, "not a folder")
    assert f"{target} is a file, not a folder" in err


def test_a_read_only_folder_is_refused_naming_it(site: Path, lessons: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the build may not write in (as os.access says of a read-only file system or
    a folder not the user's): BuildError naming it, and nothing in it changed."""
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != site
                        and access(p, mode, **kw))
    before = _snapshot(site)
    with pytest.raises(BuildError, match=re.escape(f"cannot write in {site}: it is read-only")):
        build(site, lessons=lessons, offline=True)
    assert _snapshot(site) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: chmod 0555 does not stop root writing, so it "
                           "cannot make a read-only folder (the test above simulates one)")
def test_a_chmod_read_only_folder_is_refused_naming_it(site: Path, lessons: Path) -> None:
    """A folder made read-only with chmod: BuildError naming it, nothing in it changed."""
    before = _snapshot(site)
    site.chmod(0o555)
    try:
        with pytest.raises(BuildError, match=re.escape(f"cannot write in {site}")):
            build(site, lessons=lessons, offline=True)
    finally:
        site.chmod(0o755)
    assert _snapshot(site) == before


# -- broken notebooks ----------------------------------------------------------------------

BROKEN = {
    "not JSON": ("{cells: oops", "not valid JSON (line 1, column 2"),
    "no cells": ('{"metadata": {}}', 'no "cells" list'),
    "no cell_type": (json.dumps({"cells": [{"cell_type": "markdown", "source": "# A"},
                                           {"source": "x = 1"}]}),
                     "cell 1 (counting from 0) has no cell_type"),
    "source a number": (json.dumps({"cells": [{"cell_type": "code", "source": 3}]}),
                        "cell 0 (counting from 0): its source is a int, expected a string or "
                        "a list of strings"),
    "a cell not an object": (json.dumps({"cells": ["x = 1"]}),
                             "cell 0 (counting from 0) is a str, not a JSON object"),
    "a lone surrogate": ('{"cells": [{"cell_type": "markdown", "source": "a \\ud800"}]}',
                         "cell 0 (counting from 0): its source holds '\\ud800', a lone "
                         "surrogate"),
}


@pytest.mark.parametrize("broken", BROKEN, ids=list(BROKEN))
def test_a_broken_notebook_is_named_on_one_line(broken: str, site: Path, lessons: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The build stops with exit code 2 and one line naming the notebook and what is wrong
    in it (and which cell)."""
    text, wanted = BROKEN[broken]
    (lessons / "02-broken.ipynb").write_text(text, encoding="utf-8")
    code = main(["build", str(site), "--offline", "--lessons", str(lessons)])
    err = capsys.readouterr().err
    assert (code, err.count("\n")) == (2, 1), err
    assert f"{lessons / '02-broken.ipynb'}" in err and wanted in err, err


def test_a_broken_notebook_changes_nothing(site: Path, lessons: Path) -> None:
    """The previous site and the teacher's files are as they were after a refused build."""
    (lessons / "02-broken.ipynb").write_text("{", encoding="utf-8")
    before = _snapshot(site)
    with pytest.raises(BuildError):
        build(site, lessons=lessons, offline=True)
    assert _snapshot(site) == before


# -- hostile names and text ----------------------------------------------------------------

HOSTILE_NAME = '01-say "hi" <b> & café.ipynb'


class _Elements(html.parser.HTMLParser):
    """Every start tag of a page, with its attributes, and the text of each <a>."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self.links.append((self._href, ""))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, previous_site: Path) -> Path:
    """A site of a lesson whose file name holds ", <, &, spaces and é, and whose cells hold
    HTML, script and an attribute-breaking id; then a plain second lesson."""
    base = tmp_path_factory.mktemp("hostile")
    _notebook(base / "lessons", HOSTILE_NAME, [
        {"cell_type": "markdown", "metadata": {},
         "source": "# <script>alert(1)</script> title\n\n"
                   "Text <img src=x onerror=alert(2)> and **<b>bold</b>** *<i>it</i>*\n\n"
                   "- <iframe src=x></iframe> `<code onclick=alert(3)>`\n\n"
                   "```\n</pre><script>alert(4)</script>\n```\n"},
        {"cell_type": "code", "id": 'c" onclick="alert(5)', "metadata": {"tags": ["a\"b"]},
         "source": "s = '</textarea><script>alert(6)</script>'\n", "outputs": [],
         "execution_count": None}])
    _notebook(base / "lessons", "02-plain.ipynb")
    build(base / "site", lessons=base / "lessons", offline=True)
    return base / "site"


def test_a_hostile_notebook_name_puts_no_attribute_in_the_index(hostile_site: Path) -> None:
    """Each lesson link on the index has its href and nothing else, and the hostile name's
    title is shown as text."""
    index = _Elements((hostile_site / "index.html").read_text(encoding="utf-8"))
    anchors = [attrs for tag, attrs in index.tags if tag == "a"]
    assert all(set(attrs) == {"href"} for attrs in anchors), anchors


def test_the_links_to_a_hostile_named_lesson_work(hostile_site: Path) -> None:
    """Served by a static server, every link of the index and the next/previous links of
    the lessons reach a page (200), the hostile-named lesson's page among them."""
    with served(hostile_site) as url:
        index = _Elements((hostile_site / "index.html").read_text(encoding="utf-8"))
        second = _Elements((hostile_site / "02-plain.html").read_text(encoding="utf-8"))
        hrefs = [h for h, _ in index.links + second.links if h.endswith(".html")]
        answers = {}
        for href in hrefs:
            with urllib.request.urlopen(urllib.parse.urljoin(url + "/", href), timeout=10) as r:
                answers[urllib.parse.unquote(href)] = r.status
    assert answers == {"01-say \"hi\" <b> & café.html": 200, "02-plain.html": 200,
                       "index.html": 200}


def test_hostile_text_in_a_notebook_is_shown_not_run(hostile_site: Path) -> None:
    """The lesson page's elements are only the page's own: no <img>, <iframe>, <b> or <i>
    from the notebook, no on... attribute, and its four scripts are the page's (import map,
    lesson data, module, notice), none running the notebook's text."""
    page = _Elements((hostile_site / '01-say "hi" <b> & café.html').read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.tags]
    handlers = [(tag, a) for tag, attrs in page.tags for a in attrs if a.startswith("on")]
    scripts = [attrs.get("type") or attrs.get("src") for tag, attrs in page.tags
               if tag == "script"]
    assert not {"img", "iframe", "b", "i"} & set(tags) and handlers == [], (tags, handlers)
    assert scripts == ["importmap", "application/json", "module", None]


def test_hostile_text_in_a_notebook_is_shown_as_text(hostile_site: Path) -> None:
    """The notebook's HTML reaches the reader as the characters it was written with."""
    text = (hostile_site / '01-say "hi" <b> & café.html').read_text(encoding="utf-8")
    assert all(shown in text for shown in (
        "&lt;img src=x onerror=alert(2)&gt;", "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>",
        "<em>&lt;i&gt;it&lt;/i&gt;</em>", "<code>&lt;code onclick=alert(3)&gt;</code>",
        "&lt;/pre&gt;&lt;script&gt;alert(4)&lt;/script&gt;",
        "&lt;/textarea&gt;&lt;script&gt;alert(6)&lt;/script&gt;"))


# -- the index's footer ----------------------------------------------------------------------

def test_the_index_names_the_python_inside_pyodide(previous_site: Path) -> None:
    """The footer says the CPython version that Pyodide's lock file gives, and Pyodide's."""
    lock = json.loads((previous_site / "pyodide" / "pyodide-lock.json").read_text("utf-8"))
    index = (previous_site / "index.html").read_text(encoding="utf-8")
    assert f"Python {lock['info']['python']} (Pyodide {fetch.PYODIDE_VERSION})" in index


# -- downloads that are not the pinned file ------------------------------------------------

CRELT = next(m.artifact for m in fetch.EDITOR if m.specifier == "crelt")
DAMAGED = b"half a download"
DAMAGED_SHA = hashlib.sha256(DAMAGED).hexdigest()


def test_offline_a_damaged_cache_file_is_named_damaged(tmp_path: Path) -> None:
    """--offline with the file in the cache but not the pinned one: the message says it is
    in the cache but damaged, with the file, both hashes and what to do."""
    (tmp_path / CRELT.filename).write_bytes(DAMAGED)
    with pytest.raises(fetch.FetchError) as e:
        fetch.fetch(CRELT, tmp_path, offline=True)
    assert (f"{tmp_path / CRELT.filename} is in the cache but damaged (SHA-256 mismatch: "
            f"expected {CRELT.sha256}, got {DAMAGED_SHA}); delete it") in str(e.value)


def test_offline_a_missing_cache_file_is_named_missing(tmp_path: Path) -> None:
    """--offline with the file absent: "not in the cache", naming the cache folder."""
    wanted = f"is not in the cache {tmp_path}; build once"
    with pytest.raises(fetch.FetchError, match=re.escape(wanted)):
        fetch.fetch(CRELT, tmp_path, offline=True)


def test_a_damaged_download_names_both_hashes_and_the_network(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A download whose bytes are not the pinned file (a captive portal's page): the message
    names the file, both hashes and says to check the network; nothing is kept."""
    monkeypatch.setattr(fetch.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(DAMAGED))
    with pytest.raises(fetch.FetchError) as e:
        fetch.fetch(CRELT, tmp_path)
    assert (f"the download of {CRELT.filename} from {CRELT.url} is not the pinned file "
            f"(SHA-256 mismatch: expected {CRELT.sha256}, got {DAMAGED_SHA}); check the "
            "network") in str(e.value)
    assert list(tmp_path.iterdir()) == []


# -- markdown in linear time ---------------------------------------------------------------

UNITS = ["**a ", "`a ", "[a](", "_a ", "*a "]  # the one that was quadratic last


@pytest.fixture(scope="module")
def conversion_seconds() -> dict[str, float]:
    """The CPU seconds markdown_html takes for a 1 MB paragraph of each unit repeated, in
    one child process, so that a quadratic converter ends at the timeout instead of hanging
    the suite (the units it did not reach are missing)."""
    code = ("import json, time; from scalargrad.workshop.lessons import markdown_html\n"
            f"for unit in {UNITS!r}:\n"
            "    text = unit * (1_000_000 // len(unit))\n"
            "    start = time.process_time(); markdown_html(text)\n"
            "    print(json.dumps([unit, time.process_time() - start]), flush=True)\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
    return dict(json.loads(line) for line in out.splitlines())


@pytest.mark.parametrize("unit", UNITS)
def test_a_megabyte_paragraph_converts_in_well_under_two_seconds(
        unit: str, conversion_seconds: dict[str, float]) -> None:
    """A 1 MB paragraph of one repeated opening mark converts in under 2 s of CPU time (the
    lazy italic regex took 10.7 s for 48 KB of `*a `: 1 MB did not finish in 60 s)."""
    assert conversion_seconds.get(unit, float("inf")) < 2.0, conversion_seconds
