"""Write the workshop notebooks, one per step of docs/guide.md: `python notebooks/generate.py`.

The notebooks are generated, so they stay in step with the library and the workbook: each
exercise cell is the exercise's own stub, read from `exercises/workbook.py`, followed by a
`check(...)` call that prints the same verdict as `python -m exercises`. They are written
without outputs (tests/test_notebooks.py checks that, and runs every notebook in a kernel).

Cell tags say what a cell's output must be, and the tests hold the notebooks to it:
  rich-display   the cell shows a scalargrad object: HTML (or Markdown), never only text
  figure         the cell shows a picture: PNG, SVG or HTML, never "<Figure ...>" text
  desktop-only   the cell needs what the browser workshop lacks (matplotlib's GIF writer):
                 the workshop page shows it with a note and "Run all" passes over it
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
WORKBOOK = HERE.parent / "exercises" / "workbook.py"

Cell = Any


def md(text: str) -> Cell:
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *tags: str) -> Cell:
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _workbook() -> tuple[str, ast.Module]:
    source = WORKBOOK.read_text(encoding="utf-8")
    return source, ast.parse(source)


def _stub(name: str) -> str:
    """The workbook's own text for exercise `name`: a function, or a number with its question."""
    source, tree = _workbook()
    lines = source.splitlines()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node) or ""
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name):
            start = node.lineno - 1
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1
            return "\n".join(lines[start:node.end_lineno])
    raise KeyError(f"exercise {name} is not in {WORKBOOK}")


def exercise(name: str) -> list[Cell]:
    """A cell with the exercise to fill in and the checker's call under it."""
    stub = _stub(name)
    return [code(f"{stub}\n\ncheck({name!r}, {name})", "exercise")]


def setup(exercises: bool = True, sg: bool = True, stubs: bool = True) -> Cell:
    """The first code cell: the imports the notebook uses (Part A's stubs need math, Value)."""
    lines = []
    if exercises and stubs:
        lines.append("import math  # noqa: F401  (you will want math.exp, math.tanh, ...)\n")
    if sg:
        lines.append("import scalargrad as sg")
    if exercises:  # check("name", your_answer): the same verdict as python -m exercises
        lines.append("from exercises.check import check")
    lines.append("from scalargrad import Value")
    return code("\n".join(lines))


EXERCISE_INTRO = md("""
### Your turn

Fill in the cell below and run it: in a function, replace `raise NotImplementedError` in its
`_backward` with a `return` of the downstream gradients (upstream × local gradient, one per
input); in a question, replace `None` with your number. The checker prints **PASS**, **FAIL**
(with the numbers and a hint) or **TODO**. It never trusts your formula: it runs your op
through `gradcheck`, against finite differences of its forward value.
""")


def step1() -> list[Cell]:
    return [
        md("""
# Step 1 — A program is a graph

Workshop guide, step 1 (`docs/guide.md`). Run the cells from top to bottom (Shift-Enter).
You need the derivative of a function of one variable and the chain rule; nothing about
automatic differentiation.
"""),
        setup(exercises=False),
        md("""
A `Value` holds a number. Every operation on values makes a new value that remembers where it
came from, so while Python computes `c` it also builds a graph: `a` and `b` at the start, one
node for each `*`, `+` and `tanh`, and `c` at the end. That is the **forward pass**.
"""),
        code("""
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = a * b + a.tanh()
c.label = "c"
c
""", "rich-display"),
        md("""
`c.backward()` is the **backward pass**. It walks the graph from `c` back to `a` and `b` and
fills in `grad` on every value: the derivative of `c` with respect to that value.
"""),
        code("""
c.backward()
a
""", "rich-display"),
        md("""
`a.grad` is about −2.93: if `a` grew by a tiny amount δ, `c` would change by about −2.93·δ.
`b.grad` is 2.0, the value of `a`. Here is the whole graph, each box with its `data` and `grad`:
"""),
        code("""
sg.draw_dot(c)
""", "figure"),
        md("""
Are those gradients right? `gradcheck` nudges each input a little, runs only the forward
pass, and compares the change with the engine's gradient:
"""),
        code("""
sg.gradcheck(lambda a, b: a * b + a.tanh(), 2.0, -3.0)
""", "rich-display"),
        md("""
The rest of the workshop is about *how* backward finds these numbers. Next:
`02-upstream-local-downstream.ipynb`.
"""),
    ]


