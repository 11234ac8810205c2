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

import re
import shutil
import subprocess
import warnings
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Collection, Mapping, NamedTuple, Sequence, Union

from . import graph as graph_walk
from .graph import topological_order
from .layout import (
    BAD_FILL,
    BAD_LINE,
    DPI,
    FILL,
    FONT_SIZE,
    Look,
    _band_of_columns,
    _columns,
    _fonts,
    arrange,
    choose_look,
    edge_label,
    op_label,
    value_lines,
)
from .mpl_graph import draw_spec, draw_title, new_figure, png_bytes
from .trace import GraphCheck, check_graph, format_number, node_names
from .value import Value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "GraphvizMissingError",
    "GraphvizMissingWarning",
    "dot_available",
    "draw_dot",
    "draw_matplotlib",
    "render_graph",
    "text_tree",
    "to_dot",
]

CheckOption = Union[bool, GraphCheck, None]
ParamsOption = Any  # Values, or a model with named_parameters()
NamesOption = Union[Mapping[Value, str], Mapping[str, Value], None]

GRAPHVIZ_FIX = ("install graphviz's `dot` program — apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), conda install -c conda-forge graphviz, or "
                "https://graphviz.org/download/ (Windows) — and make sure `dot` is on your PATH")
GRAPHVIZ_PACKAGE_FIX = ("pip install graphviz (or: pip install 'scalargrad-autodiff[graph]'); "
                        "it also needs graphviz's `dot` program: apt-get install graphviz "
                        "(Debian/Ubuntu) or brew install graphviz (macOS)")

VECTOR_FORMATS = ("svg", "pdf", "ps", "eps")
DEFAULT_MAX_NODES = 500


class GraphvizMissingError(RuntimeError):
    """graphviz's `dot` program (or the graphviz Python package) is not installed."""


class GraphvizMissingWarning(UserWarning):
    """A graph could not be rendered with graphviz; a fallback was used instead."""


def dot_available() -> bool:
    """True when graphviz's `dot` program is on the PATH."""
    return shutil.which("dot") is not None


# -- what to draw: one description shared by the DOT, matplotlib and frame renderers ------------


class NodeSpec(NamedTuple):
    index: int  # type: ignore[assignment]  # topological index
    name: str
    op: str
    data: float
    grad: float
    role: str  # "output", "param", "input", "const" or "interior"
    bad: bool  # a gradient check failed here (leaf gradient or one of its local gradients)
    absorbed: tuple[str, ...]  # leaves drawn inside this node (collapse=)
    hidden: int  # uses of inputs that are not drawn (max_nodes / max_depth)


class EdgeSpec(NamedTuple):
    parent: int  # topological index of the input
    child: int  # topological index of the node that uses it
    position: int  # argument position in the child's op
    local: float  # ∂child/∂parent for this use
    downstream: float  # child.grad × local
    bad: bool
    upstream: float = 0.0  # child.grad: the gradient arriving at the child


class GraphSpec(NamedTuple):
    nodes: tuple[NodeSpec, ...]  # in topological order
    edges: tuple[EdgeSpec, ...]  # by child, then argument position
    total: int  # nodes in the whole graph


