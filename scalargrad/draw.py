"""Pictures of a computation graph: graphviz (DOT), matplotlib, and plain text.

`draw_dot(root)` returns a `graphviz.Digraph` (shown inline in Jupyter). Each value is a box
with its name, `data` and `grad`; each op is its own small node; every *use* of a value is its
own edge, so `a + a` draws two edges. With `edge_labels=True` every edge also shows the local
gradient and the downstream contribution (upstream × local) of that use.

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

import math
import re
import shutil
import subprocess
import warnings
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Collection, Mapping, NamedTuple, Sequence, Union

from .graph import topological_order
from .trace import GraphCheck, check_graph, format_number, node_names
from .value import Value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
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

FILL = {"output": "#c8e6c9", "param": "#ffe0b2", "input": "#bbdefb", "const": "#eeeeee",
        "interior": "#ffffff"}
BAD_FILL = "#ffcdd2"
BAD_LINE = "#d32f2f"
RANKDIRS = ("LR", "TB", "RL", "BT")  # and "auto"
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
    index: int  # topological index
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
    dist: list[int | None] = [None] * n
    dist[n - 1] = 0
    consumers: list[set[int]] = [set() for _ in range(n)]
    for i in range(n - 1, -1, -1):
        d = dist[i]
        for parent in order[i]._prev:
            j = index[parent]
            consumers[j].add(i)
            if d is not None and (dist[j] is None or dist[j] > d + 1):
                dist[j] = d + 1
    names = _names(order, consumers, model_names, names)

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
                  and (max_depth is None or (dist[i] is not None and dist[i] <= max_depth))]
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
        for k, (parent, local) in enumerate(zip(node._prev, _edge_locals(node))):
            j = index[parent]
            if j in kept:
                edges.append(EdgeSpec(j, i, k, local, local * node.grad, (i, k) in bad_edges,
                                      node.grad))
            elif j not in absorbed.get(i, ()):
                hidden += 1
        nodes.append(NodeSpec(i, names[i], _op_text(node), node.data, node.grad, role,
                              i in bad_nodes or any(j in bad_nodes for j in absorbed.get(i, ())),
                              tuple(names[j] for j in absorbed.get(i, ())), hidden))
    return GraphSpec(tuple(nodes), tuple(edges), n)


def _op_text(node: Value) -> str:
    """The op that made `node`, as a graph writes it ("" for a leaf)."""
    return node._op


def _edge_locals(node: Value) -> Sequence[float]:
    """∂node/∂input for each input of `node`, in argument order (the local gradients)."""
    return node._local


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
        items = list(names.items())
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


# -- the look: one set of sizes and one layout for every backend ---------------------------------
#
# Sizes are in points (1/72 inch) and scale with `font_size`. The matplotlib drawing uses them
# as its coordinates, and the choice of direction (and of wrapping a long chain into bands) is
# made from them for both backends, so `dot`, matplotlib and the animation frames agree.

FONT_SIZE = 12.0  # points; at the default 100 dpi the smallest text (font_size − 1) is 15 px
DPI = 100.0
MIN_TEXT_PX = 12.0
MAX_ASPECT = 4.0  # width : height of a default picture, at most
MAX_TALL = 2.5  # height : width, at most (a tall picture leaves a slide empty)
SLIDE = (16.0, 9.0)
EDGE_KEY = "edge labels: upstream × local gradient = downstream"


class Look(NamedTuple):
    """How a graph picture looks: direction, wrapping, font size, resolution and title."""

    rankdir: str  # "LR", "TB", "RL" or "BT"
    bands: int  # 1, or the number of rows a long left-to-right chain is wrapped into
    font_size: float
    dpi: float
    title: str
    key: str  # a second title line saying how to read the edge labels ("" without them)


class Box(NamedTuple):
    """A rectangle by its centre and size, in points."""

    x: float
    y: float
    w: float
    h: float

    def contains_overlap(self, other: Box, margin: float = 0.0) -> bool:
        return (abs(self.x - other.x) * 2 < self.w + other.w + 2 * margin
                and abs(self.y - other.y) * 2 < self.h + other.h + 2 * margin)


class Layout(NamedTuple):
    """Where everything sits, in points, y upwards: value boxes and op nodes by topological
    index, the picture's size, and the top of the graph (the title goes above it)."""

    boxes: dict[int, Box]
    ops: dict[int, Box]
    band: dict[int, int]
    width: float
    height: float
    graph_top: float
    look: Look


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """An upper estimate of a text's width in points (DejaVu Sans / Helvetica)."""
    return max((len(line) for line in text.split("\n")), default=0) * size * (
        0.66 if bold else 0.61)


