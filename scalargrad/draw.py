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

import shutil
import subprocess
import warnings
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Collection, Iterable, NamedTuple, Sequence, Union

from . import graph as graph_walk
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
RANKDIRS = ("LR", "TB", "RL", "BT")
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


class GraphSpec(NamedTuple):
    nodes: tuple[NodeSpec, ...]  # in topological order
    edges: tuple[EdgeSpec, ...]  # by child, then argument position
    total: int  # nodes in the whole graph


def graph_spec(root: Value, *, params: Iterable[Value] = (), max_nodes: int | None =
               DEFAULT_MAX_NODES, max_depth: int | None = None, collapse: Collection[str] = (),
               check: CheckOption = None) -> GraphSpec:
    """Decide what to draw: which nodes (limited by depth and count), their roles and edges.

    `max_depth` keeps nodes at most that many edges from the root; `max_nodes` then keeps the
    nodes nearest the root. Inputs left out are summarised as "… N more" on their consumer.
    `collapse` names ops (e.g. {"dot"}) whose node absorbs the leaves used by it alone (a
    neuron's weights and bias), so a whole MLP stays readable.
    """
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    n = len(order)
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

    collapse = frozenset(collapse)
    absorbed: dict[int, list[int]] = {}
    absorbed_into: set[int] = set()
    for i, node in enumerate(order):
        if node._op in collapse:
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

    param_set = set(params)
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
        locals_ = graph_walk.local_gradients(node)  # the op's own closure, at upstream 1
        downs = graph_walk.downstream(node, node.grad) or ()
        for k, (parent, local) in enumerate(zip(node._prev, locals_)):
            j = index[parent]
            if j in kept:
                edges.append(EdgeSpec(j, i, k, local, downs[k], (i, k) in bad_edges))
            elif j not in absorbed.get(i, ()):
                hidden += 1
        nodes.append(NodeSpec(i, names[i], node._op, node.data, node.grad, role,
                              i in bad_nodes or any(j in bad_nodes for j in absorbed.get(i, ())),
                              tuple(names[j] for j in absorbed.get(i, ())), hidden))
    return GraphSpec(tuple(nodes), tuple(edges), n)


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
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _grad_text(grad: float | None, digits: int) -> str:
    return "?" if grad is None else format_number(grad, digits)


def dot_body(spec: GraphSpec, *, edge_labels: bool = False, digits: int = 4) -> list[str]:
    """The DOT statements (one per line, tab-indented, newline-terminated) for a GraphSpec."""
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    lines = []
    for s in spec.nodes:
        label = (f"{{ {_record_field(s.name)} | data {fmt(s.data)} | "
                 f"grad {_grad_text(s.grad, digits)} }}")
        attrs = [f'label="{label}"', "shape=record"]
        attrs.append('style="filled,dashed"' if s.role == "const" else "style=filled")
        attrs.append(f'fillcolor="{BAD_FILL if s.bad else FILL[s.role]}"')
        if s.bad:
            attrs += [f'color="{BAD_LINE}"', "penwidth=2"]
        elif s.role == "output":
            attrs.append("penwidth=2")
        lines.append(f"\tn{s.index} [{' '.join(attrs)}]\n")
        if s.op:
            op_label = _dot_text(s.op)
            if s.absorbed:
                op_label += f"\\n+{len(s.absorbed)} leaves"
            op_attrs = [f'label="{op_label}"', "shape=ellipse", "fontsize=10", "style=filled",
                        'fillcolor="#f5f5f5"']
            if s.bad:
                op_attrs.append(f'color="{BAD_LINE}"')
            lines.append(f"\tn{s.index}op [{' '.join(op_attrs)}]\n")
            lines.append(f"\tn{s.index}op -> n{s.index}\n")
        if s.hidden:
            lines.append(f'\tn{s.index}more [label="… {s.hidden} more" shape=plaintext '
                         'fontcolor="#757575"]\n')
            lines.append(f'\tn{s.index}more -> n{s.index}op [style=dashed color="#9e9e9e"]\n')
    for e in spec.edges:
        attrs = []
        if edge_labels:
            attrs.append(f'label="local {fmt(e.local)}\\ndown {fmt(e.downstream)}"')
        if e.bad:
            attrs += [f'color="{BAD_LINE}"', f'fontcolor="{BAD_LINE}"', "penwidth=2"]
        tail = f" [{' '.join(attrs)}]" if attrs else ""
        lines.append(f"\tn{e.parent} -> n{e.child}op{tail}\n")
    return lines


