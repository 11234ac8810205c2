"""Part B's questions (predict a gradient) and Part D's (predict a directional derivative),
each with the wrong numbers a learner classically gets and the words that name the mistake.

Every wrong number here was found by working the question wrongly as a learner would; the
tests hold each one to fail with its words, and each right answer to finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from scalargrad import Value

from .derive import const as c


@dataclass(frozen=True)
class PredictTask:
    """Predict one number about `build` at `at`: ∂f/∂(input `wrt`), or, with `direction`,
    the directional derivative ∇f · direction (forward mode's tangent out)."""

    name: str
    question: str
    names: tuple[str, ...]
    build: Callable[..., Value]
    at: tuple[float, ...]
    hints: tuple[str, ...]
    wrongs: tuple[tuple[float, str], ...] = ()
    wrt: int = 0
    direction: Optional[tuple[float, ...]] = None
    part: str = "B"

    @property
    def hint(self) -> str:
        return self.hints[0]

    def f(self, *xs: Value) -> Value:
        return self.build(*xs)

    def leaves(self) -> tuple[Value, ...]:
        return tuple(Value(x, label=n) for x, n in zip(self.at, self.names))


def _label(v: Value, label: str) -> Value:
    v.label = label
    return v


def _p1(z: Value) -> Value:
    e = _label(-z, "m").exp()
    e.label = "e"
    s = c(1.0) + e
    s.label = "s"
    y = s.reciprocal()
    y.label = "y"
    return y


def _p2(x: Value) -> Value:
    f = _label(c(2.0) * x, "p") + _label(c(3.0) * x, "q")
    f.label = "f"
    return f


def _p3(a: Value) -> Value:
    b = a + a
    b.label = "b"
    out = b + b
    out.label = "c"
    return out


def _p4(x: Value, y: Value) -> Value:
    p = x * y
    p.label = "p"
    f = p + x
    f.label = "f"
    return f


def _p5(w: Value) -> Value:
    z = _label(w * c(3.0), "p") + c(1.0)
    z.label = "z"
    o = z.relu()
    o.label = "o"
    return o


def _p6(a: Value) -> Value:
    u = _label(a * c(-1.0), "p") + c(3.0)
    u.label = "u"
    loss = u ** 2
    loss.label = "L"
    return loss


def _p7(x: Value) -> Value:
    u = x.exp()
    u.label = "u"
    f = u * u
    f.label = "f"
    return f


def _p8(w1: Value) -> Value:
    s = _label(w1 * c(2.0), "p") + _label(c(1.0) * c(-1.0), "q")
    z = _label(s, "s") + c(7.0)
    z.label = "z"
    o = z.sigmoid()
    o.label = "o"
    return o


PREDICT_TASKS: tuple[PredictTask, ...] = (
    PredictTask(
        "P1", "y = 1/(1 + e^−z) at z = 0: dy/dz", ("z",), _p1, (0.0,),
        ("walk the graph from y back to z: reciprocal, add, exp, neg.",
         "multiply the local gradients along the path: reciprocal −1/s² at s = 2, add 1, exp "
         "e^−z = 1, neg −1.",
         "(−1/4) × 1 × 1 × (−1)."),
        ((-0.25, "the neg's −1 is lost: e^−z is exp of −z, and −z sends upstream × (−1)"),
         (0.5, "0.5 is y itself (σ(0)), a value, not a gradient — or reciprocal's local "
               "gradient taken as −1/s instead of −1/s²"),
         (4.0, "reciprocal's local gradient taken as −s² (−4) where it is −1/s² (−1/4)"),
         (-1.0, "reciprocal's local gradient −1/s² = −1/4 is left out of the product"))),
    PredictTask(
        "P2", "f = w1·x + w2·x (w1 = 2, w2 = 3) at x = 0: df/dx", ("x",), _p2, (0.0,),
        ("x is used in two places.",
         "each use of x sends its own contribution: 2 from w1·x and 3 from w2·x.",
         "a value used twice gets the SUM of its contributions: 2 + 3."),
        ((3.0, "only one contribution (w2·x's): x is used twice, and the two add"),
         (2.0, "only one contribution (w1·x's): x is used twice, and the two add"),
         (6.0, "the two contributions are multiplied; a value used twice ADDS them"),
         (0.0, "x = 0 makes f = 0, not its gradient: f = 5x changes 5 times as fast as x "
               "at every x"))),
    PredictTask(
        "P3", "b = a + a, c = b + b at a = 3: dc/da", ("a",), _p3, (3.0,),
        ("each value is used twice: what is c in terms of a?",
         "c = b + b sends 1 to each use of b, and the two add: b.grad = 2. Then b = a + a "
         "does the same for a.",
         "b.grad = 1 + 1 = 2; a.grad = 2 + 2 = 4 (c = 4a)."),
        ((1.0, "each use replaced the gradient instead of adding to it (= instead of +=): "
               "b is used twice by c, so b.grad gets 1 from each use, added"),
         (2.0, "one level accumulated: b.grad = 1 + 1 = 2 is right, but b = a + a uses a "
               "twice too, so a's two contributions add as well"),
         (12.0, "12 is c's value (4a at a = 3), not its gradient"),
         (6.0, "6 is b's value (2a at a = 3), not a gradient"),
         (3.0, "3 is a's value, not a gradient"))),
    PredictTask(
        "P4", "f = x·y + x at x = 3, y = −2: ∂f/∂x", ("x", "y"), _p4, (3.0, -2.0),
        ("x has two consumers.",
         "the product sends x upstream × y, the sum sends upstream × 1: add them.",
         "y + 1 = −2 + 1."),
        ((-2.0, "the sum's contribution is forgotten: x is also used by the + (local "
                "gradient 1), and the two add"),
         (1.0, "the product's contribution is forgotten: x·y sends x upstream × y = −2 too"),
         (3.0, "3 is ∂f/∂y (= x), the other input's gradient"),
         (4.0, "x used as the product's local gradient for x: it is the OTHER factor, y"),
         (-3.0, "−3 is f's value, not its gradient"))),
    PredictTask(
        "P5", "o = relu(w·x + b), w = −2, x = 3, b = 1: ∂o/∂w", ("w",), _p5, (-2.0,),
        ("first compute w·x + b: is the ReLU on or off?",
         "relu(z) = max(0, z) has local gradient 1 where z > 0 and 0 where z < 0.",
         "w·x + b = −5 < 0: the ReLU is off, and 0 × anything = 0."),
        ((3.0, "the ReLU is treated as on: w·x + b = −5 < 0, so it is off and its local "
               "gradient is 0"),
         (-5.0, "−5 is the pre-activation w·x + b, a value; it is negative, so the ReLU is "
                "off"),
         (1.0, "1 is the ReLU's local gradient when it is on; here w·x + b = −5, it is off"),
         (-2.0, "−2 is w, the local gradient for x, not for w; and the ReLU is off anyway"))),
    PredictTask(
        "P6", "L = (a·b + c)² at a = 2, b = −1, c = 3: ∂L/∂a", ("a",), _p6, (2.0,),
        ("walk back: the square first, then the sum, then the product.",
         "the square's local gradient is 2·(a·b + c) = 2; the sum passes it on; the product "
         "gives a its local gradient b.",
         "2·(a·b + c) × 1 × b = 2 × 1 × (−1)."),
        ((2.0, "the product's local gradient b = −1 is not multiplied in (or its sign lost)"),
         (-1.0, "the square's 2 is dropped: d(u²)/du = 2u"),
         (1.0, "1 is L's value, not its gradient"),
         (4.0, "× a (2) where a's local gradient in a·b is b (−1)"),
         (-4.0, "× both b and a: a's local gradient in a·b is b alone"),
         (-6.0, "only the c term of the expanded square: (a·b + c)² also has a²b², and the "
                "chain rule through u = a·b + c needs no expanding"))),
    PredictTask(
        "P7", "u = eˣ, f = u·u at x = 0: df/dx", ("x",), _p7, (0.0,),
        ("u feeds the product twice.",
         "each use of u in u·u sends upstream × (the other factor, u = 1): u.grad = 1 + 1.",
         "u.grad = 2, then exp sends 2 × e⁰ = 2."),
        ((1.0, "u's two uses are not added (u.grad = 1 + 1 = 2), or e⁰ = 1 forgotten"),
         (0.0, "x = 0 makes the exponent 0, not the gradient: e⁰ = 1"),
         (2.718282, "e¹ used: exp's local gradient at x = 0 is e⁰ = 1"))),
    PredictTask(
        "P8", "o = σ(w1·x1 + w2·x2 + b), x = (2, −1), w = (−3, 1), b = 7: ∂o/∂w1", ("w1",),
        _p8, (-3.0,),
        ("compute the pre-activation w1·x1 + w2·x2 + b first.",
         "it is 0, and σ′(0) is the lesson's number; then w1·x1 gives w1 its local gradient x1.",
         "σ′(0) × x1 = 0.25 × 2."),
        ((2.0, "σ′ is forgotten: only × x1; the sigmoid's local gradient at 0 is 0.25"),
         (0.25, "σ′(0) alone: then × x1 = 2 (w1's local gradient in w1·x1 is x1)"),
         (-0.75, "× w1 (−3) where w1's local gradient in w1·x1 is x1 = 2"),
         (1.0, "σ(0) = 0.5 used where σ′(0) = 0.25 belongs"))),
)


def _d1(x: Value, y: Value) -> Value:
    return _p4(x, y)


def _d2(x: Value) -> Value:
    return _p7(x)


DIRECTION_TASKS: tuple[PredictTask, ...] = (
    PredictTask(
        "D1", "f = x·y + x at (x, y) = (3, −2), along the direction (1, 2): the directional "
        "derivative", ("x", "y"), _d1, (3.0, -2.0),
        ("send the tangents forward: ẋ = 1, ẏ = 2; each node's tangent out = Σ local gradient "
         "× tangent in.",
         "or with the gradient: ∇f = (∂f/∂x, ∂f/∂y) = (y + 1, x), and the directional "
         "derivative is ∇f · (1, 2).",
         "(−1) × 1 + 3 × 2."),
        ((2.0, "the gradient's components are added without the direction: ∇f · (1, 2) "
               "weighs ∂f/∂y by 2"),
         (-1.0, "only the direction's x component: ∂f/∂x × 1; add ∂f/∂y × 2"),
         (6.0, "only the direction's y component: ∂f/∂y × 2; add ∂f/∂x × 1"),
         (2.236068, "the direction normalised to length 1: here the tangent in is (1, 2) as "
                    "given"),
         (1.0, "the direction's components swapped: ẋ = 1 and ẏ = 2"),
         (-3.0, "−3 is f's value, not a derivative")),
        direction=(1.0, 2.0), part="D"),
    PredictTask(
        "D2", "u = eˣ, f = u·u at x = 0, with tangent in ẋ = 3: the tangent out ḟ", ("x",),
        _d2, (0.0,),
        ("forward: u's tangent is eˣ × ẋ; then f = u·u gets a term from each use of u.",
         "u̇ = e⁰ × 3 = 3; ḟ = u × u̇ + u × u̇: the tangents of the two uses ADD, as the "
         "gradients do backward.",
         "1 × 3 + 1 × 3."),
        ((2.0, "2 is df/dx: the tangent out is df/dx × ẋ, with ẋ = 3"),
         (3.0, "only one use of u: f = u·u gets u × u̇ from each use, and they add"),
         (9.0, "the tangent is multiplied in at each use: ḟ = u̇·u + u·u̇, each term once "
               "× u̇"),
         (18.0, "the tangent squared and doubled: ḟ = u̇·u + u·u̇ (u = 1 at x = 0)")),
        direction=(3.0,), part="D"),
)
