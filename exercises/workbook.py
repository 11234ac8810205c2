"""Your workbook. Fill in the blanks, then run `python -m exercises` to check them.

Part A — local gradients. In scalargrad every op computes its result and, next to it, its
*local gradient*: the derivative of its output with respect to each input. The backward pass
does the rest (downstream = upstream × local gradient). Each function below gets the op's
input value(s) as plain floats and returns the local gradient(s). The checker builds a real
engine op from your function and compares its gradients with finite differences (gradcheck).

Part B — predict the gradient. Work each one out on paper (draw the graph, walk it backward:
upstream × local gradient = downstream, and add the contributions where a value is used
twice), then write your number. The checker runs the engine and tells you if you are right.

Replace each `raise NotImplementedError` with a return, and each `None` with a number.
You may `import math`.
"""

import math  # noqa: F401  (you will want math.exp, math.tanh, ...)

# ── Part A: local gradients ──────────────────────────────────────────────────────────────


def neg_local(x: float) -> float:
    """f(x) = −x.  Return ∂f/∂x."""
    raise NotImplementedError


def mul_local(a: float, b: float) -> tuple[float, float]:
    """f(a, b) = a·b.  Return (∂f/∂a, ∂f/∂b)."""
    raise NotImplementedError


def exp_local(x: float) -> float:
    """f(x) = eˣ.  Return ∂f/∂x."""
    raise NotImplementedError


def reciprocal_local(x: float) -> float:
    """f(x) = 1/x  (x ≠ 0).  Return ∂f/∂x."""
    raise NotImplementedError


def div_local(a: float, b: float) -> tuple[float, float]:
    """f(a, b) = a / b  (b ≠ 0).  Return (∂f/∂a, ∂f/∂b)."""
    raise NotImplementedError


def sigmoid_local(x: float) -> float:
    """f(x) = σ(x) = 1/(1 + e⁻ˣ).  Return ∂f/∂x.  (Hint: write it with σ(x) itself.)"""
    raise NotImplementedError


def tanh_local(x: float) -> float:
    """f(x) = tanh x.  Return ∂f/∂x."""
    raise NotImplementedError


def softplus_local(x: float) -> float:
    """f(x) = ln(1 + eˣ).  Return ∂f/∂x.  (You have met the answer before.)"""
    raise NotImplementedError


# ── Part B: predict the gradient ─────────────────────────────────────────────────────────

# P1. y = 1/(1 + e^−z) at z = 0.  What is dy/dz?
P1 = None

# P2. f(x) = w1·x + w2·x with w1 = 2, w2 = 3, at x = 0.  What is df/dx?
P2 = None

# P3. b = a + a, then c = b + b, at a = 3.  What is dc/da?
P3 = None

# P4. f = x·y + x at x = 3, y = −2.  What is ∂f/∂x?
P4 = None

# P5. A ReLU neuron: o = relu(w·x + b) with w = −2, x = 3, b = 1.  What is ∂o/∂w?
P5 = None

# P6. L = (a·b + c)² at a = 2, b = −1, c = 3.  What is ∂L/∂a?
P6 = None

# P7. u = eˣ, then f = u·u (the same u used twice), at x = 0.  What is df/dx?
P7 = None

# P8. A sigmoid neuron: o = σ(w1·x1 + w2·x2 + b) with x1 = 2, x2 = −1, w1 = −3, w2 = 1,
#     b = 7.  What is ∂o/∂w1?
P8 = None