def graph_spec(root: Value, *, params: ParamsOption = (), max_nodes: int | None =
               DEFAULT_MAX_NODES, max_depth: int | None = None, collapse: Collection[str] = (),
               check: CheckOption = None, names: NamesOption = None) -> GraphSpec:
    """Decide what to draw: which nodes (limited by depth and count), their names, roles, edges.

    `params` is a list of parameters or a model (anything with `named_parameters()`, such as
    an `nn.MLP`): a model also names its parameters after their place in it (`w1[0,2]` is
    layer 1, neuron 0, weight 2; `b1[0]` its bias) and each neuron's pre-activation `z1[0]`
    and activation `h1[0]` (labels you set win). `names` maps Values to names (or names to
    Values) and wins over both. `max_depth` keeps nodes at most that many edges from the root;
    `max_nodes` then keeps the nodes nearest the root. Inputs left out are summarised as
    "… N more" on their consumer. `collapse` names ops (e.g. {"dot"}) whose node absorbs the
    leaves used by it alone (a neuron's weights and bias, named inside the op node), so a whole
    MLP stays readable.
    """
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    n = len(order)
    param_list, model_names = _params_and_names(params)
    result = _resolve_check(root, check)
    bad_nodes: set[int] = set()
    bad_edges: set[tuple[int, int]] = set()
    if result is not None:
        if result.size != n:
            raise ValueError("draw: check= is a GraphCheck of a different graph "
                             f"({result.size} nodes, this one has {n})")
        bad_nodes, bad_edges = set(result.bad_nodes), set(result.bad_edges)

    # Shortest distance from the root, and each node's distinct consumers (reverse topo order).
    dist = [n] * n  # n: not reached (never left so: every node is under the root)
    dist[n - 1] = 0
    consumers: list[set[int]] = [set() for _ in range(n)]
    for i in range(n - 1, -1, -1):
        d = dist[i]
        for parent in order[i]._prev:
            j = index[parent]
            consumers[j].add(i)
            if dist[j] > d + 1:
                dist[j] = d + 1
    shown = _names(order, consumers, model_names, names)

    collapse = frozenset(collapse)
    absorbed: dict[int, list[int]] = {}
    absorbed_into: set[int] = set()
    for i, node in enumerate(order):
        if _op_text(node) in collapse:
            for parent in dict.fromkeys(node._prev):
                j = index[parent]
                if not parent._prev and consumers[j] == {i} and j != n - 1:
                    absorbed.setdefault(i, []).append(j)
                    absorbed_into.add(j)

    candidates = [i for i in range(n) if i not in absorbed_into
                  and (max_depth is None or dist[i] <= max_depth)]
    if max_nodes is not None and len(candidates) > max_nodes:
        candidates.sort(key=lambda i: (dist[i], -i))
        candidates = candidates[:max(1, max_nodes)]
    kept = set(candidates) | {n - 1}

    param_set = set(param_list)
    nodes = []
    edges = []
    for i, node in enumerate(order):
        if i not in kept:
            continue
        if i == n - 1:
            role = "output"
        elif node in param_set:
            role = "param"
        elif node._prev:
            role = "interior"
        else:
            role = "input" if node.label else "const"
        hidden = 0
        for k, (parent, local, down) in enumerate(graph_walk.edges(node, node.grad)):
            j = index[parent]
            if j in kept:
                edges.append(EdgeSpec(j, i, k, local, down, (i, k) in bad_edges, node.grad))
            elif j not in absorbed.get(i, ()):
                hidden += 1
        nodes.append(NodeSpec(i, shown[i], _op_text(node), node.data, node.grad, role,
                              i in bad_nodes or any(j in bad_nodes for j in absorbed.get(i, ())),
                              tuple(shown[j] for j in absorbed.get(i, ())), hidden))
    return GraphSpec(tuple(nodes), tuple(edges), n)


def _op_text(node: Value) -> str:
    """The op that made `node`, as a graph writes it ("" for a leaf)."""
    return node._op


def _params_and_names(params: ParamsOption) -> tuple[list[Value], dict[Value, str]]:
    """The parameters to colour, and their names when `params` is a model."""
    named = getattr(params, "named_parameters", None)
    if callable(named):
        pairs = named()
        return [v for _, v in pairs], {v: parameter_name(path) for path, v in pairs}
    if isinstance(params, Value):
        return [params], {}
    try:
        return list(params), {}
    except TypeError:
        raise TypeError("params= expects Values or a model with named_parameters(), got "
                        f"{type(params).__name__}") from None


def parameter_name(path: str) -> str:
    """A short name for a parameter from its dotted path in a model.

    "layers.0.neurons.3.w.1" → "w1[3,1]" (layer 1, neuron 3, weight 1), "layers.2.neurons.0.b"
    → "b3[0]", "neurons.2.b" → "b[2]", "w.0" → "w[0]". Layers count from 1, as in h1, h2.
    """
    parts = path.split(".")
    base, layer, indices = path, "", []
    k = 0
    while k < len(parts):
        part = parts[k]
        if part == "layers" and k + 1 < len(parts) and parts[k + 1].isdigit():
            layer = str(int(parts[k + 1]) + 1)
            k += 2
            continue
        if part.isdigit():
            indices.append(part)
        else:
            base = part
        k += 1
    return base + layer + (f"[{','.join(indices)}]" if indices else "")


