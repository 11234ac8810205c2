"""scalargrad: a scalar-level automatic differentiation engine in pure Python.

Build an expression out of `Value`s, call `backward()` on the result, read each input's `.grad`.
"""

from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .draw import (
    GraphvizMissingError,
    GraphvizMissingWarning,
    dot_available,
    draw_dot,
    draw_matplotlib,
    render_graph,
    text_tree,
    to_dot,
)
from .frames import backward_frames, save_frames, save_gif
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .gradcheck import (
    GradcheckError,
    GradcheckResult,
    InputCheck,
    engine_gradient,
    forward_difference,
    gradcheck,
    numerical_gradient,
)
from .graph import GraphCycleError, topological_order
from .page import Page, backprop_page, to_html
from .plots import plot_decision_boundary, plot_function, plot_history
from .replay import TrainingRecorder
from .trace import GraphCheck, PathView, Trace, check_graph, explain, explain_paths
from .value import Value, dot, sum  # noqa: A004 (scalargrad.sum is deliberate)

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GradcheckResult",
    "GraphCheck",
    "GraphCycleError",
    "GraphvizMissingError",
    "GraphvizMissingWarning",
    "InputCheck",
    "Page",
    "PathView",
    "Trace",
    "TrainingRecorder",
    "Value",
    "backprop_page",
    "backward_frames",
    "check_graph",
    "detect_anomaly",
    "dot",
    "dot_available",
    "draw_dot",
    "draw_matplotlib",
    "enable_grad",
    "engine_gradient",
    "explain",
    "explain_paths",
    "forward_difference",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "numerical_gradient",
    "plot_decision_boundary",
    "plot_function",
    "plot_history",
    "render_graph",
    "save_frames",
    "save_gif",
    "sum",
    "text_tree",
    "to_dot",
    "to_html",
    "topological_order",
]
