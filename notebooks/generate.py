"""Build the workshop notebooks from the lesson texts: `python notebooks/generate.py`.

Each lesson is one text file, `notebooks/NN-name.md`, in MyST Markdown as jupytext reads it:
prose as Markdown, code as ```` ```{code-cell} ipython3 ```` blocks. A teacher edits the `.md`
and runs this program; it writes `NN-name.ipynb` beside it, without outputs and with stable
cell ids, so regenerating an unchanged lesson changes nothing (tests/test_notebooks.py holds
that, and runs every notebook in a kernel). `--check` writes nothing and lists the notebooks
that are out of date. The browser workshop's pages are made from the
`.ipynb` files.

An exercise cell in a lesson is a placeholder, a code cell tagged `exercise` whose one line
names the exercise:

    ```{code-cell} ipython3
    :tags: [exercise]

    # exercise: reciprocal
    ```

It becomes the exercise's own stub, read from `exercises/workbook.py`, followed by a
`check("reciprocal", reciprocal)` call that prints the same verdict as `python -m exercises`;
so the notebooks always ask exactly what the workbook asks.

Cell tags say what a cell's output must be, and the tests hold the notebooks to it:
  rich-display   the cell shows a scalargrad object: HTML (or Markdown), never only text
  figure         the cell shows a picture: PNG, SVG or HTML, never "<Figure ...>" text
  desktop-only   the cell needs what the browser workshop lacks (matplotlib's GIF writer):
                 the workshop page shows it with a note and "Run all" passes over it
  exercise       an exercise placeholder, expanded as above
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
WORKBOOK = HERE.parent / "exercises" / "workbook.py"
TAGS = ("rich-display", "figure", "desktop-only", "exercise")
PLACEHOLDER = re.compile(r"#\s*exercise:\s*([A-Za-z_][A-Za-z0-9_]*)")


def lessons() -> list[Path]:
    """The lesson texts, in their order: notebooks/01-....md, 02-....md, ..."""
    return sorted(HERE.glob("[0-9]*.md"))


def _stub(name: str) -> str:
    """The workbook's own text for exercise `name`: a function, or a number with its question."""
    source = WORKBOOK.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node) or ""
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name):
            start = node.lineno - 1
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1
            return "\n".join(lines[start:node.end_lineno])
    raise KeyError(f"exercise {name!r} is not in {WORKBOOK}: a lesson's `# exercise: NAME` "
                   "must name a function or a question of the workbook")


def exercise_source(name: str) -> str:
    """An exercise cell's code: the workbook's stub, and the checker's call under it."""
    return f"{_stub(name)}\n\ncheck({name!r}, {name})"


def _cell(cell: Any, where: str) -> Any:
    """One cell of the notebook, from the lesson's cell: its text and tags, nothing else."""
    source = cell.source.strip("\n")
    if cell.cell_type == "markdown":
        return new_markdown_cell(source)
    tags = list(cell.metadata.get("tags", []))
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        raise ValueError(f"{where}: unknown tag(s) {unknown}; a cell's tags are among {TAGS}")
    if "exercise" in tags:
        match = PLACEHOLDER.fullmatch(source.strip())
        if match is None:
            raise ValueError(f"{where}: a cell tagged `exercise` holds one line, "
                             f"`# exercise: NAME`, not {source[:60]!r}")
        source = exercise_source(match.group(1))
    out = new_code_cell(source)
    if tags:
        out.metadata["tags"] = tags
    return out


def build(lesson: Path) -> Any:
    """The notebook of the lesson text `lesson` (a .md path), without outputs."""
    import jupytext

    text = jupytext.read(lesson, fmt="md:myst")
    cells = [_cell(c, f"{lesson.name} cell {i}") for i, c in enumerate(text.cells)
             if c.cell_type in ("markdown", "code") and c.source.strip()]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids, so regenerating changes nothing
        cell["id"] = f"{lesson.name[:2]}-{i:02d}"
    return nb


def render(lesson: Path) -> str:
    """The text of the .ipynb file for `lesson`."""
    return nbformat.writes(build(lesson)) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every lesson's notebook; with --check, write nothing and list those out of date."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for lesson in lessons():
        target = lesson.with_suffix(".ipynb")
        text = render(lesson)
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
            continue
        target.write_text(text, encoding="utf-8")
        print(f"wrote notebooks/{target.name}")
    orphans = sorted(nb.name for nb in HERE.glob("[0-9]*.ipynb")
                     if not nb.with_suffix(".md").exists())
    for name in stale:
        print(f"notebooks/{name} is out of date: run python notebooks/generate.py")
    for name in orphans:
        print(f"notebooks/{name} has no lesson text {Path(name).stem}.md: delete it or add one")
    return 1 if stale or orphans else 0


if __name__ == "__main__":
    sys.exit(main())
