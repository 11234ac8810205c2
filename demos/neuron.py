"""One neuron, forward and backward: the building block of every network.

    o = σ(w1·x1 + w2·x2 + b)    with x1 = 2, x2 = −1, w1 = −3, w2 = 1, b = 7

The weights are chosen so that the pre-activation n = w1·x1 + w2·x2 + b is 0, where the
sigmoid's local gradient is 0.25, the number from the sigmoid lesson. The backward pass sends
0.25 into n, and from there a weight's gradient is its input × 0.25 and an input's gradient is
its weight × 0.25. The demo narrates the pass, checks every gradient numerically, builds the
same neuron with `nn.Neuron` (one fused node for w·x + b, same gradients), and then stacks
neurons into a small MLP.

Writes neuron_graph.svg/.png (every edge with upstream × local gradient = downstream),
neuron_backward.gif (the pass, one op per frame), neuron_fused.svg/.png and mlp_graph.svg/.png.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import nn
from scalargrad import Value, check_graph, explain, save_gif, text_tree, topological_order

from ._common import Report, fmt, parser

INPUTS = {"x1": 2.0, "x2": -1.0}
WEIGHTS = {"w1": -3.0, "w2": 1.0}
BIAS = 7.0


def build(activation: str = "sigmoid") -> tuple[Value, dict[str, Value]]:
    """The neuron as elementary ops, every node labelled: x1·w1, x2·w2, their sum, + b, act."""
    v = {name: Value(x, label=name) for name, x in {**INPUTS, **WEIGHTS, "b": BIAS}.items()}
    x1w1 = v["x1"] * v["w1"]
    x1w1.label = "x1w1"
    x2w2 = v["x2"] * v["w2"]
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1+x2w2"
    n = s + v["b"]
    n.label = "n"
    o = getattr(n, activation)()
    o.label = "o"
    v.update({"x1w1": x1w1, "x2w2": x2w2, "s": s, "n": n, "o": o})
    return o, v


def run(activation: str = "sigmoid", *, out: Path | str | None = "out", plots: bool = True,
        file: TextIO | None = None) -> dict[str, Any]:
    """Narrate one neuron's backward pass, check it, and compare with nn.Neuron."""
    r = Report(out, plots=plots, file=file)
    act = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu"}[activation]
    r.title(f"One neuron: o = {act}(w1·x1 + w2·x2 + b)")
    r.say("A neuron multiplies each input by its weight, adds them up with a bias, and passes",
          "the sum n through an activation. Training needs the gradient of the output with",
          "respect to every weight and the bias: one backward pass gives all of them.")

    o, v = build(activation)
    r.section("Forward pass")
    r.say(f"  inputs  x1 = {fmt(INPUTS['x1'])}, x2 = {fmt(INPUTS['x2'])};  weights w1 = "
          f"{fmt(WEIGHTS['w1'])}, w2 = {fmt(WEIGHTS['w2'])};  bias b = {fmt(BIAS)}",
          f"  x1w1 = {fmt(v['x1w1'].data)},  x2w2 = {fmt(v['x2w2'].data)},  "
          f"n = x1w1 + x2w2 + b = {fmt(v['n'].data)}",
          f"  o = {act}(n) = {fmt(o.data)}")

    r.section("Backward pass: upstream × local gradient = downstream, node by node")
    trace = explain(o)
    r.say(*("  " + line for line in trace.to_text().splitlines()))
    slope = v["n"].grad
    r.say("", f"  The activation's local gradient at n = {fmt(v['n'].data)} is {fmt(slope)}"
          + (" (σ(0)·(1 − σ(0)) = 0.25, as in the sigmoid lesson)."
             if activation == "sigmoid" and v["n"].data == 0.0 else "."),
          "  The + nodes pass it on unchanged (local gradient 1); each * node swaps its inputs:",
          f"    w1.grad = x1 × {fmt(slope)} = {fmt(v['w1'].grad)}     "
          f"x1.grad = w1 × {fmt(slope)} = {fmt(v['x1'].grad)}",
          f"    w2.grad = x2 × {fmt(slope)} = {fmt(v['w2'].grad)}    "
          f"x2.grad = w2 × {fmt(slope)} = {fmt(v['x2'].grad)}",
          f"    b.grad  = 1 × {fmt(slope)} = {fmt(v['b'].grad)}")

    r.section("Checking every gradient numerically")
    check = check_graph(o)
    r.say(*("  " + line for line in check.message.splitlines()))
    for c in check.leaves:
        r.say(f"    {c.name:<3} engine {fmt(c.analytic):<7} finite difference {fmt(c.numeric)}")

    r.section("The same neuron from the nn library: one fused node for w·x + b")
    neuron = nn.Neuron(2, activation=activation)
    for w, name in zip(neuron.w, WEIGHTS):
        w.data = WEIGHTS[name]
        w.label = name  # nn counts weights from 0 (w0, w1); the lesson from 1
    neuron.b.data = BIAS
    xs = [Value(x, label=name) for name, x in INPUTS.items()]
    of = neuron(xs)
    of.label = "o"
    of._prev[0].label = "n"  # the fused dot node
    of.backward()
    grads = [*(w.grad for w in neuron.w), neuron.b.grad, *(x.grad for x in xs)]
    mine = [v[k].grad for k in ("w1", "w2", "b", "x1", "x2")]
    same = all(abs(a - b) <= 1e-12 for a, b in zip(grads, mine))
    r.say(f"  {neuron!r}: dot(w, x, b) computes n in ONE node whose local gradients are",
          "  the inputs (for the weights), the weights (for the inputs) and 1 (for the bias).",
          f"  {len(topological_order(o))} nodes in the elementary graph, "
          f"{len(topological_order(of))} in the fused one;",
          f"  gradients (w1, w2, b, x1, x2): {', '.join(fmt(g) for g in grads)}"
          + ("  — the same." if same else "  — DIFFERENT!"))
    r.say(*("    " + line for line in text_tree(of).splitlines()))

    r.section("From a neuron to an MLP")
    mlp = nn.MLP(2, [4, 4, 1], seed=0)
    y = mlp([Value(x, label=name) for name, x in INPUTS.items()])
    y.label = "y"
    y.backward()
    n_nodes = len(topological_order(y))
    r.say("  A layer is several neurons reading the same inputs; an MLP feeds one layer's",
          "  outputs to the next. Backward is the same walk over a bigger graph.",
          f"  {mlp.describe()}: 2 inputs → 4 neurons → 4 neurons → 1 output",
          f"  {mlp.num_parameters()} parameters; one forward pass builds {n_nodes} nodes,",
          f"  and one backward() fills in all {mlp.num_parameters()} parameter gradients.")

    r.section("Pictures")
    r.graph(o, "neuron_graph", "the neuron; each edge shows upstream × local = downstream",
            edge_labels=True, params=[v["w1"], v["w2"], v["b"]],
            title=f"One neuron, o = {act}(w1·x1 + w2·x2 + b)")
    if r.plots:
        r.wrote(save_gif(o, r.path("neuron_backward.gif"), params=[v["w1"], v["w2"], v["b"]]),
                "the backward pass, one op per frame")
    r.graph(of, "neuron_fused", "the same neuron with one fused dot node",
            edge_labels=True, params=neuron.parameters(),
            title="The same neuron with one fused dot node")
    r.graph(y, "mlp_graph", "MLP(2, [4, 4, 1]); each dot node names the weights and bias "
            "folded into it (w1[0,:] b1[0] is layer 1's first neuron: the brackets count from 0)",
            params=mlp, collapse={"dot"},
            title="MLP(2, [4, 4, 1]): each dot node holds its neuron's weights and bias")
    r.no_pictures_note()
    return {"o": o.data, "grads": {k: v[k].grad for k in ("x1", "x2", "w1", "w2", "b", "n")},
            "fused_grads": grads, "same": same, "check_ok": check.ok, "trace": trace, "root": o,
            "mlp_parameters": mlp.num_parameters(), "mlp_nodes": n_nodes,
            "files": r.written, "figures": r.figures}


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.neuron", __doc__)
    p.add_argument("--activation", choices=("sigmoid", "tanh", "relu"), default="sigmoid",
                   help="the neuron's activation (default: sigmoid, as in the lesson)")
    args = p.parse_args(argv)
    run(args.activation, out=args.out, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