def _lines(text: str) -> int:
    return text.count("\n") + 1


class _Fonts(NamedTuple):
    name: float
    body: float
    op: float
    edge: float
    title: float
    key: float


def _fonts(size: float) -> _Fonts:
    return _Fonts(size + 1, size, size, size - 1, size + 3, size - 1)


def value_lines(s: NodeSpec, digits: int, grad: str | None = None) -> tuple[str, str]:
    """The two lines under a value's name: its data and its grad."""
    g = _grad_text(s.grad, digits) if grad is None else grad
    return f"data {format_number(s.data, digits)}", f"grad {g}"


def op_label(s: NodeSpec) -> str:
    """The text of an op node: the op, and the names of the leaves it absorbed (collapse=)."""
    if not s.absorbed:
        return s.op
    return s.op + "\n" + _summarize(s.absorbed)


def _summarize(names: Sequence[str], per_line: int = 3) -> str:
    """w1[0,0], w1[0,1], b1[0] → "w1[0,:] b1[0]"; other names listed, at most 6."""
    groups: dict[str, list[str]] = {}
    for name in names:
        m = re.fullmatch(r"(.*\[(?:[^\]]*,)?)(\d+)\]", name)
        key = m.group(1) + ":]" if m else name
        groups.setdefault(key, []).append(name)
    shown = [key if len(members) > 1 else members[0] for key, members in groups.items()]
    if len(shown) > 6:
        shown = shown[:5] + [f"+{len(shown) - 5} more"]
    rows = [" ".join(shown[k:k + per_line]) for k in range(0, len(shown), per_line)]
    return "\n".join(rows)


def edge_label(e: EdgeSpec, digits: int, downstream: float | None = None,
               upstream: float | None = None) -> str:
    """An edge's three numbers, in the lesson's words: upstream × local = downstream."""
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    up = e.upstream if upstream is None else upstream
    down = e.downstream if downstream is None else downstream
    return f"{fmt(up)} × {fmt(e.local)} = {fmt(down)}"


def _columns(spec: GraphSpec) -> tuple[list[list[int]], dict[int, int], dict[int, float]]:
    """Value nodes in columns, inputs left, output right (by longest distance from the output),
    each column ordered by where its consumers sit; each node's column; and its row (a number
    of row pitches across the flow, the output at 0)."""
    drawn = [s.index for s in spec.nodes]
    by_index = {s.index: s for s in spec.nodes}
    parents_of: dict[int, list[int]] = {i: [] for i in drawn}
    consumers_of: dict[int, list[int]] = {i: [] for i in drawn}
    for e in spec.edges:
        parents_of[e.child].append(e.parent)
        consumers_of[e.parent].append(e.child)
    depth: dict[int, int] = {}
    for s in reversed(spec.nodes):  # consumers come before their inputs in this order
        d = depth.setdefault(s.index, 0)
        for j in parents_of[s.index]:
            depth[j] = max(depth.get(j, 0), d + 1)
    last = max(depth.values())
    columns: list[list[int]] = [[] for _ in range(last + 1)]
    for i in sorted(drawn, reverse=True):
        columns[last - depth[i]].append(i)
    row: dict[int, float] = {}
    for members in reversed(columns):
        wanted = {}
        for i in members:
            placed = [row[c] for c in consumers_of[i] if c in row]
            wanted[i] = sum(placed) / len(placed) if placed else 0.0
        members.sort(key=lambda i: (wanted[i], not by_index[i].op, i))
        # each value sits level with its consumers where it can, at least one row from the
        # next; the column is then centred on where its values wanted to be
        spots: list[float] = []
        for i in members:
            spots.append(wanted[i] if not spots else max(wanted[i], spots[-1] + 1.0))
        shift = sum(wanted[i] - p for i, p in zip(members, spots)) / len(members)
        for i, p in zip(members, spots):
            row[i] = p + shift
    return columns, {i: c for c, members in enumerate(columns) for i in members}, row


