"""The seed lesson's worked examples, as tests: the sigmoid split into neg → exp → add →
reciprocal, its gradient 0.25 at z = 0, and f(x) = w1·x + w2·x with df/dx = w1 + w2 = 5."""

from __future__ import annotations

import math

from hypothesis import given
from strategies import PROPERTY, reals

from scalargrad import Value, forward_difference, topological_order


def decomposed_sigmoid(z: Value) -> Value:
    """σ(z) = 1 / (1 + e^(−z)) built from primitives: neg → exp → add → reciprocal."""
    return (1.0 + (-z).exp()).reciprocal()


def fused_sigmoid(z: Value) -> Value:
    return z.sigmoid()


# -- the decomposed sigmoid against the fused one ------------------------------------------------

def test_decomposed_sigmoid_is_built_from_four_primitives() -> None:
    """The decomposed sigmoid's graph is exactly neg, exp, +, reciprocal, in that order."""
    ops = [n._op for n in topological_order(decomposed_sigmoid(Value(0.3))) if n._prev]
    assert ops == ["neg", "exp", "+", "reciprocal"]


@PROPERTY
@given(reals(-30.0, 30.0))
def test_decomposed_sigmoid_value_equals_fused(z: float) -> None:
    """Both sigmoids compute the same value."""
    assert math.isclose(decomposed_sigmoid(Value(z)).data, fused_sigmoid(Value(z)).data,
                        rel_tol=1e-12)


@PROPERTY
@given(reals(-30.0, 30.0))
def test_decomposed_sigmoid_gradient_equals_fused(z: float) -> None:
    """Both sigmoids give the same dσ/dz (the fused σ(1−σ) loses a few bits in the tail, so an
    absolute tolerance of 1e-15 on a slope of at most 0.25)."""
    a, b = Value(z), Value(z)
    decomposed_sigmoid(a).backward()
    fused_sigmoid(b).backward()
    assert math.isclose(a.grad, b.grad, rel_tol=1e-9, abs_tol=1e-15)


# -- sigmoid at z = 0 -----------------------------------------------------------------------------

def test_sigmoid_gradient_at_zero_is_a_quarter() -> None:
    """σ′(0) = σ(0)(1 − σ(0)) = 0.5 · 0.5 = 0.25."""
    z = Value(0.0)
    z.sigmoid().backward()
    assert z.grad == 0.25


def test_decomposed_sigmoid_chain_at_zero_gives_the_lesson_numbers() -> None:
    """Backward through the chain at z = 0: ∂L/∂(1+e^−z) = −1/2² = −0.25, ∂L/∂e^−z = −0.25,
    ∂L/∂(−z) = −0.25·e⁰ = −0.25, and ∂L/∂z = −0.25·(−1) = 0.25."""
    z = Value(0.0)
    neg = -z
    exp = neg.exp()
    add = 1.0 + exp
    out = add.reciprocal()
    out.backward()
    assert [add.grad, exp.grad, neg.grad, z.grad] == [-0.25, -0.25, -0.25, 0.25]


def test_sigmoid_at_a_hundredth_is_the_lessons_0_5025() -> None:
    """σ(0.01) ≈ 0.5025, the number the lesson's forward difference starts from."""
    assert math.isclose(Value(0.01).sigmoid().data, 0.5025, abs_tol=1e-6)


def test_forward_difference_of_sigmoid_at_zero_is_about_a_quarter() -> None:
    """(σ(0.01) − σ(0)) / 0.01 ≈ 0.25, to within 1e-3 (the forward difference's O(ε) error)."""
    assert math.isclose(forward_difference(fused_sigmoid, 0.0, eps=0.01), 0.25, abs_tol=1e-3)


def test_forward_difference_of_decomposed_sigmoid_at_zero_is_about_a_quarter() -> None:
    """The decomposed sigmoid's forward difference at 0 is ≈ 0.25 too."""
    assert math.isclose(forward_difference(decomposed_sigmoid, 0.0, eps=0.01), 0.25, abs_tol=1e-3)


# -- f(x) = w1·x + w2·x: x has two upstreams ------------------------------------------------------

def linear(x: Value, w1: float = 2.0, w2: float = 3.0) -> Value:
    """f(x) = h(x) + g(x) with h(x) = w1·x and g(x) = w2·x."""
    return w1 * x + w2 * x


def test_x_feeds_two_upstream_nodes() -> None:
    """In w1·x + w2·x, x is a parent of both products."""
    x = Value(0.0)
    f = linear(x)
    products = f._prev
    assert all(any(p is x for p in prod._prev) for prod in products)


def test_linear_gradient_is_w1_plus_w2() -> None:
    """df/dx = w1 + w2 = 2 + 3 = 5 at x = 0 (the multivariate chain rule sums both paths)."""
    x = Value(0.0)
    linear(x).backward()
    assert x.grad == 5.0


def test_linear_weights_get_x_as_gradient() -> None:
    """∂f/∂w1 = ∂f/∂w2 = x = 0 at x = 0."""
    x, w1, w2 = Value(0.0), Value(2.0), Value(3.0)
    (w1 * x + w2 * x).backward()
    assert (w1.grad, w2.grad) == (0.0, 0.0)


def test_linear_at_a_hundredth_is_0_05() -> None:
    """f(0.01) = 2·0.01 + 3·0.01 = 0.05."""
    assert math.isclose(linear(Value(0.01)).data, 0.05, rel_tol=1e-12)


def test_linear_forward_difference_is_5() -> None:
    """(f(0.01) − f(0)) / 0.01 = 0.05 / 0.01 = 5."""
    assert math.isclose(forward_difference(linear, 0.0, eps=0.01), 5.0, rel_tol=1e-9)


# -- values are named by what they are -------------------------------------------------------------

def test_the_sigmoids_constant_one_is_named_by_its_number() -> None:
    """In 1 + e^−z the constant 1 is called `1` in the narrated trace, never an automatic v0."""
    from scalargrad import explain

    z = Value(0.0, label="z")
    y = (1 + (-z).exp()).reciprocal()
    names = [step.name for step in explain(y).steps if not step.op]
    assert names == ["z", "1"]
