"""The backward pass is a graph: gradients of gradients (the lesson after backprop).

With `backward(create_graph=True)` the engine does the chain rule with its own ops, so x.grad
is a Value with a graph of its own: for y = tanh x, the graph of dy/dx = 1 − tanh² x is the
tanh node, a product and a subtraction. That graph can be drawn, narrated, and
differentiated again: d²y/dx² = −2 tanh x (1 − tanh² x), which the demo compares with the
formula. Then `grad(grad(f))` drives Newton's method to a minimum of f(x) = x⁴ − 3x² + x,
and one plot shows f, f′ and f″.

Writes to the output folder: dtanh_graph.svg/.png (the graph of dy/dx) and curvature.png
(f, f′, f″ with Newton's iterates).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, TextIO

from scalargrad import Value, explain, grad, plot_curvature, topological_order

from ._common import Report, fmt, parser


def quartic(x: Any) -> Any:
    """f(x) = x⁴ − 3x² + x: two minima, one maximum."""
    return x ** 4 - 3 * x ** 2 + x


def newton(f: Any, x0: float, steps: int = 8) -> list[tuple[float, float, float]]:
    """Newton's method for f′ = 0: x ← x − f′(x)/f″(x); (x, f′, f″) at each iterate."""
    d1, d2 = grad(f), grad(grad(f))
    x = x0
    out = []
    for _ in range(steps):
        slope, curvature = d1(x), d2(x)
        out.append((x, slope, curvature))
        if curvature == 0.0 or abs(slope) < 1e-15:
            break
        x -= slope / curvature
    return out


def run(x0: float = 0.5, *, out: Path | str | None = "out", plots: bool = True,
        file: TextIO | None = None) -> dict[str, Any]:
    """Differentiate tanh twice through the graph of its gradient, then Newton on a quartic."""
    r = Report(out, plots=plots, file=file)
    r.title("The backward pass is a graph: gradients of gradients")

    x = Value(x0, label="x")
    y = x.tanh()
    y.label = "y"
    y.backward(create_graph=True)
    dydx = x.grad
    dydx.label = "dy/dx"
    ops = sorted({n._op for n in topological_order(dydx) if n._op})
    t = math.tanh(x0)
    r.section(f"y = tanh x at x = {fmt(x0)}, backward(create_graph=True)")
    r.say(f"  x.grad is a Value: {fmt(dydx.data)} = 1 − tanh² x = {fmt(1 - t * t)}",
          f"  its graph has {len(topological_order(dydx))} nodes, made of the ops "
          f"{', '.join(ops)}: the backward pass, built from the same ops as the forward one.")

    r.section("The graph of dy/dx, narrated (its own backward pass)")
    trace = explain(dydx, run_backward=False)
    r.say(*("  " + line for line in str(trace).splitlines()))
    second = trace.gradient(x).total
    formula = -2 * t * (1 - t * t)
    r.say("", f"  d²y/dx² = {fmt(second)};  the formula −2 tanh x (1 − tanh² x) = {fmt(formula)}")

    r.section("Newton's method for a minimum of f(x) = x⁴ − 3x² + x, with grad(grad(f))")
    steps = newton(quartic, 1.0)
    r.say("  step  x              f′(x)          f″(x)")
    for k, (xk, s, c) in enumerate(steps):
        r.say(f"  {k:<5} {xk:<14.10f} {s:<14.3e} {c:.6f}")
    x_min = steps[-1][0]
    r.say(f"  f′ = 0 at x = {x_min:.12f} with f″ = {steps[-1][2]:.4f} > 0: a minimum "
          "(Newton uses the curvature to size each step).")

    r.section("Pictures")
    r.graph(dydx, "dtanh_graph", "the graph of dy/dx = 1 − tanh² x", edge_labels=False,
            title="dy/dx for y = tanh x: the backward pass as a graph")
    r.figure("curvature.png",
             lambda p: plot_curvature(quartic, (-1.9, 1.9), marks=[s[0] for s in steps],
                                      path=p, title="f(x) = x⁴ − 3x² + x: f, f′ and f″ "
                                      "(dots: Newton's iterates)"),
             "f, f′ = grad(f) and f″ = grad(grad(f)), with Newton's iterates")
    r.no_pictures_note()
    return {"dydx": dydx.data, "second": second, "formula": formula, "minimum": x_min,
            "newton": steps, "files": r.written, "figures": r.figures}


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.second_order", __doc__)
    p.add_argument("--x", type=float, default=0.5, help="the point x for tanh (default: 0.5)")
    args = p.parse_args(argv)
    run(args.x, out=args.out, plots=args.plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