def _band_of_columns(spec: GraphSpec, columns: list[list[int]], column_of: dict[int, int],
                     bands: int) -> list[int]:
    """Which band (row of columns) each column goes in when a chain is wrapped into `bands`.

    The breaks are as even as they can be without cutting an edge from a leaf (a leaf stays
    beside its consumer), so only computed values carry the flow from one band to the next.
    """
    n = len(columns)
    leaves = {s.index for s in spec.nodes if not s.op}
    blocked = set()
    crossing = [0] * (n + 1)
    for e in spec.edges:
        span = range(column_of[e.parent] + 1, column_of[e.child] + 1)
        if e.parent in leaves:
            blocked.update(span)
        for b in span:
            crossing[b] += 1
    blocked.update(b for b in range(n) if crossing[b] > 1)  # wrap chains, not wide graphs
    breaks: list[int] = []
    for k in range(1, bands):
        ideal = k * n / bands
        options = [b for b in range(max(breaks, default=0) + 2, n - 1) if b not in blocked]
        if not options:
            break
        breaks.append(min(options, key=lambda b: (abs(b - ideal), b)))
    return [sum(c >= b for b in breaks) for c in range(n)]


def arrange(spec: GraphSpec, look: Look, *, edge_labels: bool = False, digits: int = 4,
            top: float | None = None) -> Layout:
    """Place every value box and op node of `spec` for `look` (sizes in points).

    Left to right (LR): columns of values, each op node just before its value; top to bottom
    (TB) the same turned a quarter. With `look.bands` > 1 the columns are wrapped into that
    many rows of columns, read like lines of text. `top` is the room above the graph (for the
    title; by default that of `look`).
    """
    f = look.font_size
    fonts = _fonts(f)
    by_index = {s.index: s for s in spec.nodes}
    size: dict[int, tuple[float, float]] = {}
    op_size: dict[int, tuple[float, float]] = {}
    for s in spec.nodes:
        data, grad = value_lines(s, digits)
        grad_room = "grad " + "-0.0000e-00 …"[:max(len(grad) - 5, 8) + 2]
        w = max(_text_width(s.name, fonts.name, True), _text_width(data, fonts.body),
                _text_width(grad_room, fonts.body)) + 1.2 * f
        h = (fonts.name + 2 * fonts.body) * 1.3 + 0.8 * f
        size[s.index] = (max(w, 4.5 * f), h)
        if s.op:
            text = op_label(s)
            oh = _lines(text) * fonts.op * 1.3 + 0.7 * f
            ow = max(_text_width(text, fonts.op) + 1.4 * f, oh)
            op_size[s.index] = (ow, oh)
    label_w = label_h = 0.0
    if edge_labels:
        for e in spec.edges:
            label_w = max(label_w, _text_width(edge_label(e, digits), fonts.edge) + 0.6 * f)
        label_h = fonts.edge * 1.3 + 0.4 * f
    op_gap = 1.3 * f
    margin = 1.2 * f
    columns, column_of, row = _columns(spec)
    vertical = look.rankdir in ("TB", "BT")

    def along(i: int) -> float:  # extent of a node's slot along the flow
        w, h = size[i]
        o = op_size.get(i)
        if vertical:
            return h + (o[1] + op_gap if o else 0.0)
        return w + (o[0] + op_gap if o else 0.0)

    def across(i: int) -> float:  # extent across the flow
        w, h = size[i]
        o = op_size.get(i, (0.0, 0.0))
        return max(w, o[0]) if vertical else max(h, o[1])

    if vertical:
        gap_along = 2.4 * f + (2.6 * label_h if edge_labels else 0.0)
        gap_across = 1.4 * f
    else:
        gap_along = 2.6 * f + (label_w + 1.2 * f if edge_labels else 0.0)
        gap_across = 1.2 * f + (0.6 * label_h if edge_labels else 0.0)
    pitch = max(across(i) for i in column_of) + gap_across
    col_len = [max(along(i) for i in members) for members in columns]

    band_of_col = _band_of_columns(spec, columns, column_of, look.bands)
    bands = band_of_col[-1] + 1
    band_gap = 2.8 * f + (label_h * 1.5 if edge_labels else 0.0)
    # position along the flow of each column's far end, restarting in every band
    ends: list[float] = []
    for c in range(len(columns)):
        start = 0.0 if c == 0 or band_of_col[c] != band_of_col[c - 1] else ends[-1] + gap_along
        ends.append(start + col_len[c])
    band_len = [max(ends[c] for c in range(len(columns)) if band_of_col[c] == b)
                for b in range(bands)]
    low = [min(row[i] for c in range(len(columns)) if band_of_col[c] == b for i in columns[c])
           for b in range(bands)]
    high = [max(row[i] for c in range(len(columns)) if band_of_col[c] == b for i in columns[c])
            for b in range(bands)]
    band_span = [(high[b] - low[b] + 1) * pitch - gap_across for b in range(bands)]
    flow_len = max(band_len)
    cross_len = sum(band_span) + band_gap * (bands - 1)

    if top is None:
        top = _title_height(look)
    if vertical:
        width, graph_h = cross_len, flow_len
    else:
        width, graph_h = flow_len, cross_len
    width += 2 * margin
    if vertical and edge_labels:  # a label is centred on its edge, so it may stick out
        width += label_w
    title_w = max(_text_width(look.title, fonts.title, True), _text_width(look.key, fonts.key))
    shift = max(0.0, (title_w + 2 * margin - width) / 2) + (
        label_w / 2 if vertical and edge_labels else 0.0)
    width = max(width, title_w + 2 * margin)
    height = graph_h + 2 * margin + top
    graph_top = height - top - margin
    boxes: dict[int, Box] = {}
    ops: dict[int, Box] = {}
    band: dict[int, int] = {}
    cross_start = [sum(band_span[:b]) + band_gap * b for b in range(bands)]
    for c, members in enumerate(columns):
        b = band_of_col[c]
        for i in members:
            across_pos = cross_start[b] + (row[i] - low[b]) * pitch + (pitch - gap_across) / 2
            end = ends[c]  # the value box ends at the column's far end
            w, h = size[i]
            if vertical:
                x = margin + shift + across_pos
                y_end = graph_top - end  # TB: the flow goes down
                box = Box(x, y_end + h / 2, w, h)
            else:
                y = graph_top - across_pos
                box = Box(margin + shift + end - w / 2, y, w, h)
            if look.rankdir == "RL":
                box = box._replace(x=width - box.x)
            elif look.rankdir == "BT":
                box = box._replace(y=graph_top - (box.y - (graph_top - flow_len)))
            boxes[i] = box
            band[i] = b
            if i in op_size:
                ow, oh = op_size[i]
                if look.rankdir == "LR":
                    ops[i] = Box(box.x - w / 2 - op_gap - ow / 2, box.y, ow, oh)
                elif look.rankdir == "RL":
                    ops[i] = Box(box.x + w / 2 + op_gap + ow / 2, box.y, ow, oh)
                elif look.rankdir == "TB":
                    ops[i] = Box(box.x, box.y + h / 2 + op_gap + oh / 2, ow, oh)
                else:
                    ops[i] = Box(box.x, box.y - h / 2 - op_gap - oh / 2, ow, oh)
    del by_index
    return Layout(boxes, ops, band, width, height, graph_top, look)


