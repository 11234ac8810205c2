"""Step frames: gradients filling in node by node, as data, as PNGs and as one GIF."""

from __future__ import annotations

from pathlib import Path

import pytest
from lesson_graphs import multivariate_graph, sigmoid_graph

import scalargrad as sg
from scalargrad import Value

PNG = b"\x89PNG\r\n\x1a\n"


def test_frames_are_forward_seed_one_per_op_and_done() -> None:
    """Sigmoid: forward, seed, four op steps (reciprocal, +, exp, neg), done."""
    _, y = sigmoid_graph()
    frames = sg.backward_frames(y)
    assert len(frames) == 2 + 4 + 1
    assert [f.step for f in frames] == list(range(7))
    assert frames[2].title.startswith("y = reciprocal(c)")
    assert frames[3].title.startswith("c = 1 + b")
    assert frames[4].title.startswith("b = exp(a)")
    assert frames[5].title.startswith("a = -z")


def test_gradients_fill_in_node_by_node() -> None:
    """Frame 0 knows no gradient, frame 1 only the seed; each step adds; the last has them all."""
    z, y = sigmoid_graph()
    frames = sg.backward_frames(y)
    known = [sum(g is not None for g in f.grads.values()) for f in frames]
    assert known[0] == 0 and known[1] == 1 and known[-1] == 6
    assert known == sorted(known)
    order = sg.topological_order(y)
    final = frames[-1].grads
    assert final[order.index(z)] == 0.25  # the lesson's answer, by hand
    assert final[order.index(y)] == 1.0
    assert frames[-2].touched == (order.index(z),)


def test_partial_sums_are_marked() -> None:
    """x waits for two consumers: 3.0 after g's step (partial), then 2.0 + 3.0 = 5.0."""
    x, _, *_, f = multivariate_graph()
    frames = sg.backward_frames(f)
    ix = sg.topological_order(f).index(x)
    after_g = next(fr for fr in frames if fr.title.startswith("g = "))
    assert after_g.grads[ix] == 3.0 and ix in after_g.partial
    after_h = next(fr for fr in frames if fr.title.startswith("h = "))
    assert after_h.grads[ix] == 5.0 and ix not in after_h.partial
    assert "downstream to x: 1.0 × 2.0 = 2.0" in after_h.detail


def test_frames_change_no_grad() -> None:
    """The frames replay the pass: no .grad is written."""
    z, y = sigmoid_graph()
    sg.backward_frames(y)
    assert z.grad == 0.0 and y.grad == 0.0


def test_save_frames_writes_one_png_per_frame(tmp_path: Path) -> None:
    """save_frames writes frame_000.png … in order, each a PNG, byte-identical on a rerun."""
    pytest.importorskip("matplotlib", reason="frames are drawn with matplotlib")
    *_, f = multivariate_graph()
    paths = sg.save_frames(f, tmp_path / "a", dpi=50)
    assert [p.name for p in paths] == [f"frame_{k:03d}.png" for k in range(6)]
    assert all(p.read_bytes().startswith(PNG) for p in paths)
    again = sg.save_frames(multivariate_graph()[3], tmp_path / "b", dpi=50)
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_save_gif_has_every_frame(tmp_path: Path) -> None:
    """save_gif writes one looping GIF with as many frames as backward_frames."""
    pytest.importorskip("matplotlib", reason="frames are drawn with matplotlib")
    image = pytest.importorskip("PIL.Image", reason="GIFs are written with Pillow")
    _, y = sigmoid_graph()
    path = sg.save_gif(y, tmp_path / "sigmoid.gif", fps=2, dpi=50)
    data = path.read_bytes()
    assert data[:6] == b"GIF89a"
    with image.open(path) as gif:
        assert gif.n_frames == len(sg.backward_frames(y))


def test_frames_of_a_big_graph_are_limited() -> None:
    """On a 20,000-node chain only the drawn nodes get frames: max_nodes bounds the work."""
    x = Value(1.0, label="x")
    v = x
    for _ in range(20_000):
        v = v * 1.0
    frames = sg.backward_frames(v, only=range(20_000 * 2 - 5, 20_000 * 2 + 1))
    assert 3 <= len(frames) <= 2 + 6 + 1
    assert all(len(f.grads) <= 7 for f in frames)


def test_frames_look_like_the_still_picture() -> None:
    """Each frame draws the graph with the still picture's boxes: same sizes, same places
    (relative to the first box), same font sizes."""
    pytest.importorskip("matplotlib", reason="frames are drawn with matplotlib")
    from scalargrad.see.draw.frames import _prepare, draw_frame
    from scalargrad.see.draw.spec import graph_spec

    *_, f = multivariate_graph()
    f.backward()
    still = sg.draw_matplotlib(f, edge_labels=True)
    spec, lay, frames = _prepare(f, "auto", (), 40, (), None, 12.0, None, 4)
    assert len(spec.nodes) == len(graph_spec(f).nodes)
    frame = draw_frame(frames[3], spec, lay, total=len(frames))

    def boxes(figure):
        patches = [p for p in figure.axes[0].patches if p.get_gid() == "value-box"]
        x0, y0 = patches[0].get_x(), patches[0].get_y()
        return [(round(p.get_x() - x0, 6), round(p.get_y() - y0, 6), round(p.get_width(), 6),
                 round(p.get_height(), 6)) for p in patches]

    def names(figure):
        return sorted((t.get_text(), t.get_fontsize()) for t in figure.axes[0].texts
                      if t.get_gid() == "value-name")

    assert boxes(frame) == boxes(still)
    assert names(frame) == names(still)
    assert frame.dpi == still.dpi
