"""Rich display in Jupyter: every object a learner looks at shows as HTML/Markdown, escaped."""

from __future__ import annotations

import html
import os
import pathlib
import re

import pytest

import nn
import scalargrad as sg
from scalargrad.see.display.history import SavedAnimation, TextTable
from scalargrad.see.text import code_span, escape_html, escape_markdown

HOSTILE = ["x1*w1 + x2*w2", "<script>alert(1)</script>", "a_b_c", "`tick`", "p|q", "A & B",
           "back\\slash", "$x^2$", "~~gone~~", "[link](http://e.x)", "two\nlines"]

RICH = {"text/html", "text/markdown"}


def formatter():
    formatters = pytest.importorskip("IPython.core.formatters")
    return formatters.DisplayFormatter()


def _graph(label: str = "x1*w1 + x2*w2"):
    x = sg.Value(2.0, label=label)
    w = sg.Value(-3.0, label="w")
    y = (x * w + x).tanh()
    y.label = "y"
    return x, w, y


def _history():
    X, Y = nn.moons(20, seed=0, signed=True)
    model = nn.MLP(2, [4, 1], seed=0)
    return nn.fit(model, X, Y, optimizer=nn.SGD(model.parameters(), lr=0.1), steps=12,
                  progress=False)


def _objects():
    x, _, y = _graph()
    trace = sg.explain(y)
    return {
        "Value": x,
        "Trace": trace,
        "GradientSum": trace.gradient(x),
        "PathView": sg.explain_paths(y, x),
        "GraphCheck": sg.check_graph(y),
        "GradcheckResult": sg.gradcheck(lambda a, b: a * b, 1.0, 2.0),
        "History": _history(),
        "summary": nn.MLP(2, [16, 16, 1], seed=0).summary(),
    }


# -- the escapers ------------------------------------------------------------------------------


def _unescape_markdown(text: str) -> str:
    """What a CommonMark renderer shows for inline text made only of escapes and entities."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))


@pytest.mark.parametrize("label", HOSTILE)
def test_markdown_escape_leaves_no_active_character(label: str) -> None:
    """After escaping, every *, _, `, |, $, ~, [ ] and \\ is backslashed and <, & are entities."""
    out = escape_markdown(label)
    assert "\n" not in out and "<" not in out and ">" not in out
    unescaped_specials = re.findall(r"(?<!\\)(?:\\\\)*[*_`|$~\[\]]", out)
    assert unescaped_specials == []
    assert not re.search(r"&(?!(lt|gt|amp);)", out)
    assert _unescape_markdown(out) == label.replace("\n", " ")


@pytest.mark.parametrize("label", HOSTILE)
def test_html_escape_keeps_text_literal(label: str) -> None:
    """HTML escaping leaves no tag and gives back the label when unescaped."""
    out = escape_html(label)
    assert "<" not in out and ">" not in out
    assert html.unescape(out) == label


@pytest.mark.parametrize("text", ["a.grad = 1.0", "x`y", "``", "`start", "a ``b`` c"])
def test_code_span_fence_is_longer_than_any_backtick_run(text: str) -> None:
    """A code span's fence is longer than every backtick run inside, so it cannot close early."""
    out = code_span(text)
    fence = re.match(r"`+", out).group(0)
    inner = out[len(fence):-len(fence)]
    assert out.endswith(fence)
    assert all(len(run) < len(fence) for run in re.findall(r"`+", inner))
    assert inner.strip(" ") == text or inner[1:-1] == text


# -- every object shows rich output ------------------------------------------------------------


@pytest.mark.parametrize("name", list(_objects()))
def test_display_formatter_gives_html_and_markdown(name: str) -> None:
    """IPython's DisplayFormatter finds text/html and text/markdown for each object."""
    data, _ = formatter().format(_objects()[name])
    assert RICH <= set(data), f"{name}: {sorted(data)}"
    assert "<table" in data["text/html"] or "scalargrad-value" in data["text/html"]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_stay_literal_in_every_rich_view(label: str) -> None:
    """A hostile label shows only escaped in the HTML and Markdown of every object."""
    x, _, y = _graph(label)
    trace = sg.explain(y)
    for obj in (x, trace, trace.gradient(x), sg.explain_paths(y, x), sg.check_graph(y)):
        html_out = obj._repr_html_()
        md_out = obj._repr_markdown_()
        assert "<script" not in html_out and "<script" not in md_out
        shown = label.replace("\n", "\\n")  # (a name is one line: a newline shows as \n)
        assert escape_html(label) in html_out or escape_html(shown) in html_out
        flat = label.replace("\n", " ")
        assert (escape_markdown(label) in md_out or code_span(flat) in md_out
                or escape_markdown(shown) in md_out or code_span(shown) in md_out)


