"""grad, value_and_grad, hessian and gradients: derivatives as functions, any order."""

from __future__ import annotations

import math

import pytest

import scalargrad as sg
from scalargrad import Value


def test_grad_of_tanh_is_one_minus_tanh_squared() -> None:
    """grad(tanh)(x) = 1 − tanh² x, as a plain float."""
    g = sg.grad(lambda x: x.tanh())(0.5)
    assert type(g) is float and g == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-15)


def test_grad_of_grad_is_the_second_derivative() -> None:
    """grad(grad(sin)) = −sin, a float."""
    assert sg.grad(sg.grad(lambda x: x.sin()))(1.2) == pytest.approx(-math.sin(1.2), rel=1e-14)


def test_third_order() -> None:
    """d³/dx³ x⁴ = 24x."""
    assert sg.grad(sg.grad(sg.grad(lambda x: x ** 4)))(1.5) == pytest.approx(36.0, rel=1e-14)


def test_argnums_tuple_gives_each_partial() -> None:
    """grad(f, (0, 1)) of x·y² is (y², 2xy)."""
    assert sg.grad(lambda x, y: x * y * y, (0, 1))(3.0, 2.0) == (4.0, 12.0)


def test_value_and_grad() -> None:
    """value_and_grad gives f and ∂f/∂x from one forward pass."""
    assert sg.value_and_grad(lambda x: x * x)(3.0) == (9.0, 6.0)


def test_hessian_of_two_variables() -> None:
    """hessian of x²y + sin y is [[2y, 2x], [2x, −sin y]], as lists of floats."""
    h = sg.hessian(lambda x, y: x * x * y + y.sin())(1.0, 2.0)
    assert h == [[4.0, 2.0], [2.0, pytest.approx(-math.sin(2.0), rel=1e-14)]]


def test_an_inner_grad_over_an_outer_variable() -> None:
    """d/dx [x · (d/dy x·y)] = d/dx x² = 2x: the inner grad keeps its graph inside an outer one."""
    def f(x: Value) -> Value:
        return x * sg.grad(lambda y: x * y)(1.0)

    assert sg.grad(f)(3.0) == pytest.approx(6.0)


def test_a_constant_function_has_zero_gradient() -> None:
    """f returning a plain number: the gradient is 0."""
    assert sg.grad(lambda x: 3.0)(1.0) == 0.0


def test_f_must_return_one_value_or_number() -> None:
    """A list (or a string) from f is refused with a message saying what was expected."""
    with pytest.raises(TypeError, match="single Value or number, got list"):
        sg.grad(lambda x: [x, x])(1.0)


def test_argnums_out_of_range_is_refused() -> None:
    """argnums=2 for a one-argument call names the problem."""
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        sg.grad(lambda x: x, argnums=2)(1.0)


def test_a_non_number_argument_is_refused() -> None:
    """grad(f)('a') names the argument and what it should be."""
    with pytest.raises(TypeError, match="argument 0 .* number or a Value"):
        sg.grad(lambda x: x)("a")


def test_gradients_leaves_every_grad_alone() -> None:
    """gradients(y, [x]) returns ∂y/∂x and changes no .grad (torch.autograd.grad)."""
    x = Value(2.0)
    y = x * x
    assert sg.gradients(y, [x]) == [4.0]
    assert x.grad == 0.0 and y.grad == 0.0


def test_gradients_of_an_unused_input_is_zero() -> None:
    """An input the output does not depend on gets 0."""
    x, z = Value(2.0), Value(5.0)
    assert sg.gradients(x * x, [x, z]) == [4.0, 0.0]


def test_newton_finds_a_minimum_with_grad_of_grad() -> None:
    """Newton's method x ← x − f′/f″ on f = x⁴ − 3x² + x reaches f′ = 0 with f″ > 0."""
    f = lambda x: x ** 4 - 3 * x ** 2 + x  # noqa: E731
    d1, d2 = sg.grad(f), sg.grad(sg.grad(f))
    x = 1.0
    for _ in range(20):
        x -= d1(x) / d2(x)
    assert abs(4 * x ** 3 - 6 * x + 1) < 1e-12 and 12 * x * x - 6 > 0


def test_grad_inside_no_grad_still_differentiates() -> None:
    """An outer no_grad() does not turn grad(f) into 0: d/dx x³ = 3x² (as torch.func.grad)."""
    with sg.no_grad():
        assert sg.grad(lambda x: x ** 3)(2.0) == pytest.approx(12.0, rel=1e-15)


def test_hessian_inside_no_grad_still_differentiates() -> None:
    """hessian of x²y inside no_grad() is [[2y, 2x], [2x, 0]], not zeros."""
    with sg.no_grad():
        h = sg.hessian(lambda x, y: x * x * y)(1.0, 2.0)
    assert h == [[4.0, 2.0], [2.0, 0.0]]


def test_grad_inside_no_grad_leaves_the_mode_off_afterwards() -> None:
    """After grad(f) inside no_grad(), ops there record no graph again."""
    with sg.no_grad():
        sg.grad(lambda x: x * x)(1.0)
        y = Value(2.0) * 3
    assert y._prev == ()