def _names(order: Sequence[Value], consumers: Sequence[set[int]],
           model_names: dict[Value, str], names: NamesOption) -> list[str]:
    """Every node's name: `names=` first, then a model's names, then labels, then v<i>."""
    result = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    for node, name in model_names.items():
        i = index.get(node)
        if i is None:
            continue
        result[i] = name
        if not re.fullmatch(r"b\d*(\[[\d,]*\])?", name):
            continue
        # a neuron: its bias → (the dot node, or a chain of +) → pre-activation z → activation h
        j = i
        while len(consumers[j]) == 1:
            (c,) = consumers[j]
            plus = _op_text(order[c]) == "+"
            if j == i or plus:
                j = c
            if not plus:
                break
        if j == i:
            continue
        z, h = "z" + name[1:], "h" + name[1:]
        if not order[j].label:
            result[j] = z
        if len(consumers[j]) == 1:
            (a,) = consumers[j]
            if len(order[a]._prev) == 1 and not order[a].label:
                result[a] = h
    if names:
        items: list[tuple[Any, Any]] = list(names.items())
        for key, value in items:
            node, name = (value, key) if isinstance(key, str) else (key, value)
            if not isinstance(node, Value) or not isinstance(name, str):
                raise TypeError("names= maps Values to names (or names to Values), got "
                                f"{type(key).__name__} → {type(value).__name__}")
            if node in index:
                result[index[node]] = name
    return result


def _resolve_check(root: Value, check: CheckOption) -> GraphCheck | None:
    if check is None or check is False:
        return None
    if check is True:
        return check_graph(root)
    if isinstance(check, GraphCheck):
        return check
    raise TypeError(f"check= expects True, False, None or a GraphCheck, got {type(check).__name__}")


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
    """Text inside a DOT double-quoted string (backslash and quote escaped)."""
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
            if uses[(e.parent, e.child)] > 1:  # labels of repeated uses sit side by side
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
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dot_attributes(look: Look) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The graph, node and edge attributes of a look (direction, fonts, title, dpi)."""
    fonts = _fonts(look.font_size)
    graph = {"rankdir": look.rankdir, "nodesep": "0.3", "ranksep": "0.35",
             "fontname": "Helvetica", "fontsize": f"{fonts.title:g}",
             "labelloc": "t"}
    parts = []
    if look.title:
        parts.append(f"<b>{_html_text(look.title)}</b>")
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
    import base64

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


def render_graph(root: Value, path: str | FilePath, *, format: str | None = None,  # noqa: A002
                 fallback: bool = True, rankdir: str = "auto", **options: Any) -> FilePath:
    """Write the graph of `root` to an image file and return the path of what was written.

    The DOT source is always written next to it (`path` with suffix .dot). The format comes
    from `format` or the file's suffix (png, svg, pdf; default svg). With graphviz's `dot` on
    the PATH, `dot` renders it. Without `dot`: with `fallback=True` a GraphvizMissingWarning
    names the fix and matplotlib draws the image instead (or, without matplotlib either, a
    text tree is written to `path` with suffix .txt, and that path is returned); with
    `fallback=False` a GraphvizMissingError names the fix. `options` are those of `to_dot`.
    """
    path = FilePath(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if not path.suffix:
        path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(to_dot(root, rankdir, **options), encoding="utf-8")
    dot = shutil.which("dot")
    if dot is not None:
        command = [dot, f"-T{fmt}", str(dot_path), "-o", str(path)]
        if fmt not in VECTOR_FORMATS:  # pixels per inch; vector files keep their points
            command.insert(1, f"-Gdpi={options.get('dpi') or DPI:g}")
        done = subprocess.run(command,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"graphviz's dot could not render {dot_path} as {fmt!r} "
                               f"(exit status {done.returncode}): {done.stderr.strip()}")
        return path
    message = (f"graphviz's `dot` program was not found, so {path} was not rendered by graphviz. "
               f"Fix: {GRAPHVIZ_FIX}. The DOT source was written to {dot_path} "
               f"(render it later with: dot -T{fmt} {dot_path} -o {path}).")
    if not fallback:
        raise GraphvizMissingError(message)
    try:
        figure = draw_matplotlib(root, rankdir, **options)
    except ImportError:
        text_path = path.with_suffix(".txt")
        text_path.write_text(text_tree(root) + "\n", encoding="utf-8")
        warnings.warn(f"{message} matplotlib is not installed either: wrote a text tree to "
                      f"{text_path} instead.", GraphvizMissingWarning, stacklevel=2)
        return text_path
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": _GRAPH_NAME}):  # else each run draws new random SVG ids
        figure.savefig(path, format=fmt, metadata=_deterministic_metadata(fmt))
    warnings.warn(f"{message} Drew {path} with matplotlib instead.", GraphvizMissingWarning,
                  stacklevel=2)
    return path


def _deterministic_metadata(fmt: str) -> dict[str, Any] | None:
    """Image metadata without timestamps or versions, so a file is the same on every run."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    return None


