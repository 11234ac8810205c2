"""The forward tangent pass narrated (explain_tangents): the lesson's numbers, the oracles, safety.

The lesson's own numbers (the sigmoid's 0.25 at z = 0, f = 2x + 3x giving 2 + 3 = 5) are
checked against hand computations; random graphs against PyTorch's torch.func.jvp in float64
and against a central finite difference along the same direction: never the engine against
itself.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lesson_graphs import multivariate_graph, sigmoid_graph
from strategies import PROPERTY, programs, reals

import scalargrad as sg
from scalargrad import Value

# -- the lesson's two graphs ---------------------------------------------------------------------


def test_sigmoid_at_zero_with_tangent_one_gives_a_quarter() -> None:
    """y = 1/(1 + e^−z) at z = 0 with z's tangent 1: y's tangent is σ(0)(1 − σ(0)) = 0.25."""
    z, y = sigmoid_graph(0.0)
    trace = sg.explain_tangents(y, {z: 1.0})
    assert trace.output == 0.25
    assert trace.step("y").formula() == "y.tangent = -1.0 × -0.25 = 0.25"


def test_sigmoid_tangents_travel_neg_exp_add_reciprocal_in_order() -> None:
    """Each node's tangent is its input's tangent × the op's local gradient, by hand at z = 0:
    neg ×(−1), exp ×e⁰ = 1, + ×1, reciprocal ×(−1/2²)."""
    z, y = sigmoid_graph(0.0)
    trace = sg.explain_tangents(y, {z: 1.0})
    assert [s.op for s in trace.steps if s.op] == ["neg", "exp", "+", "reciprocal"]
    expected = {"a": (1.0, -1.0, -1.0), "b": (-1.0, 1.0, -1.0), "y": (-1.0, -0.25, 0.25)}
    for name, (tangent_in, local, out) in expected.items():
        (c,) = trace.step(name).inputs
        assert (c.tangent_in, c.local, c.contribution) == (tangent_in, local, out)
    assert trace.step("c").formula() == "c.tangent = 0.0 - 1.0 = -1.0"  # the constant 1: 0


def test_a_value_used_twice_its_two_tangents_add_at_the_output() -> None:
    """f = w1·x + w2·x with w1 = 2, w2 = 3 and x's tangent 1: f's tangent is 2 + 3 = 5."""
    x, w1, w2, f = multivariate_graph()
    trace = sg.explain_tangents(f, {x: 1.0})
    step = trace.step("f")
    assert [(c.input_name, c.contribution) for c in step.inputs] == [("h", 2.0), ("g", 3.0)]
    assert step.formula() == "f.tangent = 2.0 + 3.0 = 5.0"
    assert trace.output == 5.0


def test_inputs_not_given_a_tangent_are_held_fixed() -> None:
    """With only w1's tangent given, f moves at ∂f/∂w1 = x = 0.5 and x is shown held fixed."""
    x = Value(0.5, label="x")
    w1 = Value(2.0, label="w1")
    f = w1 * x + 3 * x
    trace = sg.explain_tangents(f, {"w1": 1.0})
    assert trace.output == 0.5
    assert trace.step(x).formula() == "x.tangent = 0.0 (held fixed: no tangent given)"
    assert trace.seeds == (("w1", 1.0),)


def test_a_direction_in_two_inputs_is_the_dot_product_with_the_gradient() -> None:
    """f = x·y at (3, 4) along (1, −2): the tangent is y·1 + x·(−2) = 4 − 6 = −2 (by hand)."""
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    f = x * y
    assert sg.explain_tangents(f, {x: 1.0, y: -2.0}).output == -2.0


def test_an_op_given_only_its_backward_closure_is_traced_forward() -> None:
    """A custom op made with Value.from_op and a backward closure only: its tangent rule is read
    from that closure (cube at 2 along 1 moves at 3·2² = 12); no second table is needed."""
    x = Value(2.0, label="x")
    local = 3 * x.data ** 2
    y = Value.from_op(x.data ** 3, (x,), op="cube", backward=lambda up: (up * local,))
    assert sg.explain_tangents(y, {x: 1.0}).output == 12.0


