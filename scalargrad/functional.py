"""Derivatives as functions, in the style of JAX and HIPS/autograd: `grad(f)` is a function
that computes ∂f/∂x, and composes to any order (`grad(grad(f))`).

Plain numbers in, plain numbers out: each argument being differentiated becomes a Value
inside, `f` runs on Values, and the gradient comes back as a float. Called with Values (or
inside another `grad`), the functions keep the backward pass as a graph
(`create_graph=True`) and return Values, which is what lets an outer `grad` differentiate
an inner one.

Forward mode beside them, as in JAX and `torch.func`: `jvp` pushes one tangent through f
(duals, see `dual.py`), `jacfwd` builds the Jacobian from n such passes and `jacrev` from m
backward passes, and `hvp` is forward mode over the backward pass: H·v without H.
"""

from __future__ import annotations

import functools
import inspect
from numbers import Real
from typing import Any, Callable, Sequence, Union

from . import dual as _dual
from .backward_graph import gradients as _gradients
from .grad_mode import enable_grad
from .modes import _modes
from .node import _as_float, _leaf
from .value import Value

__all__ = ["gradients", "grad", "value_and_grad", "hessian", "jvp", "jacfwd", "jacrev", "hvp"]

ArgNums = Union[int, Sequence[int]]


def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list:
    """∂output/∂x for each Value x in `inputs`, without reading or changing any `.grad`
    (PyTorch's `torch.autograd.grad`): floats, or Values whose graph is the backward pass
    when `create_graph=True`. An input that `output` does not depend on gets 0.

    Inside `no_grad()` it works as `torch.autograd.grad` does there: with
    `create_graph=True` the backward pass is still recorded (the gradients can be
    differentiated again), with False the gradients are plain floats as always."""
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
    _dual.track(wrt)  # duals differentiated here keep their graph (forward over reverse)
    with enable_grad():  # a derivative is asked for: record even inside an outer no_grad()
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


# -- forward mode ------------------------------------------------------------------------------


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
        ) -> tuple[Any, Any]:
    """(f(primals), the directional derivative of f at `primals` along `tangents`) by one
    forward pass: each input carries its tangent, and every op's tangent out is Σ local
    gradient × tangent in. No graph is kept (memory does not grow with f's depth), and
    `no_grad()` around it changes nothing.

    `primals` and `tangents` are lists (or tuples) of numbers, one per argument of f. f takes
    Values and returns a Value (two floats back) or a list of Values (two lists of floats
    back). As `torch.func.jvp` and `jax.jvp`."""
    _check_function(f, "jvp")
    xs = _numbers(primals, "jvp", "primals", values_allowed=True)
    ts = _numbers(tangents, "jvp", "tangents")
    _check_lengths(xs, ts, "jvp")
    _check_arity(f, len(xs), "jvp", "primals")
    with _dual.dual_level():
        out = f(*[_dual.make_dual(x, t) for x, t in zip(xs, ts)])
        outs, single = _outputs(out, "jvp")
        found = _dual.result_tangents(outs)
    values = [o.data for o in outs]
    return (values[0], found[0]) if single else (values, found)


def jacfwd(f: Callable[..., Any]) -> Callable[..., list]:
    """The function computing f's Jacobian by forward mode, one jvp per input (n passes): a
    list of n floats (∂f/∂xⱼ) when f returns one Value, m lists of n floats (row i: ∂fᵢ/∂xⱼ)
    when it returns m. Cheap when f has few inputs and many outputs."""
    _check_function(f, "jacfwd")

    @functools.wraps(f)
    def jacobian(*args: Any) -> list:
        xs = _arguments(f, args, "jacfwd")
        columns = []
        single = True
        for j in range(len(xs)):
            _, column = jvp(f, xs, [1.0 if k == j else 0.0 for k in range(len(xs))])
            single = not isinstance(column, list)
            columns.append([column] if single else column)
        rows = [list(row) for row in zip(*columns)] if columns[0] else []
        return rows[0] if single else rows

    return jacobian