def _title_height(look: Look) -> float:
    fonts = _fonts(look.font_size)
    if not look.title and not look.key:
        return 0.0
    return (fonts.title * 1.5 if look.title else 0.0) + (fonts.key * 1.5 if look.key else 0.0) \
        + 0.3 * look.font_size


def default_title(spec: GraphSpec) -> str:
    """"The graph of y: 6 values, 4 ops" (a title when none is given)."""
    root = spec.nodes[-1]
    ops = sum(1 for s in spec.nodes if s.op)
    drawn = len(spec.nodes) + sum(len(s.absorbed) for s in spec.nodes)
    shown = "" if drawn == spec.total else f" (of {spec.total})"
    return (f"The graph of {root.name}: {len(spec.nodes)} values{shown}, "
            f"{ops} op{'s' if ops != 1 else ''}")


def choose_look(spec: GraphSpec, *, rankdir: str = "auto", bands: int | None = None,
                font_size: float = FONT_SIZE, dpi: float | None = None,
                title: str | None = None, edge_labels: bool = False,
                digits: int = 4) -> Look:
    """The look of a picture of `spec`: `rankdir="auto"` picks the direction, and whether to
    wrap a long chain into rows, that shows the text largest on a 16:9 slide while keeping the
    picture no wider than 4:1 (and no taller than 1:2.5)."""
    if rankdir != "auto":
        _check_rankdir(rankdir)
    if font_size <= 0:
        raise ValueError(f"font_size must be positive, got {font_size}")
    if bands is not None and (not isinstance(bands, int) or bands < 1):
        raise ValueError(f"bands must be a positive whole number, got {bands!r}")
    text = default_title(spec) if title is None else title
    key = EDGE_KEY if edge_labels else ""
    base = Look("LR", 1, float(font_size), float(dpi or DPI), text, key)
    if rankdir != "auto":
        return base._replace(rankdir=rankdir, bands=bands or 1)
    columns, _, _ = _columns(spec)
    if bands is not None:
        candidates = [base._replace(bands=bands)]
    else:
        candidates = [base, base._replace(rankdir="TB")]
        candidates += [base._replace(bands=k) for k in range(2, 5) if len(columns) >= 2 * k]

    def score(look: Look) -> tuple[bool, float]:
        lay = arrange(spec, look, edge_labels=edge_labels, digits=digits)
        fits = lay.width <= MAX_ASPECT * lay.height and lay.height <= MAX_TALL * lay.width
        return fits, min(SLIDE[0] / lay.width, SLIDE[1] / lay.height)

    return max(candidates, key=score)  # max keeps the first of equals: fewer bands, LR first


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