_GRAPH_NAME = "scalargrad"
_NODE_ATTR = {"fontname": "Helvetica", "fontsize": "11"}
_EDGE_ATTR = {"fontname": "Helvetica", "fontsize": "9"}


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")


def to_dot(root: Value, rankdir: str = "LR", *, edge_labels: bool = False,
           params: Iterable[Value] = (), max_nodes: int | None = DEFAULT_MAX_NODES,
           max_depth: int | None = None, collapse: Collection[str] = (),
           check: CheckOption = None, digits: int = 4) -> str:
    """The graph of `root` as DOT source text; needs neither graphviz nor matplotlib.

    The same text as `draw_dot(root, ...).source`. Render it with `dot -Tpng graph.dot -o
    graph.png`, or paste it into any Graphviz viewer.
    """
    _check_rankdir(rankdir)
    spec = graph_spec(root, params=params, max_nodes=max_nodes, max_depth=max_depth,
                      collapse=collapse, check=check)
    node_attr = " ".join(f"{k}={v}" for k, v in _NODE_ATTR.items())
    edge_attr = " ".join(f"{k}={v}" for k, v in _EDGE_ATTR.items())
    return (f"digraph {_GRAPH_NAME} {{\n\tgraph [rankdir={rankdir}]\n\tnode [{node_attr}]\n"
            f"\tedge [{edge_attr}]\n"
            + "".join(dot_body(spec, edge_labels=edge_labels, digits=digits)) + "}\n")


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR", *,  # noqa: A002
             edge_labels: bool = False, params: Iterable[Value] = (),
             max_nodes: int | None = DEFAULT_MAX_NODES, max_depth: int | None = None,
             collapse: Collection[str] = (), check: CheckOption = None,
             digits: int = 4) -> Any:
    """The graph of `root` as a `graphviz.Digraph` (displayed inline in Jupyter).

    Render it to a file with `draw_dot(y, format="png").render("graph")` (writes graph and
    graph.png). `rankdir` is "LR" (left to right) or "TB" (top to bottom). Options:
    `edge_labels` shows each use's local gradient and downstream (after backward);
    `params` marks parameters; `max_nodes`, `max_depth` and `collapse` keep big graphs
    readable (see `graph_spec`); `check=True` runs `check_graph` and draws mismatches in red.

    Needs the graphviz Python package (ImportError naming the fix if missing). If graphviz's
    `dot` program is missing, a GraphvizMissingWarning names the fix; the Digraph's `.source`
    still works, and `render_graph`, `draw_matplotlib` and `text_tree` need no `dot`.
    """
    _check_rankdir(rankdir)
    try:
        import graphviz
    except ImportError:
        raise ImportError(f"draw_dot needs the graphviz Python package: {GRAPHVIZ_PACKAGE_FIX}. "
                          "Without it: scalargrad.to_dot(root) gives the DOT source, "
                          "scalargrad.draw_matplotlib(root) an image, "
                          "scalargrad.text_tree(root) a text tree.") from None
    if not dot_available():
        warnings.warn(f"graphviz's `dot` program was not found, so this graph cannot be rendered "
                      f"or shown as an image. Fix: {GRAPHVIZ_FIX}. Meanwhile the DOT source is in "
                      ".source, and scalargrad.draw_matplotlib(root) or "
                      "scalargrad.text_tree(root) show the graph without it.",
                      GraphvizMissingWarning, stacklevel=2)
    spec = graph_spec(root, params=params, max_nodes=max_nodes, max_depth=max_depth,
                      collapse=collapse, check=check)
    digraph = graphviz.Digraph(name=_GRAPH_NAME, format=format, graph_attr={"rankdir": rankdir},
                               node_attr=dict(_NODE_ATTR), edge_attr=dict(_EDGE_ATTR))
    digraph.body.extend(dot_body(spec, edge_labels=edge_labels, digits=digits))
    return digraph