def step2() -> list[Cell]:
    return [
        md("""
# Step 2 — Upstream, local gradient, downstream

Workshop guide, step 2. Backward handles one operation at a time. Take one node `h = f(x)`
somewhere in the graph, with the final output `L` further on:

- the **upstream** is ∂L/∂h: how much the output moves when `h` moves. Backward already knows
  it, because it started at the output and came back towards `h` (at the output it is 1);
- the **local gradient** is ∂h/∂x: the derivative of this one operation, knowing nothing of
  the rest of the graph (for `eˣ` it is eˣ, for `1/x` it is −1/x², for `x + y` it is 1);
- the **downstream** is ∂L/∂x = upstream × local gradient: the chain rule, used once. It is
  sent to `x`, where it becomes the upstream of the next step back.
"""),
        setup(),
        md("""
### The sigmoid, node by node

The lesson's function is y = 1/(1 + e^−z). As primitive operations it is a chain of four:
**neg → exp → add → reciprocal**. We build it at z = 0 and give every node a name.
"""),
        code("""
z = Value(0.0, label="z")
v = -z  # neg
v.label = "v"
u = v.exp()  # exp
u.label = "u"
s = 1 + u  # add
s.label = "s"
y = s.reciprocal()  # reciprocal
y.label = "y"
y
""", "rich-display"),
        md("""
`sg.explain` runs the backward pass and records it: for every node its upstream, and for each
of its inputs the local gradient and the downstream. Read the table from the top: each row's
downstream is the upstream of the node it flows into.
"""),
        code("""
trace = sg.explain(y)
trace
""", "rich-display"),
        md("""
At the end dy/dz = 0.25 = 1 · (−1/4) · 1 · 1 · (−1): the product of the local gradients along
the chain. One node's gradient, written as the sum of what it received:
"""),
        code("""
trace.gradient(z)
""", "rich-display"),
        md("""
The same pass as a picture: every edge is labelled with its local gradient and the downstream
that flowed along it.
"""),
        code("""
sg.draw_dot(y, edge_labels=True)
""", "figure"),
        md("""
And as an animation: the gradients start as `?` and fill in one operation at a time.
"""),
        code("""
sg.save_gif(y, "out/sigmoid_backward.gif")
""", "rich-display", "desktop-only"),
        md("""
The fused `sigmoid()` op computes y and its local gradient σ(z)·(1 − σ(z)) = 0.5 × 0.5 = 0.25
in a single node: the same 0.25 from one node instead of four.
"""),
        code("""
z2 = Value(0.0, label="z")
y2 = z2.sigmoid()
y2.backward()
z2.grad
"""),
        EXERCISE_INTRO,
        md("The backward of three of the four sigmoid nodes, then the whole chain:"),
        *exercise("neg"),
        *exercise("exp"),
        *exercise("reciprocal"),
        *exercise("P1"),
    ]


def step3() -> list[Cell]:
    return [
        md("""
# Step 3 — Checking a gradient numerically

Workshop guide, step 3. How do we know 0.25 is right? The derivative is the limit of a
difference quotient,

  f′(z) = lim (f(z + ε) − f(z)) / ε  as ε → 0,

so take a small ε and compute the quotient. It needs nothing but the forward pass, so it
works on any function: the standard test of a backward pass.
"""),
        setup(),
        code("""
def f(z):
    return (1 + (-z).exp()).reciprocal()    # the sigmoid, built from neg, exp, add, reciprocal

sg.forward_difference(f, 0.0, eps=0.01)    # (f(0.01) - f(0)) / 0.01
"""),
        md("""
With ε = 0.01 the quotient is 0.249998, close to the exact 0.25 from backward. A smaller ε
gets closer:
"""),
        code("""
for eps in (0.1, 0.01, 0.001):
    approx = sg.forward_difference(f, 0.0, eps=eps)
    print(f"eps = {eps:<6} quotient = {approx:.8f}   error = {abs(approx - 0.25):.1e}")
"""),
        md("""
`gradcheck(f, *inputs)` does this for every input of `f`, with the more accurate central
difference (f(x + ε) − f(x − ε)) / 2ε, and shows both numbers:
"""),
        code("""
sg.gradcheck(f, 0.0)
""", "rich-display"),
        md("""
σ and σ′ from −6 to 6: the engine's σ′ as a line, the finite differences as dots. The slope
peaks at 0.25 at z = 0.
"""),
        code("""
sg.plot_function(lambda z: z.sigmoid(), (-6.0, 6.0))
""", "figure"),
        EXERCISE_INTRO,
        md("The fused sigmoid's backward (at x = 0 its local gradient is the lesson's number):"),
        *exercise("sigmoid"),
    ]