def jacrev(f: Callable[..., Any]) -> Callable[..., list]:
    """The function computing f's Jacobian by reverse mode: one forward pass, then one
    backward pass per output (m passes): a list of n floats when f returns one Value, m lists
    of n floats when it returns m. Cheap when f has many inputs and few outputs. No `.grad`
    is read or changed."""
    _check_function(f, "jacrev")

    @functools.wraps(f)
    def jacobian(*args: Any) -> list:
        xs = _arguments(f, args, "jacrev")
        leaves = [_leaf(x) for x in xs]
        with enable_grad():
            outs, single = _outputs(f(*leaves), "jacrev")
            rows = [_gradients(o, leaves) for o in outs]
        return rows[0] if single else rows

    return jacobian


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> list[float]:
    """The Hessian of f at `primals` times the vector `tangents`, H·v, as a list of floats,
    without forming H: forward mode over the backward pass (the jvp of grad f along v), so
    it costs a few passes over f's graph whatever the number of inputs.

    f takes Values (one per primal) and returns one Value. As
    `torch.autograd.functional.hvp(f, primals, v)[1]`."""
    _check_function(f, "hvp")
    xs = _numbers(primals, "hvp", "primals", values_allowed=True)
    if not xs:
        raise TypeError("hvp: f needs at least one argument to differentiate")
    _check_lengths(xs, _numbers(tangents, "hvp", "tangents"), "hvp")
    _check_arity(f, len(xs), "hvp", "primals")
    gradient = grad(f, tuple(range(len(xs))))
    with enable_grad():  # the backward pass is built as a graph, even inside no_grad()
        _, product = jvp(lambda *duals: list(gradient(*duals)), xs, tangents)
    return product


def _check_function(f: Any, who: str) -> None:
    if not callable(f):
        raise TypeError(f"{who}: f must be a function, got {type(f).__name__}")


def _arguments(f: Callable[..., Any], args: tuple, who: str) -> list[float]:
    """The numbers a Jacobian is taken at (numbers or Values), one per argument of f and at
    least one, with a clear error otherwise."""
    xs = _numbers(args, who, "arguments", values_allowed=True)
    if not xs:
        raise TypeError(f"{who}: f needs at least one argument to differentiate")
    _check_arity(f, len(xs), who, "arguments")
    return xs


def _check_lengths(xs: list, ts: list, who: str) -> None:
    if len(ts) != len(xs):
        raise ValueError(f"{who}: {len(xs)} primals but {len(ts)} tangents; expected one "
                         "tangent per primal")


def _check_arity(f: Callable[..., Any], n: int, who: str, what: str) -> None:
    """A clear error when f cannot be called with n positional arguments."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # a builtin or a callable without a signature: just call
        return
    try:
        signature.bind(*range(n))
    except TypeError as error:
        what = what if n != 1 else what[:-1]
        raise TypeError(f"{who}: f cannot be called with {n} {what} as its arguments "
                        f"({error}); give one number per argument of f") from None


def _numbers(xs: Any, who: str, what: str, values_allowed: bool = False) -> list[float]:
    """`xs` as a list of floats: a list or tuple of real numbers (or of Values, whose numbers
    are taken, where `values_allowed`)."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{who}: {what} must be a list or tuple of numbers, one per argument "
                        f"of f (for one argument: [x]), got {type(xs).__name__} {_short(xs)}")
    out = []
    for i, x in enumerate(xs):
        if values_allowed and isinstance(x, Value):
            out.append(x.data)
        elif isinstance(x, Real) and not isinstance(x, bool):
            out.append(_as_float(x, f"{who} {what}"))
        else:
            raise TypeError(f"{who}: {what}[{i}] must be a real number (int or float), got "
                            f"{type(x).__name__} {_short(x)}")
    return out


def _outputs(out: Any, who: str) -> tuple[list, bool]:
    """f's result as a list of Values, and whether it was a single Value."""
    if isinstance(out, Value):
        return [out], True
    if isinstance(out, (list, tuple)) and out and all(isinstance(o, Value) for o in out):
        return list(out), False
    if isinstance(out, (list, tuple)):
        bad = next((o for o in out if not isinstance(o, Value)), None)
        detail = ("an empty " + type(out).__name__) if not out else (
            f"a {type(out).__name__} holding {type(bad).__name__} {_short(bad)}")
    else:
        detail = f"{type(out).__name__} {_short(out)}"
    raise TypeError(f"{who}: f must return a Value or a list of Values (computed from its "
                    f"arguments; for a constant, Value(c)), got {detail}")
