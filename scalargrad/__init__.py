"""scalargrad: a scalar-level automatic differentiation engine in pure Python.

Build an expression out of `Value`s, call `backward()` on the result, read each input's `.grad`.

Two floors: the engine (`value`, its ops in `arithmetic`, `functions` and `fused`, their
declarations in `ops`, the walks in `graph`, the backward pass as a graph in
`backward_graph`, `functional` (grad, hessian), `hooks`, `grad_mode`, `anomaly`, `gradcheck`), which
imports nothing of the second; and `scalargrad.see`, the ways of seeing it (narration,
pictures, pages, plots, rich display). Every public name of both is re-exported here.
"""

from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .backward_graph import NotDifferentiableError
from .dual import Dual, UnpackedDual, dual_level, make_dual, unpack_dual
from .functional import grad, gradients, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad
from .fused import dot, sum  # noqa: A004 (scalargrad.sum is deliberate)
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
from .tangents import tangent_pass
from .value import Value

from .see import (  # isort: skip (the views come after the engine they show)
    GraphCheck,
    GraphvizMissingError,
    GraphvizMissingWarning,
    Page,
    PathView,
    TangentTrace,
    Trace,
    TrainingRecorder,
    backprop_page,
    backward_frames,
    check_graph,
    dot_available,
    draw_dot,
    draw_matplotlib,
    explain,
    explain_paths,
    explain_tangents,
    plot_costs,
    plot_curvature,
    plot_decision_boundary,
    plot_function,
    plot_history,
    render_graph,
    save_frames,
    save_gif,
    text_tree,
    to_dot,
    to_html,
)
from ._moved import install as _install_moved_modules  # isort: skip

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "Dual",
    "GradcheckError",
    "GradcheckResult",
    "GraphCheck",
    "GraphCycleError",
    "GraphvizMissingError",
    "GraphvizMissingWarning",
    "InputCheck",
    "NotDifferentiableError",
    "Page",
    "PathView",
    "TangentTrace",
    "Trace",
    "TrainingRecorder",
    "UnpackedDual",
    "Value",
    "backprop_page",
    "backward_frames",
    "check_graph",
    "detect_anomaly",
    "dot",
    "dot_available",
    "draw_dot",
    "draw_matplotlib",
    "dual_level",
    "enable_grad",
    "engine_gradient",
    "explain",
    "explain_paths",
    "explain_tangents",
    "plot_costs",
    "forward_difference",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacfwd",
    "jacrev",
    "jvp",
    "make_dual",
    "no_grad",
    "numerical_gradient",
    "plot_curvature",
    "plot_decision_boundary",
    "plot_function",
    "plot_history",
    "render_graph",
    "save_frames",
    "save_gif",
    "sum",
    "tangent_pass",
    "text_tree",
    "to_dot",
    "to_html",
    "topological_order",
    "unpack_dual",
    "value_and_grad",
]

_install_moved_modules()
