"""Build the zero-install workshop: a static folder of lesson pages running the real engine.

    DIR/index.html            the lessons, with what the site needs and what it carries
    DIR/NN-name.html          one page per notebook: prose and editable, runnable code cells
    DIR/lesson.js, editor.js, outputs.js, check.js, lesson.css, worker.js
                              the page's script (Python runs in worker.js; check.js checks
                              the site's files against manifest.json)
    DIR/editor/               CodeMirror 6 and the Lezer parser (the code cells' editor), from
                              npm, one ES module per package, named by the page's import map
    DIR/pyodide/              Pyodide's core (CPython compiled to WebAssembly), from npm
    DIR/viz/viz.js            Graphviz compiled to WebAssembly (draws draw_dot's graphs)
    DIR/py/                   scalargrad, nn, exercises and demos as a zip; graphviz's wheel
    DIR/LICENCES/             the licence text of every piece, and which piece has which
    DIR/manifest.json         versions, SHA-256 and sizes of everything above

A static web server serves the folder (`scalargrad-workshop serve DIR`, or another that sends
`.mjs` as JavaScript and `.wasm` as application/wasm: docs/workshop.md gives nginx and Caddy
configurations); nothing in it is fetched from another host. A rebuild into DIR replaces only the
files the previous build wrote (its manifest.json lists them) and keeps every other file.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import shutil
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

import scalargrad
from scalargrad.see.pages import page as pages
from scalargrad.workshop import fetch, target
from scalargrad.workshop.lessons import (
    Lesson,
    NotebookError,
    lesson_json,
    markdown_html,
    notebooks_folder,
    read_lessons,
)
from scalargrad.workshop.target import BuildError

ASSETS = Path(__file__).with_name("assets")
PACKAGES = ("scalargrad", "nn", "exercises", "demos")
# Which licence covers which piece (SPDX ids; the texts come from the pinned SPDX list).
PIECES = (
    ("scalargrad, nn, exercises, demos", "MIT", "this project"),
    ("Pyodide " + fetch.PYODIDE_VERSION, "MPL-2.0", "pyodide/"),
    ("CPython and its standard library (inside Pyodide)", "Python-2.0", "pyodide/"),
    ("Viz.js 3.31.0", "MIT", "viz/viz.js"),
    ("Graphviz (compiled into Viz.js)", "EPL-1.0", "viz/viz.js"),
    ("graphviz (Python package) 0.20.3", "MIT", "py/graphviz.whl"),
    ("CodeMirror 6 and Lezer (the code editor; each package's own LICENSE is in "
     "LICENCES/editor/)", "MIT", "editor/"),
)
SCRIPTS = ("lesson.js", "editor.js", "outputs.js", "check.js", "worker.js", "lesson.css")
# Said at once by a page opened from disk (file://), where a browser runs no Python: a
# classic inline script (allowed by its hash) runs there even though the modules cannot.
BOOT = """(function () {
  var root = document.documentElement;
  function say(text, state) {
    var p = document.createElement("p");
    p.className = "served";
    p.setAttribute("role", "alert");
    p.textContent = text;
    document.body.insertBefore(p, document.body.firstChild);
    var status = document.getElementById("status");
    if (status) { status.textContent = state; status.dataset.state = "failed"; }
    root.dataset.state = "error";
  }
  if (location.protocol === "file:") {
    say("This page was opened from a file, and a browser runs no Python from a file:// page: "
      + "the site must be served. In a terminal, in the folder that holds index.html, run "
      + "python3 -m http.server 8000 and open localhost:8000 in the browser (in scalargrad's "
      + "checkout: make serve; with scalargrad installed: scalargrad-workshop serve FOLDER). "
      + "Another static web server will do if it sends .mjs files as JavaScript and .wasm "
      + "as application/wasm (docs/workshop.md, Serving a room).",
      "Not served: Python cannot start from a file (see above)");
    return;
  }
  var module = document.querySelector("script[type=module]");
  if (module) module.addEventListener("error", function () {
    say("The page's script could not be loaded: reload the page; if it stays, the site's "
      + "files are incomplete (copy the whole folder again).", "The page's script did not load");
  });
  setTimeout(function () {
    if (module && !root.dataset.state) say("The page's script has not started after 20 s: this "
      + "browser may be too old (it needs JavaScript modules and import maps: a recent Chrome, "
      + "Edge, Firefox or Safari).", "The page's script did not start");
  }, 20000);
})();"""


def build(out: Path, *, cache: Path | None = None, source: Path | None = None,
          offline: bool = False, lessons: Path | None = None) -> dict[str, Any]:
    """Write the site into `out`; its manifest. `out` is a new folder, an empty one, or one
    holding a previous build: the new site replaces the files the previous one wrote (its
    manifest.json lists them), and every other file in the folder is kept. The site is
    written beside `out` first and then put in its place, so a build that fails changes
    nothing; a mount point (a USB stick's root), which cannot be replaced, is updated in place.
    BuildError (nothing lost) when the folder cannot take the site."""
    cache = cache or fetch.default_cache()
    if out.is_symlink():
        out = out.resolve()
    previous = target.previous_build(out)
    got = {a.filename: fetch.fetch(a, cache, source, offline) for a in fetch.ALL}
    try:
        all_lessons = read_lessons(lessons or notebooks_folder())
    except NotebookError as e:
        raise BuildError(f"{e}; nothing was changed") from e
    in_place = out.is_dir() and (os.path.ismount(out) or (
        not target.writable(out.parent) and target.writable(out)))
    stage = target.stage(out, in_place)
    try:
        manifest = _write_site(stage, got, all_lessons)
        foreign = target.foreign_files(out, previous, manifest,
                                       skip=stage.name if in_place else None)
    except BaseException as e:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(e, OSError):
            raise BuildError(f"could not build the site ({e}); nothing in {out} was "
                             "changed") from e
        raise
    if in_place:
        target.update_in_place(stage, out, previous, manifest)
    else:
        target.swap(stage, out, foreign)
    return manifest


def _write_site(out: Path, got: dict[str, Path], all_lessons: list[Lesson]) -> dict[str, Any]:
    """Every file of the site, written into the empty folder `out`; the manifest."""
    fetch.extract(got[fetch.PYODIDE.filename], fetch.PYODIDE_FILES, out / "pyodide")
    python = json.loads((out / "pyodide" / "pyodide-lock.json").read_text(
        encoding="utf-8"))["info"]["python"]
    fetch.extract(got[fetch.VIZ.filename], fetch.VIZ_FILES, out / "viz")
    (out / "py").mkdir()
    shutil.copyfile(got[fetch.GRAPHVIZ_PY.filename], out / "py" / "graphviz.whl")
    _zip_packages(out / "py" / "scalargrad.zip")
    for name in SCRIPTS:
        shutil.copyfile(ASSETS / name, out / name)
    for module in fetch.EDITOR:
        tgz = got[module.artifact.filename]
        (out / module.path).parent.mkdir(exist_ok=True)
        (out / module.path).write_bytes(fetch.read_member(tgz, module.module))
    _licences(got[fetch.LICENCES.filename], out / "LICENCES")
    (out / "LICENCES" / "editor").mkdir()
    for module in fetch.EDITOR:
        name = module.specifier.lstrip("@").replace("/", "-")
        (out / "LICENCES" / "editor" / f"{name}-LICENSE.txt").write_bytes(
            fetch.read_member(got[module.artifact.filename], "LICENSE"))
    for lesson in all_lessons:
        (out / f"{lesson.slug}.html").write_text(lesson_page(lesson, all_lessons),
                                                 encoding="utf-8")
    (out / "index.html").write_text(index_page(all_lessons, python), encoding="utf-8")
    manifest = _manifest(out, all_lessons, python)
    target.write_json(out / "manifest.json", manifest)
    return manifest


def _zip_packages(path: Path) -> None:
    """The project's pure-Python packages, as installed or checked out, source files only."""
    here = Path(scalargrad.__file__).resolve().parent.parent
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in PACKAGES:
            folder = here / package
            for file in sorted(folder.rglob("*")):
                if "__pycache__" in file.parts or not file.is_file():
                    continue
                if file.suffix in (".pyc", ".pyo"):
                    continue
                info = zipfile.ZipInfo(str(file.relative_to(here)), (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, file.read_bytes())


def _licences(spdx_tgz: Path, folder: Path) -> None:
    folder.mkdir()
    for spdx in sorted({spdx for _, spdx, _ in PIECES}):
        entry = json.loads(fetch.read_member(spdx_tgz, f"licenses/{spdx}.json"))
        (folder / f"{spdx}.txt").write_text(entry["licenseText"], encoding="utf-8")
    own = Path(scalargrad.__file__).resolve().parents[1] / "LICENSE"  # in a checkout
    if own.is_file():
        shutil.copyfile(own, folder / "scalargrad-LICENSE.txt")
    lines = ["What this site carries, and under which licence (the text is in SPDX-ID.txt):", ""]
    lines += [f"- {what} ({where}): {spdx}" for what, spdx, where in PIECES]
    (folder / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_map() -> str:
    """The page's import map: each editor package's name -> its one module in editor/."""
    imports = {m.specifier: "./" + m.path for m in fetch.EDITOR}
    return json.dumps({"imports": imports}, indent=1)


def _hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def csp() -> str:
    """The lesson page's policy: its own files only; WebAssembly for Viz.js; no other host.
    The stepper's and the replay's scripts run in sandboxed frames of the page, and a frame
    made from srcdoc keeps the page's policy: they are allowed by their hashes, as are the
    page's import map and its file:// notice (BOOT)."""
    players = " ".join(pages.script_hash(pages.player_script(kind))
                       for kind in ("backprop", "replay"))
    return ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' "
            + players + f" {_hash(import_map())} {_hash(BOOT)}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; "
            "frame-src 'self' about: data:; object-src 'none'; base-uri 'none'; "
            "form-action 'none'")


def _head(title: str, modules: bool = False) -> str:
    imports = f'<script type="importmap">{import_map()}</script>\n' if modules else ""
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp())}">\n'
            f"<title>{html.escape(title)}</title>\n"
            f'<link rel="icon" href="data:,">\n'
            f'<link rel="stylesheet" href="lesson.css">\n{imports}</head>\n')


