"""f, f′ and f″ on one plot: the first and second derivatives the engine computes with
`grad` and `grad(grad(...))`, where a minimum is (f′ = 0) and how the curve bends (f″)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from scalargrad.functional import grad
from scalargrad.see.plots import PathLike, _figure, _save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_curvature"]


def plot_curvature(f: Callable[[Any], Any], x_range: tuple[float, float] = (-2.0, 2.0), *,
                   points: int = 201, marks: Sequence[float] = (), title: Optional[str] = None,
                   path: PathLike = None, name: str = "f", variable: str = "x") -> Figure:
    """f, f′ = grad(f) and f″ = grad(grad(f)) over `x_range`, on one set of axes.

    `marks` are x positions to mark on f (a Newton iterate, a minimum). Where f″ > 0 the
    curve bends up (a minimum where f′ crosses 0), where f″ < 0 it bends down. Points outside
    f's domain are left as gaps.
    """
    if points < 2:
        raise ValueError(f"plot_curvature: points must be at least 2, got {points}")
    lo, hi = float(x_range[0]), float(x_range[1])
    xs = [lo + (hi - lo) * k / (points - 1) for k in range(points)]
    first, second = grad(f), grad(grad(f))
    curves: list[list[float]] = [[], [], []]
    for x in xs:
        for curve, fn in zip(curves, (f, first, second)):
            try:
                y = fn(x)
                curve.append(float(getattr(y, "data", y)))
            except (ArithmeticError, ValueError):
                curve.append(math.nan)
    fx = f"{name}({variable})"
    figure, (ax,) = _figure(7.2, 4.6)
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    styles = (("#1f77b4", "-", fx), ("#d62728", "--", f"{name}′({variable}), grad"),
              ("#2ca02c", ":", f"{name}″({variable}), grad(grad)"))
    for curve, (color, dash, label) in zip(curves, styles):
        ax.plot(xs, curve, color=color, linestyle=dash, linewidth=2.0, label=label)
    for m in marks:
        try:
            y = f(float(m))
            ax.plot([m], [float(getattr(y, "data", y))], "o", color="black", markersize=6)
        except (ArithmeticError, ValueError):
            continue
    ax.set_xlabel(variable)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3,
              frameon=False)
    ax.set_title(title or f"{name}, its slope {name}′ and its curvature {name}″", fontsize=12)
    _save(figure, path)
    return figure
