"""Step frames: the backward pass as a sequence of pictures, gradients filling in node by node.

Frame 0 shows the forward pass (every `data` known, every `grad` "?"); frame 1 seeds the output
with upstream 1; then one frame per op node, in reverse topological order, shows that node
sending downstream = upstream × local gradient into each of its inputs. A node whose consumers
have not all reported yet shows its partial sum ("…"). The last frame is the finished pass.

`backward_frames(root)` returns the frames as data (no drawing), `save_frames(root, folder)`
writes one PNG per frame and `save_gif(root, "backward.gif")` one animated GIF. Drawing uses
matplotlib with the Agg canvas (no display, no graphviz). The pass is replayed from the stored
local gradients: no `.grad` is changed.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Collection, NamedTuple

from scalargrad import graph
from scalargrad.graph import topological_order
from scalargrad.node import _as_float
from scalargrad.ops import custom_op
from scalargrad.see.draw.layout import (
    FONT_SIZE,
    Layout,
    Look,
    _fonts,
    _title_height,
    arrange,
    choose_look,
)
from scalargrad.see.draw.mpl import draw_spec, draw_title, new_figure
from scalargrad.see.draw.spec import GraphSpec, NamesOption, ParamsOption, graph_spec
from scalargrad.see.text import format_number, node_names
from scalargrad.value import Value

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["Frame", "backward_frames", "draw_frame", "save_frames", "save_gif"]


DETAIL_LINES = 6  # "upstream …", up to four downstream lines and "… and N more"


class Frame(NamedTuple):
    """The state of the backward pass after one step, ready to draw.

    `grads` maps a node's topological index to its gradient so far (None: nothing has reached
    it yet); `partial` holds the nodes still waiting for some consumers; `current` is the node
    whose step this is, `touched` the inputs it just sent gradient to, `active_edges` those
    uses as (node, argument position).
    """

    step: int
    title: str
    detail: str
    grads: dict[int, float | None]
    partial: frozenset[int]
    current: int | None
    touched: tuple[int, ...]
    active_edges: tuple[tuple[int, int], ...]
    downstream: dict[tuple[int, int], float]


def backward_frames(root: Value, grad: float = 1.0, *,
                    only: Collection[int] | None = None,
                    max_nodes: int = 500) -> list[Frame]:
    """The backward pass from `root` as a list of Frames (forward, seed, one per op node, done).

    `only` limits the per-node frames to those topological indices (the drawn nodes of a
    limited picture); gradients are still computed for the whole graph. Every frame holds
    the gradient of every node it shows, so frames of a whole graph grow as nodes²: without
    `only`, a graph of more than `max_nodes` nodes is refused with a ValueError.
    """
    seed = _as_float(grad, "backward_frames grad")
    order = topological_order(root)
    if only is None and len(order) > max_nodes:
        raise ValueError(
            f"backward_frames: the graph has {len(order):,} nodes; one frame per op node, each "
            f"with every node's gradient, would hold about {len(order) ** 2:,} numbers. Pass "
            "only= (the topological indices to show, e.g. the nodes of a drawn part: "
            "{s.index for s in graph_spec(root, max_nodes=40).nodes}), or raise max_nodes")
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    n = len(order)
    uses = [0] * n
    for node in order:
        for parent in node._prev:
            uses[index[parent]] += 1
    received = [0] * n
    grads: list[float | None] = [None] * n
    shown = range(n) if only is None else sorted(set(only) | {n - 1})
    fmt = format_number

    def snapshot() -> dict[int, float | None]:
        return {i: grads[i] for i in shown}

    frames = [Frame(0, "Forward pass done: every data is known, no gradient yet",
                    "Backward starts at the output and walks the graph in reverse.",
                    snapshot(), frozenset(), None, (), (), {})]
    grads[n - 1] = seed
    frames.append(Frame(1, f"Seed: {names[-1]}.grad = {fmt(seed)} (the upstream of the output)",
                        f"∂{names[-1]}/∂{names[-1]} = 1", snapshot(), frozenset(), n - 1, (),
                        (), {}))
    for i in range(n - 1, -1, -1):
        node = order[i]
        if not node._prev:
            continue
        upstream = grads[i] or 0.0
        touched = []
        edges = {}
        lines = []
        for k, (parent, local, downstream) in enumerate(graph.edges(node, upstream)):
            j = index[parent]
            grads[j] = (grads[j] or 0.0) + downstream
            received[j] += 1
            touched.append(j)
            edges[(i, k)] = downstream
            lines.append(f"downstream to {names[j]}: {fmt(upstream)} × {fmt(local)} = "
                         f"{fmt(downstream)}")
        if only is not None and i not in only:
            continue
        partial = frozenset(j for j in shown if 0 < received[j] < uses[j])
        inputs = [names[index[p]] for p in node._prev]
        kind = node._kind or custom_op(node._op)  # (None only if _prev was edited by hand)
        title = (f"{names[i]} = {kind.write(inputs)}:  upstream {fmt(upstream)}, "
                 "downstream = upstream × local gradient")
        frames.append(Frame(len(frames), title, "\n".join(lines[:4]) + (
            f"\n… and {len(lines) - 4} more" if len(lines) > 4 else ""), snapshot(), partial,
            i, tuple(dict.fromkeys(touched)), tuple(edges), edges))
    frames.append(Frame(len(frames), "Done: every gradient is filled in",
                        "Each grad is the sum of the downstream contributions it received.",
                        snapshot(), frozenset(), None, (), (), {}))
    return frames


def _grad_texts(frame: Frame, digits: int) -> dict[int, str]:
    texts = {}
    for i, g in frame.grads.items():
        if g is None:
            texts[i] = "?"
        else:
            texts[i] = format_number(g, digits) + (" …" if i in frame.partial else "")
    return texts


def _frame_layout(spec: GraphSpec, look: Look, digits: int, frames: list[Frame]) -> Layout:
    """The still picture's layout, with room above the graph for the frames' titles and detail
    lines (and as wide as the widest of them)."""
    heads = [_heading(frame, len(frames)) for frame in frames]
    widest = max((title for title, _ in heads), key=len)
    lines = [line for _, detail in heads for line in detail.splitlines()]
    sizing = look._replace(title=widest, key=max(lines, key=len) if lines else "")
    top = _title_height(sizing) + _fonts(look.font_size).key * 1.3 * (DETAIL_LINES - 1)
    return arrange(spec, sizing, edge_labels=True, digits=digits, top=top)


def _heading(frame: Frame, total: int | None) -> tuple[str, str]:
    """A frame's title line and the lines under it: "step 4 of 6: b = exp(a)", then
    "upstream …" and the downstreams it sent."""
    count = f"step {frame.step} of {total - 1}: " if total else ""
    title, _, rest = frame.title.partition(":  ")
    detail = "\n".join(line for line in (rest, frame.detail) if line)
    return count + title, detail


def draw_frame(frame: Frame, spec: GraphSpec, lay: Layout, *, figure: Figure | None = None,
               digits: int = 4, total: int | None = None) -> Figure:
    """Draw one Frame (on `figure`, cleared first, or on a new one) and return the Figure.

    The graph is drawn exactly as the still picture (`draw_matplotlib`) draws it; the title
    says the step, and the lines under it each downstream sent in this step."""
    if figure is None:
        figure = new_figure(lay)
    else:
        figure.clear()
        figure.add_axes((0.0, 0.0, 1.0, 1.0))
    (ax,) = figure.axes
    upstream = ({} if frame.current is None
                else {frame.current: frame.grads.get(frame.current) or 0.0})
    draw_spec(ax, spec, lay, grads=_grad_texts(frame, digits), current=frame.current,
              touched=frame.touched, active_edges=frame.active_edges,
              downstream=frame.downstream, upstream=upstream, digits=digits)
    title, detail = _heading(frame, total)
    draw_title(ax, lay.look._replace(title=title, key=""), lay, detail)
    return figure


def _prepare(root: Value, rankdir: str, params: ParamsOption, max_nodes: int | None,
             collapse: Collection[str], names: NamesOption, font_size: float,
             dpi: float | None, digits: int) -> tuple[GraphSpec, Layout, list[Frame]]:
    spec = graph_spec(root, params=params, max_nodes=max_nodes, collapse=collapse, names=names)
    look = choose_look(spec, rankdir=rankdir, font_size=font_size, dpi=dpi, digits=digits,
                       edge_labels=True)
    frames = backward_frames(root, only={s.index for s in spec.nodes})
    lay = _frame_layout(spec, look, digits, frames)
    return spec, lay, frames


def save_frames(root: Value, directory: str | FilePath, *, prefix: str = "frame",
                rankdir: str = "auto", params: ParamsOption = (), max_nodes: int | None = 40,
                collapse: Collection[str] = (), dpi: float | None = None, digits: int = 4,
                names: NamesOption = None, font_size: float = FONT_SIZE) -> list[FilePath]:
    """Write the backward pass of `root` as PNGs prefix_000.png, prefix_001.png, … in
    `directory` (created if needed); return their paths in order. The options are those of
    `draw_matplotlib`, and each frame looks like its still picture."""
    directory = FilePath(directory)
    directory.mkdir(parents=True, exist_ok=True)
    spec, lay, frames = _prepare(root, rankdir, params, max_nodes, collapse, names, font_size,
                                 dpi, digits)
    figure = None
    paths = []
    for frame in frames:
        figure = draw_frame(frame, spec, lay, figure=figure, digits=digits, total=len(frames))
        path = directory / f"{prefix}_{frame.step:03d}.png"
        figure.savefig(path, metadata={"Software": None})
        paths.append(path)
    return paths


def save_gif(root: Value, path: str | FilePath, *, fps: float = 1.0, rankdir: str = "auto",
             params: ParamsOption = (), max_nodes: int | None = 40,
             collapse: Collection[str] = (), dpi: float | None = None, digits: int = 4,
             names: NamesOption = None, font_size: float = FONT_SIZE) -> FilePath:
    """Write the backward pass of `root` as one animated GIF (matplotlib's PillowWriter,
    `fps` frames per second, looping); return its path. The options are those of
    `draw_matplotlib`, and each frame looks like its still picture."""
    from matplotlib.animation import PillowWriter

    path = FilePath(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec, lay, frames = _prepare(root, rankdir, params, max_nodes, collapse, names, font_size,
                                 dpi, digits)
    figure = new_figure(lay)
    writer: Any = PillowWriter(fps=fps)  # type: ignore[arg-type]  # stubs say int; a float works
    with writer.saving(figure, str(path), lay.look.dpi):
        for frame in frames:
            draw_frame(frame, spec, lay, figure=figure, digits=digits, total=len(frames))
            writer.grab_frame()
    from scalargrad.see.display.history import (
        SavedAnimation,  # a Path that a notebook shows as the animation
    )

    return SavedAnimation(path)