# -- text --------------------------------------------------------------------------------------


def text_tree(root: Value, *, max_lines: int | None = 200, digits: int = 4) -> str:
    """The graph as an indented tree, output first: needs no graphviz and no matplotlib.

    Each line is `name = data  grad g  ← op`; a node already shown is not expanded again
    ("(shown above)"), so shared subgraphs print once. Past `max_lines` the rest is counted.
    """
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    fmt = lambda x: format_number(x, digits)  # noqa: E731

    def describe(node: Value) -> str:
        i = index[node]
        kind = f"← {_op_text(node)}" if node._prev else ("(output)" if i == len(order) - 1 else
                                                    "(leaf)" if node.label else "(constant)")
        return f"{names[i]} = {fmt(node.data)}  grad {fmt(node.grad)}  {kind}"

    lines = [describe(root)]
    shown = {root}
    # Each entry: (node, its parents' iterator, the prefix for its children's lines).
    stack = [(root, iter(range(len(root._prev))), "")]
    truncated = False
    max_indent = 24
    while stack:
        if max_lines is not None and len(lines) >= max_lines:
            truncated = True
            break
        node, positions, prefix = stack[-1]
        k = next(positions, None)
        if k is None:
            stack.pop()
            continue
        parent = node._prev[k]
        last = k == len(node._prev) - 1
        branch = "└─ " if last else "├─ "
        depth = len(stack)
        if depth > max_indent:
            head = f"{prefix}[depth {depth}] {branch}"
            child_prefix = prefix
        else:
            head = prefix + branch
            child_prefix = prefix + ("   " if last else "│  ")
        if parent in shown and parent._prev:
            lines.append(f"{head}{names[index[parent]]} (shown above)")
            continue
        lines.append(head + describe(parent))
        shown.add(parent)
        if parent._prev:
            stack.append((parent, iter(range(len(parent._prev))), child_prefix))
    if truncated:
        lines.append(f"… {len(order) - len(shown)} more nodes not shown "
                     "(text_tree(root, max_lines=None) shows all)")
    return "\n".join(lines)


# -- matplotlib ----------------------------------------------------------------------------------


def draw_matplotlib(root: Value, rankdir: str = "auto", *, edge_labels: bool = False,
                    params: ParamsOption = (), max_nodes: int | None = 60,
                    max_depth: int | None = None, collapse: Collection[str] = (),
                    check: CheckOption = None, digits: int = 4, title: str | None = None,
                    names: NamesOption = None, font_size: float = FONT_SIZE,
                    dpi: float | None = None, bands: int | None = None,
                    size: tuple[float, float] | None = None) -> Figure:
    """The graph of `root` drawn with matplotlib (no graphviz needed); returns a Figure.

    The same boxes, colours, options and layout rules as `draw_dot`: `rankdir="auto"` picks
    left-to-right, top-to-bottom or a long chain wrapped into rows (`bands`), whichever fits
    a slide best; `title` (default: what the graph is), `font_size` in points, `dpi`, and
    `size` = (width, height) in inches, an upper bound that shrinks everything to fit. Best
    for graphs of up to a few dozen nodes (`max_nodes` = 60 by default). Save it with
    `figure.savefig("graph.png")`; in Jupyter it shows inline.
    """
    spec = graph_spec(root, params=params, max_nodes=max_nodes, max_depth=max_depth,
                      collapse=collapse, check=check, names=names)
    look = choose_look(spec, rankdir=rankdir, bands=bands, font_size=font_size, dpi=dpi,
                       title=title, edge_labels=edge_labels, digits=digits)
    lay = arrange(spec, look, edge_labels=edge_labels, digits=digits)
    if size is not None:
        scale = min(1.0, size[0] * 72 / lay.width, size[1] * 72 / lay.height)
        if scale < 1.0:
            look = look._replace(font_size=look.font_size * scale)
            lay = arrange(spec, look, edge_labels=edge_labels, digits=digits)
    figure = new_figure(lay)
    (ax,) = figure.axes
    draw_spec(ax, spec, lay, edge_labels=edge_labels, digits=digits)
    draw_title(ax, look, lay)
    return figure


def spec_names(spec: GraphSpec) -> Sequence[str]:
    """The names of the drawn nodes, in topological order (handy in tests and notebooks)."""
    return [s.name for s in spec.nodes]