KEYS = ("Keys in a code cell: <kbd>Shift</kbd>+<kbd>Enter</kbd> runs it and moves to the next "
        "cell, <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs it in place, <kbd>Tab</kbd> indents, and "
        "<kbd>Esc</kbd> then <kbd>Tab</kbd> leaves the editor.")


def lesson_page(lesson: Lesson, all_lessons: list[Lesson]) -> str:
    """One lesson as a page: prose, and a cell (code, Run, output) per code cell."""
    body = [f'<p class="keys-note">{KEYS}</p>']
    number = 0
    for cell in lesson.cells:
        if cell.kind == "markdown":
            body.append(f'<section class="prose">{markdown_html(cell.source)}</section>')
        elif cell.kind == "code":
            number += 1
            desktop = "desktop-only" in cell.tags
            note = ('<p class="note"><strong>Desktop only</strong>: this cell needs what the '
                    "browser workshop does not carry (matplotlib, or files and programs of "
                    'your own computer). "Run all" passes over it; in Jupyter on a computer '
                    "with scalargrad installed it runs.</p>") if desktop else ""
            mark = ' data-desktop-only=""' if desktop else ""
            ident = html.escape(cell.id)
            body.append(f'<section class="cell" data-cell="{ident}" data-number="{number}"'
                        f'{mark} aria-label="Code cell {number}"><div class="bar"></div>'
                        f'{note}<textarea spellcheck="false" aria-label="Code of cell {number}">'
                        f"{html.escape(cell.source)}</textarea>"
                        '<div class="out"></div></section>')
    index = [lesson.slug for lesson in all_lessons].index(lesson.slug)
    nav = ['<a href="index.html">All lessons</a>']
    if index > 0:
        nav.append(f'<a href="{_href(all_lessons[index - 1])}">← previous</a>')
    if index + 1 < len(all_lessons):
        nav.append(f'<a href="{_href(all_lessons[index + 1])}">next →</a>')
    return (_head(lesson.title, modules=True) + '<body>\n<header><nav aria-label="Lessons">'
            + " ".join(nav) + "</nav>"
            + f'<span class="title">{html.escape(lesson.number)} · '
            f'{html.escape(lesson.short_title)}{" (optional)" if lesson.optional else ""}</span>'
            '<span id="tools"></span><span id="status" role="status" aria-live="polite" '
            'data-state="loading">Loading the page…</span></header>\n<main>\n'
            + "\n".join(body) + "\n</main>\n"
            f'<script type="application/json" id="lesson">'
            f"{pages.json_for_script(lesson_json(lesson))}</script>\n"
            '<script type="module" src="lesson.js"></script>\n'
            f"<script>{BOOT}</script>\n</body>\n</html>\n")


