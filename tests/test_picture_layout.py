"""Graph pictures fit a slide: nothing overprints, text is big enough, the shape is not a strip.

The matplotlib drawing is checked with matplotlib's own renderer: every text artist's box on
the canvas (`get_window_extent`) is compared with every other text's box and with every node's
box (value boxes and op nodes), so a label that touches a box or another label fails. The
`dot` drawing of the same graphs is rendered and its PNG's size read for the aspect ratio.
"""

from __future__ import annotations

import itertools
import re
import struct
from pathlib import Path
from typing import Any, Callable

import pytest
from lesson_graphs import multivariate_graph, sigmoid_graph

import scalargrad as sg
import scalargrad.see.draw.layout as layout
from scalargrad import Value

pytest.importorskip("matplotlib", reason="the pictures are drawn with matplotlib")
needs_dot = pytest.mark.skipif(not sg.dot_available(),
                               reason="graphviz's `dot` program is not installed "
                                      "(apt-get install graphviz / brew install graphviz)")

MAX_ASPECT = 4.0


def lesson_sigmoid() -> tuple[Value, dict[str, Any]]:
    _, y = sigmoid_graph()
    y.backward()
    return y, {"edge_labels": True}


def a_plus_a() -> tuple[Value, dict[str, Any]]:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    c.backward()
    return c, {"edge_labels": True}


def multivariate() -> tuple[Value, dict[str, Any]]:
    *_, f = multivariate_graph()
    f.backward()
    return f, {"edge_labels": True}


def neuron() -> tuple[Value, dict[str, Any]]:
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(7.0, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1+x2w2"
    n = s + b
    n.label = "n"
    o = n.sigmoid()
    o.label = "o"
    o.backward()
    return o, {"edge_labels": True, "params": [w1, w2, b]}


def small_mlp() -> tuple[Value, dict[str, Any]]:
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    y = model([Value(2.0, label="x1"), Value(-1.0, label="x2")])
    y.label = "y"
    y.backward()
    return y, {"params": model, "collapse": {"dot"}}


def long_chain() -> tuple[Value, dict[str, Any]]:
    v = x = Value(0.5, label="x")
    for _ in range(14):
        v = v.tanh()
    v.backward()
    del x
    return v, {"edge_labels": True}


GRAPHS: dict[str, Callable[[], tuple[Value, dict[str, Any]]]] = {
    "sigmoid": lesson_sigmoid, "a_plus_a": a_plus_a, "multivariate": multivariate,
    "neuron": neuron, "mlp": small_mlp, "chain_of_15": long_chain}


def text_boxes(figure: Any) -> tuple[list[tuple[str, Any]], list[Any]]:
    """Every text's box on the canvas, and every node's box (value boxes and op nodes)."""
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    texts = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text()]
    nodes = [p.get_window_extent(renderer) for p in ax.patches
             if p.get_gid() in ("value-box", "op-node")]
    return texts, nodes


def inside(inner: Any, outer: Any) -> bool:
    return (inner.x0 >= outer.x0 and inner.x1 <= outer.x1 and inner.y0 >= outer.y0
            and inner.y1 <= outer.y1)


def crosses(a: Any, b: Any) -> bool:
    """The two boxes overlap (sharing only an edge is not overlapping)."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("name", GRAPHS)
def test_no_text_overprints_text_or_crosses_a_node(name: str) -> None:
    """No two texts overlap, and a text is either inside its node or clear of every node."""
    root, options = GRAPHS[name]()
    figure = sg.draw_matplotlib(root, **options)
    figure.canvas.draw()
    texts, nodes = text_boxes(figure)
    assert len(nodes) >= 3
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(texts, 2)
               if crosses(box_a, box_b)]
    assert not clashes, clashes
    for text, box in texts:
        homes = [n for n in nodes if inside(box, n)]
        if homes:  # a node's own text: inside exactly that node, touching no other
            assert all(not crosses(box, n) for n in nodes if n not in homes), text
        else:
            touched = [n for n in nodes if crosses(box, n)]
            assert not touched, f"{text!r} crosses a node box"


@pytest.mark.parametrize("name", GRAPHS)
def test_text_is_at_least_the_minimum_size(name: str) -> None:
    """Every text is at least 12 px high at the default resolution."""
    root, options = GRAPHS[name]()
    figure = sg.draw_matplotlib(root, **options)
    (ax,) = figure.axes
    sizes = [t.get_fontsize() * figure.dpi / 72 for t in ax.texts]
    assert min(sizes) >= layout.MIN_TEXT_PX


@pytest.mark.parametrize("name", GRAPHS)
def test_picture_is_no_wider_than_4_to_1_and_has_a_title(name: str) -> None:
    """The default picture's width is at most 4 × its height, and it has a title."""
    root, options = GRAPHS[name]()
    figure = sg.draw_matplotlib(root, **options)
    width, height = figure.get_size_inches()
    assert width <= MAX_ASPECT * height, (width, height)
    assert height <= layout.MAX_TALL * width, (width, height)
    assert any(t.get_gid() == "title" and t.get_text() for t in figure.axes[0].texts)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@needs_dot