def test_a_micrograd_style_op_is_traced_forward() -> None:
    """A node whose backward was set micrograd's way (adding into its parent itself) gets the
    right tangent too: tanh at 0.5 along 1 moves at 1 − tanh² 0.5."""
    x = Value(0.5, label="x")
    t = math.tanh(0.5)
    out = Value(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    assert sg.explain_tangents(out, {x: 1.0}).output == pytest.approx(1 - t ** 2, rel=1e-15)


def test_a_constant_next_to_an_infinite_local_gradient_adds_nothing() -> None:
    """y = √w + x with w = 0 held fixed: √'s local gradient at 0 is infinite, but w does not
    move, so y moves with x at speed 1 (not NaN) and √w's tangent says w does not move."""
    x, w = Value(2.0, label="x"), Value(0.0, label="w")
    root = w.sqrt()
    root.label = "r"
    trace = sg.explain_tangents(root + x, {x: 1.0})
    assert trace.output == 1.0
    assert trace.step("r").formula() == "r.tangent = 0.0 (w does not move)"


# -- no side effects -------------------------------------------------------------------------------


def test_the_tangent_pass_changes_no_grad() -> None:
    """Every .grad (a leaf's and an interior node's) holds what it held before."""
    x, w1, w2, f = multivariate_graph()
    nodes = sg.topological_order(f)
    for k, node in enumerate(nodes):
        node.grad = 10.0 + k
    sg.explain_tangents(f, {x: 1.0, w2: -0.5})
    assert [node.grad for node in nodes] == [10.0 + k for k in range(len(nodes))]


# -- against independent oracles -------------------------------------------------------------------

UNARY = {"tanh": ("tanh", "tanh"), "sin": ("sin", "sin"), "cos": ("cos", "cos"),
         "sigmoid": ("sigmoid", "sigmoid"), "neg": ("__neg__", "neg")}


def _run(xs: list, steps: list, lib: object = None) -> object:
    """The program on `xs` (Values, floats or one torch tensor's items): its last node."""
    pool = list(xs)
    for op, i, j in steps:
        a, b = pool[i], pool[j]
        if op in UNARY:
            ours, theirs = UNARY[op]
            pool.append(getattr(lib, theirs)(a) if lib is not None else getattr(a, ours)())
        elif op == "+":
            pool.append(a + b)
        elif op == "-":
            pool.append(a - b)
        else:
            pool.append(a * b)
    return pool[-1]


def _ours(xs: list[float], steps: list, direction: list[float]) -> float:
    leaves = [Value(v, label=f"x{k}") for k, v in enumerate(xs)]
    root = _run(leaves, steps)
    assert isinstance(root, Value)
    return sg.explain_tangents(root, dict(zip(leaves, direction))).output


DIRECTIONS = st.lists(reals(-2.0, 2.0), min_size=3, max_size=3)


@PROPERTY
@given(programs(), DIRECTIONS)
def test_random_graphs_output_tangent_matches_torch_func_jvp(program, direction) -> None:
    """On random graphs (fan-out, a node used twice), the output's tangent is PyTorch's
    torch.func.jvp in float64 to 1e-12."""
    torch = pytest.importorskip("torch")
    xs, steps = program

    def f(t: object) -> object:
        return _run([t[k] for k in range(len(xs))], steps, torch)

    _, expected = torch.func.jvp(f, (torch.tensor(xs, dtype=torch.float64),),
                                 (torch.tensor(direction, dtype=torch.float64),))
    assert _ours(xs, steps, direction) == pytest.approx(float(expected), rel=1e-12, abs=1e-12)


@PROPERTY
@given(programs(), DIRECTIONS)
def test_random_graphs_output_tangent_matches_a_finite_difference(program, direction) -> None:
    """On random graphs, the output's tangent is the central difference of the output along
    the direction, (f(x + εv) − f(x − εv)) / 2ε with ε = 1e-6, computed in plain floats."""
    xs, steps = program
    eps = 1e-6

    def f(sign: float) -> float:
        return float(_run([Value(x + sign * eps * v) for x, v in zip(xs, direction)],
                          steps).data)  # type: ignore[union-attr]

    numeric = (f(1.0) - f(-1.0)) / (2 * eps)
    assert _ours(xs, steps, direction) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


# -- the three renderings --------------------------------------------------------------------------


def test_text_states_the_rule_and_every_sum() -> None:
    """print() shows the rule in the lesson's words, a row per edge and f's sum."""
    x, _, _, f = multivariate_graph()
    text = str(sg.explain_tangents(f, {x: 1.0}))
    assert "contribution = tangent in × local grad" in text
    assert "tangent out = sum of the contributions" in text
    assert "f.tangent = 2.0 + 3.0 = 5.0" in text


def test_html_and_markdown_show_the_sum() -> None:
    """Jupyter's HTML and Markdown both carry f's sum and the column names."""
    x, _, _, f = multivariate_graph()
    trace = sg.explain_tangents(f, {x: 1.0})
    for shown in (trace._repr_html_(), trace._repr_markdown_(), trace.to_markdown()):
        assert "f.tangent = 2.0 + 3.0 = 5.0" in shown
        assert "tangent in" in shown and "contribution" in shown


HOSTILE = '<img src=x onerror="alert(1)">|*_`$x$'


def test_hostile_labels_are_escaped_in_html() -> None:
    """A label holding markup reaches the HTML as text: no tag, no attribute opens."""
    x = Value(1.0, label=HOSTILE)
    y = (x * x).tanh()
    y.label = "<script>alert(2)</script>"
    shown = sg.explain_tangents(y, {x: 1.0})._repr_html_()
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown


def test_hostile_labels_are_escaped_in_markdown() -> None:
    """In Markdown the label's pipes, emphasis, code and math characters are escaped and its
    angle brackets are entities, so the table keeps its columns."""
    x = Value(1.0, label=HOSTILE)
    y = x * 2
    shown = sg.explain_tangents(y, {x: 1.0}).to_markdown()
    assert "<img" not in shown
    assert r"\|\*\_\`\$x\$" in shown
    header = next(line for line in shown.splitlines() if line.startswith("| node"))
    row = next(line for line in shown.splitlines() if line.startswith("| &lt;img"))
    assert row.count(" | ") == header.count(" | ")


# -- bad input -------------------------------------------------------------------------------


def test_an_interior_node_cannot_be_given_a_tangent() -> None:
    """Tangents are given to inputs: naming a computed node says so and lists the inputs."""
    x, _, _, f = multivariate_graph()
    with pytest.raises(ValueError, match=r"h is computed by '\*', not an input.*w1, x, w2"):
        sg.explain_tangents(f, {"h": 1.0})


def test_a_value_the_output_does_not_depend_on_adds_nothing_and_is_said_so() -> None:
    """A Value outside the graph (∂f/∂it = 0, as `gradients` says) leaves f's tangent at
    x's 5.0, and the text names it as not in the graph."""
    x, _, _, f = multivariate_graph()
    trace = sg.explain_tangents(f, {x: 1.0, Value(1.0, label="stranger"): 7.0})
    assert trace.output == 5.0
    assert "stranger (tangent 7.0) is not in the graph of f" in str(trace)


def test_an_unknown_name_is_refused() -> None:
    """A name that is no node's is named in a KeyError with the inputs."""
    _, _, _, f = multivariate_graph()
    with pytest.raises(KeyError, match="no node named 'q'.*w1, x, w2"):
        sg.explain_tangents(f, {"q": 1.0})


def test_a_tangent_that_is_not_a_number_is_refused() -> None:
    """A tangent given as text is a TypeError naming the input."""
    x, _, _, f = multivariate_graph()
    with pytest.raises(TypeError, match="tangent of x expected a real number.*str '1'"):
        sg.explain_tangents(f, {x: "1"})


def test_tangents_must_be_a_mapping() -> None:
    """A list of tangents (no way to say which input each is for) is a TypeError."""
    _, _, _, f = multivariate_graph()
    with pytest.raises(TypeError, match="tangents must be a dict"):
        sg.explain_tangents(f, [1.0])  # type: ignore[arg-type]
