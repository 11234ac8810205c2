"""HTML and Markdown tables, the building block of every rich display."""

from __future__ import annotations

from typing import (
    Any,
    Sequence,
)

from scalargrad.see.text import escape_html, escape_markdown, literal_markdown

MAX_ROWS = 60

_STYLE = ("border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;"
          "font-size:12px")
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:{}"


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
    from scalargrad.see.text import format_number  # noqa: PLC0415

    return format_number(x, digits)


def _status(ok: bool) -> str:
    return "✓ passed" if ok else "✗ FAILED"
