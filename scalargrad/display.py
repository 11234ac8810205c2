"""Rich display in Jupyter: HTML and Markdown for the objects a learner looks at.

Jupyter asks an object for `_repr_html_`, `_repr_markdown_`, ... (IPython's display protocol)
and shows the richest answer. The classes in `value.py`, `trace.py`, `gradcheck.py` and `nn`
keep only one-line `_repr_*_` methods that call the renderers here, so every label goes
through the same two escapers: `escape_html` for HTML, `escape_markdown` (or `code_span`) for
Markdown. A label is user text: `x1*w1 + x2*w2` must stay literal, `<script>` must stay text.

Standard library only; nothing here is imported by the engine until a notebook asks.
"""

from __future__ import annotations

import base64
import html
import math
import os
import pathlib
import re
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:  # only for the annotations: no import cycle at run time
    from .gradcheck import GradcheckResult
    from .trace import GradientSum, GraphCheck, PathView, Trace
    from .value import Value

__all__ = [
    "SavedAnimation",
    "TextTable",
    "code_span",
    "escape_html",
    "escape_markdown",
    "html_table",
    "literal_markdown",
    "markdown_table",
]

# At most this many rows in one displayed table; the rest is counted, never silently dropped.
MAX_ROWS = 60

_STYLE = ("border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;"
          "font-size:12px")
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:{}"


# -- escaping ------------------------------------------------------------------------------------


def escape_html(text: Any) -> str:
    """`text` as HTML text: & < > " ' become entities, so no label is ever read as markup."""
    return html.escape(str(text), quote=True)


# Characters that mean something in Markdown (CommonMark, GitHub tables, Jupyter's $…$ math)
# wherever they stand in a line. Line-start markers (#, -, +, 1.) cannot occur: we never start
# a line with user text.
_MD_BACKSLASH = set("\\`*_[]|~$")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_markdown(text: Any) -> str:
    """`text` as literal Markdown inline text (safe inside a table cell too).

    Emphasis, code, links, table pipes, math and strike-through characters get a backslash;
    < > & become entities (so no HTML passes through); a line break becomes a space.
    """
    out = []
    for ch in re.sub(r"[\r\n]+", " ", str(text)):
        if ch in _MD_ENTITY:
            out.append(_MD_ENTITY[ch])
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def code_span(text: Any) -> str:
    """`text` as a Markdown code span, fenced with more backticks than any run inside it."""
    body = re.sub(r"[\r\n]+", " ", str(text))
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def literal_markdown(text: Any) -> str:
    """`text` shown literally: a code span, or escaped text if it holds < > & (which a code
    span would pass to the page as they are)."""
    return escape_markdown(text) if re.search(r"[<>&]", str(text)) else code_span(text)


# -- tables --------------------------------------------------------------------------------------


def _aligns(align: str | None, n: int) -> str:
    return (align or "l" * n).ljust(n, "l")


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str = "",
               align: str | None = None, footer: Sequence[str] = (),
               max_rows: int = MAX_ROWS) -> str:
    """An HTML table of escaped cells, with an escaped title above and notes below.

    `align` is one letter per column, "l" or "r"; rows past `max_rows` are counted in a note.
    """
    where = _aligns(align, len(header))
    side = {"l": "left", "r": "right"}
    out = ['<div class="scalargrad">']
    if title:
        out.append(f"<div style=\"font-weight:bold;margin-bottom:4px\">{escape_html(title)}</div>")
    out.append(f'<table style="{_STYLE}"><thead><tr>')
    out += [f'<th style="{_CELL.format(side[a])}">{escape_html(h)}</th>'
            for h, a in zip(header, where)]
    out.append("</tr></thead><tbody>")
    for row in rows[:max_rows]:
        out.append("<tr>" + "".join(f'<td style="{_CELL.format(side[a])}">{escape_html(c)}</td>'
                                    for c, a in zip(row, where)) + "</tr>")
    out.append("</tbody></table>")
    notes = list(footer)
    if len(rows) > max_rows:
        notes.insert(0, f"… {len(rows) - max_rows} more rows (print() shows them all)")
    out += [f'<div style="font-family:monospace;font-size:12px">{escape_html(n)}</div>'
            for n in notes]
    out.append("</div>")
    return "\n".join(out)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str = "",
                   align: str | None = None, footer: Sequence[str] = (),
                   max_rows: int = MAX_ROWS) -> str:
    """A GitHub-style Markdown table of escaped cells, with a title above and notes below."""
    where = _aligns(align, len(header))
    rule = {"l": ":---", "r": "---:"}
    out = []
    if title:
        out += [f"**{escape_markdown(title)}**", ""]
    out.append("| " + " | ".join(escape_markdown(h) for h in header) + " |")
    out.append("|" + "|".join(rule[a] for a in where) + "|")
    for row in rows[:max_rows]:
        out.append("| " + " | ".join(escape_markdown(c) for c in row) + " |")
    notes = list(footer)
    if len(rows) > max_rows:
        notes.insert(0, f"… {len(rows) - max_rows} more rows (print() shows them all)")
    if notes:
        out.append("")
        out += [f"- {literal_markdown(n)}" for n in notes]
    return "\n".join(out)


