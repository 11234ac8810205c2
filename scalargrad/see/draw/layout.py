"""Where every box of a graph picture goes: one look shared by `dot`, matplotlib and the frames.

Sizes are in points (1/72 inch) and scale with `font_size`. The matplotlib drawing uses them
as its coordinates; the choice of direction (left to right, top to bottom, or a long chain
wrapped into rows read like lines of text) is made from them for both backends, so `dot`, the
matplotlib drawing and the animation frames of one graph look alike. Pure Python: needs
neither graphviz nor matplotlib.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple, Sequence

from scalargrad.see.text import format_number

if TYPE_CHECKING:  # pragma: no cover
    from scalargrad.see.draw.spec import EdgeSpec, GraphSpec, NodeSpec

FILL = {"output": "#c8e6c9", "param": "#ffe0b2", "input": "#bbdefb", "const": "#eeeeee",
        "interior": "#ffffff"}
BAD_FILL = "#ffcdd2"
BAD_LINE = "#d32f2f"
RANKDIRS = ("LR", "TB", "RL", "BT")  # and "auto"


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
    blocked: set[int] = set()
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
    return Layout(boxes, ops, band, width, height, graph_top, look)


def _title_height(look: Look) -> float:
    """The room above the graph: the title's lines (a line break in it starts a new one) and
    the key line."""
    fonts = _fonts(look.font_size)
    if not look.title and not look.key:
        return 0.0
    return (fonts.title * 1.5 * _lines(look.title) if look.title else 0.0) \
        + (fonts.key * 1.5 if look.key else 0.0) + 0.3 * look.font_size


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


def _grad_text(grad: float | None, digits: int) -> str:
    return "?" if grad is None else format_number(grad, digits)


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in RANKDIRS and rankdir != "auto":
        raise ValueError(f"rankdir must be 'auto' or one of {', '.join(RANKDIRS)}, got "
                         f"{rankdir!r}")
