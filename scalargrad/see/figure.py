"""The matplotlib Figure every scalargrad picture is drawn on: Agg canvas, no pyplot, and it
shows itself in Jupyter.

Figures made without pyplot get no inline display hook, so a notebook would print
`<Figure size 600x520 with 1 Axes>`. `ShownFigure` answers IPython's display protocol itself
(`_repr_png_`), so it shows as a picture in a fresh kernel with no magic command. Imported
only when a picture is made (matplotlib is an optional extra).
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class ShownFigure(Figure):
    """A matplotlib Figure that shows inline in Jupyter as a PNG."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()


def new_figure(figsize: tuple[float, float], dpi: float = 100.0) -> ShownFigure:
    """A ShownFigure of `figsize` inches on its own Agg canvas (headless, not kept by pyplot)."""
    figure = ShownFigure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure
