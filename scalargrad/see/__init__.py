"""The ways of seeing the engine: narration, graph pictures, plots, pages and rich display.

* `narrate/` — the backward pass told node by node (`explain`), path sums (`explain_paths`),
  the forward tangent pass (`explain_tangents`) and the finite-difference overlay (`check_graph`);
* `draw/` — graph pictures: one description (`spec`), rendered by graphviz (`dot`),
  matplotlib (`mpl`, `layout`) or as text (`text_tree`), and backward animations (`frames`);
* `display/` — how every object shows itself in Jupyter;
* `pages/` — self-contained browser pages (backward stepper, training replay);
* `plots.py` — training curves, decision boundaries and σ-style function plots;
* `curvature.py` — f, f′ and f″ on one plot (`grad` and `grad(grad(...))`);
* `costs.py` — the cost of each method as a size grows, and where they cross (`plot_costs`).

The engine never imports this package; importing it registers the rich displays of the
engine's objects (`scalargrad.rich`).
"""

from __future__ import annotations

from . import display as _display  # noqa: F401 (registers Value's and GradcheckResult's displays)
from .costs import plot_costs
from .curvature import plot_curvature
from .draw.dot import GraphvizMissingError, GraphvizMissingWarning, dot_available, draw_dot, to_dot
from .draw.frames import backward_frames, save_frames, save_gif
from .draw.mpl import draw_matplotlib
from .draw.render import render_graph
from .draw.text_tree import text_tree
from .narrate.check import GraphCheck, check_graph
from .narrate.explain import Trace, explain
from .narrate.paths import PathView, explain_paths
from .narrate.tangents import TangentTrace, explain_tangents
from .pages.page import Page, backprop_page, to_html
from .pages.replay import TrainingRecorder
from .plots import plot_decision_boundary, plot_function, plot_history

__all__ = [
    "GraphCheck",
    "GraphvizMissingError",
    "GraphvizMissingWarning",
    "Page",
    "PathView",
    "TangentTrace",
    "Trace",
    "TrainingRecorder",
    "backprop_page",
    "backward_frames",
    "check_graph",
    "dot_available",
    "draw_dot",
    "draw_matplotlib",
    "explain",
    "explain_paths",
    "explain_tangents",
    "plot_costs",
    "plot_curvature",
    "plot_decision_boundary",
    "plot_function",
    "plot_history",
    "render_graph",
    "save_frames",
    "save_gif",
    "text_tree",
    "to_dot",
    "to_html",
]