def step4() -> list[Cell]:
    return [
        md("""
# Step 4 — The multivariate chain rule: a value used twice

Workshop guide, step 4. So far every value had one consumer. In a network an input feeds many
neurons. The lesson's example is a small piece of a linear layer:

  f(x) = h(x) + g(x),  h(x) = w1·x,  g(x) = w2·x,  with w1 = 2, w2 = 3.

`x` is used twice, so backward sends it *two* downstream contributions, one through `h` and
one through `g`, and its gradient is their **sum**: ∂f/∂x = 1·2 + 1·3 = 5.
"""),
        setup(stubs=False),
        code("""
x = Value(0.0, label="x")
w1 = Value(2.0, label="w1")
w2 = Value(3.0, label="w2")
h = w1 * x
h.label = "h"
g = w2 * x
g.label = "g"
f = h + g
f.label = "f"
trace = sg.explain(f)
trace
""", "rich-display"),
        md("**In the trace**: the multiply nodes send 1 × 2 and 1 × 3 to `x`, which adds them."),
        code("""
trace.gradient(x)
""", "rich-display"),
        md("""
**As paths**: there are two paths from `x` to `f`. Multiply the local gradients along each
path (2 × 1 and 3 × 1), then add the paths.
"""),
        code("""
sg.explain_paths(f, x)
""", "rich-display"),
        md("""
**Numerically**: at x = 0 with ε = 0.01, f(0) = 0 and f(0.01) = 0.01·2 + 0.01·3 = 0.05, so the
quotient is 0.05 / 0.01 = 5.
"""),
        code("""
sg.forward_difference(lambda x: 2 * x + 3 * x, 0.0, eps=0.01)
"""),
        md("In the graph, `x` has two outgoing edges whose downstreams (2 and 3) add up to 5:"),
        code("""
sg.draw_dot(f, edge_labels=True)
""", "figure"),
        md("""
A by-product: `w1.grad` and `w2.grad` are both `x` (times the upstream 1). A weight's gradient
is its input times the upstream, which is why training keeps the inputs from the forward pass.
"""),
        code("""
w1.grad, w2.grad
"""),
        md("""
**Step through it**: the stepper plays the whole lesson on this graph, the forward pass and
then the backward pass one edge at a time, writing upstream × local gradient = downstream at
each step and the running sum at `x`. Press → (or Step) to go on, ← to go back.
"""),
        code("""
sg.backprop_page(f)
""", "rich-display"),
        EXERCISE_INTRO,
        *exercise("P2"),
        *exercise("P4"),
    ]


def step5() -> list[Cell]:
    return [
        md("""
# Step 5 — Accumulate, don't assign

Workshop guide, step 5. Because of the sum in step 4, each backward step must **add** its
downstream into the input's `grad` (`+=`): more may be on its way from other consumers. If it
**assigns** (`=`), each contribution overwrites the one before and only the last survives.
Nothing crashes; the gradients are just wrong.

The example: `b = a + a`, then `c = b + b`. So c = 4a and dc/da = 4.
"""),
        setup(stubs=False),
        code("""
a = Value(3.0, label="a")
b = a + a
b.label = "b"
c = b + b
c.label = "c"
sg.explain(c)
""", "rich-display"),
        md("""
`a` received 2 + 2. The demo runs the buggy `=` version beside the right `+=` one, printing
every edge: with `=`, each level keeps only one of its two contributions and `a` ends with 1.
"""),
        code("""
from demos import accumulation

result = accumulation.run(out=None)
result["wrong"], result["right"]
"""),
        md("""
The bug that tends to come next: passing a node's gradient on as soon as any contribution
arrives (then `a` collects 1 + 1 + 2 + 2 = 6). The fix is to visit the nodes in **reverse
topological order**, so each node passes its gradient on once, after all of its consumers have
contributed. This is the order backward uses, from the output back:
"""),
        code("""
[node.label for node in reversed(sg.topological_order(c))]
"""),
        EXERCISE_INTRO,
        *exercise("P3"),
        *exercise("P7"),
    ]


