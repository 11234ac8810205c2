"""The multivariate chain rule: a value used twice gets the sum of both gradients.

    f(x) = h(x) + g(x),   h(x) = w1·x,   g(x) = w2·x,   with w1 = 2, w2 = 3, at x = 0.

x feeds two consumers (h and g), so two downstream contributions flow back into it:
∂f/∂x = ∂f/∂h·∂h/∂x + ∂f/∂g·∂g/∂x = 1·2 + 1·3 = 5. The demo shows that sum three ways:
the narrated backward pass (x.grad = 2 + 3 = 5), the two paths from x to f (products 2 and 3),
and the forward difference with ε = 0.01: f(0.01) = 0.01·2 + 0.01·3 = 0.05, so
(0.05 − 0)/0.01 = 5.

Writes multivariate_graph.svg/.png to the output folder (x has two outgoing edges) and
multivariate_backprop.html, a page to step through both passes in a browser.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from scalargrad import Value, explain, explain_paths, forward_difference

from ._common import Report, fmt, parser
from ._replay import write_stepper


def build(x: float, w1: float, w2: float) -> tuple[Value, dict[str, Value]]:
    """f = w1·x + w2·x with every node labelled; returns f and the nodes by name."""
    xv = Value(x, label="x")
    w1v = Value(w1, label="w1")
    w2v = Value(w2, label="w2")
    h = w1v * xv
    h.label = "h"
    g = w2v * xv
    g.label = "g"
    f = h + g
    f.label = "f"
    return f, {"x": xv, "w1": w1v, "w2": w2v, "h": h, "g": g, "f": f}


def run(x: float = 0.0, w1: float = 2.0, w2: float = 3.0, *, out: Path | str | None = "out",
        plots: bool = True, file: TextIO | None = None) -> dict[str, Any]:
    """Show that x's gradient is the sum over its two uses; return the key numbers."""
    r = Report(out, plots=plots, file=file)
    r.title("The multivariate chain rule: one input, two consumers, gradients add")
    r.say("f(x) = h(x) + g(x) with h(x) = w1·x and g(x) = w2·x: a tiny piece of a linear layer.",
          "x is used twice, so it receives two downstream contributions, one from each",
          "consumer, and its gradient is their sum:",
          "  ∂f/∂x = ∂f/∂h · ∂h/∂x + ∂f/∂g · ∂g/∂x")

    f, n = build(x, w1, w2)
    xs, a, b = fmt(x), fmt(w1), fmt(w2)
    r.section(f"Forward pass at x = {xs}, w1 = {a}, w2 = {b}")
    r.say(f"  h = w1·x = {a}·{xs} = {fmt(n['h'].data)}",
          f"  g = w2·x = {b}·{xs} = {fmt(n['g'].data)}",
          f"  f = h + g = {fmt(f.data)}")

    r.section("Backward pass, node by node")
    trace = explain(f)
    add = trace.step("f")
    r.say("  add node f = h + g:   upstream 1.0 (the seed)")
    for c in add.inputs:
        r.say(f"    → {c.input_name}: local gradient ∂f/∂{c.input_name} = {fmt(c.local)}, "
              f"downstream 1.0 × {fmt(c.local)} = {fmt(c.downstream)}")
    for name, w in (("h", "w1"), ("g", "w2")):
        step = trace.step(name)
        to_x = next(c for c in step.inputs if c.input_name == "x")
        r.say(f"  mul node {name} = {w}·x:   upstream {fmt(step.upstream)}",
              f"    → x: local gradient ∂{name}/∂x = {w} = {fmt(to_x.local)}, downstream "
              f"{fmt(step.upstream)} × {fmt(to_x.local)} = {fmt(to_x.downstream)}")
    total = trace.gradient("x")
    r.say("", "  x received one contribution from each consumer; its gradient is their sum:",
          f"    {total.formula()}",
          f"  (and w1.grad = x = {fmt(n['w1'].grad)}, w2.grad = x = {fmt(n['w2'].grad)}: "
          "a weight's gradient is its input)")

    r.section("The same sum as paths: multiply along each path, add the paths")
    paths = explain_paths(f, n["x"])
    r.say(*("  " + line for line in paths.to_text().splitlines()))

    r.section("Checking it numerically: the forward difference, ε = 0.01")
    eps = 0.01

    def fn(v: Value) -> Value:
        return w1 * v + w2 * v

    f0 = fn(Value(x)).data
    f1 = fn(Value(x + eps)).data
    fd = forward_difference(fn, x, eps=eps)
    r.say(f"  f({xs})  = {fmt(f0)}",
          f"  f({fmt(x + eps)}) = {fmt(x + eps)}·{a} + {fmt(x + eps)}·{b} = {fmt(f1)}",
          f"  f′({xs}) ≈ ({fmt(f1)} − {fmt(f0)}) / {eps} = {fmt(fd)}",
          f"  the engine: ∂f/∂x = {a} + {b} = {fmt(n['x'].grad)}"
          + ("; they agree." if abs(fd - n["x"].grad) < 1e-6 else "."))

    r.section("Pictures")
    r.graph(f, "multivariate_graph", "x has two outgoing edges; their downstreams 2 and 3 add up",
            edge_labels=True,
            title=f"x feeds h and g: x.grad = {total.formula().split('= ', 1)[-1]}")
    write_stepper(r, f, "multivariate_backprop.html", "step through both passes in a browser: "
                  "x.grad = 2.0 + 3.0 = 5.0 builds up", title="Two consumers: gradients add")
    r.no_pictures_note()
    return {"f": f.data, "grad": n["x"].grad, "terms": [t for _, t in total.terms],
            "paths": [p.product for p in paths.paths], "f_eps": f1, "forward_difference": fd,
            "trace": trace, "root": f, "files": r.written, "figures": r.figures}


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.multivariate", __doc__)
    p.add_argument("--x", type=float, default=0.0, help="the point x (default: 0)")
    p.add_argument("--w1", type=float, default=2.0, help="the first weight (default: 2)")
    p.add_argument("--w2", type=float, default=3.0, help="the second weight (default: 3)")
    args = p.parse_args(argv)
    run(args.x, args.w1, args.w2, out=args.out, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
