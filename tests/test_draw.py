"""Graph pictures: DOT source (structure, labels, determinism), graphviz rendering where `dot`
exists, and the fallbacks (matplotlib image, text tree) when it does not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from lesson_graphs import sigmoid_graph

import scalargrad as sg
from scalargrad import Value
from scalargrad.see.draw import layout, render, spec

PNG = b"\x89PNG\r\n\x1a\n"
needs_dot = pytest.mark.skipif(not sg.dot_available(),
                               reason="graphviz's `dot` program is not installed "
                                      "(apt-get install graphviz / brew install graphviz)")


def statements(source: str, pattern: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if re.search(pattern, line)]


# -- DOT structure --------------------------------------------------------------------------------


def test_dot_has_a_box_per_value_an_op_node_per_op_and_an_edge_per_use() -> None:
    """Sigmoid: 6 values, 4 ops, 5 input edges + 4 op→result edges."""
    _, y = sigmoid_graph()
    source = sg.to_dot(y)
    assert len(statements(source, r"shape=record")) == 6
    assert len(statements(source, r"^\s*n\d+op \[")) == 4
    assert len(statements(source, r"->")) == 9
    assert len(statements(source, r"^\s*n\d+ -> n\d+op")) == 5


def test_value_boxes_show_label_data_and_grad() -> None:
    """After backward each box reads { name | data … | grad … } with the lesson's numbers."""
    _, y = sigmoid_graph()
    y.backward()
    source = sg.to_dot(y)
    assert '{ y | data 0.5 | grad 1.0 }' in source
    assert '{ z | data 0.0 | grad 0.25 }' in source
    assert '{ c | data 2.0 | grad -0.25 }' in source
    assert 'label="reciprocal"' in source


def test_a_plus_a_draws_two_edges() -> None:
    """One edge per use: a + a has two edges from a into the + node, each with its label."""
    a = Value(1.0, label="a")
    s = a + a
    assert statements(sg.to_dot(s), r"n0 -> n1op") == ["n0 -> n1op", "n0 -> n1op"]
    s.backward()
    labelled = statements(sg.to_dot(s, edge_labels=True), r"n0 -> n1op")
    assert len(labelled) == 2 and all("1.0 × 1.0 = 1.0" in line for line in labelled)


def test_edge_labels_show_upstream_times_local_equals_downstream() -> None:
    """With edge_labels each use shows the lesson's three numbers: upstream × local = down."""
    _, y = sigmoid_graph()
    y.backward()
    source = sg.to_dot(y, edge_labels=True)
    assert statements(source, r"n4 -> n5op") == ['n4 -> n5op [label="1.0 × -0.25 = -0.25"]']
    assert 'label="-0.25 × -1.0 = 0.25"' in source  # z → neg: upstream −0.25, local −1
    assert "upstream × local gradient = downstream" in source  # the key, under the title


def test_roles_are_visually_distinct() -> None:
    """Output green and thick, parameters orange, named leaves blue, constants grey dashed."""
    x = Value(1.0, label="x")
    w = Value(2.0, label="w")
    out = w * x + 1.0
    source = sg.to_dot(out, params=[w])
    fill = {name: re.search(r'fillcolor="([^"]+)"', line).group(1)
            for line in statements(source, "shape=record")
            for name in re.findall(r"\{ (\S+) \|", line)}
    assert fill["x"] == layout.FILL["input"]
    assert fill["w"] == layout.FILL["param"]
    assert fill["1"] == layout.FILL["const"]  # the constant 1, named by its number
    assert fill["v4"] == layout.FILL["output"]
    assert len(set(fill.values()) - {layout.FILL["interior"]}) == 4
    assert "filled,dashed" in statements(source, r"\{ 1 ")[0]
    assert "penwidth=2" in statements(source, r"\{ v4 ")[0]


def test_the_same_expression_gives_the_same_source() -> None:
    """Node ids come from topological order, so two builds of one expression give equal text."""
    sources = []
    for _ in range(2):
        _, y = sigmoid_graph()
        y.backward()
        sources.append(sg.to_dot(y, edge_labels=True))
    assert sources[0] == sources[1]
    assert "id(" not in sources[0] and not re.search(r"\d{8,}", sources[0])