def _grad_text(grad: float | None, digits: int) -> str:
    return "?" if grad is None else format_number(grad, digits)


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


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in RANKDIRS and rankdir != "auto":
        raise ValueError(f"rankdir must be 'auto' or one of {', '.join(RANKDIRS)}, got "
                         f"{rankdir!r}")


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
        png = draw_matplotlib(root, **mpl_options)._repr_png_()
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

EDGE_COLOR = "#616161"
ACTIVE = "#ef6c00"


def _out_point(box: Box, rankdir: str) -> tuple[float, float]:
    """Where edges leave a value box (its output side)."""
    return {"LR": (box.x + box.w / 2, box.y), "RL": (box.x - box.w / 2, box.y),
            "TB": (box.x, box.y - box.h / 2), "BT": (box.x, box.y + box.h / 2)}[rankdir]


def _in_point(box: Box, rankdir: str) -> tuple[float, float]:
    """Where edges enter a box or an op node (its input side)."""
    return {"LR": (box.x - box.w / 2, box.y), "RL": (box.x + box.w / 2, box.y),
            "TB": (box.x, box.y + box.h / 2), "BT": (box.x, box.y - box.h / 2)}[rankdir]


Point = tuple[float, float]


def edge_routes(spec: GraphSpec, lay: Layout) -> list[tuple[list[Point], float]]:
    """For each edge of `spec` (in order): its path as points, and its arc (0 = straight).

    Repeated uses of one value by one op (`a + a`) get arcs bent to opposite sides, so each is
    its own curve; an edge from the end of one band to the next runs through the gap between
    the bands instead of across them."""
    rankdir = lay.look.rankdir
    uses: dict[tuple[int, int], int] = {}
    for e in spec.edges:
        uses[(e.parent, e.child)] = uses.get((e.parent, e.child), 0) + 1
    seen: dict[tuple[int, int], int] = {}
    f = lay.look.font_size
    routes = []
    for e in spec.edges:
        start = _out_point(lay.boxes[e.parent], rankdir)
        target = lay.ops.get(e.child, lay.boxes[e.child])
        end = _in_point(target, rankdir)
        n = uses[(e.parent, e.child)]
        k = seen.get((e.parent, e.child), 0)
        seen[(e.parent, e.child)] = k + 1
        # repeated uses leave and arrive a little apart and bend apart by a fixed distance,
        # whatever the edge's length, so each is its own curve
        if n > 1:
            spread = (k - (n - 1) / 2) * 0.5 * f
            if rankdir in ("TB", "BT"):
                start, end = (start[0] - spread, start[1]), (end[0] - spread, end[1])
            else:
                start, end = (start[0], start[1] - spread), (end[0], end[1] - spread)
        length = max(math.dist(start, end), 1.0)
        apart = 1.4 * f
        rad = 0.0 if n == 1 else 2 * (k - (n - 1) / 2) * apart / length
        if lay.band[e.parent] != lay.band[e.child] and rankdir in ("LR", "RL"):
            step = 0.6 * f if rankdir == "LR" else -0.6 * f
            parent_box = lay.boxes[e.parent]
            gap_y = _gap_below(lay, lay.band[e.parent])
            points = [start, (start[0] + step, start[1]), (start[0] + step, gap_y),
                      (end[0] - step, gap_y), (end[0] - step, end[1]), end]
            del parent_box
            routes.append((points, 0.0))
        else:
            routes.append(([start, end], rad))
    return routes


