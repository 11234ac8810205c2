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
import re
import sysconfig
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


def read_lessons(folder: Path) -> list[Lesson]:
    """Every notebook in `folder`, in file-name order (01-..., 02-..., ...)."""
    lessons = [read_lesson(path) for path in sorted(folder.glob("[0-9]*.ipynb"))]
    if not lessons:
        raise FileNotFoundError(f"no lesson notebooks (NN-name.ipynb) in {folder}")
    return lessons


def read_lesson(path: Path) -> Lesson:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for k, cell in enumerate(notebook.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        tags = tuple(cell.get("metadata", {}).get("tags", ()))
        cells.append(Cell(str(cell.get("id") or f"cell-{k}"), cell["cell_type"], source, tags))
    title = next((line.lstrip("#").strip() for c in cells if c.kind == "markdown"
                  for line in c.source.splitlines() if line.startswith("# ")), path.stem)
    return Lesson(path.stem, title, tuple(cells), is_optional(notebook, title))


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

_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
)


def _inline(text: str) -> str:
    """Escape `text`, then render code spans, bold and italics (not inside code spans)."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        piece = html.escape(part)
        for pattern, replacement in _INLINE:
            piece = pattern.sub(replacement, piece)
        out.append(piece)
    return "".join(out)


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
