"""How training shows itself: a History as a curve and a few rows, Module.summary() as a
table, a saved animation as the animation."""

from __future__ import annotations

import base64
import math
import os
import pathlib
from typing import (
    Any,
    Iterable,
    Sequence,
)

from scalargrad.see.display.tables import html_table, markdown_table
from scalargrad.see.text import escape_html, escape_markdown

# -- History (nn.fit): a curve and a few rows ----------------------------------------------------


def _finite(xs: Iterable[Any]) -> list[float]:
    return [float(x) for x in xs if isinstance(x, (int, float)) and math.isfinite(x)]


def sparkline_svg(values: Sequence[Any], *, width: int = 240, height: int = 48,
                  color: str = "#1f77b4", label: str = "") -> str:
    """A small inline SVG line of `values` (non-finite or missing ones skipped)."""
    pts = [(i, float(v)) for i, v in enumerate(values)
           if isinstance(v, (int, float)) and math.isfinite(v)]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span, n = (hi - lo) or 1.0, max(len(values) - 1, 1)
    xy = " ".join(f"{2 + i * (width - 4) / n:.1f},{height - 2 - (v - lo) * (height - 4) / span:.1f}"
                  for i, v in pts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="vertical-align:middle"><title>{escape_html(label)}</title>'
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{xy}"/></svg>')


def _history_rows(history: Any, count: int = 11) -> list[tuple[str, ...]]:
    n = len(history.step)
    picks = sorted({round(k * (n - 1) / (count - 1)) for k in range(count)}) if n else []
    rows: list[tuple[str, ...]] = []
    for i in picks:
        acc = history.accuracy[i] if i < len(history.accuracy) else None
        lr = history.lr[i] if i < len(history.lr) else None
        rows.append((str(history.step[i]), f"{history.loss[i]:.6g}",
                     "" if acc is None else f"{acc:.1%}", "" if lr is None else f"{lr:.4g}"))
    return rows


def history_html(history: Any) -> str:
    """A training history: the loss (and accuracy) curves, and every tenth of the steps."""
    title = repr(history)
    if not history.step:
        return f"<div>{escape_html(title)}</div>"
    curves = [sparkline_svg(history.loss, label="loss"), "loss"]
    acc = _finite(a for a in history.accuracy if a is not None)
    if len(acc) >= 2:
        curves += [sparkline_svg(acc, color="#2ca02c", label="accuracy"), "accuracy"]
    pics = "".join(f"<span style=\"margin-right:12px\">{svg} "
                   f"<span style=\"font-size:11px;color:#666\">{name}</span></span>"
                   for svg, name in zip(curves[::2], curves[1::2]))
    table = html_table(("step", "loss", "accuracy", "lr"), _history_rows(history),
                       title=title, align="rrrr")
    return f"<div>{pics}</div>\n{table}"


def history_markdown(history: Any) -> str:
    if not history.step:
        return escape_markdown(repr(history))
    return markdown_table(("step", "loss", "accuracy", "lr"), _history_rows(history),
                          title=repr(history), align="rrrr")


# -- text that is also a table: Module.summary() -------------------------------------------------


class TextTable(str):
    """A str (the plain-text table, as before) that a notebook shows as an HTML table.

    `print(t)`, `t.splitlines()`, `"x" in t` and `t == "..."` behave as for the string;
    `repr(t)` is the text itself, so a notebook never shows it with \\n escapes.
    """

    heading: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str

    def __new__(cls, text: str, *, heading: str, header: Sequence[str],
                rows: Sequence[Sequence[str]], align: str = "") -> TextTable:
        self = super().__new__(cls, text)
        self.heading, self.header, self.align = heading, tuple(header), align
        self.rows = tuple(tuple(r) for r in rows)
        return self

    def __repr__(self) -> str:
        return str.__str__(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's plain-text view
        p.text(str.__str__(self))

    def _repr_html_(self) -> str:
        return html_table(self.header, self.rows, title=self.heading, align=self.align)

    def _repr_markdown_(self) -> str:
        return markdown_table(self.header, self.rows, title=self.heading, align=self.align)


# -- a saved animation that shows itself ---------------------------------------------------------


class SavedAnimation(type(pathlib.Path())):  # type: ignore[misc]  # PosixPath or WindowsPath
    """The path of a written GIF or PNG; in a notebook it shows the image itself, inline.

    It is a `pathlib.Path` (so an `os.PathLike` and `str(p)` is the path): code that used the
    returned path keeps working.
    """

    _MIME = {".gif": "image/gif", ".png": "image/png", ".svg": "image/svg+xml"}

    def _repr_html_(self) -> str | None:
        mime = self._MIME.get(self.suffix.lower())
        if mime is None or not self.is_file():
            return None
        data = base64.b64encode(self.read_bytes()).decode("ascii")
        return (f'<figure style="margin:0"><img src="data:{mime};base64,{data}" '
                f'alt="{escape_html(os.fspath(self))}"/><figcaption style="font-size:11px;'
                f'color:#666">{escape_html(os.fspath(self))}</figcaption></figure>')

    def _repr_png_(self) -> bytes | None:
        return self.read_bytes() if self.suffix.lower() == ".png" and self.is_file() else None
