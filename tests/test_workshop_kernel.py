"""The workshop's cell runner (scalargrad.workshop.kernel), run under CPython."""

from __future__ import annotations

import pytest

from scalargrad.workshop.kernel import Kernel


def run(*cells: str) -> list[dict]:
    outputs: list[dict] = []
    kernel = Kernel(outputs.append)
    for code in cells:
        kernel.run(code)
    return outputs


def test_printed_text_is_a_stream_in_order():
    out = run("print('a'); print('b')")
    assert "".join(o["text"] for o in out if o["type"] == "stream") == "a\nb\n"


def test_the_last_expression_is_displayed_as_html():
    out = run("from scalargrad import Value\nValue(2.0, label='x')")
    assert "text/html" in out[-1]["data"] and "x" in out[-1]["data"]["text/plain"]


def test_an_assignment_displays_nothing():
    assert run("x = 3") == []


def test_none_displays_nothing():
    assert run("None") == []


def test_cells_share_one_namespace():
    out = run("x = 21", "x * 2")
    assert out[-1]["data"]["text/plain"] == "42"


def test_an_error_is_reported_with_the_cells_line():
    out = run("a = 1\n1 / 0")
    error = out[-1]
    assert error["ename"] == "ZeroDivisionError" and 'File "<cell>", line 2' in error["traceback"]


def test_a_failed_cell_returns_false():
    assert Kernel(lambda o: None).run("raise ValueError('no')") is False


def test_exit_is_an_error_not_the_end_of_python():
    kernel = Kernel(lambda o: None)
    assert kernel.run("import sys; sys.exit(0)") is False
    assert kernel.run("1 + 1") is True


def test_a_graph_is_sent_as_its_dot_source():
    pytest.importorskip("graphviz")
    out = run("import scalargrad as sg\nfrom scalargrad import Value\nx = Value(2.0)\n"
              "sg.draw_dot(x * x)")
    assert out[-1]["data"]["text/vnd.graphviz"].startswith("digraph")


def test_display_shows_each_object():
    out = run("display(1, 'two')")
    assert [o["data"]["text/plain"] for o in out] == ["1", "'two'"]


def test_stdout_is_put_back_after_a_cell():
    import sys

    before = sys.stdout
    run("print('x')")
    assert sys.stdout is before
