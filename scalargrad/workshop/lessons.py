"""The workshop's notebooks as lesson pages: the same cells, as editable code and prose.

The notebooks (`notebooks/*.ipynb`, written by `notebooks/generate.py`) are the one source:
each markdown cell becomes prose, each code cell an editable cell with its id, so the page and
the notebook cannot drift apart. Markdown is turned into HTML here with every character of
the source escaped first; only the few forms the lessons use are rendered (headings,
paragraphs, lists, emphasis, code spans and fenced code).
"""

from __future__ import annotations

import html
import json
import os
import re
import sysconfig
from itertools import chain, repeat
from pathlib import Path
from typing import Any, NamedTuple


class Cell(NamedTuple):
    id: str
    kind: str  # "markdown" or "code"
    source: str
    tags: tuple[str, ...] = ()


class Lesson(NamedTuple):
    slug: str  # the notebook's file name without .ipynb
    title: str
    cells: tuple[Cell, ...]
    optional: bool = False  # the lesson says so (see `is_optional`)

    @property
    def number(self) -> str:
        """The lesson's number as its file name gives it ("01" for 01-a-program-is-a-graph)."""
        return self.slug.split("-", 1)[0]

    @property
    def short_title(self) -> str:
        """The title without a leading "Step N —" or "Lesson N (optional) —" (the index
        numbers the lessons, and marks the optional ones, itself)."""
        return re.sub(r"^(Step|Lesson)\s+\d+\s*(\(optional\))?\s*[—–:-]\s*", "", self.title,
                      flags=re.IGNORECASE)


def notebooks_folder() -> Path:
    """The notebooks: the checkout's `notebooks/` beside the package, or the installed copy."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    if here.is_dir() and any(here.glob("*.ipynb")):
        return here
    for scheme in sysconfig.get_scheme_names():
        try:
            data = Path(sysconfig.get_path("data", scheme))
        except KeyError:
            continue
        installed = data / "share" / "scalargrad-autodiff" / "notebooks"
        if installed.is_dir() and any(installed.glob("*.ipynb")):
            return installed
    raise FileNotFoundError("the workshop notebooks are not here: pass --lessons "
                            "path/to/notebooks (the notebooks/ folder of scalargrad's source)")


class NotebookError(ValueError):
    """A lesson notebook that cannot be read as one: the message names the file (and the
    cell) and what was wrong."""


def read_lessons(folder: Path) -> list[Lesson]:
    """Every notebook in `folder`, in file-name order (01-..., 02-..., ...)."""
    lessons = [read_lesson(path) for path in sorted(folder.glob("[0-9]*.ipynb"))]
    if not lessons:
        raise FileNotFoundError(f"no lesson notebooks (NN-name.ipynb) in {folder}")
    return lessons


CELL_TYPES = ("markdown", "code", "raw")


def read_lesson(path: Path) -> Lesson:
    """One notebook as a lesson; NotebookError (naming the file and cell) if it is not one."""
    _check_name(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise NotebookError(f"{path} is not a notebook: not UTF-8 text (byte {e.start})") from e
    except OSError as e:
        raise NotebookError(f"cannot read the notebook {path}: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise NotebookError(f"{path} is not a notebook: not valid JSON (line {e.lineno}, "
                            f"column {e.colno}: {e.msg})") from e
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(f'{path} is not a notebook: it has no "cells" list (a .ipynb file '
                            'is a JSON object with "cells": [...])')
    if not isinstance(notebook.get("metadata", {}), dict):
        raise NotebookError(f'{path}: its "metadata" is not a JSON object')
    cells = []
    for k, cell in enumerate(notebook["cells"]):
        cells.append(_read_cell(path, k, cell))
    title = next((line.lstrip("#").strip() for c in cells if c.kind == "markdown"
                  for line in c.source.splitlines() if line.startswith("# ")), path.stem)
    return Lesson(path.stem, title, tuple(cells), is_optional(notebook, title))


def _read_cell(path: Path, k: int, cell: Any) -> Cell:
    where = f"{path}: cell {k} (counting from 0)"
    if not isinstance(cell, dict):
        raise NotebookError(f"{where} is a {type(cell).__name__}, not a JSON object")
    kind = cell.get("cell_type")
    if kind not in CELL_TYPES:
        said = "has no cell_type" if kind is None else f"has the cell_type {kind!r}"
        raise NotebookError(f"{where} {said}; expected one of {', '.join(CELL_TYPES)}")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    elif not isinstance(source, str):
        raise NotebookError(f"{where}: its source is a {type(source).__name__}, expected a "
                            "string or a list of strings")
    metadata = cell.get("metadata", {})
    tags = metadata.get("tags", []) if isinstance(metadata, dict) else None
    if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise NotebookError(f"{where}: its metadata is not a JSON object with a list of "
                            "strings as tags")
    ident = cell.get("id") or f"cell-{k}"
    if not isinstance(ident, str):
        raise NotebookError(f"{where}: its id is a {type(ident).__name__}, expected a string")
    for what, text in (("source", source), ("id", ident), *(("tag", t) for t in tags)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise NotebookError(f"{where}: its {what} holds {text[e.start]!r}, a lone "
                                "surrogate that no page can carry (an unpaired \\ud8xx or "
                                "\\udcxx escape in the JSON)") from e
    return Cell(ident, kind, source, tuple(tags))


def _check_name(path: Path) -> None:
    """A notebook's file name becomes a page's file name and a link: it must be text."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NotebookError(f"{os.fsencode(path)!r}: a lesson's file name must be UTF-8 text "
                            "(rename the notebook)") from e
    if any(ch < " " or ch == "\x7f" for ch in path.name):
        raise NotebookError(f"{path.name!r} in {path.parent}: a lesson's file name must not "
                            "hold control characters such as a line break (rename the notebook)")