def test_trace_markdown_keeps_the_lessons_label_literal() -> None:
    """`x1*w1 + x2*w2` in a trace's Markdown is written x1\\*w1 + x2\\*w2 (no italics)."""
    _, _, y = _graph()
    md = sg.explain(y).to_markdown()
    assert r"x1\*w1 + x2\*w2" in md
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 8 for line in table)


def test_trace_markdown_pipes_in_labels_do_not_split_cells() -> None:
    """A | in a label is backslashed, so every table row still has exactly seven cells."""
    _, _, y = _graph("p|q")
    md = sg.explain(y).to_markdown()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 8 for line in table)


def test_value_card_shows_label_data_grad_and_op() -> None:
    """The Value card names the label, the data, the grad and the op that made it."""
    a = sg.Value(2.0, label="a")
    b = a * 3.0
    b.label = "b"
    b.backward()
    card = b._repr_html_()
    for text in ("b", "6.0", "1.0", "*", "inputs"):
        assert escape_html(text) in card
    assert "leaf" in a._repr_html_()
    assert "**a**" in a._repr_markdown_() and "`3.0`" in a._repr_markdown_()


def test_trace_html_lists_every_edge_and_sum() -> None:
    """The Trace's HTML has one row per edge and leaf, and every gradient's sum."""
    _, _, y = _graph()
    trace = sg.explain(y)
    out = trace._repr_html_()
    assert out.count("<tr>") == 1 + len(trace.rows())
    for s in trace.sums:
        assert escape_html(s.formula()) in out


def test_summary_is_still_the_text_table() -> None:
    """Module.summary() is a str equal to the old text, its repr is that text, no \\n escapes."""
    summary = nn.MLP(2, [16, 16, 1], seed=0).summary()
    assert isinstance(summary, str) and isinstance(summary, TextTable)
    assert summary.splitlines()[0] == "MLP(2, [16, 16, 1], activation='relu'): 337 parameters"
    assert repr(summary) == str(summary) and "\\n" not in repr(summary)
    assert summary.title() == str(summary).title()  # every str method still works
    assert summary._repr_html_().count("<tr>") == 1 + 3
    assert "Layer(16 -&gt; 16, relu)" in summary._repr_html_()
    data, _ = formatter().format(summary)
    assert data["text/plain"] == str(summary)


def test_history_shows_curves_and_rows() -> None:
    """A History shows an SVG loss curve and a table of steps with loss and accuracy."""
    out = _history()._repr_html_()
    assert "<svg" in out and "<polyline" in out
    assert "<th" in out and "accuracy" in out
    assert "History(no steps)" in nn.History()._repr_html_()


def test_gradcheck_result_shows_the_verdict() -> None:
    """A failing gradcheck shows FAILED and MISMATCH; a passing one shows passed."""
    good = sg.gradcheck(lambda a: a * a, 3.0)
    assert "passed" in good._repr_html_() and "MISMATCH" not in good._repr_html_()

    def bad(a):
        return sg.Value.from_op(a.data ** 2, (a,), (1.0,), "sq")  # wrong local gradient

    result = sg.gradcheck(bad, 3.0)
    assert "FAILED" in result._repr_html_() and "MISMATCH" in result._repr_markdown_()


def test_saved_animation_is_a_path_that_shows_the_image(tmp_path: pathlib.Path) -> None:
    """SavedAnimation is an os.PathLike equal to the path, and its HTML embeds the image."""
    gif = tmp_path / "a<b>.gif"
    gif.write_bytes(b"GIF89a fake")
    saved = SavedAnimation(gif)
    assert saved == gif and os.fspath(saved) == str(gif) and isinstance(saved, pathlib.Path)
    out = saved._repr_html_()
    assert out is not None and "data:image/gif;base64," in out and "a&lt;b&gt;.gif" in out
    assert SavedAnimation(tmp_path / "missing.gif")._repr_html_() is None
