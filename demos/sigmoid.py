"""The chain rule on the sigmoid, node by node (the lesson, Part 2).

    y = 1 / (1 + e^−z)  is built from four primitive ops:  neg → exp → add → reciprocal.

The backward pass starts at y with upstream 1 and walks back through the four ops. At each
one: the gradient arriving from above is the *upstream*, the op's own derivative is its
*local gradient*, and upstream × local gradient is the *downstream*, which becomes the
upstream of the next node down. At z = 0 the result is dy/dz = 0.25, which a forward
difference with ε = 0.01 confirms, and which the fused `sigmoid()` op gives in one node.

Writes to the output folder: sigmoid_graph.svg/.png (the graph, every edge labelled
upstream × local gradient = downstream), sigmoid_backward.gif (the backward pass, one op per
frame), sigmoid_curve.png (σ and σ′: engine vs finite differences) and sigmoid_backprop.html,
a page to step through both passes in a browser.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, TextIO

from scalargrad import (
    Value,
    explain,
    forward_difference,
    gradcheck,
    plot_function,
    save_gif,
    topological_order,
)

from ._common import Report, fmt, parser
from ._replay import write_stepper

# The letter each op's local gradient is written with, and whether that formula depends on it
# (how each op is written comes from its declaration, node._kind).
LETTERS = {
    "neg": ("z", False),
    "exp": ("u", True),
    "+": ("u", False),
    "reciprocal": ("s", True),
}


def decomposed(z: Value) -> Value:
    """y = 1/(1 + e^−z) from primitives, each node labelled as the lesson walks it."""
    neg = -z
    neg.label = "-z"
    e = neg.exp()
    e.label = "e^-z"
    one = Value(1.0, label="1")
    s = one + e
    s.label = "1+e^-z"
    y = s.reciprocal()
    y.label = "y"
    return y


def sigmoid_of(z: Value) -> Value:
    """The same y, unlabelled, for the numerical checks."""
    return (1 + (-z).exp()).reciprocal()


def run(z: float = 0.0, *, out: Path | str | None = "out", plots: bool = True,
        file: TextIO | None = None) -> dict[str, Any]:
    """Walk the sigmoid's backward pass at `z`, check it, and return the key numbers."""
    r = Report(out, plots=plots, file=file)
    r.title("The chain rule on the sigmoid, node by node")
    r.say("y = 1 / (1 + e^−z), built from four primitive ops: neg → exp → add → reciprocal.",
          "Backward walks them in reverse. At each node:",
          "  upstream        the gradient arriving from the output side, ∂y/∂(this node)",
          "  local gradient  the op's own derivative, ∂(this node)/∂(its input)",
          "  downstream      upstream × local gradient, which is sent to the input and becomes",
          "                  its upstream.")

    r.section(f"Forward pass at z = {fmt(z)}")
    zv = Value(z, label="z")
    y = decomposed(zv)
    node = y
    chain = []
    while node._prev:
        chain.append(node)
        node = node._prev[-1]  # the non-constant input: the reciprocal's, add's e^-z, ...
    for n in reversed(chain):
        written = n._kind.write([p.label for p in n._prev])
        r.say(f"  {n._op:<11} {n.label} = {written} = {fmt(n.data)}")

    r.section("Backward pass: upstream × local gradient = downstream")
    trace = explain(y)
    trace_nodes = topological_order(y)
    k = 0
    for step in trace.steps:
        if step.is_leaf:
            continue
        k += 1
        node = trace_nodes[step.index]
        letter, depends = LETTERS[step.op]
        main = step.inputs[-1]  # the input on the path to z (add's other input is the constant 1)
        letters = [letter if c is main else c.input_name for c in step.inputs]
        local_formula = node._kind.local_text(letters, wrt=len(step.inputs) - 1)
        where = f", at {letter} = {fmt(trace.step(main.input_name).data)}" if depends else ""
        r.say(f"  {k}. {step.op}   {step.name} = "
              f"{node._kind.write([c.input_name for c in step.inputs])}")
        seed = "   (the output: the seed, ∂y/∂y = 1)" if k == 1 else ""
        r.say(f"     upstream        {fmt(step.upstream)}{seed}",
              f"     local gradient  {local_formula}{where}: {fmt(main.local)}",
              f"     downstream      {fmt(step.upstream)} × {fmt(main.local)} = "
              f"{fmt(main.downstream)}   → the upstream of {main.input_name}")
    r.say(f"  Result: dy/dz = {fmt(zv.grad)}"
          + ("   (= 1 · (−1/4) · 1 · 1 · (−1) = 0.25)" if z == 0.0 else ""))
    r.say("", "  The same pass as the engine records it (scalargrad.explain):", "")
    r.say(*("    " + line for line in trace.to_text().splitlines()))

    r.section("Checking it numerically: the forward difference, ε = 0.01")
    eps = 0.01
    f0 = sigmoid_of(Value(z)).data
    f1 = sigmoid_of(Value(z + eps)).data
    fd = forward_difference(sigmoid_of, z, eps=eps)
    r.say("  f′(z) ≈ (f(z + ε) − f(z)) / ε",
          f"  f({fmt(z)})        = {fmt(f0)}",
          f"  f({fmt(z)} + {eps}) = {fmt(f1)}",
          f"  ({fmt(f1)} − {fmt(f0)}) / {eps} = {fmt(fd)}  ≈ {fmt(round(fd, 2))}",
          f"  the engine's backward gives {fmt(zv.grad)}"
          + ("; they agree: 0.25 both ways." if abs(fd - zv.grad) < 1e-3 else "."))
    r.say("  A smaller ε gets closer (the forward difference is only an approximation):")
    for e in (0.1, 0.01, 0.001):
        d = forward_difference(sigmoid_of, z, eps=e)
        r.say(f"    ε = {e:<6} → {d:.9f}   (|difference| {abs(d - zv.grad):.1e})")
    check = gradcheck(sigmoid_of, z)
    r.say("  gradcheck (central differences, tight tolerance):",
          *("    " + line for line in check.message.splitlines()))

    r.section("The fused sigmoid(): one node, the same gradient")
    zf = Value(z, label="z")
    yf = zf.sigmoid()
    yf.label = "y"
    yf.backward()
    r.say("  sigmoid() computes y and its local gradient σ(z)·(1 − σ(z)) in one node:",
          f"  σ({fmt(z)}) = {fmt(yf.data)},  local gradient {fmt(yf.data)} × "
          f"(1 − {fmt(yf.data)}) = {fmt(zf.grad)}",
          f"  four primitive nodes: dy/dz = {fmt(zv.grad)};   fused sigmoid(): dy/dz = "
          f"{fmt(zf.grad)}")
    grid = [-6.0 + 0.5 * i for i in range(25)]
    worst = max(abs(_grad(decomposed, x) - _grad(Value.sigmoid, x)) for x in grid)
    r.say(f"  Over z = −6 … 6 (step 0.5) the two gradients differ by at most {worst:.1e}.")

    r.section("Pictures")
    r.graph(y, "sigmoid_graph", "the graph; each edge shows upstream × local = downstream",
            edge_labels=True, title=f"The sigmoid as four ops, at z = {fmt(z)}: dy/dz = "
            f"{fmt(zv.grad)}")
    if r.plots:
        r.wrote(save_gif(y, r.path("sigmoid_backward.gif"), fps=1.0),
                "the backward pass, one op per frame")
    write_stepper(r, yf, "sigmoid_backprop.html", "step through both passes in a browser, "
                  "the fused sigmoid() or the four elementary ops", elementary=y,
                  start="elementary", title="The sigmoid, node by node")
    r.figure("sigmoid_curve.png",
             lambda p: plot_function(Value.sigmoid, (-6.0, 6.0), path=p, name="σ",
                                     variable="z",
                                     title="σ(z) and σ′(z): the slope peaks at 0.25 at z = 0"),
             "σ and σ′, engine vs finite differences")
    r.no_pictures_note()
    return {"y": y.data, "grad": zv.grad, "forward_difference": fd, "fused_grad": zf.grad,
            "max_fused_difference": worst, "gradcheck_ok": check.ok, "trace": trace,
            "root": y, "files": r.written, "figures": r.figures}


def _grad(f: Any, x: float) -> float:
    v = Value(x)
    f(v).backward()
    return v.grad


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.sigmoid", __doc__)
    p.add_argument("--z", type=float, default=0.0,
                   help="the point z at which to differentiate (default: 0, as in the lesson)")
    args = p.parse_args(argv)
    if not math.isfinite(args.z):
        p.error(f"--z must be a finite number, got {args.z}")
    run(args.z, out=args.out, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
