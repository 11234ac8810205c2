"""What a computation costs as it grows: one curve per way of doing it, and where they cross.

`plot_costs(sizes, {"jacfwd": times, "jacrev": times})` draws the cost of each method against
a size (inputs n, outputs m, depth, …) and marks every point where the first two curves cross:
left of a crossover one method is the cheaper, right of it the other. The lesson on the two
directions of the chain rule measures forward mode against reverse mode with it (time as n and
m grow, memory as depth grows). Drawn with matplotlib when it is installed, else as SVG in pure
Python (the browser), like the other plots.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from scalargrad.see.plots import CLASS_COLORS, PathLike, _figure, _save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["crossovers", "plot_costs"]

_DASHES = ("-", "--", ":", "-.")


def crossovers(sizes: Sequence[float], first: Sequence[float],
               second: Sequence[float]) -> list[tuple[float, float]]:
    """Where the curve `first` crosses `second`, as (size, cost) points, each found by straight
    lines between neighbouring measurements. A size where both are equal counts once."""
    _check(sizes, {"first": first, "second": second})
    points: list[tuple[float, float]] = []
    for k in range(len(sizes) - 1):
        d0, d1 = first[k] - second[k], first[k + 1] - second[k + 1]
        if d0 == 0.0:
            points.append((float(sizes[k]), float(first[k])))
        elif d0 * d1 < 0.0:
            t = d0 / (d0 - d1)
            x = sizes[k] + t * (sizes[k + 1] - sizes[k])
            points.append((float(x), float(first[k] + t * (first[k + 1] - first[k]))))
    if len(sizes) and first[-1] == second[-1]:
        points.append((float(sizes[-1]), float(first[-1])))
    return points


def plot_costs(sizes: Sequence[float], costs: Mapping[str, Sequence[float]], *,
               xlabel: str = "size", ylabel: str = "cost", title: Optional[str] = None,
               log: bool = False, path: PathLike = None) -> Figure:
    """One curve per method (`costs`: name -> one cost per size), with the crossovers of the
    first two marked and named in the legend. `log=True` draws the costs on a log scale.
    Returns a matplotlib Figure, or an SVG figure without matplotlib; saved when `path` is
    given."""
    _check(sizes, costs)
    if not costs:
        raise ValueError("plot_costs: costs is empty; expected {name: [one cost per size]}")
    figure, (ax,) = _figure(7.2, 4.6)
    xs = [float(s) for s in sizes]
    for k, (name, ys) in enumerate(costs.items()):
        color = CLASS_COLORS[k % len(CLASS_COLORS)]
        ax.plot(xs, [float(y) for y in ys], color=color, linestyle=_DASHES[k % len(_DASHES)],
                linewidth=2.0, label=str(name))
        ax.plot(xs, [float(y) for y in ys], "o", color=color, markersize=4)
    series = list(costs.values())
    if len(series) >= 2:
        for x, y in crossovers(sizes, series[0], series[1]):
            ax.plot([x], [y], "o", color="black", markersize=9,
                    label=f"crossover at {xlabel} ≈ {x:.3g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2,
              frameon=False)
    if title:
        ax.set_title(title, fontsize=12)
    _save(figure, path)
    return figure


def _check(sizes: Sequence[float], costs: Mapping[str, Sequence[float]]) -> None:
    """Every series is numbers, as many as the sizes, and the sizes increase."""
    values = {"sizes": sizes, **{str(k): v for k, v in costs.items()}}
    for name, seq in values.items():
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise TypeError(f"plot_costs: {name} must be a list of numbers, got "
                            f"{type(seq).__name__}")
        bad = [v for v in seq if isinstance(v, bool) or not isinstance(v, Real)
               or not math.isfinite(v)]
        if bad:
            raise ValueError(f"plot_costs: {name} holds {bad[0]!r}; expected finite numbers")
        if len(seq) != len(sizes):
            raise ValueError(f"plot_costs: {name} has {len(seq)} values for {len(sizes)} "
                             "sizes; expected one per size")
    if any(b <= a for a, b in zip(sizes, sizes[1:])):
        raise ValueError("plot_costs: the sizes must increase")
