"""Your workbook. Fill in the blanks, then run `python -m exercises` to check them.

Part A — write the backward. Every op in scalargrad computes its result and, right beside it,
defines its `_backward` closure: given the *upstream* gradient (∂L/∂output), it returns the
*downstream* gradient for each input, upstream × local gradient, one per input in order.
Each function below builds one op with `Value.from_op`; its forward value is written for you.
Fill in `_backward`. The checker calls your closure as backward() does, with upstreams 1,
−1.5, 0.3 and 2, against upstream × the true local gradient (confirmed by finite differences
of the forward value, never by your closure), and names the mistake it recognises.

Part B — predict the gradient. Work each one out on paper (draw the graph, walk it backward:
upstream × local gradient = downstream, and add the contributions where a value is used
twice), then write your number. The checker runs the engine (confirmed by finite
differences) and tells you if you are right, or what your number suggests went wrong.

Part C — write backward() yourself: order the nodes, seed the root, walk back adding
upstream × local gradient into each parent. The checker runs your walk on graphs that expose
each classic bug (a value used twice, a diamond, the sigmoid chain, a chain 5,000 ops deep).

Part D — forward mode: a tangent travels forward with each value, tangent out = Σ local
gradient × tangent in. Write div's tangent rule, then predict two directional derivatives.

Replace each `raise NotImplementedError` with a return, and each `None` with a number.
Stuck? `python -m exercises --only mul --hint 2` gives the next hint; `--reveal` the answer.
"""

import math  # noqa: F401  (you will want math.exp, math.tanh, ...)

from scalargrad import Value

# ── Part A: write the backward ───────────────────────────────────────────────────────────


def neg(x: Value) -> Value:
    """f(x) = −x.  Fill in _backward."""
    out = -x.data

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="neg", backward=_backward)


def mul(a: Value, b: Value) -> Value:
    """f(a, b) = a·b.  Fill in _backward."""
    out = a.data * b.data

    def _backward(upstream: float) -> tuple[float, float]:
        raise NotImplementedError  # return (downstream for a, downstream for b)

    return Value.from_op(out, (a, b), op="mul", backward=_backward)


def exp(x: Value) -> Value:
    """f(x) = eˣ.  Fill in _backward."""
    out = math.exp(x.data)

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="exp", backward=_backward)


def reciprocal(x: Value) -> Value:
    """f(x) = 1/x  (x ≠ 0).  Fill in _backward."""
    out = 1.0 / x.data

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="reciprocal", backward=_backward)


def div(a: Value, b: Value) -> Value:
    """f(a, b) = a / b  (b ≠ 0).  Fill in _backward."""
    out = a.data / b.data

    def _backward(upstream: float) -> tuple[float, float]:
        raise NotImplementedError  # return (downstream for a, downstream for b)

    return Value.from_op(out, (a, b), op="div", backward=_backward)


def sigmoid(x: Value) -> Value:
    """f(x) = σ(x) = 1/(1 + e⁻ˣ).  Fill in _backward."""
    out = 1.0 / (1.0 + math.exp(-x.data))

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="sigmoid", backward=_backward)


def tanh(x: Value) -> Value:
    """f(x) = tanh x.  Fill in _backward."""
    out = math.tanh(x.data)

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="tanh", backward=_backward)


def softplus(x: Value) -> Value:
    """f(x) = ln(1 + eˣ).  Fill in _backward."""
    out = math.log1p(math.exp(x.data))

    def _backward(upstream: float) -> tuple[float]:
        raise NotImplementedError  # return (downstream for x,)

    return Value.from_op(out, (x,), op="softplus", backward=_backward)


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


# ── Part C: write backward() yourself ────────────────────────────────────────────────────


def backward(root: Value) -> None:
    """Fill every node's .grad with ∂root/∂node. The checker has set every grad to 0.

    node._prev               the node's parents: a tuple, in order (a + a has (a, a))
    local_gradients(node)    ∂node/∂parent for each parent, in the same order (() for a leaf)
    """
    from scalargrad.graph import local_gradients  # noqa: F401  (you will need it in step 3)

    # 1. Order the nodes: a list `order` with every node after all of its parents (a
    #    topological order), each node once (keep a set of the nodes visited).
    #    TODO: walk from root through ._prev and fill `order`. (A recursive helper is the
    #    short way, but a chain 5,000 ops deep breaks it, and the checker tries one: an
    #    explicit stack never breaks.)
    #
    # 2. Seed the root: ∂root/∂root = 1.
    #    TODO
    #
    # 3. Walk the order from the root back to the leaves: each node sends each parent
    #    upstream × local gradient (upstream = the node's grad), ADDED into the parent's grad.
    #    TODO: for node in reversed(order): for parent, local in zip(...): ...
    raise NotImplementedError


# ── Part D: forward mode ─────────────────────────────────────────────────────────────────


def tangent_div(a: float, b: float, da: float, db: float) -> float:
    """The tangent out of a / b, given the tangents in: da (of a) and db (of b).

    Tangent out = Σ local gradient × tangent in, over the op's inputs.
    """
    raise NotImplementedError  # return the tangent out (one number)


# D1. f = x·y + x at (x, y) = (3, −2). Nudge the inputs along the direction (1, 2):
#     what is the directional derivative (the tangent out for tangents in ẋ = 1, ẏ = 2)?
D1 = None

# D2. u = eˣ, then f = u·u, at x = 0, with tangent in ẋ = 3. What is the tangent out ḟ?
D2 = None
