"""How a Value, a narration (Trace, GradientSum, PathView) and a check (GraphCheck,
GradcheckResult) show themselves in Jupyter, as HTML and as Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalargrad.see.display.tables import _num, _status, html_table, markdown_table
from scalargrad.see.text import escape_html, escape_markdown, literal_markdown, one_line

if TYPE_CHECKING:  # (the narrations import this module to show themselves)
    from scalargrad.gradcheck import GradcheckResult
    from scalargrad.see.narrate.check import GraphCheck
    from scalargrad.see.narrate.explain import GradientSum, Trace
    from scalargrad.see.narrate.paths import PathView
    from scalargrad.value import Value

# -- Value: a compact card -----------------------------------------------------------------------


def _value_fields(v: Value) -> list[tuple[str, str]]:
    op = one_line(v._op) if v._op else "leaf"
    fields = [("data", _num(v.data)), ("grad", _num(v.grad)), ("op", op)]
    if v._prev:
        fields.append(("inputs", str(len(v._prev))))
    return fields


def value_html(v: Value) -> str:
    """A Value as a small card: its label (or "Value"), data, grad and the op that made it."""
    name = escape_html(one_line(v.label)) if v.label else "<i>Value</i>"
    cells = "".join(f'<span style="margin-left:10px"><span style="color:#595959">{k}</span> '
                    f"{escape_html(text)}</span>" for k, text in _value_fields(v))
    return ('<div class="scalargrad-value" style="display:inline-block;border:1px solid #bbb;'
            'border-radius:4px;padding:3px 8px;font-family:ui-monospace,Menlo,monospace;'
            f'font-size:12px"><b>{name}</b>{cells}</div>')


def value_markdown(v: Value) -> str:
    """A Value as one Markdown line: **label** data … grad … op …."""
    name = f"**{escape_markdown(one_line(v.label))}**" if v.label else "*Value*"
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
    return [trace.source, *sums] if trace.source else sums


def trace_html(trace: Trace, digits: int = 6) -> str:
    """The trace as an HTML table (one row per edge) and every gradient as a sum."""
    return html_table(_TRACE_COLUMNS, trace.rows(digits), title=_trace_title(trace, digits),
                      align=_TRACE_ALIGN, footer=_trace_sums(trace, digits), max_rows=TRACE_ROWS)


def trace_markdown(trace: Trace, digits: int = 6, max_rows: int | None = TRACE_ROWS) -> str:
    """The trace as a Markdown table and a list of sums, every label escaped."""
    rows = trace.rows(digits)
    limit = len(rows) if max_rows is None else max_rows
    sums = ([*([trace.source] if trace.source else []),
             *(s.formula(digits) for s in trace.sums)] if max_rows is None
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