def _num(x: float, digits: int = 6) -> str:
    from .trace import format_number

    return format_number(x, digits)


def _status(ok: bool) -> str:
    return "✓ passed" if ok else "✗ FAILED"


# -- Value: a compact card -----------------------------------------------------------------------


def _value_fields(v: Value) -> list[tuple[str, str]]:
    op = v._op or "leaf"
    fields = [("data", _num(v.data)), ("grad", _num(v.grad)), ("op", op)]
    if v._prev:
        fields.append(("inputs", str(len(v._prev))))
    return fields


def value_html(v: Value) -> str:
    """A Value as a small card: its label (or "Value"), data, grad and the op that made it."""
    name = escape_html(v.label) if v.label else "<i>Value</i>"
    cells = "".join(f'<span style="margin-left:10px"><span style="color:#888">{k}</span> '
                    f"{escape_html(text)}</span>" for k, text in _value_fields(v))
    return ('<div class="scalargrad-value" style="display:inline-block;border:1px solid #bbb;'
            'border-radius:4px;padding:3px 8px;font-family:ui-monospace,Menlo,monospace;'
            f'font-size:12px"><b>{name}</b>{cells}</div>')


def value_markdown(v: Value) -> str:
    """A Value as one Markdown line: **label** data … grad … op …."""
    name = f"**{escape_markdown(v.label)}**" if v.label else "*Value*"
    return name + "".join(f" · {k} {literal_markdown(text)}" for k, text in _value_fields(v))


# -- Trace, GradientSum, PathView --------------------------------------------------------------


_TRACE_COLUMNS = ("node", "op", "data", "upstream", "input", "local grad", "downstream")
_TRACE_ALIGN = "llrrlrr"


def _trace_title(trace: Trace, digits: int) -> str:
    return (f"Backward pass from {trace.root_name}, seed upstream {_num(trace.seed, digits)} "
            "(downstream = upstream × local grad)")


# A notebook shows a trace whole up to this many rows (and sums); print() always shows all.
TRACE_ROWS = 400


def _trace_sums(trace: Trace, digits: int) -> list[str]:
    sums = [s.formula(digits) for s in trace.sums[:TRACE_ROWS]]
    if len(trace.sums) > TRACE_ROWS:
        sums.append(f"… {len(trace.sums) - TRACE_ROWS} more sums (print() shows them all)")
    return sums


def trace_html(trace: Trace, digits: int = 6) -> str:
    """The trace as an HTML table (one row per edge) and every gradient as a sum."""
    return html_table(_TRACE_COLUMNS, trace.rows(digits), title=_trace_title(trace, digits),
                      align=_TRACE_ALIGN, footer=_trace_sums(trace, digits), max_rows=TRACE_ROWS)


def trace_markdown(trace: Trace, digits: int = 6, max_rows: int | None = TRACE_ROWS) -> str:
    """The trace as a Markdown table and a list of sums, every label escaped."""
    rows = trace.rows(digits)
    limit = len(rows) if max_rows is None else max_rows
    sums = ([s.formula(digits) for s in trace.sums] if max_rows is None
            else _trace_sums(trace, digits))
    return markdown_table(_TRACE_COLUMNS, rows, title=_trace_title(trace, digits),
                          align=_TRACE_ALIGN, footer=sums, max_rows=limit)


def _sum_rows(s: GradientSum, digits: int) -> list[tuple[str, str]]:
    rows = []
    if s.before:
        rows.append(("(before this pass)", _num(s.before, digits)))
    if s.seed is not None:
        rows.append(("(seed)", _num(s.seed, digits)))
    rows += [(f"from {name}", _num(value, digits)) for name, value in s.terms]
    return rows


def gradient_sum_html(s: GradientSum, digits: int = 6) -> str:
    """A node's gradient: the formula, and each contribution it received."""
    return html_table(("contribution", "downstream"), _sum_rows(s, digits),
                      title=s.formula(digits), align="lr")


