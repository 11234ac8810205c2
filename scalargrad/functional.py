"""Derivatives as functions, in the style of JAX and HIPS/autograd: `grad(f)` is a function
that computes ∂f/∂x, and composes to any order (`grad(grad(f))`).

Plain numbers in, plain numbers out: each argument being differentiated becomes a Value
inside, `f` runs on Values, and the gradient comes back as a float. Called with Values (or
inside another `grad`), the functions keep the backward pass as a graph
(`create_graph=True`) and return Values, which is what lets an outer `grad` differentiate
an inner one.
"""

from __future__ import annotations

import functools
from numbers import Real
from typing import Any, Callable, Sequence, Union

from .backward_graph import gradients as _gradients
from .modes import _modes
from .node import _as_float, _leaf
from .value import Value

__all__ = ["gradients", "grad", "value_and_grad", "hessian"]

ArgNums = Union[int, Sequence[int]]


def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list:
    """∂output/∂x for each Value x in `inputs`, without reading or changing any `.grad`
    (PyTorch's `torch.autograd.grad`): floats, or Values whose graph is the backward pass
    when `create_graph=True`. An input that `output` does not depend on gets 0."""
    if not isinstance(output, Value):
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"gradients: inputs must be Values, got {type(x).__name__} {x!r}")
    if not isinstance(create_graph, bool):
        raise TypeError(f"gradients: create_graph must be True or False, got {create_graph!r}")
    return _gradients(output, inputs, create_graph=create_graph)


def _indices(argnums: Any, nargs: int, who: str) -> tuple[list[int], bool]:
    """The argument positions to differentiate, and whether argnums was a single int."""
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    nums = [argnums] if single else argnums
    if not isinstance(nums, (list, tuple)) or not nums or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{who}: argnums {i} is out of range for a call with {nargs} "
                             f"argument{'s' if nargs != 1 else ''}")
        out.append(i % nargs)
    return out, single


def _evaluate(f: Callable[..., Any], argnums: ArgNums, args: tuple, who: str
              ) -> tuple[Any, list, bool]:
    """Run f with the chosen arguments as Values: (value, gradients, single argnum)."""
    indices, single = _indices(argnums, len(args), who)
    nested = _modes.differentiating > 0 or any(isinstance(a, Value) for a in args)
    xs = list(args)
    wrt = []
    for i in indices:
        a = args[i]
        if isinstance(a, Value):
            v = a
        elif isinstance(a, Real) and not isinstance(a, bool):
            v = _leaf(_as_float(a, who))
        else:
            raise TypeError(f"{who}: argument {i} is differentiated, so it must be a number "
                            f"or a Value, got {type(a).__name__} {a!r}")
        xs[i] = v
        wrt.append(v)
    _modes.differentiating += 1
    try:
        out = f(*xs)
    finally:
        _modes.differentiating -= 1
    if isinstance(out, Value):
        grads = _gradients(out, wrt, create_graph=nested)
    elif isinstance(out, Real) and not isinstance(out, bool):  # f does not depend on them
        out = float(out)
        grads = [_leaf(0.0) if nested else 0.0 for _ in wrt]
    else:
        raise TypeError(f"{who}: f must return a single Value or number, got "
                        f"{type(out).__name__} {_short(out)}")
    if not nested:
        out = out.data if isinstance(out, Value) else out
    return out, grads, single


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:60] + "…"


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The function computing ∂f/∂(argument `argnums`) at the same arguments as f.

    With a tuple `argnums` it returns a tuple of partial derivatives. `grad(grad(f))` is
    the second derivative, and so on."""
    if not callable(f):
        raise TypeError(f"grad: f must be a function, got {type(f).__name__}")

    @functools.wraps(f)
    def gradient(*args: Any) -> Any:
        _, grads, single = _evaluate(f, argnums, args, "grad")
        return grads[0] if single else tuple(grads)

    return gradient


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The function computing (f(args), ∂f/∂(argument `argnums`)) in one forward pass."""
    if not callable(f):
        raise TypeError(f"value_and_grad: f must be a function, got {type(f).__name__}")

    @functools.wraps(f)
    def value_and_gradient(*args: Any) -> tuple[Any, Any]:
        out, grads, single = _evaluate(f, argnums, args, "value_and_grad")
        return out, grads[0] if single else tuple(grads)

    return value_and_gradient


def hessian(f: Callable[..., Any]) -> Callable[..., list[list[float]]]:
    """The function computing the matrix of second derivatives ∂²f/∂xᵢ∂xⱼ of a function of
    several scalars, as a list of lists of floats (one row per argument)."""
    if not callable(f):
        raise TypeError(f"hessian: f must be a function, got {type(f).__name__}")

    @functools.wraps(f)
    def hess(*args: Any) -> list[list[float]]:
        if not args:
            raise TypeError("hessian: f needs at least one argument to differentiate")
        first = grad(f, tuple(range(len(args))))
        rows = []
        for i in range(len(args)):
            row = grad(lambda *xs, i=i: first(*xs)[i], tuple(range(len(args))))(*args)
            rows.append([r.data if isinstance(r, Value) else r for r in row])
        return rows

    return hess
