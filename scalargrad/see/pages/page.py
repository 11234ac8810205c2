"""Step through a backward pass in the browser: one self-contained HTML page per graph.

`backprop_page(root)` returns a `Page`: the graph of `root` laid out as SVG and a stepper.
Forward mode gives the nodes their values one at a time, in topological order; backward mode
sends the gradient down one edge per step, with a panel saying which node is being
processed, its *upstream*, the *local gradient* of this edge and the *downstream* it sends,
and, at a value with several consumers, the sum building up (x.grad = 2.0 + 3.0 = 5.0).
Given `tangents` (as `explain_tangents` takes them), the page also plays the tangent pass
(forward mode) edge by edge on the same graph: tangent in × local gradient = contribution,
summed at a node with several inputs (f.tangent = 2.0 + 3.0 = 5.0); see `tangent_steps.py`.
`to_html(root, path)` writes the page to a file; in Jupyter a `Page` shows itself inline
(`_repr_html_`: the same page in a sandboxed iframe).

The page needs no server and no network: its script, styles and data are inside the file
(the data as JSON, with <, > and & written as \\u003c, \\u003e, \\u0026 so that no label can
close the script element), and a Content-Security-Policy forbids every fetch and every script
but the player's own (allowed by its hash). Labels are put on the page as text, never as HTML.

Every number is `explain(root, run_backward=False)`'s, formatted by `format_number`, so the
page reads exactly as the printed trace; making a page changes no `.grad`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from scalargrad.files import write_atomic
from scalargrad.see.narrate.explain import GradientSum, Trace, explain
from scalargrad.see.narrate.tangents import NodeRef
from scalargrad.see.pages.tangent_steps import tangent_timeline
from scalargrad.see.text import escape_html, format_number, safe_text
from scalargrad.value import Value

__all__ = ["MAX_NODES", "Page", "backprop_page", "graph_data", "to_html"]

ASSETS = Path(__file__).with_name("assets")
MAX_NODES = 300  # a bigger graph is shown collapsed: only the layers nearest the output
_INFIX = ("+", "-", "*", "/", "**")
SUM_TERMS = 6  # a gradient with more contributions is written shortened: pages stay linear


class Page:
    """One self-contained HTML page (`.html`); `save(path)` writes it, Jupyter shows it inline."""

    def __init__(self, html_text: str, title: str, height: int = 760) -> None:
        self.html = html_text
        self.title = safe_text(title)
        self.height = height

    def __repr__(self) -> str:
        return f"Page({self.title!r}, {len(self.html.encode('utf-8')):,} bytes)"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (UTF-8) as nn.save writes a model (scalargrad.files):
        atomically, through a symlink, never over a FIFO or folder, with the umask's
        permissions for a new file and the old file's for a rewrite."""
        write_atomic(path, self.html, "Page.save will not replace it with a page")
        return Path(path)

    def _repr_html_(self) -> str:
        # The page in an iframe: its scripts run in Jupyter and its styles stay inside it.
        # `sandbox` without allow-same-origin keeps it away from the notebook's own page.
        # No taller than the window below a notebook's (or a lesson's) toolbar: the page fits
        # itself to its frame, so the graph stays in view beside the panel while one steps.
        return (f'<iframe title="{html.escape(self.title)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {self.height}px; max-height: calc(100vh - 6rem); '
                f'min-height: 420px; border: 1px solid #ccc" '
                f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>')


# -- the data: everything the page shows, from explain() -----------------------------------


def graph_data(root: Value, *, max_nodes: int = MAX_NODES, digits: int = 6,
               tangents: Mapping[NodeRef, float] | None = None) -> dict[str, Any]:
    """The page's data for the graph of `root` as plain JSON-ready values (strings for numbers).

    `nodes` (topological order), `edges` (one per use of an input) and `steps`: one per node
    for the forward pass, then the seed, then one per edge of the backward pass in the order
    `explain` walks them. A graph over `max_nodes` nodes keeps only the layers nearest the
    output (every consumer of a kept node is kept, so each kept gradient's sum is complete);
    `collapsed` then says how many nodes were left out. With `tangents`, `tangent` holds the
    tangent pass's steps (`tangent_steps.tangent_timeline`); else it is None.
    """
    if not isinstance(root, Value):
        raise TypeError(f"graph_data expected a Value (the output of a graph), got "
                        f"{type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    trace: Trace = explain(root, run_backward=False)
    total = len(trace)
    steps = sorted(trace.steps, key=lambda s: s.index)  # topological order, root last
    kept = _nearest_output(steps, max_nodes)
    ids = {i: k for k, i in enumerate(kept)}  # topological index -> id on the page
    root_name = trace.root_name

    nodes = []
    for i in kept:
        s = steps[i]
        hidden = sum(1 for c in s.inputs if c.input_index not in ids)
        nodes.append({"name": s.name, "op": s.op, "expr": _expression(steps, i),
                      "data": fmt(s.data), "grad": fmt(trace.gradient(s.name).total),
                      "hidden": hidden})

    edges: list[dict[str, Any]] = []
    edge_of: dict[tuple[int, int], int] = {}
    for i in kept:
        for k, c in enumerate(steps[i].inputs):
            if c.input_index in ids:
                edge_of[(i, k)] = len(edges)
                edges.append({"src": ids[c.input_index], "dst": ids[i], "arg": k})

    timeline: list[dict[str, Any]] = []
    for i in kept:
        timeline.append({"kind": "forward", "node": ids[i], "text": _forward_text(steps, i, fmt)})
    root_sum = trace.gradient(root_name)
    timeline.append({"kind": "seed", "node": ids[len(steps) - 1], "grad": fmt(trace.seed),
                     "sum": root_sum.formula(digits)})

    received: dict[int, list[tuple[int, int, float]]] = {}  # input -> (consumer, arg, downstream)
    running: dict[int, float] = {}
    for s in trace.steps:  # reverse topological order, as backward walks the graph
        if s.index not in ids:
            continue
        for k, c in enumerate(s.inputs):
            if (s.index, k) not in edge_of:
                continue
            j = c.input_index
            got = received.setdefault(j, [])
            got.append((s.index, k, c.downstream))
            previous = running.get(j, 0.0)
            running[j] = previous + c.downstream
            final = trace.gradient(c.input_name)
            done = len(got) == len(final.terms)
            timeline.append({
                "kind": "edge", "edge": edge_of[(s.index, k)], "node": ids[s.index],
                "input": ids[j], "upstream": fmt(s.upstream), "local": fmt(c.local),
                "downstream": fmt(c.downstream),
                "grad": fmt(final.total if done else running[j]),
                "sum": _running_sum(final, got, previous, running[j], done, steps, digits)})

    out: dict[str, Any] = {"root": root_name, "nodes": nodes, "edges": edges,
                           "steps": timeline, "size": total, "collapsed": None, "tangent": None}
    if tangents is not None:
        out["tangent"] = tangent_timeline(root, tangents, ids, edge_of, digits)
    if len(kept) < total:
        out["collapsed"] = {"shown": len(kept), "total": total, "limit": max_nodes}
    return out


def _nearest_output(steps: Sequence[Any], limit: int) -> list[int]:
    """Topological indices of the nodes to show: all of them, or the layers nearest the output.

    A node's layer is its longest distance to the output; a consumer is always in a nearer
    layer than its input, so whole layers keep every kept node's consumers.
    """
    n = len(steps)
    if n <= limit:
        return list(range(n))
    dist = [0] * n
    for i in range(n - 1, -1, -1):
        for c in steps[i].inputs:
            dist[c.input_index] = max(dist[c.input_index], dist[i] + 1)
    per_layer: dict[int, int] = {}
    for d in dist:
        per_layer[d] = per_layer.get(d, 0) + 1
    depth, count = 0, per_layer[0]
    while depth + 1 in per_layer and count + per_layer[depth + 1] <= limit:
        depth += 1
        count += per_layer[depth]
    return [i for i in range(n) if dist[i] <= depth]


def _apply(op: str, args: Sequence[str]) -> str:
    """An op applied to its arguments as text: "w1 * x", "x**2", "exp(a)", "dot(w0, x0, …)"."""
    if op in _INFIX and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    if op.startswith("**") and len(args) == 1:
        return f"{args[0]}{op}"
    more = ", …" if len(args) > 6 else ""
    return f"{op or 'op'}({', '.join(args[:6])}{more})"


def _expression(steps: Sequence[Any], i: int) -> str:
    """Node i as its name and what it computes: "h = w1 * x" (a leaf: just its name)."""
    s = steps[i]
    return f"{s.name} = {_apply(s.op, [c.input_name for c in s.inputs])}" if s.inputs else s.name


def _forward_text(steps: Sequence[Any], i: int, fmt: Any) -> str:
    """How node i gets its value: "h = w1 * x = 2.0 * 0.0 = 0.0", or that a leaf is given."""
    s = steps[i]
    if not s.inputs:
        return f"{s.name} is a leaf: its value {fmt(s.data)} is given"
    values = [fmt(steps[c.input_index].data) for c in s.inputs]
    return f"{_expression(steps, i)} = {_apply(s.op, values)} = {fmt(s.data)}"


def _running_sum(final: GradientSum, got: list[tuple[int, int, float]], previous: float,
                 running: float, done: bool, steps: Sequence[Any], digits: int) -> str:
    """The receiving node's gradient after this contribution: explain's formula when all its
    contributions are in, else the ones so far and the consumers still to come.

    With more than SUM_TERMS contributions the text has a bounded length, so that a page
    grows with the graph, not with the square of a node's fan-out: the finished sum shows its
    first and last terms and counts the rest; a running one shows the accumulation itself,
    the sum so far + this contribution.
    """
    if len(final.terms) > SUM_TERMS:
        return _long_sum(final, got, previous, running, done, steps, digits)
    if done:
        return final.formula(digits)
    terms = tuple((steps[c].name, d) for c, _, d in sorted(got))
    partial = GradientSum(final.index, final.name, terms, running, final.before, final.seed)
    arrived = {steps[c].name for c, _, _ in got}
    waiting = [name for name, _ in final.terms if name not in arrived]
    return (f"{partial.formula(digits)} (so far; still to come from "
            f"{', '.join(dict.fromkeys(waiting))})")


def _long_sum(final: GradientSum, got: list[tuple[int, int, float]], previous: float,
              running: float, done: bool, steps: Sequence[Any], digits: int) -> str:
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    terms = final.terms
    if done:
        edge = SUM_TERMS // 2
        parts = [f"{fmt(final.before)} (before)"] if final.before else []
        parts += [fmt(d) for _, d in terms[:edge]] + [f"… ({len(terms) - 2 * edge} more)"]
        parts += [fmt(d) for _, d in terms[-edge:]]
        joined = " + ".join(parts).replace("+ -", "- ")
        return f"{final.name}.grad = {joined} = {fmt(final.total)}"
    consumer, _, downstream = got[-1]
    so_far = len(got) - 1
    waiting = len(terms) - len(got)
    # backward reaches consumers from the output down: the ones still to come are the first
    # terms in build order, the next of them last
    upcoming = dict.fromkeys(name for name, _ in reversed(terms[max(0, waiting - 3):waiting]))
    plural = "" if so_far == 1 else "s"
    if not so_far:
        return (f"{final.name}.grad = {fmt(running)} (from {steps[consumer].name}, the first "
                f"of {len(terms)} contributions; {waiting} still to come, next from "
                f"{', '.join(upcoming)})")
    return (f"{final.name}.grad = {fmt(previous)} (so far, {so_far} term{plural}) + "
            f"{fmt(downstream)} (from {steps[consumer].name}) = {fmt(running)} (so far; "
            f"{waiting} still to come, next from {', '.join(upcoming)})")


# -- the page ----------------------------------------------------------------------------


def backprop_page(root: Value, *, elementary: Value | None = None, title: str | None = None,
                  start: str = "first", max_nodes: int = MAX_NODES,
                  tangents: Mapping[NodeRef, float] | None = None,
                  autoplay: bool = False) -> Page:
    """The stepper page for the graph of `root` (see the module docstring).

    `elementary`: the same computation built from elementary ops (e.g. a neuron with
    `fused=False`, or the sigmoid from neg, exp, add and reciprocal); the page then has a
    toggle between the fused view (`root`) and the elementary view. `start` picks the view
    shown first: "first" (root's), "fused" or "elementary". `tangents` (leaf Values or their
    names to numbers, as `explain_tangents` takes them, e.g. `{x: 1.0}`) adds the tangent
    pass: a mode that plays forward mode on the same graph, edge by edge. `autoplay`: the page
    starts playing once open (Pause or Space stops it), unless the reader's system asks for
    reduced motion (prefers-reduced-motion: reduce).
    """
    if start not in ("first", "fused", "elementary"):
        raise ValueError(f"start must be 'first', 'fused' or 'elementary', got {start!r}")
    views = [{"name": "fused" if elementary is not None else "graph",
              **graph_data(root, max_nodes=max_nodes, tangents=tangents)}]
    if elementary is not None:
        views.append({"name": "elementary",
                      **graph_data(elementary, max_nodes=max_nodes, tangents=tangents)})
    first = 1 if (start == "elementary" and elementary is not None) else 0
    title = title if title is not None else f"Backpropagation through {views[0]['root']}"
    data = {"title": title, "views": views, "start": first, "autoplay": bool(autoplay)}
    return Page(render("backprop", title, data), title)


def to_html(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the stepper page for the graph of `root` to `path`; options as `backprop_page`."""
    return backprop_page(root, **options).save(path)


def render(kind: str, title: str, data: Any) -> str:
    """A whole page: the shell, the shared player and `kind`'s body, script and data.

    (Used for the backprop stepper and the training replay; the two share their controls.)
    """
    shell = _asset("page.html")
    script = player_script(kind)
    style = _asset("page.css")
    parts = {
        "TITLE": escape_html(title),
        "CSP": _csp(script),
        "STYLE": style,
        "BODY": _asset(f"{kind}.html"),
        "TOOLS": _asset(f"{kind}_tools.html") if (ASSETS / f"{kind}_tools.html").exists() else "",
        "DATA": json_for_script(_safe_strings(data)),
        "SCRIPT": script,
    }
    # One pass: text substituted in is never scanned again for {{...}}.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: parts[m.group(1)], shell)


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element: <, >, & and the line separators escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _safe_strings(data: Any) -> Any:
    """`data` with every string in it (keys too) made safe_text: a label's lone surrogate
    is shown as its escape, never left to make the page unencodable."""
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {_safe_strings(k): _safe_strings(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_safe_strings(v) for v in data]
    return data


def player_script(kind: str) -> str:
    """The inline script of a `kind` page ("backprop" or "replay"): the shared player, then
    the page's own part."""
    return _asset("timeline.js") + "\n" + _asset(f"{kind}.js")


def script_hash(script: str) -> str:
    """The Content-Security-Policy source that lets exactly this inline script run."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _csp(script: str) -> str:
    """Nothing may be fetched; the only script that may run is the player (by its hash)."""
    return ("default-src 'none'; "
            f"script-src {script_hash(script)}; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")
