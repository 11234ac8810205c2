"""Labels, op names and titles no output can carry (lone surrogates, NUL, ANSI escapes, other
control characters, U+FFFE) are shown as escapes in every view, never break it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import xml.dom.minidom

import pytest

import scalargrad as sg
from scalargrad import Value

HOSTILE = ["a\ud800b", "x\x00y", "e\x1b[31mred", "n\ufffe", "bell\x07", "cr\r\nlf"]


def _graph(text: str) -> Value:
    x = Value(2.0, label="x" + text)
    y = Value.from_op(x.data * x.data, (x,), backward=lambda u: (u * 4.0,), op="sq" + text)
    y.label = "y" + text
    return y


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_rich_views_encode_as_utf8(text: str) -> None:
    """The Value's HTML and Markdown, and explain's text, HTML and Markdown: UTF-8 encodes
    them (a lone surrogate used to raise UnicodeEncodeError), and no control character but
    the line breaks the views write themselves is left in them."""
    y = _graph(text)
    trace = sg.explain(y)
    for shown in (str(y._repr_html_()), str(y._repr_markdown_()), str(trace),
                  trace._repr_html_(), trace._repr_markdown_()):
        shown.encode("utf-8")
        assert not any(ord(c) < 32 and c not in "\n\t" for c in shown)
        assert "\ufffe" not in shown


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_a_page_saves(text: str, tmp_path) -> None:
    path = tmp_path / "page.html"
    sg.backprop_page(_graph(text)).save(path)
    path.read_bytes().decode("utf-8")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs graphviz's dot")
@pytest.mark.parametrize("text", HOSTILE, ids=repr)
@pytest.mark.parametrize("options", [{}, {"edge_labels": True}, {"title": "T"}], ids=str)
def test_dot_draws_well_formed_svg(text: str, options: dict) -> None:
    """DOT source from to_dot goes through the real dot (NUL used to be a syntax error) and
    gives SVG that parses as XML (ESC, BEL and U+FFFE used to make it not well-formed)."""
    if "title" in options:
        options = {"title": options["title"] + text}
    source = sg.to_dot(_graph(text), **options)
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    xml.dom.minidom.parseString(done.stdout)


def test_the_escape_is_what_repr_shows() -> None:
    """A learner can tell which character it was: the escape is Python's own."""
    from scalargrad.see.text import safe_text

    assert safe_text("a\ud800b\x00\x1b\ufffe") == "a\\ud800b\\x00\\x1b\\ufffe"
    assert safe_text("ünïcode ✓\n\t") == "ünïcode ✓\n\t"


# -- every renderer, hostile text in labels, op names, names= and titles ---------------------------


@pytest.fixture
def no_dot(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without graphviz's `dot` (an empty PATH), so the matplotlib fallback draws."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not sg.dot_available()


def test_matplotlib_fallback_draws_a_lone_surrogate(no_dot: None, tmp_path) -> None:
    """Without `dot`, render_graph draws the PNG with matplotlib, with a lone surrogate in a
    label, an op name, a names= name and the title (matplotlib used to raise a TypeError
    from set_text())."""
    pytest.importorskip("matplotlib")
    y = _graph("\ud800")
    y.backward()
    x = y._prev[0]
    with pytest.warns(sg.GraphvizMissingWarning):
        path = sg.render_graph(y, tmp_path / "g.png", edge_labels=True, title="T\ud800",
                               names={x: "n\ud800"})
    assert path.read_bytes().startswith(b"\x89PNG")


def test_matplotlib_fallback_shows_the_escape() -> None:
    """The drawing writes a lone surrogate as the escape every other view writes: \\ud800."""
    pytest.importorskip("matplotlib")
    figure = sg.draw_matplotlib(_graph("\ud800"), title="T\ud800")
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert {"x\\ud800", "y\\ud800", "sq\\ud800", "T\\ud800"} <= set(texts)


def test_draw_dot_without_dot_shows_in_a_notebook(no_dot: None) -> None:
    """draw_dot's notebook display without `dot` (the matplotlib PNG) survives a lone
    surrogate in an op name and the title."""
    pytest.importorskip("graphviz")
    pytest.importorskip("matplotlib")
    bundle = sg.draw_dot(_graph("\ud800"), title="T\ud800")._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG")


def test_a_page_in_an_iframe_encodes_as_utf8() -> None:
    """The page as a notebook shows it (an iframe's srcdoc), with a lone surrogate in the
    title too, UTF-8 encodes (it used to raise UnicodeEncodeError)."""
    page = sg.backprop_page(_graph("\ud800"), title="T\ud800")
    page._repr_html_().encode("utf-8")
    page.html.encode("utf-8")


def test_a_page_shows_the_escape() -> None:
    """The page's title and data write a lone surrogate as \\ud800, as the other views do."""
    page = sg.backprop_page(_graph("\ud800"), title="T\ud800")
    assert "<title>T\\ud800</title>" in page.html
    assert '"name":"x\\\\ud800"' in page.html  # JSON for the text x\ud800


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_text_tree_encodes_as_utf8(text: str) -> None:
    """The text tree (for a terminal) with a hostile op name encodes as UTF-8."""
    shown = sg.text_tree(_graph(text))
    shown.encode("utf-8")
    assert not any(ord(c) < 32 and c != "\n" for c in shown)
    assert "\ufffe" not in shown


# -- a line break in a label: shown as \n in every view ----------------------------------------


def test_a_line_break_in_a_label_is_shown_as_backslash_n_everywhere() -> None:
    """Cards (HTML and Markdown), text tree, narration, page, DOT and the matplotlib drawing
    all write a label's line break as a visible \\n (an HTML card showed it as a space)."""
    x = Value(2.0, label="top\nbottom")
    y = x * 3.0
    y.label = "y"
    y.backward()
    assert "<b>top\\nbottom</b>" in str(x._repr_html_())
    assert "**top\\\\nbottom**" in str(x._repr_markdown_())  # Markdown for the text top\nbottom
    assert "top\\nbottom = 2.0" in sg.text_tree(y)
    assert "top\\nbottom" in str(sg.explain(y))
    assert '"name":"top\\\\nbottom"' in sg.backprop_page(y).html
    assert "{{ top\\\\nbottom |" in sg.to_dot(y)  # DOT for the text top\nbottom
    if importlib.util.find_spec("matplotlib") is not None:
        texts = [t.get_text() for t in sg.draw_matplotlib(y).axes[0].texts]
        assert "top\\nbottom" in texts