def test_rankdir() -> None:
    """rankdir goes into the graph attributes; anything else is a ValueError."""
    _, y = sigmoid_graph()
    assert "graph [rankdir=TB " in sg.to_dot(y, "TB")
    with pytest.raises(ValueError, match="rankdir must be 'auto' or one of"):
        sg.to_dot(y, "XY")


def test_special_characters_in_labels_are_escaped() -> None:
    """Record-label characters { } | < > and quotes in a label are backslash-escaped."""
    a = Value(1.0, label='a{1}|"b"<c>')
    out = a * 2.0
    source = sg.to_dot(out)
    assert r'{ a\{1\}\|\"b\"\<c\> | data 1.0 | grad 0.0 }' in source


@needs_dot
def test_a_hostile_title_is_escaped_and_renders(tmp_path: Path) -> None:
    """A title with HTML/DOT specials is escaped in the DOT source and dot renders it."""
    a = Value(1.0, label="a")
    title = '<b>x</b> & "y" > {z}'
    source = sg.to_dot(a * 2.0, title=title)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; \"y\" &gt; {z}" in source
    path = sg.render_graph(a * 2.0, tmp_path / "t.svg", title=title)
    assert b"&lt;b&gt;x&lt;/b&gt; &amp;" in path.read_bytes()


# -- limits for large graphs ----------------------------------------------------------------------


def chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    v = x
    for _ in range(n):
        v = -v
    return x, v


def test_max_nodes_keeps_the_nodes_nearest_the_output() -> None:
    """A 20,000-node chain is cut to max_nodes values, with a "… 1 more" placeholder."""
    _, v = chain(20_000)
    source = sg.to_dot(v, max_nodes=10)
    assert len(statements(source, "shape=record")) == 10
    assert len(statements(source, r"… 1 more")) == 1
    assert len(statements(sg.to_dot(v), "shape=record")) == spec.DEFAULT_MAX_NODES


def test_max_depth() -> None:
    """max_depth=2 keeps the values at most two edges from the output: y, c, and b and 1."""
    _, y = sigmoid_graph()
    source = sg.to_dot(y, max_depth=2)
    assert sorted(re.findall(r"\{ (\S+) \|", source)) == ["1", "b", "c", "y"]
    assert len(statements(source, r"… \d+ more")) == 1  # b's input a is summarised


def test_collapse_absorbs_a_neurons_own_leaves_but_not_shared_inputs() -> None:
    """collapse={"dot"}: each neuron swallows its weights and bias; the shared x0, x1 stay."""
    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    neurons = []
    for k in range(2):
        w = [Value(0.5 + k, label=f"w{k}0"), Value(-0.5, label=f"w{k}1")]
        neurons.append(sg.dot(w, x, Value(0.1, label=f"b{k}")).tanh())
    out = neurons[0] + neurons[1]
    source = sg.to_dot(out, collapse={"dot"})
    names = re.findall(r"\{ (\S+) \|", source)
    assert "x0" in names and "x1" in names
    assert not [n for n in names if n.startswith(("w", "b"))]
    assert statements(source, r'label="dot\\n') == [
        'n5op [label="dot\\nw00 w01 b0" shape=box style="rounded,filled" fillcolor="#f5f5f5" '
        'color="#9e9e9e"]', 'n10op [label="dot\\nw10 w11 b1" shape=box style="rounded,filled" '
        'fillcolor="#f5f5f5" color="#9e9e9e"]']
    assert len(statements(source, r"n\d+ -> n\d+op")) == 2 * 2 + 2 + 2  # x→dots, dot→tanh, tanh→+


# -- graphviz, where it is installed --------------------------------------------------------------


def test_draw_dot_returns_a_digraph_with_the_same_source() -> None:
    """draw_dot gives a graphviz.Digraph in the asked format whose source equals to_dot's."""
    graphviz = pytest.importorskip("graphviz", reason="the graphviz Python package is an "
                                   "optional extra: pip install graphviz")
    _, y = sigmoid_graph()
    y.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.GraphvizMissingWarning)
        digraph = sg.draw_dot(y, format="png", rankdir="TB", edge_labels=True)
    assert isinstance(digraph, graphviz.Digraph)
    assert digraph.format == "png"
    assert digraph.source == sg.to_dot(y, "TB", edge_labels=True)


