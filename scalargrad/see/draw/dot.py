"""Pictures of a computation graph: graphviz (DOT), matplotlib, and plain text.

`draw_dot(root)` returns a `graphviz.Digraph` (shown inline in Jupyter; without graphviz's
`dot`, as the matplotlib drawing). Each value is a box with its name, `data` and `grad`; each
op is its own small node; every *use* of a value is its own edge, so `a + a` draws two edges.
With `edge_labels=True` every edge also shows the lesson's three numbers for that use:
upstream × local gradient = downstream. Every picture has a title and fits a slide: the
direction, sizes and fonts come from layout.py, the same for `dot`, matplotlib and the
animation frames. `params=model` names a model's parameters by their place (`w1[0,2]`).

Colours: the output is green, parameters (`params=`) orange, other named leaves (inputs) blue,
unnamed leaves (constants such as the 1 in `1 + x`) grey with a dashed border, and anything a
`check_graph` found wrong red.

Only `draw_dot` needs the graphviz Python package, and only rendering needs graphviz's `dot`
program. Without them: `to_dot(root)` gives the DOT source as a string, `text_tree(root)` an
indented tree, `draw_matplotlib(root)` an image drawn with matplotlib, and
`render_graph(root, path)` writes the DOT source and uses `dot` when it exists, else falls back
to matplotlib (with a warning that names the fix).

The output is deterministic: nodes are numbered by their topological index (never `id()`), so
the same expression gives the same source, and the same image, byte for byte.
"""

from __future__ import annotations

import base64
import re
import shutil
from typing import (
    Any,
    Collection,
)

from scalargrad.see.draw.layout import (
    BAD_FILL,
    BAD_LINE,
    FILL,
    FONT_SIZE,
    Look,
    _band_of_columns,
    _columns,
    _fonts,
    choose_look,
    edge_label,
    op_label,
    value_lines,
)
from scalargrad.see.draw.mpl import draw_matplotlib, png_bytes
from scalargrad.see.draw.spec import (
    DEFAULT_MAX_NODES,
    CheckOption,
    GraphSpec,
    NamesOption,
    ParamsOption,
    graph_spec,
)
from scalargrad.see.draw.text_tree import text_tree
from scalargrad.see.text import safe_text
from scalargrad.value import Value

GRAPHVIZ_FIX = ("install graphviz's `dot` program — apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), conda install -c conda-forge graphviz, or "
                "https://graphviz.org/download/ (Windows) — and make sure `dot` is on your PATH")
GRAPHVIZ_PACKAGE_FIX = ("pip install graphviz (or: pip install 'scalargrad-autodiff[graph]'); "
                        "it also needs graphviz's `dot` program: apt-get install graphviz "
                        "(Debian/Ubuntu) or brew install graphviz (macOS)")

VECTOR_FORMATS = ("svg", "pdf", "ps", "eps")


class GraphvizMissingError(RuntimeError):
    """graphviz's `dot` program (or the graphviz Python package) is not installed."""


class GraphvizMissingWarning(UserWarning):
    """A graph could not be rendered with graphviz; a fallback was used instead."""


def dot_available() -> bool:
    """True when graphviz's `dot` program is on the PATH."""
    return shutil.which("dot") is not None


# -- DOT ---------------------------------------------------------------------------------------