def _gap_below(lay: Layout, band: int) -> float:
    """The y in the middle of the gap under a band (between it and the next band)."""
    lowest = min(b.y - b.h / 2 for i, b in lay.boxes.items() if lay.band[i] == band)
    highest_next = max(b.y + b.h / 2 for i, b in list(lay.boxes.items()) + list(lay.ops.items())
                       if lay.band[i] == band + 1)
    return (lowest + highest_next) / 2


def _curve_point(points: list[Point], rad: float, t: float) -> Point:
    """The point at fraction `t` along a route (a polyline, or an arc3 quadratic curve)."""
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        dx, dy = x1 - x0, y1 - y0
        cx, cy = (x0 + x1) / 2 + rad * dy, (y0 + y1) / 2 - rad * dx  # matplotlib's arc3
        u = 1 - t
        return (u * u * x0 + 2 * u * t * cx + t * t * x1, u * u * y0 + 2 * u * t * cy + t * t * y1)
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:])]
    goal = t * sum(lengths)
    for (a, b), length in zip(zip(points, points[1:]), lengths):
        if goal <= length and length > 0:
            r = goal / length
            return (a[0] + r * (b[0] - a[0]), a[1] + r * (b[1] - a[1]))
        goal -= length
    return points[-1]


def place_labels(spec: GraphSpec, lay: Layout, routes: list[tuple[list[Point], float]],
                 texts: list[str | None]) -> list[Box | None]:
    """A spot for each edge label (None where `texts` has none): on its own edge, clear of
    every node and of the labels placed before it, nearest the middle that is free."""
    fonts = _fonts(lay.look.font_size)
    f = lay.look.font_size
    obstacles = [b for b in lay.boxes.values()] + [b for b in lay.ops.values()]
    placed: list[Box] = []
    result: list[Box | None] = []
    for (points, rad), text in zip(routes, texts):
        if text is None:
            result.append(None)
            continue
        w = _text_width(text, fonts.edge) + 0.5 * f
        h = fonts.edge * 1.25 + 0.3 * f
        ts = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)
        if len(points) > 2:  # a route between bands: its run along the gap first
            ts = (0.5, 0.4, 0.6, 0.3, 0.7)
        spots = [(t, 0.0, 0.0) for t in ts]
        if rad and len(points) == 2:
            # a repeated use: its label goes on the outer side of its own arc, away from the
            # other arc and its label
            (x0, y0), (x1, y1) = points
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            ax_, ay_ = _curve_point(points, rad, 0.5)
            length = math.hypot(ax_ - mx, ay_ - my) or 1.0
            ux, uy = (ax_ - mx) / length, (ay_ - my) / length
            push = (abs(ux) * w + abs(uy) * h) / 2 + 0.3 * f
            spots = [(t, ux * push, uy * push) for t in (0.5, 0.42, 0.58, 0.34, 0.66)] + spots
        best, best_cost = None, math.inf
        for t, dx, dy in spots:
            x, y = _curve_point(points, rad, t)
            box = Box(x + dx, y + dy, w, h)
            cost = sum(_overlap(box, o, 0.25 * f) for o in obstacles + placed)
            inside = (box.x - w / 2 >= 0 and box.x + w / 2 <= lay.width and box.y - h / 2 >= 0
                      and box.y + h / 2 <= lay.graph_top + 0.9 * f)
            cost += 0.0 if inside else 1e6
            if cost < best_cost:
                best, best_cost = box, cost
            if cost == 0:
                break
        placed.append(best)
        result.append(best)
    return result


