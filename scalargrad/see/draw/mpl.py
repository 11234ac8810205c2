"""Drawing a laid-out graph with matplotlib: boxes, op nodes, edges and their labels.

`draw_spec` draws a GraphSpec at the places `layout.arrange` gave it, on an Axes whose data
units are points. Repeated uses of a value (`a + a`) are separate arcs; every edge label is put
on its own edge, clear of every box and of the labels placed before it. `draw_matplotlib`
(in draw.py) and the animation frames (frames.py) both draw through here, so they look alike.
matplotlib is imported only when something is drawn.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Collection, Sequence

from scalargrad.see.draw.layout import (
    BAD_FILL,
    BAD_LINE,
    FILL,
    FONT_SIZE,
    Box,
    Layout,
    Look,
    _fonts,
    _lines,
    _text_width,
    arrange,
    choose_look,
    edge_label,
    op_label,
    value_lines,
)
from scalargrad.see.draw.spec import CheckOption, GraphSpec, NamesOption, ParamsOption, graph_spec
from scalargrad.see.text import safe_text
from scalargrad.value import Value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
            gap_y = _gap_below(lay, lay.band[e.parent])
            points = [start, (start[0] + step, start[1]), (start[0] + step, gap_y),
                      (end[0] - step, gap_y), (end[0] - step, end[1]), end]
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
        ts: tuple[float, ...] = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82)
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
        best, best_cost = Box(0.0, 0.0, w, h), math.inf
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
        width = 2.4 if (active or e.bad) else 1.1
        if len(points) == 2:
            arrow = FancyArrowPatch(points[0], points[1], connectionstyle=f"arc3,rad={rad}",
                                    shrinkA=0, shrinkB=0, arrowstyle="-|>",
                                    mutation_scale=f * 1.1, color=color, linewidth=width)
        else:
            arrow = FancyArrowPatch(path=MplPath(points), arrowstyle="-|>",
                                    mutation_scale=f * 1.1, color=color, linewidth=width)
        arrow.set_zorder(1)
        ax.add_patch(arrow)
        if text is not None and spot is not None:
            ax.text(spot.x, spot.y, text, fontsize=fonts.edge, ha="center", va="center",
                    color="#212121" if color == EDGE_COLOR else color, zorder=4,
                    gid="edge-label", parse_math=False,
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
                fontweight="bold", zorder=3, gid="value-name", parse_math=False)
        ax.text(box.x, top - fonts.name * 1.3, f"{data}\n{grad}", ha="center", va="top",
                fontsize=fonts.body, zorder=3, linespacing=1.3, gid="value-numbers",
                parse_math=False)
        if s.op:
            o = lay.ops[s.index]
            ax.add_patch(FancyBboxPatch((o.x - o.w / 2, o.y - o.h / 2), o.w, o.h,
                                        boxstyle=f"round,pad=0,rounding_size={min(o.h, o.w) / 2}",
                                        facecolor="#f5f5f5", zorder=2, gid="op-node",
                                        edgecolor=BAD_LINE if s.bad else "#9e9e9e",
                                        linewidth=1.1))
            ax.text(o.x, o.y, op_label(s), ha="center", va="center", fontsize=fonts.op,
                    zorder=3, linespacing=1.3, gid="op-label", parse_math=False)
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
    if look.title:  # (safe_text: matplotlib cannot draw a lone surrogate; it raises)
        ax.text(lay.width / 2, y, safe_text(look.title), ha="center", va="top",
                fontsize=fonts.title, fontweight="bold", linespacing=1.5, gid="title",
                parse_math=False)
        y -= fonts.title * 1.5 * _lines(look.title)
    extra = safe_text("\n".join(line for line in (look.key, detail) if line))
    if extra:
        ax.text(lay.width / 2, y, extra, ha="center", va="top", fontsize=fonts.key,
                color="#424242", linespacing=1.3, gid="title-key", parse_math=False)


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes (what Jupyter shows)."""
    from scalargrad.see.figure import ShownFigure

    return ShownFigure._repr_png_(figure)  # type: ignore[arg-type]


def new_figure(lay: Layout) -> Figure:
    """A matplotlib Figure (Agg canvas, no pyplot) exactly the layout's size, with one Axes
    whose data units are points, so text and boxes keep the sizes the layout gave them."""
    from scalargrad.see.figure import new_figure as make

    figure = make((lay.width / 72.0, lay.height / 72.0), lay.look.dpi)
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.axis("off")
    return figure


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