def _record_field(text: str) -> str:
    """Text for one field of a graphviz record label, inside a DOT double-quoted string."""
    out = []
    for ch in text:
        if ch in '{}|<>"\\':
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _dot_text(text: str) -> str:
    """Text inside a DOT double-quoted string (backslash and quote escaped; characters dot
    or SVG cannot carry shown as escapes)."""
    text = safe_text(text).replace("\r", "")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def dot_body(spec: GraphSpec, look: Look | None = None, *, edge_labels: bool = False,
             digits: int = 4) -> list[str]:
    """The DOT statements (one per line, tab-indented, newline-terminated) for a GraphSpec."""
    if look is None:
        look = choose_look(spec, edge_labels=edge_labels, digits=digits)
    sideways = look.rankdir in ("LR", "RL")
    band = _bands(spec, look)
    rows: list[list[str]] = [[] for _ in range(max(band.values()) + 1)]
    crossing: list[str] = []
    columns, _, _ = _columns(spec)
    by_index = {s.index: s for s in spec.nodes}
    for s in (by_index[i] for column in columns for i in column):  # dot keeps this order
        lines = rows[band[s.index]]
        data, grad = value_lines(s, digits)
        fields = f"{_record_field(s.name)} | {data} | {grad}"
        # a record's fields stack across the rank direction; braces turn them, so two pairs
        # stack name, data and grad vertically when the graph runs left to right
        label = f"{{{{ {fields} }}}}" if sideways else f"{{ {fields} }}"
        attrs = [f'label="{label}"', "shape=record"]
        attrs.append('style="rounded,filled,dashed"' if s.role == "const"
                     else 'style="rounded,filled"')
        attrs.append(f'fillcolor="{BAD_FILL if s.bad else FILL[s.role]}"')
        if s.bad:
            attrs += [f'color="{BAD_LINE}"', "penwidth=2"]
        elif s.role == "output":
            attrs.append("penwidth=2.5")
        lines.append(f"\tn{s.index} [{' '.join(attrs)}]\n")
        if s.op:
            op_attrs = [f'label="{_dot_text(op_label(s))}"', "shape=box", 'style="rounded,filled"',
                        'fillcolor="#f5f5f5"', 'color="#9e9e9e"']
            if s.bad:
                op_attrs[-1] = f'color="{BAD_LINE}"'
            lines.append(f"\tn{s.index}op [{' '.join(op_attrs)}]\n")
            lines.append(f"\tn{s.index}op -> n{s.index}\n")
        if s.hidden:
            lines.append(f'\tn{s.index}more [label="… {s.hidden} more" shape=plaintext '
                         'fontcolor="#757575"]\n')
            lines.append(f'\tn{s.index}more -> n{s.index}op [style=dashed color="#9e9e9e"]\n')
    uses: dict[tuple[int, int], int] = {}
    for e in spec.edges:
        uses[(e.parent, e.child)] = uses.get((e.parent, e.child), 0) + 1
    for e in spec.edges:
        attrs = []
        if edge_labels:
            text = _dot_text(edge_label(e, digits))
            # An em space each side: labels of repeated uses sit side by side, and top to
            # bottom so do the labels of edges into one op; dot leaves them only a few points
            # apart, so without it they touch once a wider font than dot assumed draws them.
            if not sideways or uses[(e.parent, e.child)] > 1:
                text = f"\u2003{text}\u2003"
            attrs.append(f'label="{text}"')
        if band[e.parent] != band[e.child]:
            # a long chain wrapped into rows: the edge into the next row sets no rank, so that
            # row starts again at the left, under the previous one
            attrs += ["constraint=false", "tailport=s", "headport=n"]
        if e.bad:
            attrs += [f'color="{BAD_LINE}"', f'fontcolor="{BAD_LINE}"', "penwidth=2"]
        tail = f" [{' '.join(attrs)}]" if attrs else ""
        statement = f"\tn{e.parent} -> n{e.child}op{tail}\n"
        (rows[band[e.child]] if band[e.parent] == band[e.child] else crossing).append(statement)
    # a wrapped chain's rows are declared first to last, and dot stacks them in that order
    return [line for lines in rows for line in lines] + crossing


_GRAPH_NAME = "scalargrad"


def _bands(spec: GraphSpec, look: Look) -> dict[int, int]:
    """The row of columns (band) each value is drawn in: 0 unless a chain is wrapped."""
    columns, column_of, row = _columns(spec)
    band_of_col = _band_of_columns(spec, columns, column_of, look.bands)
    return {i: band_of_col[c] for i, c in column_of.items()}