def test_draw_dot_works_with_just_the_root() -> None:
    """The lecture's call, draw_dot(root), works with no other argument (svg, left to right)."""
    pytest.importorskip("graphviz", reason="pip install graphviz")
    _, y = sigmoid_graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.GraphvizMissingWarning)
        digraph = sg.draw_dot(y)
    assert digraph.format == "svg" and "rankdir=LR" in digraph.source


@needs_dot
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_rendering_is_byte_for_byte_deterministic(tmp_path: Path, suffix: str) -> None:
    """Two renders of two builds of the same expression give identical files."""
    files = []
    for k in range(2):
        _, y = sigmoid_graph()
        y.backward()
        files.append(sg.render_graph(y, tmp_path / f"g{k}.{suffix}", edge_labels=True))
    first, second = (f.read_bytes() for f in files)
    assert first == second and len(first) > 1000
    if suffix == "png":
        assert first.startswith(PNG)
    else:
        assert b"<svg" in first and b"reciprocal" in first


@needs_dot
def test_escaped_labels_render(tmp_path: Path) -> None:
    """Labels full of DOT special characters still render (dot exits 0)."""
    a = Value(1.0, label='a{1}|"b"<c> \\ d')
    path = sg.render_graph(a * 2.0, tmp_path / "odd.svg")
    assert b"<svg" in path.read_bytes()


RENDER_IN_A_FRESH_PROCESS = """
import hashlib, os, pathlib, sys, warnings
import scalargrad as sg
from scalargrad import Value
a, b = Value(2.0, label="a"), Value(-3.0, label="b")
y = (a * b + a).tanh() + a
y.backward()
out = pathlib.Path(sys.argv[1])
files = []
if sg.dot_available():
    files += [sg.render_graph(y, out / f"dot.{s}", edge_labels=True) for s in ("png", "svg")]
os.environ["PATH"] = ""  # now without `dot`: the matplotlib fallback
warnings.simplefilter("ignore", sg.GraphvizMissingWarning)
files += [sg.render_graph(y, out / f"mpl.{s}", edge_labels=True) for s in ("png", "svg")]
for f in files:
    print(f.name, hashlib.sha256(f.read_bytes()).hexdigest())
"""


def test_rendered_files_are_the_same_in_two_processes(tmp_path: Path) -> None:
    """Two runs (different hash seeds) write identical PNG and SVG files, with or without dot."""
    pytest.importorskip("matplotlib", reason="the fallback image needs matplotlib")
    runs = []
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", RENDER_IN_A_FRESH_PROCESS, str(folder)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.splitlines())
    assert len(runs[0]) == (4 if sg.dot_available() else 2)
    assert runs[0] == runs[1]


# -- without `dot`: a clear error naming the fix, DOT source written, a fallback ------------------


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a machine without graphviz's `dot`: an empty PATH."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not sg.dot_available()


def test_missing_dot_falls_back_to_matplotlib(no_dot: None, tmp_path: Path) -> None:
    """render_graph warns with the install commands, writes the .dot, draws a PNG anyway."""
    pytest.importorskip("matplotlib", reason="the fallback image needs matplotlib")
    _, y = sigmoid_graph()
    y.backward()
    with pytest.warns(sg.GraphvizMissingWarning) as record:
        path = sg.render_graph(y, tmp_path / "out" / "sigmoid.png")
    message = str(record[0].message)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert path == tmp_path / "out" / "sigmoid.png"
    assert path.read_bytes().startswith(PNG)
    assert (tmp_path / "out" / "sigmoid.dot").read_text() == sg.to_dot(y)


def test_missing_dot_without_fallback_is_an_error(no_dot: None, tmp_path: Path) -> None:
    """fallback=False raises GraphvizMissingError naming the fix; the DOT source is written."""
    _, y = sigmoid_graph()
    with pytest.raises(sg.GraphvizMissingError, match="apt-get install graphviz") as info:
        sg.render_graph(y, tmp_path / "sigmoid.svg", fallback=False)
    assert "sigmoid.dot" in str(info.value)
    assert (tmp_path / "sigmoid.dot").read_text().startswith("digraph scalargrad {")
    assert not (tmp_path / "sigmoid.svg").exists()


