"""The narrated backward pass (explain), the path view and the whole-graph check.

Every number is checked against a hand computation from the lesson, never against the engine.
"""

from __future__ import annotations

import math

import pytest
from lesson_graphs import multivariate_graph, sigmoid_graph

import scalargrad as sg
from scalargrad import Value
from scalargrad.see.text import format_number, node_names

# -- explain: the sigmoid of the lesson -----------------------------------------------------------


def test_sigmoid_trace_has_the_lessons_numbers() -> None:
    """At z = 0: upstream 1 at the output, reciprocal's local −1/(1+e^0)^2 = −0.25, z.grad 0.25."""
    z, y = sigmoid_graph()
    trace = sg.explain(y)
    first = trace.steps[0]
    assert (first.name, first.op, first.upstream) == ("y", "reciprocal", 1.0)
    assert len(first.inputs) == 1
    assert first.inputs[0].input_name == "c"
    assert first.inputs[0].local == -1.0 / (1.0 + math.exp(0.0)) ** 2 == -0.25
    assert first.inputs[0].downstream == -0.25
    assert trace.gradient("z").total == 0.25
    assert trace.step(z).upstream == 0.25


def test_sigmoid_trace_walks_neg_exp_add_reciprocal_in_reverse() -> None:
    """Steps come in reverse topological order: reciprocal, add, exp, neg, then the leaves."""
    _, y = sigmoid_graph()
    trace = sg.explain(y)
    assert [s.op for s in trace.steps if s.op] == ["reciprocal", "+", "exp", "neg"]
    assert [s.name for s in trace.steps if not s.op] == ["z", "1"]  # the constant 1, by its number
    expected = {"c": (-0.25, 1.0), "b": (-0.25, 1.0), "a": (-0.25, -1.0)}  # (upstream, local)
    for name, (upstream, local) in expected.items():
        step = trace.step(name)
        assert step.upstream == upstream
        assert step.inputs[-1].local == local


def test_sigmoid_trace_matches_the_hand_formula_away_from_zero() -> None:
    """At z = 1.3 every upstream is the lesson's product of local gradients, computed by hand."""
    zv = 1.3
    z, y = sigmoid_graph(zv)
    trace = sg.explain(y)
    e = math.exp(-zv)
    recip_local = -1.0 / (1.0 + e) ** 2
    assert trace.step("c").upstream == pytest.approx(recip_local, rel=1e-15)
    assert trace.step("a").upstream == pytest.approx(recip_local * e, rel=1e-15)
    s = 1.0 / (1.0 + e)
    assert z.grad == pytest.approx(s * (1.0 - s), rel=1e-14)


def test_explain_runs_backward_and_fills_grad() -> None:
    """explain(y) is backward plus narration: afterwards z.grad holds the gradient."""
    z, y = sigmoid_graph()
    assert z.grad == 0.0
    sg.explain(y)
    assert z.grad == 0.25
    assert y.grad == 1.0


def test_explain_without_backward_changes_nothing() -> None:
    """run_backward=False replays the pass privately: every .grad stays as it was."""
    z, y = sigmoid_graph()
    trace = sg.explain(y, run_backward=False)
    assert trace.gradient(z).total == 0.25
    assert z.grad == 0.0 and y.grad == 0.0


def test_seed_scales_every_gradient() -> None:
    """A seed upstream of 2 doubles every gradient (the lesson's "tensor of ones" is 1)."""
    z, y = sigmoid_graph()
    trace = sg.explain(y, 2.0, run_backward=False)
    assert trace.steps[0].upstream == 2.0
    assert trace.gradient(z).total == 0.5
    assert str(trace.gradient(y)) == "y.grad = 2.0 (seed)"


# -- explain: sums of contributions ---------------------------------------------------------------


def test_multivariate_gradient_is_shown_as_a_sum() -> None:
    """x feeds two products: x.grad = 2.0 + 3.0 = 5.0, terms in the order they were built."""
    x, _, _, f = multivariate_graph()
    trace = sg.explain(f)
    total = trace.gradient(x)
    assert total.terms == (("h", 2.0), ("g", 3.0))
    assert total.total == 5.0
    assert str(total) == "x.grad = 2.0 + 3.0 = 5.0"