def render_graph(root: Value, path: str | FilePath, *, format: str | None = None,  # noqa: A002
                 fallback: bool = True, rankdir: str = "LR", **options: Any) -> FilePath:
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
        done = subprocess.run([dot, f"-T{fmt}", str(dot_path), "-o", str(path)],
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
    mpl_options = {k: v for k, v in options.items() if k != "digits"}
    try:
        figure = draw_matplotlib(root, **mpl_options)
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
        kind = f"← {node._op}" if node._prev else ("(output)" if i == len(order) - 1 else
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


class Layout(NamedTuple):
    """Where each drawn node sits: (x, y) of its value box by topological index."""

    positions: dict[int, tuple[float, float]]
    width: float
    height: float


BOX_W, BOX_H = 1.7, 0.78
COL_STEP, ROW_STEP = 3.9, 1.2
OP_GAP = 0.75  # from a box's input side to the centre of its op label


def layout(spec: GraphSpec, rankdir: str = "LR") -> Layout:
    """Columns by longest distance from the output (output rightmost); rows by consumers' rows."""
    _check_rankdir(rankdir)
    drawn = {s.index for s in spec.nodes}
    parents_of: dict[int, list[int]] = {i: [] for i in drawn}
    consumers_of: dict[int, list[int]] = {i: [] for i in drawn}
    for e in spec.edges:
        parents_of[e.child].append(e.parent)
        consumers_of[e.parent].append(e.child)
    root = spec.nodes[-1].index
    depth = {root: 0}
    for s in reversed(spec.nodes):  # consumers come before their inputs in this order
        d = depth.get(s.index, 0)
        depth.setdefault(s.index, d)
        for j in parents_of[s.index]:
            depth[j] = max(depth.get(j, 0), d + 1)
    max_depth = max(depth.values())
    columns: dict[int, list[int]] = {}
    for i in sorted(drawn, reverse=True):
        columns.setdefault(depth[i], []).append(i)
    row: dict[int, float] = {}
    for d in range(max_depth + 1):
        members = columns.get(d, [])
        keys = {}
        for i in members:
            placed = [row[c] for c in consumers_of[i] if c in row]
            keys[i] = (sum(placed) / len(placed) if placed else 0.0, -i)
        members.sort(key=lambda i: keys[i])
        for r, i in enumerate(members):
            row[i] = r - (len(members) - 1) / 2
    tallest = max(len(m) for m in columns.values())
    positions = {}
    for i in drawn:
        col = max_depth - depth[i]
        if rankdir in ("LR", "RL"):
            x = col * COL_STEP if rankdir == "LR" else (max_depth - col) * COL_STEP
            y = -row[i] * ROW_STEP
        else:
            x = row[i] * (BOX_W + 1.0)
            y = -col * COL_STEP * 0.7 if rankdir == "TB" else col * COL_STEP * 0.7
        positions[i] = (x, y)
    if rankdir in ("LR", "RL"):
        return Layout(positions, (max_depth + 1) * COL_STEP, tallest * ROW_STEP)
    return Layout(positions, tallest * (BOX_W + 1.0), (max_depth + 1) * COL_STEP * 0.7)


def _op_anchor(pos: tuple[float, float], rankdir: str) -> tuple[float, float]:
    x, y = pos
    if rankdir == "LR":
        return (x - BOX_W / 2 - OP_GAP, y)
    if rankdir == "RL":
        return (x + BOX_W / 2 + OP_GAP, y)
    if rankdir == "TB":
        return (x, y + BOX_H / 2 + 0.45)
    return (x, y - BOX_H / 2 - 0.45)


def _op_entry(pos: tuple[float, float], op: str, rankdir: str) -> tuple[float, float]:
    """Where an edge meets the op label of the node at `pos` (its label's outer side)."""
    ox, oy = _op_anchor(pos, rankdir)
    half = 0.05 * len(op) + 0.12  # about half the label's width at fontsize 7, in data units
    return {"LR": (ox - half, oy), "RL": (ox + half, oy), "TB": (ox, oy + 0.2),
            "BT": (ox, oy - 0.2)}[rankdir]


def _out_anchor(pos: tuple[float, float], rankdir: str) -> tuple[float, float]:
    x, y = pos
    return {"LR": (x + BOX_W / 2, y), "RL": (x - BOX_W / 2, y), "TB": (x, y - BOX_H / 2),
            "BT": (x, y + BOX_H / 2)}[rankdir]


def draw_spec(ax: Axes, spec: GraphSpec, lay: Layout, *, rankdir: str = "LR",
              grads: dict[int, str] | None = None, edge_labels: bool = False,
              current: int | None = None, touched: Collection[int] = (),
              active_edges: Collection[tuple[int, int]] = (),
              downstream: dict[tuple[int, int], float] | None = None, digits: int = 4) -> None:
    """Draw a GraphSpec on a matplotlib Axes at the positions of `lay`.

    `grads` overrides the grad text per node (the frames use it to fill gradients in);
    `current` is outlined in orange, `touched` filled yellow and `active_edges` (child,
    position) drawn thick orange; `downstream` overrides the downstream shown on an edge.
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fmt = lambda x: format_number(x, digits)  # noqa: E731
    pos = lay.positions
    uses: dict[tuple[int, int], int] = {}
    for e in spec.edges:
        uses[(e.parent, e.child)] = uses.get((e.parent, e.child), 0) + 1
    seen: dict[tuple[int, int], int] = {}
    ops = {s.index: s.op for s in spec.nodes}
    for e in spec.edges:
        start = _out_anchor(pos[e.parent], rankdir)
        end = _op_entry(pos[e.child], ops[e.child], rankdir)
        n_uses = uses[(e.parent, e.child)]
        k = seen.get((e.parent, e.child), 0)
        seen[(e.parent, e.child)] = k + 1
        rad = 0.0 if n_uses == 1 else 0.35 * (k - (n_uses - 1) / 2)
        active = (e.child, e.position) in active_edges
        color = BAD_LINE if e.bad else ("#ef6c00" if active else "#616161")
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10,
                                     connectionstyle=f"arc3,rad={rad}", color=color,
                                     linewidth=2.2 if (active or e.bad) else 0.9,
                                     shrinkA=0, shrinkB=1, zorder=1))
        if edge_labels or active:
            mx = start[0] + 0.42 * (end[0] - start[0])
            my = start[1] + 0.42 * (end[1] - start[1]) + 0.06 + 0.3 * rad
            down = e.downstream
            if downstream is not None:
                down = downstream.get((e.child, e.position), down)
            ax.text(mx, my, f"local {fmt(e.local)}\ndown {fmt(down)}", fontsize=6.5,
                    ha="center", va="bottom", color=color, zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6})
    for s in spec.nodes:
        x, y = pos[s.index]
        fill = BAD_FILL if s.bad else ("#fff59d" if s.index in touched else FILL[s.role])
        edge = BAD_LINE if s.bad else ("#ef6c00" if s.index == current else "#424242")
        width = 2.5 if (s.index == current or s.bad or s.role == "output") else 1.0
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle="round,pad=0.02", facecolor=fill, edgecolor=edge,
                                    linewidth=width, linestyle="--" if s.role == "const" else "-",
                                    zorder=2))
        grad = grads[s.index] if grads is not None else fmt(s.grad)
        ax.text(x, y + BOX_H * 0.22, s.name, ha="center", va="center", fontsize=8.5,
                fontweight="bold", zorder=3)
        ax.text(x, y - BOX_H * 0.17, f"data {fmt(s.data)}\ngrad {grad}", ha="center",
                va="center", fontsize=7.5, zorder=3, linespacing=1.1)
        if s.op:
            ox, oy = _op_anchor((x, y), rankdir)
            label = s.op + (f"\n+{len(s.absorbed)} leaves" if s.absorbed else "")
            ax.text(ox, oy, label, ha="center", va="center", fontsize=7, zorder=3,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "#f5f5f5",
                          "edgecolor": BAD_LINE if s.bad else "#9e9e9e"})
            ax.add_patch(FancyArrowPatch((ox, oy), _in_anchor((x, y), rankdir),
                                         arrowstyle="-|>", mutation_scale=9, color="#616161",
                                         linewidth=0.9, shrinkA=12, shrinkB=0, zorder=1))
            if s.hidden:
                hx, hy = _op_anchor((ox, oy), rankdir)
                ax.text(hx, hy, f"… {s.hidden} more", ha="center", va="center", fontsize=7,
                        color="#757575", zorder=3)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - BOX_W / 2 - 1.6 - 0.6, max(xs) + BOX_W / 2 + 0.6)
    ax.set_ylim(min(ys) - BOX_H / 2 - 0.5, max(ys) + BOX_H / 2 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")


def _in_anchor(pos: tuple[float, float], rankdir: str) -> tuple[float, float]:
    x, y = pos
    return {"LR": (x - BOX_W / 2, y), "RL": (x + BOX_W / 2, y), "TB": (x, y + BOX_H / 2),
            "BT": (x, y - BOX_H / 2)}[rankdir]


def new_figure(lay: Layout, *, extra_height: float = 0.0) -> Figure:
    """A matplotlib Figure (Agg canvas, no pyplot, no display) sized for a layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width = min(max(4.0, 0.62 * (lay.width + 0.6)), 24.0)
    height = min(max(1.2, 0.62 * (lay.height + 0.6)) + extra_height, 24.0)
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def draw_matplotlib(root: Value, rankdir: str = "LR", *, edge_labels: bool = False,
                    params: Iterable[Value] = (), max_nodes: int | None = 60,
                    max_depth: int | None = None, collapse: Collection[str] = (),
                    check: CheckOption = None, digits: int = 4,
                    title: str | None = None) -> Figure:
    """The graph of `root` drawn with matplotlib (no graphviz needed); returns a Figure.

    The same boxes, colours and options as `draw_dot`, with a simpler layout: columns by
    distance from the output. Best for graphs of up to a few dozen nodes (`max_nodes` = 60
    by default). Save it with `figure.savefig("graph.png")`.
    """
    spec = graph_spec(root, params=params, max_nodes=max_nodes, max_depth=max_depth,
                      collapse=collapse, check=check)
    lay = layout(spec, rankdir)
    extra = 0.4 if title else 0.0
    figure = new_figure(lay, extra_height=extra)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0 - extra / figure.get_figheight()))
    draw_spec(ax, spec, lay, rankdir=rankdir, edge_labels=edge_labels, digits=digits)
    if title:
        figure.text(0.5, 1.0 - 0.1 / figure.get_figheight(), title, ha="center", va="top",
                    fontsize=10)
    return figure


def spec_names(spec: GraphSpec) -> Sequence[str]:
    """The names of the drawn nodes, in topological order (handy in tests and notebooks)."""
    return [s.name for s in spec.nodes]