def _html_text(text: str) -> str:
    return safe_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dot_attributes(look: Look) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The graph, node and edge attributes of a look (direction, fonts, title, dpi)."""
    fonts = _fonts(look.font_size)
    graph = {"rankdir": look.rankdir, "nodesep": "0.3", "ranksep": "0.35",
             "fontname": "Helvetica", "fontsize": f"{fonts.title:g}",
             "labelloc": "t"}
    parts = []
    if look.title:
        parts += [f"<b>{_html_text(line)}</b>" for line in look.title.split("\n")]
    if look.key:
        parts.append(f'<font point-size="{fonts.key:g}">{_html_text(look.key)}</font>')
    if parts:
        graph["label"] = "<" + "<br/>".join(parts) + ">"
    node = {"fontname": "Helvetica", "fontsize": f"{fonts.body:g}"}
    edge = {"fontname": "Helvetica", "fontsize": f"{fonts.edge:g}", "color": '"#616161"'}
    return graph, node, edge


def _dot_value(value: str) -> str:
    if value.startswith(("<", '"')):
        return value
    return value if re.fullmatch(r"[\w.]+", value) else f'"{value}"'


def to_dot(root: Value, rankdir: str = "auto", *, edge_labels: bool = False,
           params: ParamsOption = (), max_nodes: int | None = DEFAULT_MAX_NODES,
           max_depth: int | None = None, collapse: Collection[str] = (),
           check: CheckOption = None, digits: int = 4, title: str | None = None,
           names: NamesOption = None, font_size: float = FONT_SIZE, dpi: float | None = None,
           bands: int | None = None, size: tuple[float, float] | None = None) -> str:
    """The graph of `root` as DOT source text; needs neither graphviz nor matplotlib.

    The same text as `draw_dot(root, ...).source`. Render it with `dot -Tpng graph.dot -o
    graph.png`, or paste it into any Graphviz viewer.
    """
    spec = graph_spec(root, params=params, max_nodes=max_nodes, max_depth=max_depth,
                      collapse=collapse, check=check, names=names)
    look = choose_look(spec, rankdir=rankdir, bands=bands, font_size=font_size, dpi=dpi,
                       title=title, edge_labels=edge_labels, digits=digits)
    graph, node, edge = dot_attributes(look)
    if size is not None:
        graph["size"] = f'"{size[0]:g},{size[1]:g}"'
    head = "".join(f"\t{kind} [{' '.join(f'{k}={_dot_value(v)}' for k, v in attrs.items())}]\n"
                   for kind, attrs in (("graph", graph), ("node", node), ("edge", edge)))
    return (f"digraph {_GRAPH_NAME} {{\n{head}"
            + "".join(dot_body(spec, look, edge_labels=edge_labels, digits=digits)) + "}\n")


def draw_dot(root: Value, format: str = "svg", rankdir: str = "auto", *,  # noqa: A002
             edge_labels: bool = False, params: ParamsOption = (),
             max_nodes: int | None = DEFAULT_MAX_NODES, max_depth: int | None = None,
             collapse: Collection[str] = (), check: CheckOption = None, digits: int = 4,
             title: str | None = None, names: NamesOption = None,
             font_size: float = FONT_SIZE, dpi: float | None = None, bands: int | None = None,
             size: tuple[float, float] | None = None) -> Any:
    """The graph of `root` as a `graphviz.Digraph` (displayed inline in Jupyter).

    Render it to a file with `draw_dot(y, format="png").render("graph")` (writes graph and
    graph.png). `rankdir` is "auto" (left to right, top to bottom, or a long chain wrapped
    into rows, whichever shows the text largest on a slide), "LR", "TB", "RL" or "BT".
    Options: `edge_labels` shows each use's upstream × local gradient = downstream (after
    backward); `params` marks parameters (a model also names them, `w1[0,2]`); `names` maps
    Values to names; `title` (default: what the graph is), `font_size` (points), `dpi`,
    `size` (inches, an upper bound); `max_nodes`, `max_depth` and `collapse` keep big graphs
    readable (see `graph_spec`); `check=True` runs `check_graph` and draws mismatches in red.

    Needs the graphviz Python package (ImportError naming the fix if missing). Without
    graphviz's `dot` program the Digraph still has its `.source`, and in Jupyter it shows the
    same graph drawn by matplotlib, with one line saying how to install `dot`.
    """
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise ImportError(f"draw_dot needs the graphviz Python package: {GRAPHVIZ_PACKAGE_FIX}. "
                          "Without it: scalargrad.to_dot(root) gives the DOT source, "
                          "scalargrad.draw_matplotlib(root) an image, "
                          "scalargrad.text_tree(root) a text tree.") from None
    options = dict(rankdir=rankdir, edge_labels=edge_labels, params=params, max_nodes=max_nodes,
                   max_depth=max_depth, collapse=collapse, check=check, digits=digits,
                   title=title, names=names, font_size=font_size, dpi=dpi, bands=bands,
                   size=size)
    source = to_dot(root, **options)
    digraph = _digraph_class()(name=_GRAPH_NAME, format=format)
    if dpi is not None and format not in VECTOR_FORMATS:  # a bitmap's pixels per inch
        digraph.graph_attr["dpi"] = f"{dpi:g}"
    digraph.body[:] = source.splitlines(keepends=True)[1:-1]
    digraph._scalargrad_fallback = (root, options)
    return digraph


_DIGRAPH_CLASS: Any = None


def _digraph_class() -> Any:
    """graphviz.Digraph, showing the matplotlib drawing in Jupyter when `dot` is missing."""
    global _DIGRAPH_CLASS
    if _DIGRAPH_CLASS is None:
        import graphviz

        class Digraph(graphviz.Digraph):
            """A graphviz.Digraph that falls back to matplotlib in Jupyter without `dot`."""

            def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                                  **kwargs: Any) -> dict[str, Any]:
                fallback = getattr(self, "_scalargrad_fallback", None)
                if dot_available() or fallback is None:
                    return super()._repr_mimebundle_(include, exclude, **kwargs)
                return fallback_bundle(*fallback)

        _DIGRAPH_CLASS = Digraph
    return _DIGRAPH_CLASS


DOT_NOTE = ("Drawn with matplotlib: graphviz's `dot` program is not installed. For the graphviz "
            "drawing: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) "
            "or conda install -c conda-forge graphviz.")


def fallback_bundle(root: Value, options: dict[str, Any]) -> dict[str, Any]:
    """What Jupyter shows for draw_dot without `dot`: the matplotlib drawing and one note."""

    mpl_options = dict(options)
    limit = mpl_options.get("max_nodes")
    mpl_options["max_nodes"] = 60 if limit is None else min(limit, 60)
    try:
        png = png_bytes(draw_matplotlib(root, **mpl_options))
    except ImportError:
        text = text_tree(root)
        html = f"<pre>{_html_text(text)}</pre>"
        return {"text/html": html + f"<p><small>{_html_text(DOT_NOTE)}</small></p>",
                "text/plain": text + "\n" + DOT_NOTE}
    encoded = base64.b64encode(png).decode("ascii")
    return {"text/html": f'<img src="data:image/png;base64,{encoded}"/>'
                         f"<p><small>{_html_text(DOT_NOTE)}</small></p>",
            "image/png": png, "text/plain": DOT_NOTE}