def test_a_plus_a_is_two_contributions() -> None:
    """In a + a the node a is used twice: a.grad = 1.0 + 1.0 = 2.0."""
    a = Value(3.0, label="a")
    s = a + a
    trace = sg.explain(s)
    assert len(trace.step(s).inputs) == 2
    assert str(trace.gradient(a)) == "a.grad = 1.0 + 1.0 = 2.0"


def test_second_explain_shows_leaf_accumulation() -> None:
    """Leaves accumulate: explain(run_backward=True) again starts a's sum with what it held."""
    a = Value(3.0, label="a")
    s = a + a
    sg.explain(s)
    trace = sg.explain(s, run_backward=True)
    assert trace.gradient(a).before == 2.0
    assert str(trace.gradient(a)) == "a.grad = 2.0 (before) + 1.0 + 1.0 = 4.0"
    assert a.grad == 4.0


def test_negative_terms_print_as_subtraction() -> None:
    """A negative contribution reads "- 2.0", not "+ -2.0"."""
    a = Value(2.0, label="a")
    out = a - a * a  # ∂/∂a = 1 − 2a = −3: −2.0 twice from a·a (built first), 1.0 from the −
    trace = sg.explain(out)
    assert str(trace.gradient(a)) == "a.grad = -2.0 - 2.0 + 1.0 = -3.0"


# -- rendering ------------------------------------------------------------------------------------


def test_table_text_lists_every_edge_and_every_sum() -> None:
    """str(trace) has the column header, one row per edge or leaf, and one line per sum."""
    _, _, _, f = multivariate_graph()
    text = str(sg.explain(f))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("node"))
    for column in ("op", "data", "upstream", "input", "local grad", "downstream"):
        assert column in header
    assert "  x.grad = 2.0 + 3.0 = 5.0" in lines
    start = lines.index(header) + 2  # after the header and its underline
    rows = lines[start:lines.index("", start)]  # up to the blank line before the sums
    assert len(rows) == 2 + 2 + 2 + 3  # f, g, h have two inputs each; three leaves


def test_markdown_is_a_table() -> None:
    """to_markdown gives a pipe table (header, alignment row, rows) and the sums as a list."""
    _, y = sigmoid_graph()
    md = sg.explain(y).to_markdown()
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert table[0].startswith("| node | op |")
    assert set(table[1]) <= set("|:-")
    assert len(table) == 2 + 5 + 2  # header, alignment, five edges, two leaves
    assert all(line.count("|") == 8 for line in table)
    assert "- `z.grad = 0.25`" in md


def test_latex_escapes_names() -> None:
    """to_latex gives a tabular and an align* block with LaTeX-special characters escaped."""
    w = Value(2.0, label="w_1")
    out = w * w
    latex = sg.explain(out).to_latex()
    assert latex.startswith("\\begin{tabular}{llrrlrr}")
    assert "\\end{align*}" in latex
    assert "w\\_1" in latex and "w_1" not in latex
    assert "\\texttt{w\\_1.grad} &= 2.0 + 2.0 = 4.0 \\\\" in latex


def test_latex_sets_the_words_of_a_sum_as_text() -> None:
    """In the align* block "(seed)" and "(before)" are \\text, not math-italic letters."""
    a = Value(1.0, label="a")
    s = a + a
    s.backward()
    latex = sg.explain(s, run_backward=True).to_latex()  # a second pass: a held 2.0 before
    assert "\\texttt{v1.grad} &= 1.0 \\text{ (seed)} \\\\" in latex
    assert "\\texttt{a.grad} &= 2.0 \\text{ (before)} + 1.0 + 1.0 = 4.0 \\\\" in latex


def test_names_are_labels_or_topological_indices() -> None:
    """Unlabeled ops are v<i>, unlabeled leaves (constants) their number; a name used twice gets
    #<i>; names never depend on id()."""
    w1 = Value(1.0, label="w")
    w2 = Value(2.0, label="w")
    out = w1 * w2 + 1
    order = sg.topological_order(out)
    assert node_names(order) == ["w#0", "w#1", "v2", "1", "v4"]


def test_format_number() -> None:
    """Numbers keep a decimal point, drop the sign of zero, and round to the given digits."""
    assert format_number(2.0) == "2.0"
    assert format_number(-0.0) == "0.0"
    assert format_number(-0.25) == "-0.25"
    assert format_number(1 / 3, 4) == "0.3333"
    assert format_number(math.inf) == "inf"
    assert format_number(math.nan) == "nan"


