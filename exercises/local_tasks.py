"""Part A's exercises: each op's forward, its true local gradient, and the wrong local
gradients a learner writes, each with the words that name the mistake.

The true local gradient is the known formula; `tests/test_exercise_catalogue.py` holds each formula
to central finite differences of the forward value (and the checker confirms it at every
point it uses), so the truth never comes from the learner's code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

Point = tuple[float, ...]
Locals = Callable[..., tuple[float, ...]]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class Variant:
    """A wrong local gradient for input `which` (0 or 1): `local(*point)` gives the number
    the learner used, `says` names the mistake."""

    which: int
    key: str
    says: str
    local: Callable[..., float]


@dataclass(frozen=True)
class LocalTask:
    """Write the `_backward` closure of an op: the checker knows its forward and its local
    gradients; you give the downstream gradients, upstream × local gradient."""

    name: str
    formula: str
    forward: Callable[..., float]
    local: Locals
    local_text: tuple[str, ...]
    points: tuple[Point, ...]
    hints: tuple[str, ...]
    solution: str
    variants: tuple[Variant, ...] = ()
    swapped: str = ""

    @property
    def arity(self) -> int:
        return len(self.points[0])

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("x",) if self.arity == 1 else ("a", "b")

    @property
    def hint(self) -> str:  # (the old single hint: the first, a nudge)
        return self.hints[0]


V = Variant

LOCAL_TASKS: tuple[LocalTask, ...] = (
    LocalTask(
        "neg", "f(x) = −x", lambda x: -x, lambda x: (-1.0,), ("−1",),
        ((0.5,), (-2.0,), (3.0,)),
        ("how does −x change when x grows by a little?",
         "−x goes down by exactly as much as x goes up: the local gradient is −1, at every x.",
         "downstream = upstream × (−1): `return (-upstream,)` (the comma makes a tuple)."),
        "return (-upstream,)"),
    LocalTask(
        "mul", "f(a, b) = a·b", lambda a, b: a * b, lambda a, b: (b, a), ("b", "a"),
        ((2.0, -3.0), (0.5, 4.0), (-1.5, 0.25)),
        ("hold b fixed: how fast does a·b change when a grows?",
         "a·b changes b times as fast as a, and a times as fast as b: each input's local "
         "gradient is the OTHER input.",
         "`return (upstream * b.data, upstream * a.data)`: a gets upstream × b, b gets "
         "upstream × a."),
        "return (upstream * b.data, upstream * a.data)",
        (V(0, "sum", "the local gradient of a sum (1) used: a product's is the other factor",
           lambda a, b: 1.0),
         V(1, "sum", "the local gradient of a sum (1) used: a product's is the other factor",
           lambda a, b: 1.0),
         V(0, "out", "the product a·b itself used as the local gradient", lambda a, b: a * b),
         V(1, "out", "the product a·b itself used as the local gradient", lambda a, b: a * b)),
        swapped="the factors are not swapped: a got upstream × a and b got upstream × b; "
                "each input's local gradient is the OTHER factor (a gets upstream × b)"),
    LocalTask(
        "exp", "f(x) = eˣ", math.exp, lambda x: (math.exp(x),), ("eˣ",),
        ((0.0,), (1.0,), (-2.0,)),
        ("eˣ is a very special function when it comes to derivatives.",
         "eˣ is its own derivative: the local gradient is eˣ, the op's output, not x.",
         "the closure can use `out` (= eˣ): `return (upstream * out,)`."),
        "return (upstream * out,)",
        (V(0, "x", "x used where the op's output eˣ belongs: the local gradient of eˣ is eˣ "
                   "itself", lambda x: x),
         V(0, "power", "the power rule applied to eˣ (x·eˣ⁻¹): here x is the exponent, not "
                       "the base, and eˣ is its own derivative", lambda x: x * math.exp(x - 1)))),
    LocalTask(
        "reciprocal", "f(x) = 1/x", lambda x: 1.0 / x, lambda x: (-1.0 / (x * x),), ("−1/x²",),
        ((2.0,), (-0.5,), (3.0,)),
        ("1/x = x⁻¹: what does the power rule say about x⁻¹?",
         "bring the power down and lower it by one: x⁻¹ → −1·x⁻² = −1/x². It is negative: "
         "1/x falls as x grows.",
         "−1/x² = −out² (out = 1/x): `return (upstream * -out * out,)`."),
        "return (upstream * -out * out,)",
        (V(0, "square", "−1/x used instead of −1/x²: the power was not lowered (x⁻¹ → "
                        "−1·x⁻², a square underneath)", lambda x: -1.0 / x),
         V(0, "out", "1/x, the op's output, used as its local gradient (it is −1/x²)",
           lambda x: 1.0 / x),
         V(0, "twice", "−2/x³ is the derivative of −1/x²: one derivative too many "
                       "(the local gradient of 1/x is −1/x²)", lambda x: 2.0 / x ** 3 * -1.0))),
    LocalTask(
        "div", "f(a, b) = a / b", lambda a, b: a / b, lambda a, b: (1.0 / b, -a / (b * b)),
        ("1/b", "−a/b²"),
        ((1.0, 2.0), (-3.0, 0.5), (2.0, -4.0)),
        ("a/b = a · (1/b): which parts are the lessons' mul and reciprocal?",
         "for a, b is a constant: the local gradient is 1/b. For b, a is a constant factor in "
         "front of 1/b, whose local gradient is −1/b²: so −a/b².",
         "`return (upstream / b.data, upstream * -a.data / b.data ** 2)` (or −out/b for b)."),
        "return (upstream / b.data, upstream * -a.data / b.data ** 2)",
        (V(1, "a", "the a is missing from b's local gradient: −1/b² is reciprocal's alone; "
                   "a/b = a · (1/b), so b's local gradient is a × (−1/b²) = −a/b²",
           lambda a, b: -1.0 / (b * b)),
         V(1, "square", "−a/b used for b instead of −a/b²: the square of b dropped",
           lambda a, b: -a / b),
         V(0, "b", "b used for a where 1/b belongs: a/b changes 1/b times as fast as a",
           lambda a, b: b),
         V(0, "out", "the output a/b used for a where 1/b belongs", lambda a, b: a / b)),
        swapped="the order of the two downstreams is swapped: the first belongs to a (upstream "
                "× 1/b), the second to b (upstream × −a/b²)"),
    LocalTask(
        "sigmoid", "f(x) = σ(x) = 1/(1 + e⁻ˣ)", sigmoid,
        lambda x: (sigmoid(x) * (1.0 - sigmoid(x)),), ("σ(x)·(1 − σ(x))",),
        ((0.0,), (2.0,), (-3.0,)),
        ("at x = 0 the answer is the lesson's 0.25: can you write it with σ(x) itself?",
         "σ′(x) = σ(x)·(1 − σ(x)): written with the op's OUTPUT σ(x), not with x.",
         "`return (upstream * out * (1.0 - out),)`."),
        "return (upstream * out * (1.0 - out),)",
        (V(0, "x", "x used where the op's output σ(x) belongs: σ′ = σ(x)·(1 − σ(x)), not "
                   "x·(1 − x)", lambda x: x * (1.0 - x)),
         V(0, "half", "only σ(x): the factor (1 − σ(x)) is dropped", sigmoid),
         V(0, "other-half", "only 1 − σ(x): the factor σ(x) is dropped",
           lambda x: 1.0 - sigmoid(x)))),
    LocalTask(
        "tanh", "f(x) = tanh x", math.tanh, lambda x: (1.0 - math.tanh(x) ** 2,), ("1 − tanh²x",),
        ((0.0,), (0.5,), (-2.0,)),
        ("like σ, tanh′ is best written with tanh x itself.",
         "tanh′(x) = 1 − tanh²(x): the square of the op's OUTPUT, not of x.",
         "`return (upstream * (1.0 - out * out),)`."),
        "return (upstream * (1.0 - out * out),)",
        (V(0, "x", "x used where the op's output tanh x belongs: tanh′ = 1 − tanh²x, not 1 − x²",
           lambda x: 1.0 - x * x),
         V(0, "square", "1 − tanh x used: the square is dropped (1 − tanh²x)",
           lambda x: 1.0 - math.tanh(x)),
         V(0, "one", "tanh²x used: the “1 −” is dropped (1 − tanh²x)",
           lambda x: math.tanh(x) ** 2),
         V(0, "plus", "1 + tanh²x used: the sign inside is flipped (1 − tanh²x)",
           lambda x: 1.0 + math.tanh(x) ** 2))),
    LocalTask(
        "softplus", "f(x) = ln(1 + eˣ)", lambda x: math.log1p(math.exp(x)),
        lambda x: (sigmoid(x),), ("eˣ/(1 + eˣ) = σ(x)",),
        ((0.0,), (1.0,), (-2.0,)),
        ("chain rule: ln(u) with u = 1 + eˣ.",
         "d ln(u)/du = 1/u, and du/dx = eˣ: multiply them, eˣ/(1 + eˣ), which is σ(x).",
         "`return (upstream * math.exp(x.data) / (1.0 + math.exp(x.data)),)` (or upstream × "
         "σ(x))."),
        "return (upstream / (1.0 + math.exp(-x.data)),)",
        (V(0, "inner", "an inner derivative dropped: 1/(1 + eˣ) is ln's 1/u alone; the chain "
                       "rule multiplies it by u's own derivative, eˣ",
           lambda x: 1.0 / (1 + math.exp(x))),
         V(0, "outer", "only the inner derivative eˣ: ln's 1/u = 1/(1 + eˣ) is dropped",
           math.exp),
         V(0, "at-out", "1/ln(1 + eˣ) used: ln's derivative 1/u is taken at u = 1 + eˣ, not at "
                        "the output", lambda x: 1.0 / math.log1p(math.exp(x))))),
)

LOCAL_NAMES = tuple(t.name for t in LOCAL_TASKS)