def gradient_sum_markdown(s: GradientSum, digits: int = 6) -> str:
    return markdown_table(("contribution", "downstream"), _sum_rows(s, digits),
                          title=s.formula(digits), align="lr")


def _path_rows(view: PathView, digits: int) -> list[tuple[str, str]]:
    rows = []
    for p in view.paths:
        walk = p.names[0] + "".join(f" →(×{_num(local, digits)}) {name}"
                                    for name, local in zip(p.names[1:], p.locals))
        rows.append((walk, _num(p.product, digits)))
    return rows


def _path_title(view: PathView) -> str:
    return (f"Paths from {view.leaf} to {view.root}: ∂{view.root}/∂{view.leaf} = sum over paths "
            "of the product of local gradients")


def _path_footer(view: PathView, digits: int) -> list[str]:
    # The text view's closing lines (the sum, truncation, or "no path") say it all.
    return view.to_text(digits).splitlines()[1 + len(view.paths):]


def path_view_html(view: PathView, digits: int = 6) -> str:
    """Every path leaf → root with its product, then their sum and the leaf's gradient."""
    return html_table(("path (×local gradient on each edge)", "product"), _path_rows(view, digits),
                      title=_path_title(view), align="lr", footer=_path_footer(view, digits))


def path_view_markdown(view: PathView, digits: int = 6) -> str:
    return markdown_table(("path (×local gradient on each edge)", "product"),
                          _path_rows(view, digits), title=_path_title(view), align="lr",
                          footer=_path_footer(view, digits))


# -- checks: GraphCheck, GradcheckResult -------------------------------------------------------


def _graph_check_parts(check: GraphCheck) -> tuple[str, list[tuple[str, ...]], list[str]]:
    rows: list[tuple[str, ...]] = []
    for c in check.leaves:
        rows.append(("leaf", c.name, "", _num(c.analytic), _num(c.numeric),
                     "ok" if c.ok else "MISMATCH"))
    for lc in check.locals:
        rows.append((f"local ({lc.op})", f"∂{lc.name}/∂{lc.input_name}", str(lc.position),
                     _num(lc.analytic), _num(lc.numeric), "ok" if lc.ok else "MISMATCH"))
    rows.sort(key=lambda r: r[-1] == "ok")  # mismatches first: they are what to look at
    leaves = f"{len(check.leaves)} {'leaf' if len(check.leaves) == 1 else 'leaves'}"
    title = (f"check_graph {_status(check.ok)}: {leaves}, {len(check.locals)} "
             f"local gradients (eps={check.eps:g}; ok when |engine − numeric| ≤ "
             f"{check.atol:g} + {check.rtol:g}·|numeric|)")
    notes = []
    if check.unchecked:
        notes.append("not checked independently (custom ops, or a dot with plain-number "
                     f"weights): {', '.join(check.unchecked)}")
    return title, rows, notes


_CHECK_HEADER = ("what", "gradient", "argument", "engine", "finite difference", "verdict")


def graph_check_html(check: GraphCheck) -> str:
    """check_graph's verdict: every leaf and local gradient, engine vs finite differences."""
    title, rows, notes = _graph_check_parts(check)
    return html_table(_CHECK_HEADER, rows, title=title, align="llrrrl", footer=notes)


def graph_check_markdown(check: GraphCheck) -> str:
    title, rows, notes = _graph_check_parts(check)
    return markdown_table(_CHECK_HEADER, rows, title=title, align="llrrrl", footer=notes)


def _gradcheck_parts(result: GradcheckResult) -> tuple[str, list[tuple[str, ...]]]:
    title = (f"gradcheck {_status(result.ok)} (eps={result.eps:g}, atol={result.atol:g}, "
             f"rtol={result.rtol:g}; ok when |engine − numeric| ≤ atol + rtol·|numeric|)")
    rows: list[tuple[str, ...]] = [
        (str(c.index), repr(c.at), repr(c.analytic), repr(c.numeric), f"{c.error:.3g}",
         "ok" if c.ok else "MISMATCH") for c in result.checks]
    return title, rows


_GRADCHECK_HEADER = ("input", "at", "engine", "finite difference", "|difference|", "verdict")


def gradcheck_html(result: GradcheckResult) -> str:
    """gradcheck's verdict: one row per input with both gradients."""
    title, rows = _gradcheck_parts(result)
    return html_table(_GRADCHECK_HEADER, rows, title=title, align="rrrrrl")


def gradcheck_markdown(result: GradcheckResult) -> str:
    title, rows = _gradcheck_parts(result)
    return markdown_table(_GRADCHECK_HEADER, rows, title=title, align="rrrrrl")


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