def test_lookup_of_unknown_name_says_what_exists() -> None:
    """trace.step("nope") raises KeyError listing the names."""
    _, y = sigmoid_graph()
    with pytest.raises(KeyError, match="names: 1, z"):
        sg.explain(y).step("nope")


def test_explain_a_single_leaf() -> None:
    """A leaf alone is a one-step trace whose gradient is the seed."""
    x = Value(4.0, label="x")
    trace = sg.explain(x)
    assert len(trace) == 1
    assert trace.gradient(x).total == 1.0 == x.grad


# -- the path view --------------------------------------------------------------------------------


def test_paths_of_the_multivariate_example() -> None:
    """x reaches f along two paths, with products 2 and 3; their sum is x.grad = 5."""
    x, _, _, f = multivariate_graph()
    view = sg.explain_paths(f, x)
    assert view.count == 2 and not view.truncated
    assert [p.names for p in view.paths] == [("x", "h", "f"), ("x", "g", "f")]
    assert [p.locals for p in view.paths] == [(2.0, 1.0), (3.0, 1.0)]
    assert [p.product for p in view.paths] == [2.0, 3.0]
    assert view.total == 5.0 == view.gradient
    text = str(view)
    assert "x -(×2.0)-> h -(×1.0)-> f" in text
    assert "sum over 2 paths: 2.0 + 3.0 = 5.0" in text


def test_path_of_the_sigmoid_is_the_lessons_product() -> None:
    """One path z → a → b → c → y with product (−1)(e^0)(1)(−0.25) = 0.25."""
    z, y = sigmoid_graph()
    view = sg.explain_paths(y, z)
    assert view.count == 1
    (path,) = view.paths
    assert path.names == ("z", "a", "b", "c", "y")
    assert path.locals == (-1.0, 1.0, 1.0, -0.25)
    assert path.product == 0.25


def test_paths_count_each_use() -> None:
    """a + a gives two paths from a, each with product 1."""
    a = Value(3.0, label="a")
    s = a + a
    view = sg.explain_paths(s, a)
    assert view.count == 2
    assert [p.product for p in view.paths] == [1.0, 1.0]


def test_exponentially_many_paths_are_counted_not_listed() -> None:
    """40 doublings give 2^40 paths: counted exactly, only max_paths listed, gradient 2^40."""
    a = Value(1.0, label="a")
    b = a
    for _ in range(40):
        b = b + b
    view = sg.explain_paths(b, a, max_paths=5)
    assert view.count == 2 ** 40
    assert len(view.paths) == 5 and view.truncated
    assert view.gradient == 2.0 ** 40
    assert "more paths not listed" in str(view)


def test_paths_need_a_node_of_the_graph() -> None:
    """A Value outside the graph is a ValueError, not an empty answer."""
    _, y = sigmoid_graph()
    with pytest.raises(ValueError, match="not in the graph"):
        sg.explain_paths(y, Value(1.0))


# -- deep graphs: no recursion anywhere -----------------------------------------------------------


def test_walks_work_on_a_chain_far_deeper_than_the_recursion_limit() -> None:
    """A 20,000-node chain (the recursion limit is ~1,000): explain, paths and check all work."""
    x = Value(0.5, label="x")
    v = x
    for _ in range(20_000):
        v = -v
    trace = sg.explain(v, run_backward=False)
    assert len(trace) == 20_001
    assert trace.gradient(x).total == 1.0  # (−1)^50000
    view = sg.explain_paths(v, x, max_edges=20_000)  # (the listing is capped at 10,000 edges)
    assert view.count == 1 and len(view.paths[0].locals) == 20_000
    result = sg.check_graph(v)
    assert result.ok and len(result.locals) == 20_000


# -- check_graph: gradcheck for every leaf and every local gradient -------------------------------


def test_check_passes_on_the_sigmoid() -> None:
    """Every leaf's gradient matches central differences; 0.25 for z."""
    z, y = sigmoid_graph()
    result = sg.check_graph(y)
    assert result.ok
    (zc,) = [c for c in result.leaves if c.name == "z"]
    assert zc.analytic == 0.25
    assert zc.numeric == pytest.approx(0.25, abs=1e-8)
    assert len(result.locals) == 5


def test_check_leaves_grad_untouched() -> None:
    """check_graph restores every .grad it used."""
    z, y = sigmoid_graph()
    z.grad = 7.0
    sg.check_graph(y)
    assert z.grad == 7.0 and y.grad == 0.0