def is_optional(notebook: dict[str, Any], title: str) -> bool:
    """Whether a lesson is marked optional: its title says "optional" (as in "Step 9
    (optional) — ..."), the notebook's metadata has the tag "optional", or the first line
    after the title starts with "Optional" (e.g. "*Optional:* for those who ...")."""
    if re.search(r"\boptional\b", title, re.IGNORECASE):
        return True
    if "optional" in notebook.get("metadata", {}).get("tags", ()):
        return True
    for cell in notebook.get("cells", [])[:1]:
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
        after = [line for line in lines if line.strip() and not line.startswith("# ")][:1]
        if after and re.match(r"[*_>\s]*optional\b", after[0], re.IGNORECASE):
            return True
    return False


# -- markdown, escaped ---------------------------------------------------------------------

# Bold and italics keep their lazy regexes, used so that they stay linear in the text (a
# paragraph of thousands of `*a ` must not cost thousands of scans to its end):
# - a ** the bold regex cannot close has no ** after it on its line, so at most three
#   attempts scan to the end of a line, and matches do not overlap;
# - the italic regex is given only a line's text up to its last closing * (_LAST_CLOSE): an
#   opening * before it always closes, and one after it never does, so no attempt fails
#   after a long scan (on the whole line, each of thousands of unclosed * scanned to its end).
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_LAST_CLOSE = re.compile(r".*(?<!\s)\*(?![\w*])")


def _wrap(pattern: re.Pattern[str], text: str, tag: str) -> str:
    """Each match of `pattern` in `text` as <tag>its group</tag>, the text between
    kept (split and joined rather than re.sub: no Python call per match)."""
    parts = pattern.split(text)  # text, group, text, group, ..., text
    if len(parts) == 1:
        return text
    pieces = zip(parts[0::2], repeat(f"<{tag}>"), parts[1::2], repeat(f"</{tag}>"))
    return "".join(chain.from_iterable(pieces)) + parts[-1]


def _italic(line: str) -> str:
    """*x* as <em>x</em> in one line (no line break in it)."""
    last = _LAST_CLOSE.match(line)
    if not last:
        return line
    return _wrap(_ITALIC, line[:last.end()], "em") + line[last.end():]


def _emphasis(text: str) -> str:
    """Bold (**x**), then italics (*x*), each within a line."""
    if "*" not in text:
        return text
    return "\n".join(map(_italic, _wrap(_BOLD, text, "strong").split("\n")))


def _inline(text: str) -> str:
    """Escape `text`, then render code spans, bold and italics (not inside code spans)."""
    parts = _CODE.split(text)  # text, code, text, code, ..., text
    parts[0::2] = [_emphasis(html.escape(part)) for part in parts[0::2]]
    parts[1::2] = [f"<code>{html.escape(code)}</code>" for code in parts[1::2]]
    return "".join(parts)


def markdown_html(source: str) -> str:
    """The lesson's markdown as HTML: every character escaped, a few forms rendered."""
    out: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(body))}</code></pre>")
            continue
        heading = re.match(r"(#{1,4}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if re.match(r"\s*([-*]|\d+\.) ", line):
            ordered = bool(re.match(r"\s*\d+\. ", line))
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                item = re.match(r"\s*(?:[-*]|\d+\.) (.*)", lines[i])
                if item:
                    items.append(item.group(1))
                elif items:
                    items[-1] += " " + lines[i].strip()
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(t)}</li>" for t in items) + f"</{tag}>")
            continue
        block = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(("```", "#")):
            block.append(lines[i])
            i += 1
        if all(b.startswith("  ") for b in block):  # an indented formula or example
            out.append(f'<pre class="formula">{html.escape(chr(10).join(b[2:] for b in block))}'
                       "</pre>")
        else:
            out.append(f"<p>{_inline(' '.join(b.strip() for b in block))}</p>")
    return "\n".join(out)


def lesson_json(lesson: Lesson) -> dict[str, Any]:
    """What the page's script reads: the lesson's cells with their original sources."""
    return {"slug": lesson.slug, "title": lesson.title,
            "cells": [{"id": c.id, "kind": c.kind, "source": c.source, "tags": list(c.tags)}
                      for c in lesson.cells]}