def step6() -> list[Cell]:
    return [
        md("""
# Step 6 — From a neuron to a network

Workshop guide, step 6. A neuron computes o = act(w1·x1 + w2·x2 + b). With x = (2, −1),
w = (−3, 1) and b = 7 the sum n is exactly 0, where the sigmoid's local gradient is the 0.25
of step 2.
"""),
        setup(),
        code("""
x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(7.0, label="b")
x1w1 = x1 * w1
x1w1.label = "x1w1"
x2w2 = x2 * w2
x2w2.label = "x2w2"
n = x1w1 + x2w2 + b
n.label = "n"
o = n.sigmoid()
o.label = "o"
sg.explain(o)
""", "rich-display"),
        md("""
Backward sends 0.25 into `n`. The `+` nodes pass it on unchanged (local gradient 1); each `*`
node sends the *other* factor times 0.25: w1.grad = x1 × 0.25 = 0.5, x1.grad = w1 × 0.25 = −0.75.

`check_graph` compares every gradient, and every single local gradient, with finite
differences:
"""),
        code("""
sg.check_graph(o)
""", "rich-display"),
        code("""
sg.draw_dot(o, edge_labels=True, params=[w1, w2, b])
""", "figure"),
        md("""
The `nn` library builds the same neuron with one fused `dot` node for w·x + b. A *layer* is
several neurons reading the same inputs; an *MLP* feeds each layer's outputs into the next.
`MLP(2, [4, 4, 1])` has 37 parameters:
"""),
        code("""
import nn

model = nn.MLP(2, [4, 4, 1], seed=0)
model.summary()
""", "rich-display"),
        md("""
One `backward()` fills in all 37 gradients. Nothing new happens: the same relay over a bigger
graph, and inputs shared by many neurons are summed exactly as in step 4.
"""),
        code("""
out = model([2.0, -1.0])
out.backward()
print(f"{model.num_parameters()} parameters, "
      f"{sum(p.grad != 0 for p in model.parameters())} with a non-zero gradient")
out
""", "rich-display"),
        EXERCISE_INTRO,
        *exercise("mul"),
        *exercise("P5"),
        *exercise("P8"),
    ]


def step7() -> list[Cell]:
    return [
        md("""
# Training: the two-moons classifier

Workshop guide, step 7: micrograd's demo, trained with this engine.

- **Data**: 100 points in two interleaving half-moons, noise 0.1, labels −1 and +1.
- **Model**: `MLP(2, [16, 16, 1])`, ReLU hidden layers, 337 parameters.
- **Loss**: the hinge loss (mean of max(0, 1 − yᵢ·scoreᵢ)) plus 1e-4·Σp².
- **Training**: SGD with learning rate 1 − 0.9·k/100 at step k, for 100 steps.
"""),
        code("""
import nn
import scalargrad as sg

X, y = nn.moons(100, noise=0.1, seed=0, signed=True)
model = nn.MLP(2, [16, 16, 1], seed=0)
model.summary()
""", "rich-display"),
        md("""
Training repeats four lines: the forward pass and the loss, clear the gradients (parameters
are leaves, and leaves accumulate), the backward pass, and a small step of every parameter
against its gradient.
"""),
        code("""
opt = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, steps=100))
for k in range(100):
    loss = nn.hinge_loss([model(x) for x in X], y) + nn.l2_regularization(model.parameters())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if (k + 1) % 10 == 0:
        print(f"step {k + 1:3d}  loss {loss.data:.6f}  "
              f"accuracy {nn.accuracy([model(x) for x in X], y):.0%}")
"""),
        md("The decision boundary the network learned, with the points (mistakes ringed):"),
        code("""
sg.plot_decision_boundary(model, X, y)
""", "figure"),
        md("""
`nn.fit` runs the same loop for you and returns the history of every step: the loss, the
accuracy of that step's forward pass and the learning rate.
"""),
        code("""
model2 = nn.MLP(2, [16, 16, 1], seed=0)
recorder = sg.TrainingRecorder(model2, X, y, every=5)
history = nn.fit(model2, X, y, loss="hinge", l2=1e-4, steps=100, progress=False,
                 optimizer=nn.SGD(model2.parameters(), lr=nn.LinearDecay(1.0, 0.1, steps=100)),
                 callback=recorder)
history
""", "rich-display"),
        code("""
sg.plot_history(history)
""", "figure"),
        md("""
The recorder passed as `callback` kept a picture of the decision boundary every 5 steps.
Replay the training: press Play, or drag the slider, and watch the boundary form while the
loss falls.
"""),
        code("""
recorder.page("Two moons: the training replayed")
""", "rich-display"),
        md("Save the trained model (JSON: numbers, not code) and load it back:"),
        code("""
nn.save(model, "moons_model.json")
again = nn.load("moons_model.json")
nn.accuracy([again(x) for x in X], y)
"""),
        md("""
The same loop trains other models with another loss: `python -m demos.spiral` (three
classes, softmax cross-entropy, Adam) and `python -m demos.regression` (a curve, mean squared
error). This is the last notebook; the exercises are in `07-your-turn.ipynb`.
"""),
    ]


