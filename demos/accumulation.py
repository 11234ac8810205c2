"""The bug every from-scratch engine makes first: assigning gradients instead of adding them.

    b = a + a,   c = b + b   →   dc/da = 4   (c = 4a)

A node used twice receives two downstream contributions, and its gradient is their sum (the
multivariate chain rule). A backward step written as  `input.grad = local × upstream`  keeps
only the last contribution and silently drops the others; written as
`input.grad += local × upstream`  it adds them up. This demo runs both versions side by side on
the same graph, node by node, and lets a forward difference decide which one is right. Then it
shows the bug people meet right after fixing this one: walking the graph along every path
instead of in topological order, which counts contributions more than once.

Writes accumulation_right.svg/.png and accumulation_wrong.svg/.png (the same graph with the
gradients each version computed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from scalargrad import Value, forward_difference, topological_order
from scalargrad.graph import local_gradients

from ._common import Report, fmt, parser

Step = Callable[[Value, Value, float, float], None]


def build(a: float = 3.0) -> tuple[Value, Value, Value]:
    """a, b = a + a, c = b + b, each labelled."""
    av = Value(a, label="a")
    b = av + av
    b.label = "b"
    c = b + b
    c.label = "c"
    return av, b, c


def assign(parent: Value, node: Value, local: float, upstream: float) -> None:
    """The buggy step: the input's gradient is overwritten by this one contribution."""
    parent.grad = local * upstream


def accumulate(parent: Value, node: Value, local: float, upstream: float) -> None:
    """The right step: every contribution is added into the input's gradient."""
    parent.grad += local * upstream


def backward_with(root: Value, step: Step, log: list[str] | None = None) -> None:
    """A from-scratch backward pass in reverse topological order, with a pluggable step."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node._prev, local_gradients(node)):
            before = parent.grad
            step(parent, node, local, node.grad)
            if log is not None:
                log.append(f"{node.label} → {parent.label}: downstream {fmt(node.grad)} × "
                           f"{fmt(local)} = {fmt(local * node.grad)};  {parent.label}.grad "
                           f"{fmt(before)} → {fmt(parent.grad)}")


def backward_along_paths(root: Value) -> None:
    """The second classic bug: `+=`, but with no topological order: each time a contribution
    arrives at a node, the node passes its whole gradient so far on to its inputs, so partial
    sums are sent down again and again. (Recursive on purpose, like the first attempt; fine
    for this tiny graph.)"""
    for node in topological_order(root):
        node.grad = 0.0
    root.grad = 1.0

    def visit(node: Value, upstream: float) -> None:
        for parent, local in zip(node._prev, local_gradients(node)):
            parent.grad += local * upstream
            visit(parent, parent.grad)

    visit(root, 1.0)


def run(a: float = 3.0, *, out: Path | str | None = "out", plots: bool = True,
        file: TextIO | None = None) -> dict[str, Any]:
    """Run the wrong (`=`) and right (`+=`) backward passes; return both gradients of a."""
    r = Report(out, plots=plots, file=file)
    r.title("Accumulate, don't assign: why `+=` in every backward step")
    r.say("b = a + a and c = b + b, so c = 4a and dc/da = 4.",
          "a is used twice by b, and b twice by c: each receives TWO downstream contributions.",
          "The multivariate chain rule says a node's gradient is the sum of all of them.")

    a_r, b_r, c_r = build(a)
    a_w, b_w, c_w = build(a)
    r.section(f"Forward pass at a = {fmt(a)}")
    r.say(f"  b = a + a = {fmt(b_r.data)},  c = b + b = {fmt(c_r.data)}")

    r.section("Wrong: the step assigns,  input.grad = local × upstream")
    log_w: list[str] = []
    backward_with(c_w, assign, log_w)
    r.say(*("  " + line for line in log_w))
    r.say("  Each second contribution overwrote the first instead of adding to it.")

    r.section("Right: the step accumulates,  input.grad += local × upstream")
    log_r: list[str] = []
    backward_with(c_r, accumulate, log_r)
    r.say(*("  " + line for line in log_r))

    a2 = Value(a)
    b2 = a2 + a2
    (b2 + b2).backward()
    fd = forward_difference(lambda v: (v + v) + (v + v), a, eps=0.01)

    r.section("Side by side")
    r.say("  node   wrong (=)   right (+=)",
          f"  c      {fmt(c_w.grad):<11} {fmt(c_r.grad)}",
          f"  b      {fmt(b_w.grad):<11} {fmt(b_r.grad)}",
          f"  a      {fmt(a_w.grad):<11} {fmt(a_r.grad)}",
          "",
          f"  dc/da: wrong {fmt(a_w.grad)} vs right {fmt(a_r.grad)}",
          f"  (dc/db: wrong {fmt(b_w.grad)} vs right {fmt(b_r.grad)}: each level keeps only one "
          "of its two contributions)",
          f"  forward difference, ε = 0.01: (c(a + 0.01) − c(a)) / 0.01 = {fmt(fd)}  "
          f"→ the right one is {fmt(a_r.grad)}",
          f"  scalargrad's own backward() gives {fmt(a2.grad)}  "
          f"(its step is  parent.grad += local * upstream).")

    r.section("The next bug: += but no topological order")
    a3, _, c3 = build(a)
    backward_along_paths(c3)
    r.say("  Fixed to +=, a first engine often recurses: as soon as a contribution reaches a",
          "  node, the node passes its gradient so far down to its inputs. b then sends twice:",
          "  once holding 1 (half of its gradient), once holding 2, so a collects",
          f"  1 + 1 + 2 + 2 = {fmt(a3.grad)} instead of {fmt(a_r.grad)}.",
          "  The engine walks the graph in reverse topological order, so every node passes its",
          "  gradient on exactly once, after all of its consumers have contributed.")

    r.section("Pictures")
    r.graph(c_r, "accumulation_right", "right: a.grad = 4", edge_labels=True,
            title=f"Right (+=): a.grad = {fmt(a_r.grad)}, both contributions added")
    r.graph(c_w, "accumulation_wrong", "wrong: a.grad = 1, half of each sum lost at each level",
            edge_labels=True,
            title=f"Wrong (=): a.grad = {fmt(a_w.grad)}, the first contribution overwritten")
    r.no_pictures_note()
    return {"wrong": a_w.grad, "right": a_r.grad, "wrong_b": b_w.grad, "right_b": b_r.grad,
            "forward_difference": fd, "engine": a2.grad, "along_paths": a3.grad,
            "files": r.written, "figures": r.figures}


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.accumulation", __doc__)
    p.add_argument("--a", type=float, default=3.0, help="the value of a (default: 3)")
    args = p.parse_args(argv)
    run(args.a, out=args.out, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