def _overlap(a: Box, b: Box, margin: float) -> float:
    dx = (a.w + b.w) / 2 + margin - abs(a.x - b.x)
    dy = (a.h + b.h) / 2 + margin - abs(a.y - b.y)
    return dx * dy if dx > 0 and dy > 0 else 0.0


def draw_spec(ax: Axes, spec: GraphSpec, lay: Layout, *,
              grads: dict[int, str] | None = None, edge_labels: bool = False,
              current: int | None = None, touched: Collection[int] = (),
              active_edges: Collection[tuple[int, int]] = (),
              downstream: dict[tuple[int, int], float] | None = None,
              upstream: dict[int, float] | None = None, digits: int = 4) -> None:
    """Draw a GraphSpec on a matplotlib Axes whose data units are points (see `new_figure`).

    `grads` overrides the grad text per node (the frames use it to fill gradients in);
    `current` is outlined in orange, `touched` filled yellow and `active_edges` (child,
    position) drawn thick orange with their labels; `downstream`/`upstream` override the
    numbers shown on an edge.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    look = lay.look
    f = look.font_size
    fonts = _fonts(f)
    rankdir = look.rankdir
    routes = edge_routes(spec, lay)
    texts: list[str | None] = []
    for e in spec.edges:
        active = (e.child, e.position) in active_edges
        if edge_labels or active:
            down = None if downstream is None else downstream.get((e.child, e.position))
            up = None if upstream is None else upstream.get(e.child)
            texts.append(edge_label(e, digits, down, up))
        else:
            texts.append(None)
    spots = place_labels(spec, lay, routes, texts)
    for e, (points, rad), text, spot in zip(spec.edges, routes, texts, spots):
        active = (e.child, e.position) in active_edges
        color = BAD_LINE if e.bad else (ACTIVE if active else EDGE_COLOR)
        style = dict(arrowstyle="-|>", mutation_scale=f * 1.1, color=color,
                     linewidth=2.4 if (active or e.bad) else 1.1, zorder=1)
        if len(points) == 2:
            ax.add_patch(FancyArrowPatch(points[0], points[1], connectionstyle=f"arc3,rad={rad}",
                                         shrinkA=0, shrinkB=0, **style))
        else:
            ax.add_patch(FancyArrowPatch(path=MplPath(points), **style))
        if text is not None and spot is not None:
            ax.text(spot.x, spot.y, text, fontsize=fonts.edge, ha="center", va="center",
                    color="#212121" if color == EDGE_COLOR else color, zorder=4, gid="edge-label",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.9})
    for s in spec.nodes:
        box = lay.boxes[s.index]
        fill = BAD_FILL if s.bad else ("#fff59d" if s.index in touched else FILL[s.role])
        line = BAD_LINE if s.bad else (ACTIVE if s.index == current else "#424242")
        width = 2.8 if (s.index == current or s.bad or s.role == "output") else 1.1
        ax.add_patch(FancyBboxPatch((box.x - box.w / 2, box.y - box.h / 2), box.w, box.h,
                                    boxstyle=f"round,pad=0,rounding_size={0.35 * f}",
                                    facecolor=fill, edgecolor=line, linewidth=width,
                                    linestyle="--" if s.role == "const" else "-", zorder=2,
                                    gid="value-box"))
        data, grad = value_lines(s, digits, None if grads is None else grads[s.index])
        top = box.y + box.h / 2 - 0.4 * f
        ax.text(box.x, top, s.name, ha="center", va="top", fontsize=fonts.name,
                fontweight="bold", zorder=3, gid="value-name")
        ax.text(box.x, top - fonts.name * 1.3, f"{data}\n{grad}", ha="center", va="top",
                fontsize=fonts.body, zorder=3, linespacing=1.3, gid="value-numbers")
        if s.op:
            o = lay.ops[s.index]
            ax.add_patch(FancyBboxPatch((o.x - o.w / 2, o.y - o.h / 2), o.w, o.h,
                                        boxstyle=f"round,pad=0,rounding_size={min(o.h, o.w) / 2}",
                                        facecolor="#f5f5f5", zorder=2, gid="op-node",
                                        edgecolor=BAD_LINE if s.bad else "#9e9e9e",
                                        linewidth=1.1))
            ax.text(o.x, o.y, op_label(s), ha="center", va="center", fontsize=fonts.op,
                    zorder=3, linespacing=1.3, gid="op-label")
            ax.add_patch(FancyArrowPatch(_out_point(o, rankdir), _in_point(box, rankdir),
                                         arrowstyle="-|>", mutation_scale=f * 1.1,
                                         color=EDGE_COLOR, linewidth=1.1, shrinkA=0, shrinkB=0,
                                         zorder=1))
            if s.hidden:
                ax.text(o.x, o.y - o.h / 2 - 0.2 * f, f"… {s.hidden} more", ha="center",
                        va="top", fontsize=fonts.edge, color="#757575", zorder=3,
                        gid="hidden-inputs")
    ax.set_xlim(0, lay.width)
    ax.set_ylim(0, lay.height)
    ax.axis("off")


def draw_title(ax: Axes, look: Look, lay: Layout, detail: str = "") -> None:
    """The title (and the edge-label key, or a frame's detail lines) above the graph."""
    fonts = _fonts(look.font_size)
    y = lay.height - 0.3 * look.font_size
    if look.title:
        ax.text(lay.width / 2, y, look.title, ha="center", va="top", fontsize=fonts.title,
                fontweight="bold", gid="title")
        y -= fonts.title * 1.5
    extra = "\n".join(line for line in (look.key, detail) if line)
    if extra:
        ax.text(lay.width / 2, y, extra, ha="center", va="top", fontsize=fonts.key,
                color="#424242", linespacing=1.3, gid="title-key")


def new_figure(lay: Layout) -> Figure:
    """A matplotlib Figure (Agg canvas, no pyplot) exactly the layout's size, with one Axes
    whose data units are points, so text and boxes keep the sizes the layout gave them."""
    from ._mplfigure import new_figure as make

    figure = make((lay.width / 72.0, lay.height / 72.0), lay.look.dpi)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.axis("off")
    return figure


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