def test_check_finds_a_planted_wrong_local_gradient() -> None:
    """A sin node whose _backward gives 2.0 × upstream instead of cos(0.7) × upstream is
    caught: leaf, node and edge are flagged."""
    x = Value(0.7, label="x")
    s = x.sin()
    s._fn = lambda upstream: (2.0 * upstream,)  # a wrong closure planted in a built-in op
    s.label = "s"
    out = s * 3.0
    result = sg.check_graph(out)
    assert not result.ok
    (bad,) = [c for c in result.locals if not c.ok]
    assert (bad.name, bad.op, bad.input_name, bad.analytic) == ("s", "sin", "x", 2.0)
    assert bad.numeric == pytest.approx(math.cos(0.7), abs=1e-8)
    (leaf,) = [c for c in result.leaves if c.name == "x"]
    assert not leaf.ok and leaf.numeric == pytest.approx(3 * math.cos(0.7), abs=1e-7)
    order = sg.topological_order(out)
    assert result.bad_nodes == {order.index(x), order.index(s)}
    assert result.bad_edges == {(order.index(s), 0)}
    assert "MISMATCH" in result.message


def test_check_needs_f_for_a_custom_op() -> None:
    """An op it cannot recompute is a ValueError asking for f=; with f the leaf is checked."""
    x = Value(0.7, label="x")
    s = Value.from_op(math.sin(0.7), [x], [2.0], "my_sin")
    out = s * x
    with pytest.raises(ValueError, match="pass f="):
        sg.check_graph(out)
    result = sg.check_graph(out, lambda v: v.sin() * v)
    assert not result.ok
    assert result.leaves[0].numeric == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7),
                                                     abs=1e-7)
    assert any("my_sin" in name for name in result.unchecked)


def test_check_recovers_an_unprintable_exponent() -> None:
    """x ** 0.1234567 is stored as op "**0.123457"; the exponent is recovered and checks pass."""
    x = Value(1.7, label="x")
    out = x ** 0.1234567
    result = sg.check_graph(out)
    assert result.ok
    assert result.leaves[0].numeric == pytest.approx(0.1234567 * 1.7 ** (0.1234567 - 1),
                                                     rel=1e-7)


def test_check_a_fused_neuron() -> None:
    """dot(w, x, b).tanh() with Values on both sides: every local gradient checked."""
    w = [Value(0.5, label="w0"), Value(-1.5, label="w1")]
    x = [Value(2.0, label="x0"), Value(0.25, label="x1")]
    b = Value(0.1, label="b")
    out = sg.dot(w, x, b).tanh()
    result = sg.check_graph(out)
    assert result.ok and not result.unchecked
    assert len(result.leaves) == 5 and len(result.locals) == 5 + 1
    t = math.tanh(0.5 * 2.0 - 1.5 * 0.25 + 0.1)
    (w0,) = [c for c in result.leaves if c.name == "w0"]
    assert w0.numeric == pytest.approx((1 - t * t) * 2.0, abs=1e-8)


def test_check_reports_a_kink_as_a_mismatch() -> None:
    """relu at exactly 0: engine 0, finite difference 0.5 — flagged, as in any gradcheck."""
    x = Value(0.0, label="x")
    result = sg.check_graph(x.relu())
    assert not result.ok
    assert result.leaves[0].numeric == pytest.approx(0.5)


def test_explain_after_backward_leaves_the_gradients_alone() -> None:
    """The sigmoid lesson's trap: explain(y) right after y.backward() keeps x.grad at 0.25."""
    x = Value(0.0, label="x")
    y = x.sigmoid()
    y.backward()
    trace = sg.explain(y)
    assert x.grad == 0.25
    assert trace.gradient(x).total == 0.25


def test_explain_after_backward_says_it_ran_nothing() -> None:
    """The narration of gradients already in place says so, in its text and HTML."""
    x = Value(0.0, label="x")
    y = x.sigmoid()
    y.backward()
    trace = sg.explain(y)
    assert "already in place" in str(trace)
    assert "already in place" in trace._repr_html_()


def test_explain_of_a_fresh_graph_runs_backward() -> None:
    """With no backward done yet, explain runs it and says so: every .grad is filled in."""
    x = Value(0.0, label="x")
    y = x.sigmoid()
    trace = sg.explain(y)
    assert x.grad == 0.25
    assert "ran" in trace.source