def test_missing_dot_and_matplotlib_falls_back_to_text(no_dot: None, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With neither `dot` nor matplotlib, a text tree is written and its path returned."""
    def no_matplotlib(*args: object, **kwargs: object) -> None:
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(render, "draw_matplotlib", no_matplotlib)
    _, y = sigmoid_graph()
    with pytest.warns(sg.GraphvizMissingWarning, match="text tree"):
        path = sg.render_graph(y, tmp_path / "sigmoid.png")
    assert path == tmp_path / "sigmoid.txt"
    assert path.read_text().startswith("y = 0.5")


DISPLAY_WITHOUT_DOT = """
import os, sys
os.environ["PATH"] = sys.argv[1]  # a folder without graphviz's `dot`
import scalargrad as sg
from IPython.core.formatters import DisplayFormatter
a = sg.Value(2.0, label="a")
y = (a * a).tanh()
y.backward()
assert not sg.dot_available()
bundle, _ = DisplayFormatter().format(sg.draw_dot(y, edge_labels=True))
print(sorted(bundle))
print(bundle["text/html"][:40])
print(bundle["text/plain"])
"""


def test_draw_dot_without_dot_shows_the_matplotlib_drawing(tmp_path: Path) -> None:
    """In Jupyter, draw_dot without `dot` shows the matplotlib drawing and one note naming the
    fix: no warning, no traceback (a fresh process whose PATH has no `dot`)."""
    pytest.importorskip("graphviz", reason="pip install graphviz")
    pytest.importorskip("IPython", reason="the display protocol is IPython's")
    pytest.importorskip("matplotlib", reason="the fallback drawing needs matplotlib")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c",
                           DISPLAY_WITHOUT_DOT, str(empty)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "['image/png', 'text/html', 'text/plain']"
    assert lines[1].startswith('<img src="data:image/png;base64,')
    assert "apt-get install graphviz" in lines[2] and "brew install graphviz" in lines[2]
    assert len(lines) == 3  # the note is one line


@needs_dot
def test_draw_dot_with_dot_shows_svg() -> None:
    """With `dot`, draw_dot's display is graphviz's own SVG."""
    pytest.importorskip("graphviz", reason="pip install graphviz")
    formatters = pytest.importorskip("IPython.core.formatters")
    _, y = sigmoid_graph()
    bundle, _ = formatters.DisplayFormatter().format(sg.draw_dot(y))
    assert "<svg" in bundle["image/svg+xml"]


def test_figures_display_as_images_without_a_magic() -> None:
    """draw_matplotlib's Figure answers IPython's display protocol with a PNG."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    formatters = pytest.importorskip("IPython.core.formatters")
    _, y = sigmoid_graph()
    bundle, _ = formatters.DisplayFormatter().format(sg.draw_matplotlib(y))
    assert bundle["image/png"].startswith(PNG)


def test_draw_dot_without_the_graphviz_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the graphviz package, an ImportError says what to pip install and what else works."""
    monkeypatch.setitem(sys.modules, "graphviz", None)
    _, y = sigmoid_graph()
    with pytest.raises(ImportError, match="pip install graphviz") as info:
        sg.draw_dot(y)
    assert "to_dot" in str(info.value) and "text_tree" in str(info.value)


# -- the text tree --------------------------------------------------------------------------------


def test_text_tree_of_the_sigmoid() -> None:
    """Output first, one indented line per node, ops and kinds named."""
    _, y = sigmoid_graph()
    y.backward()
    assert sg.text_tree(y).splitlines() == [
        "y = 0.5  grad 1.0  ← reciprocal",
        "└─ c = 2.0  grad -0.25  ← +",
        "   ├─ 1 = 1.0  grad -0.25  (constant)",
        "   └─ b = 1.0  grad -0.25  ← exp",
        "      └─ a = 0.0  grad -0.25  ← neg",
        "         └─ z = 0.0  grad 0.25  (leaf)",
    ]


def test_text_tree_prints_a_shared_subgraph_once() -> None:
    """In (a·a) + (a·a) the product is expanded once, then "(shown above)"."""
    a = Value(1.0, label="a")
    b = a * a
    b.label = "b"
    lines = sg.text_tree(b + b).splitlines()
    assert lines[-1] == "└─ b (shown above)"
    assert sum("← *" in line for line in lines) == 1


def test_text_tree_is_capped() -> None:
    """max_lines cuts a 20,000-node chain and counts the nodes left out."""
    _, v = chain(20_000)
    lines = sg.text_tree(v, max_lines=30).splitlines()
    assert len(lines) == 31
    assert lines[-1].startswith("… 19971 more nodes not shown")


# -- the matplotlib drawing and the check overlay -------------------------------------------------


def test_draw_matplotlib_draws_one_box_per_value(tmp_path: Path) -> None:
    """The matplotlib image has a box per value and an op node per op; it saves as PNG."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    _, y = sigmoid_graph()
    y.backward()
    figure = sg.draw_matplotlib(y, edge_labels=True)
    (ax,) = figure.axes
    assert sum(p.get_gid() == "value-box" for p in ax.patches) == 6
    assert sum(p.get_gid() == "op-node" for p in ax.patches) == 4
    texts = [t.get_text() for t in ax.texts]
    assert {"neg", "exp", "+", "reciprocal"} <= set(texts)
    assert "data 0.0\ngrad 0.25" in texts  # z
    assert "-0.25 × -1.0 = 0.25" in texts  # z → neg: upstream × local = downstream
    figure.savefig(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes().startswith(PNG)


def test_a_plus_a_draws_two_curves_with_their_own_labels() -> None:
    """a + a: two separate arcs bent to opposite sides, each with its own label on its arc."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    from matplotlib.patches import FancyArrowPatch

    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    figure = sg.draw_matplotlib(b, edge_labels=True, rankdir="LR")
    (ax,) = figure.axes
    rads = sorted(p.get_connectionstyle().rad for p in ax.patches
                  if isinstance(p, FancyArrowPatch) and hasattr(p.get_connectionstyle(), "rad")
                  and p.get_connectionstyle().rad != 0)
    assert len(rads) == 2 and rads[0] == -rads[1] != 0
    labels = [t for t in ax.texts if t.get_gid() == "edge-label"]
    assert [t.get_text() for t in labels] == ["1.0 × 1.0 = 1.0"] * 2
    (x0, y0), (x1, y1) = (t.get_position() for t in labels)
    assert abs(y0 - y1) > labels[0].get_fontsize()  # one above the other, apart


def test_model_parameters_are_named_by_their_place() -> None:
    """params=model names weights w1[0,1], biases b1[0], pre-activations z1[0], outputs h1[0]."""
    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    y = model([Value(1.0, label="x1"), Value(2.0, label="x2")])
    names = re.findall(r"\{\{ (\S+) \|", sg.to_dot(y, params=model, rankdir="LR"))
    assert {"w1[0,0]", "w1[0,1]", "b1[0]", "w1[2,1]", "w2[0,2]", "b2[0]", "z1[0]", "h1[0]",
            "h1[2]", "z2[0]"} <= set(names)
    assert not [n for n in names if re.fullmatch(r"v\d+|w\d#\d+|b#\d+", n)]
    collapsed = sg.to_dot(y, params=model, collapse={"dot"})
    assert 'label="dot\\nw1[0,:] b1[0]"' in collapsed  # the weights, named inside the node
    assert spec.parameter_name("layers.0.neurons.3.w.1") == "w1[3,1]"
    assert spec.parameter_name("w.0") == "w[0]" and spec.parameter_name("b") == "b"


def test_labels_are_drawn_as_text_not_parsed() -> None:
    """A label full of TeX and DOT specials is drawn literally by matplotlib (no math parsing)."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    a = Value(1.0, label="$\\frac$ {a|b} <i>")
    figure = sg.draw_matplotlib(a * 2.0, title="cost $5 and $\\bad$")
    figure.canvas.draw()
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "$\\frac$ {a|b} <i>" in texts and "cost $5 and $\\bad$" in texts


def test_names_option_wins() -> None:
    """names= maps Values (or names) to the names drawn."""
    a = Value(1.0)
    out = a * 2.0
    assert "{ alpha |" in sg.to_dot(out, names={a: "alpha"})
    assert "{ alpha |" in sg.to_dot(out, names={"alpha": a})
    with pytest.raises(TypeError, match="names= maps Values"):
        sg.to_dot(out, names={1: 2})


def test_auto_direction_keeps_every_picture_within_4_to_1() -> None:
    """A long chain is wrapped into rows; a wide layer graph runs top to bottom or left to
    right, whichever shows the text larger; explicit rankdir is kept."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    v = Value(0.5, label="x")
    for _ in range(20):
        v = v.tanh()
    drawn = spec.graph_spec(v)
    look = layout.choose_look(drawn)
    assert look.rankdir == "LR" and look.bands > 1
    lay = layout.arrange(drawn, look)
    assert lay.width <= 4 * lay.height
    assert layout.choose_look(drawn, rankdir="TB").rankdir == "TB"
    assert layout.choose_look(drawn, rankdir="TB").bands == 1


def test_font_size_dpi_and_size_options() -> None:
    """font_size scales the text, dpi the pixels, size bounds the picture in inches."""
    pytest.importorskip("matplotlib", reason="pip install matplotlib")
    _, y = sigmoid_graph()
    big = sg.draw_matplotlib(y, font_size=20)
    small = sg.draw_matplotlib(y)
    assert max(t.get_fontsize() for t in big.axes[0].texts) > max(
        t.get_fontsize() for t in small.axes[0].texts)
    assert sg.draw_matplotlib(y, dpi=200).dpi == 200
    bounded = sg.draw_matplotlib(y, size=(6, 4))
    width, height = bounded.get_size_inches()
    assert width <= 6.01 and height <= 4.01
    source = sg.to_dot(y, font_size=20, size=(6, 4), title="σ, step by step")
    assert "fontsize=20" in source and 'size="6,4"' in source and "dpi" not in source
    pytest.importorskip("graphviz", reason="pip install graphviz")
    assert "dpi=150" in sg.draw_dot(y, format="png", dpi=150).source
    assert "dpi" not in sg.draw_dot(y, format="svg", dpi=150).source  # points stay points
    assert "<b>σ, step by step</b>" in source


def test_check_overlay_marks_the_wrong_node_red() -> None:
    """check=True runs check_graph: the planted wrong local gradient and its leaf turn red."""
    x = Value(0.7, label="x")
    s = x.sin()
    s._fn = lambda upstream: (2.0 * upstream,)  # a wrong closure planted in a built-in op
    s.label = "s"
    out = s * 3.0
    out.label = "out"
    source = sg.to_dot(out, check=True)
    red = layout.BAD_LINE
    assert f'color="{red}"' in statements(source, r"\{ x \|")[0]
    assert f'color="{red}"' in statements(source, r"\{ s \|")[0]
    assert f'color="{red}"' not in statements(source, r"\{ out \|")[0]
    assert f'color="{red}"' in statements(source, r"n0 -> n1op")[0]  # the wrong local's edge
    assert not statements(source, rf"n\d+ -> n3op.*{red}")  # the right ones are not red


def test_check_overlay_is_clean_on_a_correct_graph() -> None:
    """No red anywhere when every gradient checks out."""
    _, y = sigmoid_graph()
    assert layout.BAD_LINE not in sg.to_dot(y, check=True)


def test_check_of_another_graph_is_refused() -> None:
    """A GraphCheck from a different graph cannot be overlaid."""
    _, y = sigmoid_graph()
    other = sg.check_graph(Value(1.0).exp())
    with pytest.raises(ValueError, match="different graph"):
        sg.to_dot(y, check=other)


def test_import_scalargrad_loads_no_optional_package() -> None:
    """`import scalargrad` stays stdlib-only: graphviz, matplotlib, numpy and PIL load lazily."""
    import subprocess

    code = ("import sys, scalargrad; "
            "print(sorted(m for m in ('graphviz', 'matplotlib', 'numpy', 'PIL') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


# -- a title of two lines ----------------------------------------------------------------------


def test_a_line_break_in_a_title_starts_a_new_line_in_dot() -> None:
    """`dot` gets each line of the title as its own bold line (an HTML-like label would
    otherwise run the lines together)."""
    _, y = sigmoid_graph()
    assert "<b>Line one</b><br/><b>line two</b>" in sg.to_dot(y, title="Line one\nline two")


def test_a_two_line_title_leaves_room_for_the_key_in_matplotlib() -> None:
    """The matplotlib drawing makes room for every line of the title: the edge-label key
    under it overlaps neither the title nor the graph."""
    pytest.importorskip("matplotlib")
    _, y = sigmoid_graph()
    y.backward()
    figure = sg.draw_matplotlib(y, edge_labels=True, title="Line one\nline two")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    box = {t.get_gid(): t.get_window_extent(renderer) for t in ax.texts
           if t.get_gid() in ("title", "title-key")}
    graph_top = max(p.get_window_extent(renderer).y1 for p in ax.patches)
    assert box["title"].y0 >= box["title-key"].y1
    assert box["title-key"].y0 >= graph_top
