"""Reference answers for the workbook (spoilers!). `python -m exercises --solutions` checks them.

Try the workbook first: the point is to work each gradient out yourself.
"""

import math

# ── Part A: local gradients ──────────────────────────────────────────────────────────────


def neg_local(x: float) -> float:
    return -1.0


def mul_local(a: float, b: float) -> tuple[float, float]:
    return b, a  # each input's local gradient is the other input


def exp_local(x: float) -> float:
    return math.exp(x)  # eˣ is its own derivative


def reciprocal_local(x: float) -> float:
    return -1.0 / (x * x)


def div_local(a: float, b: float) -> tuple[float, float]:
    return 1.0 / b, -a / (b * b)


def sigmoid_local(x: float) -> float:
    s = 1.0 / (1.0 + math.exp(-x))
    return s * (1.0 - s)


def tanh_local(x: float) -> float:
    t = math.tanh(x)
    return 1.0 - t * t


def softplus_local(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))  # the sigmoid


# ── Part B: predict the gradient ─────────────────────────────────────────────────────────

P1 = 0.25  # 1 · (−1/4) · 1 · 1 · (−1)
P2 = 5.0  # 2 + 3: x is used twice, the two contributions add
P3 = 4.0  # c = 4a; each + doubles the gradient of a value used twice
P4 = -1.0  # y + 1: x is used by the product (local gradient y) and by the sum (local 1)
P5 = 0.0  # w·x + b = −5 < 0: the ReLU is off, its local gradient is 0
P6 = -2.0  # 2·(a·b + c) · b = 2 · 1 · (−1)
P7 = 2.0  # u is used twice: u·eˣ + u·eˣ = 1 + 1 at x = 0
P8 = 0.5  # the pre-activation is 0, σ′(0) = 0.25, times x1 = 2