def _href(lesson: Lesson) -> str:
    """The link to a lesson's page, whatever its file name holds (", <, &, spaces, é)."""
    return html.escape(urllib.parse.quote(f"{lesson.slug}.html"))


def index_page(all_lessons: list[Lesson], python: str) -> str:
    """The list of lessons, and what the site carries (`python`: the version of CPython
    inside Pyodide)."""
    items = "\n".join(
        f'<li><span class="num">{html.escape(lesson.number)}</span> '
        f'<a href="{_href(lesson)}">{html.escape(lesson.short_title)}</a>'
        + (' <span class="optional">(optional)</span>' if lesson.optional else "") + "</li>"
        for lesson in all_lessons)
    return (_head("scalargrad workshop") + "<body>\n<main class=\"prose\">\n"
            "<h1>scalargrad workshop</h1>\n"
            "<p>Each lesson is a page of prose and code cells that run the real scalargrad "
            "engine in your browser (Python compiled to WebAssembly). Nothing to install: edit a "
            "cell, press Run (or Shift+Enter). Your edits stay in this browser; download them "
            "as a .py or .ipynb file from the lesson's toolbar.</p>\n"
            f'<ul class="lessons">\n{items}\n</ul>\n'
            "<p>The lessons marked optional go further; the others build on one another, "
            "in order.</p>\n"
            f"<p>Python {html.escape(python)} (Pyodide {html.escape(fetch.PYODIDE_VERSION)}), "
            f"scalargrad {html.escape(scalargrad.__version__)}. Licences: "
            '<a href="LICENCES/README.txt">LICENCES/</a>.</p>\n</main>\n'
            f"<script>{BOOT}</script>\n</body>\n</html>\n")


def _manifest(out: Path, all_lessons: list[Lesson], python: str) -> dict[str, Any]:
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            files[path.relative_to(out).as_posix()] = {
                "bytes": path.stat().st_size,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {"scalargrad": scalargrad.__version__, "pyodide": fetch.PYODIDE_VERSION,
            "python": python,
            "fetched": {a.filename: {"url": a.url, "sha256": a.sha256} for a in fetch.ALL},
            "lessons": [lesson.slug for lesson in all_lessons],
            "bytes": sum(f["bytes"] for f in files.values()), "files": files}