@pytest.mark.parametrize("name", GRAPHS)
def test_dot_picture_is_no_wider_than_4_to_1(name: str, tmp_path: Path) -> None:
    """The same graph rendered by `dot` keeps the aspect rule, with its title in the image."""
    root, options = GRAPHS[name]()
    path = sg.render_graph(root, tmp_path / f"{name}.png", **options)
    width, height = png_size(path)
    assert width <= MAX_ASPECT * height and height <= 3.5 * width, (width, height)
    source = path.with_suffix(".dot").read_text()
    assert "label=<<b>The graph of" in source
    sizes = [float(v) for v in re.findall(r"(?:fontsize=|point-size=\")([\d.]+)", source)]
    dpi = layout.DPI  # render_graph asks dot for this many pixels per inch
    assert sizes and min(sizes) * dpi / 72 >= layout.MIN_TEXT_PX


DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


@pytest.mark.parametrize("path", sorted(DOCS_IMG.glob("*.*")), ids=lambda p: p.name)
def test_pictures_in_the_docs_fit_a_slide(path: Path) -> None:
    """Every picture the docs show (regenerated from the demos) is no wider than 4:1."""
    if path.suffix == ".svg":
        head = path.read_text(encoding="utf-8")[:2000]
        width, height = (float(v) for v in re.search(
            r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', head).groups())
    else:
        width, height = png_size(path)
    assert width <= MAX_ASPECT * height, (path.name, width, height)


@needs_dot
@pytest.mark.parametrize("name", [name for name in GRAPHS if name != "mlp"])
def test_dot_edge_labels_do_not_touch(name: str) -> None:
    """Where `dot` puts the edge labels (its JSON output), no two of them overlap once each
    is given the width of the widest font that may draw it (`layout._text_width`, an upper
    estimate: dot measures with Helvetica, DejaVu Sans draws wider). Two labels into one op
    of a top-to-bottom graph used to touch."""
    import json
    import subprocess

    root, options = GRAPHS[name]()
    done = subprocess.run(["dot", "-Tjson"], input=sg.to_dot(root, **options).encode("utf-8"),
                          capture_output=True, check=True, timeout=60)
    boxes = []
    for edge in json.loads(done.stdout).get("edges", []):
        size = 0.0
        for op in edge.get("_ldraw_", []):
            if op["op"] == "F":
                size = op["size"]
            elif op["op"] == "T":
                text = op["text"].strip("\u2003 ")
                half = layout._text_width(text, size) / 2
                (x, y) = op["pt"]
                boxes.append((text, x - half, x + half, y, y + size))
    assert boxes
    clashes = [(a[0], b[0]) for a, b in itertools.combinations(boxes, 2)
               if a[1] < b[2] and b[1] < a[2] and a[3] < b[4] and b[3] < a[4]]
    assert not clashes, clashes


def test_the_moons_neuron_picture_says_what_it_shows() -> None:
    """The trained-neuron picture counts as the lesson does (layer 1, neuron 1; data point
    X[1] is point 2) and says its grads are the neuron output's gradients, not the loss's."""
    from demos.moons import neuron_title

    title = neuron_title(1, 100)
    assert title.splitlines() == [
        "Layer 1, neuron 1, trained, on data point 2 of 100",
        "grad = ∂o/∂(value), o the neuron's output (not the loss)"]


def test_the_moons_neuron_is_named_as_the_lessons_neuron() -> None:
    """Its nodes have the names of lesson 6's neuron, counted from 1: x1, x2, w1, w2, b, n, o
    (it used to mix x0, x1 with w1[0,0] and neuron 0)."""
    import nn
    from demos.moons import one_neuron
    from scalargrad.see.draw.spec import graph_spec

    out, _, _, names = one_neuron(nn.MLP(2, [3, 1], seed=0), [[1.0, 2.0], [-1.0, 0.5]])
    drawn = {s.name for s in graph_spec(out, names=names).nodes}
    assert drawn == {"x1", "x2", "w1", "w2", "b", "w1·x1", "w2·x2", "b + w1·x1", "n", "o"}
