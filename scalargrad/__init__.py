"""scalargrad: a scalar-level automatic differentiation engine in pure Python.

Build an expression out of `Value`s, call `backward()` on the result, read each input's `.grad`.
"""

from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
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
from .value import Value, dot, sum

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "GradcheckResult",
    "GraphCycleError",
    "InputCheck",
    "Value",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "engine_gradient",
    "forward_difference",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "numerical_gradient",
    "sum",
    "topological_order",
]