def step8() -> list[Cell]:
    return [
        md("""
# Your turn: the exercises

Workshop guide, step 8. Part A asks you to write an op's `_backward`: given the upstream, it
returns the downstream for each input, and the checker runs your op through `gradcheck`.
Part B asks you to predict a gradient on paper (draw the graph, walk it backward: upstream ×
local gradient = downstream, and add where a value is used twice). The earlier notebooks had
most of them; here are the rest. `python -m exercises` checks the whole workbook file
(`exercises/workbook.py`) the same way. Next and last: `08-training-moons.ipynb`, which
trains the two-moons classifier.
"""),
        setup(sg=False),
        *exercise("div"),
        *exercise("tanh"),
        *exercise("softplus"),
        *exercise("P6"),
    ]


def step9() -> list[Cell]:
    return [
        md("""
# Step 9 — The backward pass is a graph

Workshop guide, step 9, the lesson after backprop. Every step of the backward pass is
arithmetic: upstream × local gradient = downstream, and sums where a value is used twice. If
the engine does that arithmetic with its own `Value` ops instead of plain floats, the
gradient it produces is itself a `Value` with a graph — the **backward pass as a graph** —
and that graph can be drawn, narrated and differentiated again. `backward(create_graph=True)`
(PyTorch's name) does exactly this.
"""),
        code("""
import math

import scalargrad as sg
from scalargrad import Value
"""),
        md("""
### The gradient of tanh, as a graph

For y = tanh x the local gradient is 1 − tanh² x. With `create_graph=True`, `x.grad` is a Value
computed from the tanh node itself: a product (tanh · tanh), a subtraction (1 − …) and the
seed upstream (1).
"""),
        code("""
x = Value(0.5, label="x")
y = x.tanh()
y.label = "y"
y.backward(create_graph=True)
dydx = x.grad
dydx.label = "dy/dx"
dydx
""", "rich-display"),
        code("""
sg.draw_dot(dydx)
""", "figure"),
        md("""
Narrate the backward pass *of that graph*: it ends at x with d²y/dx², the derivative of the
derivative. (`run_backward=False` replays it without touching any `.grad`.)
"""),
        code("""
trace = sg.explain(dydx, run_backward=False)
trace
""", "rich-display"),
        md("""
Compare with the formula: d/dx (1 − tanh² x) = −2 tanh x · (1 − tanh² x).
"""),
        code("""
t = math.tanh(0.5)
print("through the graph:", trace.gradient(x).total)
print("the formula:      ", -2 * t * (1 - t * t))
"""),
        md("""
### `grad(f)`: derivatives as functions

`sg.grad(f)` is the function x ↦ f′(x): plain numbers in, plain numbers out, Values inside.
It composes: `sg.grad(sg.grad(f))` is f″, and so on, to any order.
"""),
        code("""
def f(x):
    return x ** 4 - 3 * x ** 2 + x


df = sg.grad(f)
d2f = sg.grad(sg.grad(f))
df(1.0), d2f(1.0)
"""),
        md("""
### Newton's method for a minimum

At a minimum f′ = 0 and f″ > 0. Newton's method steps x ← x − f′(x)/f″(x): the curvature
says how far to go. From x = 1 it takes a handful of steps:
"""),
        code("""
x_k = 1.0
for k in range(6):
    print(f"step {k}: x = {x_k:.12f}   f'(x) = {df(x_k):+.3e}   f''(x) = {d2f(x_k):.4f}")
    x_k = x_k - df(x_k) / d2f(x_k)
"""),
        md("""
### f, f′ and f″ on one picture

Where f′ crosses 0 with f″ > 0 the curve bends up: a minimum. Where f″ < 0 it bends down.
"""),
        code("""
sg.plot_curvature(f, (-1.9, 1.9), marks=[x_k])
""", "figure"),
    ]


NOTEBOOKS = {
    "01-a-program-is-a-graph.ipynb": step1,
    "02-upstream-local-downstream.ipynb": step2,
    "03-checking-a-gradient.ipynb": step3,
    "04-multivariate-chain-rule.ipynb": step4,
    "05-accumulate-dont-assign.ipynb": step5,
    "06-neuron-to-network.ipynb": step6,
    "07-your-turn.ipynb": step8,  # the exercises before training, so the last notebook
    "08-training-moons.ipynb": step7,  # trains the moons classifier and shows its pictures
    "09-the-backward-pass-is-a-graph.ipynb": step9,  # gradients of gradients
}


def build(name: str) -> Any:
    """The notebook `name`, without outputs."""
    nb = new_notebook(cells=NOTEBOOKS[name]())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids, so regenerating changes nothing
        cell["id"] = f"{name[:2]}-{i:02d}"
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name)) + "\n"


def main() -> int:
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name), encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
