"""The plots drawn as SVG in pure Python, for where matplotlib is not installed (the browser).

`SvgFigure` and its axes take the few drawing calls the plots make (lines, a horizontal
line, scatter points, filled regions and a zero contour on a grid, labels, a legend, linear
or log axes) and write one SVG document: `_repr_svg_` shows it in Jupyter and in the workshop
pages, `savefig(path)` writes it. It is the plots' second backend, not a general one.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any, Sequence

DPI = 100  # pixels per inch, as the matplotlib figures use
FONT = "DejaVu Sans, Arial, sans-serif"
_DASHES = {"-": "", "--": "7 4", ":": "2 3", "-.": "7 3 2 3"}


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round numbers (1, 2 or 5 times a power of ten) spanning [lo, hi]."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, k = [], 0
    while first + k * step <= hi + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def _label(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.0e}"


class SvgAxes:
    """One panel: what was drawn in it and how its axes are set."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.title = self.xlabel = self.ylabel = ""
        self.xlim: tuple[float, float] | None = None
        self.ylim: tuple[float, float] | None = None
        self.yscale = "linear"
        self.has_grid = False
        self.equal = False
        self.legend_at: str | None = None  # "below" or "right"

    # -- the calls the plots make ------------------------------------------------------------
    def plot(self, xs: Sequence[float], ys: Sequence[float], fmt: str = "", *,
             color: str = "#1f77b4",
             linestyle: str = "-", linewidth: float = 1.5, label: str | None = None,
             markersize: float = 4.0, **_: Any) -> None:
        kind = "points" if fmt == "o" else "line"
        self.items.append((kind, dict(xs=list(xs), ys=list(ys), color=color, dash=linestyle,
                                      width=linewidth, label=label, size=markersize)))

    def axhline(self, y: float, *, color: str = "#999999", linewidth: float = 0.8,
                **_: Any) -> None:
        self.items.append(("hline", dict(y=y, color=color, width=linewidth)))

    def scatter(self, xs: Sequence[float], ys: Sequence[float], *, s: float = 20.0,
                marker: str = "o", color: str | None = None, facecolors: str | None = None,
                edgecolors: str = "none", label: str | None = None, **_: Any) -> None:
        fill = facecolors if facecolors is not None else (color or "#1f77b4")
        self.items.append(("scatter", dict(xs=list(xs), ys=list(ys), r=math.sqrt(s) / 1.6,
                                           marker=marker, fill=fill, edge=edgecolors,
                                           label=label)))

    def contourf(self, gx: Sequence[float], gy: Sequence[float], field: Sequence[Sequence[float]],
                 *, colors: Sequence[str], alpha: float = 0.25, **_: Any) -> None:
        self.items.append(("region", dict(gx=list(gx), gy=list(gy), field=field,
                                          color=colors[0], alpha=alpha)))

    def contour(self, gx: Sequence[float], gy: Sequence[float], field: Sequence[Sequence[float]],
                *, colors: str = "black", linewidths: float = 1.2, **_: Any) -> None:
        self.items.append(("zero", dict(gx=list(gx), gy=list(gy), field=field, color=colors,
                                        width=linewidths)))

    def set_title(self, text: str, **_: Any) -> None:
        self.title = text

    def set_xlabel(self, text: str) -> None:
        self.xlabel = text

    def set_ylabel(self, text: str) -> None:
        self.ylabel = text

    def set_xlim(self, lo: float, hi: float) -> None:
        self.xlim = (float(lo), float(hi))

    def set_ylim(self, lo: float, hi: float) -> None:
        self.ylim = (float(lo), float(hi))

    def set_yscale(self, scale: str) -> None:
        self.yscale = scale

    def get_yscale(self) -> str:
        return self.yscale

    def set_aspect(self, aspect: str, **_: Any) -> None:
        self.equal = aspect == "equal"

    def grid(self, on: bool = True, **_: Any) -> None:
        self.has_grid = on

    def legend(self, *, bbox_to_anchor: tuple[float, float] = (0.5, -0.2), **_: Any) -> None:
        self.legend_at = "right" if bbox_to_anchor[0] > 1 else "below"

    # -- drawing ---------------------------------------------------------------------------
    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        xs: list[float] = []
        ys: list[float] = []
        for kind, it in self.items:
            if kind in ("line", "points", "scatter"):
                xs += [x for x in it["xs"] if _finite(x)]
                ys += [y for y in it["ys"] if _finite(y) and (self.yscale == "linear" or y > 0)]
            elif kind == "hline":
                ys.append(it["y"])
        x = self.xlim or ((min(xs), max(xs)) if xs else (0.0, 1.0))
        if self.ylim:
            y = self.ylim
        elif ys and self.yscale == "log":
            y = (10 ** math.floor(math.log10(min(ys))), 10 ** math.ceil(math.log10(max(ys))))
        elif ys:
            pad = (max(ys) - min(ys)) * 0.05 or 0.5
            y = (min(ys) - pad, max(ys) + pad)
        else:
            y = (0.0, 1.0)
        if x[0] == x[1]:
            x = (x[0] - 0.5, x[1] + 0.5)
        if y[0] == y[1]:
            y = (y[0] - 0.5, y[1] + 0.5)
        return x, y

    def svg(self, left: float, top: float, width: float, height: float) -> list[str]:
        """The panel's SVG elements inside the box (left, top, width, height) in pixels."""
        (x0, x1), (y0, y1) = self._limits()
        log = self.yscale == "log"
        ty = (lambda v: math.log10(v)) if log else (lambda v: v)
        ly0, ly1 = ty(y0), ty(y1)
        if self.equal:  # one unit as long on both axes: shrink the box to fit
            scale = min(width / (x1 - x0), height / (ly1 - ly0))
            width, height = scale * (x1 - x0), scale * (ly1 - ly0)

        def px(v: float) -> float:
            return left + (v - x0) / (x1 - x0) * width

        def py(v: float) -> float:
            return top + height - (ty(v) - ly0) / (ly1 - ly0) * height

        out = [f'<clipPath id="c{id(self)}"><rect x="{left:.1f}" y="{top:.1f}" '
               f'width="{width:.1f}" height="{height:.1f}"/></clipPath>']
        xt = nice_ticks(x0, x1)
        yt = ([10.0 ** k for k in range(math.floor(ly0), math.ceil(ly1) + 1)] if log
              else nice_ticks(y0, y1))
        yt = [v for v in yt if y0 <= v <= y1]
        for v in xt:
            if self.has_grid:
                out.append(f'<line x1="{px(v):.1f}" y1="{top:.1f}" x2="{px(v):.1f}" '
                           f'y2="{top + height:.1f}" stroke="#dddddd"/>')
            out.append(f'<text x="{px(v):.1f}" y="{top + height + 16:.1f}" '
                       f'text-anchor="middle">{_label(v)}</text>')
        for v in yt:
            if self.has_grid:
                out.append(f'<line x1="{left:.1f}" y1="{py(v):.1f}" x2="{left + width:.1f}" '
                           f'y2="{py(v):.1f}" stroke="#dddddd"/>')
            out.append(f'<text x="{left - 6:.1f}" y="{py(v) + 4:.1f}" '
                       f'text-anchor="end">{_label(v)}</text>')
        body = [self._item(kind, it, px, py, left, width) for kind, it in self.items]
        out.append(f'<g clip-path="url(#c{id(self)})">' + "".join(body) + "</g>")
        out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
                   f'height="{height:.1f}" fill="none" stroke="#444444"/>')
        out.append(f'<text x="{left + width / 2:.1f}" y="{top + height + 36:.1f}" '
                   f'text-anchor="middle">{html.escape(self.xlabel)}</text>')
        out.append(f'<text transform="translate({left - 48:.1f},{top + height / 2:.1f}) '
                   f'rotate(-90)" text-anchor="middle">{html.escape(self.ylabel)}</text>')
        lines = self.title.split("\n")
        for k, line in enumerate(lines):
            out.append(f'<text x="{left + width / 2:.1f}" '
                       f'y="{top - 10 - 16 * (len(lines) - 1 - k):.1f}" text-anchor="middle" '
                       f'font-size="14">{html.escape(line)}</text>')
        out += self._legend(left, top, width, height)
        return out

    def _item(self, kind: str, it: dict[str, Any], px: Any, py: Any, left: float,
              width: float) -> str:
        if kind == "hline":
            return (f'<line x1="{left:.1f}" x2="{left + width:.1f}" y1="{py(it["y"]):.1f}" '
                    f'y2="{py(it["y"]):.1f}" stroke="{it["color"]}" '
                    f'stroke-width="{it["width"]}"/>')
        if kind == "line":
            runs, run = [], []
            for x, y in zip(it["xs"], it["ys"]):
                if _finite(x) and _finite(y) and (self.yscale == "linear" or y > 0):
                    run.append(f"{px(x):.1f},{py(y):.1f}")
                elif run:
                    runs.append(run)
                    run = []
            runs.append(run)
            dash = _DASHES.get(it["dash"], "")
            return "".join(f'<polyline points="{" ".join(r)}" fill="none" stroke="{it["color"]}" '
                           f'stroke-width="{it["width"]}"'
                           + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
                           for r in runs if len(r) > 1)
        if kind == "points":
            return "".join(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{it["size"] / 2:.1f}" '
                           f'fill="{it["color"]}"/>' for x, y in zip(it["xs"], it["ys"])
                           if _finite(x) and _finite(y))
        if kind == "scatter":
            return "".join(_marker(it, px(x), py(y)) for x, y in zip(it["xs"], it["ys"])
                           if _finite(x) and _finite(y))
        gx, gy, field = it["gx"], it["gy"], it["field"]
        if kind == "region":  # the grid cells inside the region, one rectangle per run per row
            dx, dy = (gx[1] - gx[0]) / 2, (gy[1] - gy[0]) / 2
            rects = []
            for j, row in enumerate(field):
                i = 0
                while i < len(row):
                    if row[i] > 0:
                        start = i
                        while i < len(row) and row[i] > 0:
                            i += 1
                        a, b = px(gx[start] - dx), px(gx[i - 1] + dx)
                        top, bottom = py(gy[j] + dy), py(gy[j] - dy)
                        rects.append(f'<rect x="{a:.1f}" y="{top:.1f}" width="{b - a + 0.4:.1f}" '
                                     f'height="{bottom - top + 0.4:.1f}"/>')
                    else:
                        i += 1
            return (f'<g fill="{it["color"]}" opacity="{it["alpha"]}">' + "".join(rects)
                    + "</g>")
        segments = _zero_contour(gx, gy, field)  # kind == "zero"
        d = "".join(f"M{px(a[0]):.1f},{py(a[1]):.1f}L{px(b[0]):.1f},{py(b[1]):.1f}"
                    for a, b in segments)
        return f'<path d="{d}" fill="none" stroke="{it["color"]}" stroke-width="{it["width"]}"/>'

    def _legend(self, left: float, top: float, width: float, height: float) -> list[str]:
        entries = [(kind, it) for kind, it in self.items
                   if kind in ("line", "points", "scatter") and it.get("label")]
        if self.legend_at is None or not entries:
            return []
        out = []
        for k, (kind, it) in enumerate(entries):
            if self.legend_at == "right":
                x, y = left + width + 16, top + 12 + 20 * k
            else:
                per_row = 3 if len(entries) > 2 else len(entries)
                x = left + (k % per_row) * (width / per_row)
                y = top + height + 58 + 20 * (k // per_row)
            if kind == "scatter":
                out.append(_marker(dict(it, r=5.0), x + 10, y - 4))
            elif kind == "points":
                out.append(f'<circle cx="{x + 10:.1f}" cy="{y - 4:.1f}" r="3" '
                           f'fill="{it["color"]}"/>')
            else:
                dash = _DASHES.get(it["dash"], "")
                out.append(f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{y - 4:.1f}" '
                           f'y2="{y - 4:.1f}" stroke="{it["color"]}" stroke-width="2"'
                           + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            out.append(f'<text x="{x + 28:.1f}" y="{y:.1f}">{html.escape(it["label"])}</text>')
        return out


def _marker(it: dict[str, Any], x: float, y: float) -> str:
    r, fill, edge = it["r"], it["fill"], it["edge"]
    stroke = f' stroke="{edge}" stroke-width="1"' if edge not in (None, "none") else ""
    if it["marker"] == "^":
        return (f'<polygon points="{x:.1f},{y - r * 1.2:.1f} {x - r:.1f},{y + r * 0.7:.1f} '
                f'{x + r:.1f},{y + r * 0.7:.1f}" fill="{fill}"{stroke}/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}"{stroke}/>'


def _zero_contour(gx: Sequence[float], gy: Sequence[float],
                  field: Sequence[Sequence[float]]) -> list[tuple[tuple[float, float], ...]]:
    """Marching squares: the segments where the field crosses 0, one or two per grid square."""
    out: list[tuple[tuple[float, float], ...]] = []
    for j in range(len(gy) - 1):
        for i in range(len(gx) - 1):
            corners = ((gx[i], gy[j], field[j][i]), (gx[i + 1], gy[j], field[j][i + 1]),
                       (gx[i + 1], gy[j + 1], field[j + 1][i + 1]),
                       (gx[i], gy[j + 1], field[j + 1][i]))
            crossings = []
            for (xa, ya, a), (xb, yb, b) in zip(corners, corners[1:] + corners[:1]):
                if (a > 0) != (b > 0):
                    t = a / (a - b)
                    crossings.append((xa + t * (xb - xa), ya + t * (yb - ya)))
            for k in range(0, len(crossings) - 1, 2):
                out.append((crossings[k], crossings[k + 1]))
    return out


class SvgFigure:
    """A figure of rows × cols SvgAxes that shows itself as SVG."""

    def __init__(self, width: float, height: float, rows: int = 1, cols: int = 1) -> None:
        self.width, self.height = width * DPI, height * DPI
        self.rows, self.cols = rows, cols
        self.axes = [SvgAxes() for _ in range(rows * cols)]
        self.title = ""

    def suptitle(self, text: str, **_: Any) -> None:
        self.title = text

    def to_svg(self) -> str:
        top_margin = 36 + (28 if self.title else 0)
        cell_w, cell_h = self.width / self.cols, (self.height - top_margin) / self.rows
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" '
                 f'height="{self.height:.0f}" viewBox="0 0 {self.width:.0f} {self.height:.0f}" '
                 f'font-family="{FONT}" font-size="12" fill="#222222">',
                 f'<rect width="{self.width:.0f}" height="{self.height:.0f}" fill="white"/>']
        if self.title:
            parts.append(f'<text x="{self.width / 2:.1f}" y="24" text-anchor="middle" '
                         f'font-size="15">{html.escape(self.title)}</text>')
        for k, ax in enumerate(self.axes):
            r, c = divmod(k, self.cols)
            lines = ax.title.count("\n") + 1 if ax.title else 0
            right = 190 if ax.legend_at == "right" else 20
            below = 48 + (26 * ((sum(1 for kind, it in ax.items if it.get("label")) + 2) // 3)
                          if ax.legend_at == "below" else 0)
            left, top = c * cell_w + 70, top_margin + r * cell_h + 16 * max(0, lines - 1)
            parts += ax.svg(left, top, cell_w - 70 - right,
                            cell_h - below - 16 * max(0, lines - 1) - 10)
        return "\n".join(parts) + "\n</svg>\n"

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def savefig(self, path: str | Path, **_: Any) -> None:
        path = Path(path)
        if path.suffix.lower() not in (".svg", ""):
            raise ValueError(f"without matplotlib a plot is written as SVG only; got {path.name} "
                             "(use a .svg name, or pip install matplotlib for PNG)")
        path.write_text(self.to_svg(), encoding="utf-8")

    def __repr__(self) -> str:
        return f"<SvgFigure {self.width:.0f}x{self.height:.0f} with {len(self.axes)} Axes>"
