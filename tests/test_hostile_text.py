"""Labels, op names and titles no output can carry (lone surrogates, NUL, ANSI escapes, other
control characters, U+FFFE) are shown as escapes in every view, never break it."""

from __future__ import annotations

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
    for shown in (y._repr_html_(), y._repr_markdown_(), str(trace), trace._repr_html_(),
                  trace._repr_markdown_()):
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
