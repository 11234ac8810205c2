"""What every op is, declared once: its name, its exact parameter and how it is written.

A node made by an op points to one `Op` (`node._kind`). The op's forward value and its
`_backward` closure live in the op's method in `value.py`; everything else a reader or a
picture needs lives here, and every view reads it from here:

* `symbol` is the short string stored as `node._op` ('+', '*', '**2', 'tanh'), what a graph
  drawing labels the op node with, and what micrograd's own code reads;
* `param` is the op's parameter exactly as given: pow's exponent, leaky_relu's slope, the
  constant part of `sum` and `dot` (None for ops without one);
* `write(inputs)` is the op in the lesson's notation ("a * b", "x ** 2.0000001", "exp(a)"),
  `latex(inputs)` the same in LaTeX, `local_text(inputs)` its local gradients as formulas;
* `forward(xs)` recomputes the result from the inputs' numbers (for finite differences);
  None for an op defined by the user, whose forward the graph does not know.

Ops without a parameter are single shared objects (`ADD`, `MUL`, `TANH`, ...); an op with
one is made per parameter (`pow_op(2.0)`), and the common ones are kept in a small cache, so
a node costs one pointer for its declaration.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence

__all__ = ["Op", "custom_op", "dot_op", "leaky_relu_op", "pow_op", "sum_op", "write_number"]

Forward = Callable[[Sequence[float]], float]
# An op's backward written with Value ops: (node, upstream Value) -> one downstream Value per
# parent. `backward(create_graph=True)` uses it, so the backward pass is a graph itself.
GraphForm = Callable[[Any, Any], Sequence[Any]]
GRAPH_FORMS: dict[str, GraphForm] = {}


def graph_form(name: str) -> Callable[[GraphForm], Any]:
    """Register `fn` as op `name`'s backward in Value ops; it stays beside the op's method
    (as a staticmethod), where the float closure is."""

    def register(fn: GraphForm) -> Any:
        GRAPH_FORMS[name] = fn
        return staticmethod(fn)

    return register


def write_number(x: float) -> str:
    """x written exactly and briefly: 2.0 as '2', 2.0000001 as '2.0000001', 0.01 as '0.01'."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e16 and math.copysign(1.0, x) > 0.0:
        return str(int(x))
    if math.isfinite(x) and x.is_integer() and -1e16 < x < 0.0:
        return str(int(x))
    return repr(x)


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Op:
    """One op's declaration: name, exact parameter, notation, and a forward for checking."""

    __slots__ = ("name", "symbol", "param", "_forward", "_write", "_latex", "_local")

    def __init__(self, name: str, symbol: str, param: object, forward: Optional[Forward],
                 write: Callable[[Sequence[str]], str], latex: Callable[[Sequence[str]], str],
                 local: Callable[..., str]) -> None:
        self.name = name
        self.symbol = symbol
        self.param = param
        self._forward = forward
        self._write = write
        self._latex = latex
        self._local = local

    @property
    def is_custom(self) -> bool:
        """True for an op defined by the user (its forward is not known to the graph)."""
        return self._forward is None

    def forward(self, xs: Sequence[float]) -> float:
        """The op's result from its inputs' numbers (ValueError for a custom op)."""
        if self._forward is None:
            raise ValueError(f"the custom op {self.symbol!r} cannot be recomputed from its "
                             "inputs")
        return self._forward(xs)

    def write(self, inputs: Sequence[str]) -> str:
        """The op applied to `inputs`, in the lesson's notation: "a * b", "exp(a)"."""
        return self._write(inputs)

    def latex(self, inputs: Sequence[str]) -> str:
        """The same in LaTeX math: "a \\cdot b", "e^{a}"."""
        return self._latex(inputs)

    def local_text(self, inputs: Sequence[str], wrt: Optional[int] = None) -> str:
        """The local gradients as formulas, for every input or only input `wrt`:
        "∂(a·b)/∂a = b, ∂(a·b)/∂b = a", "∂(1/s)/∂s = −1/s²"."""
        return self._local(inputs, wrt)

    def __repr__(self) -> str:
        if self.param is None:
            return f"<op {self.name}>"
        return f"<op {self.name} {self.param!r}>"

    def __reduce__(self) -> tuple:
        if self.is_custom:
            return custom_op, (self.symbol,)
        return _restore, (self.name, self.symbol, self.param)


def _args(inputs: Sequence[str], limit: int = 4) -> str:
    return ", ".join(inputs[:limit]) + (", …" if len(inputs) > limit else "")


def _partials(formula: str, partials: Sequence[str]) -> Callable[..., str]:
    """local_text for a fixed-arity op: "∂(1/s)/∂s = −1/s²", one part per input."""

    def local_text(v: Sequence[str], wrt: Optional[int] = None) -> str:
        f = formula.format(*v)
        f = f if f.isidentifier() else f"({f})"
        wanted = range(len(partials)) if wrt is None else [wrt]
        return ", ".join(f"∂{f}/∂{v[k]} = {partials[k].format(*v)}" for k in wanted)

    return local_text


def _binary(name: str, symbol: str, forward: Forward, tex: str, formula: str,
            partials: tuple[str, str]) -> Op:
    return Op(name, symbol, None, forward,
              lambda v: f"{v[0]} {symbol} {v[1]}",
              lambda v: tex.format(*v),
              _partials(formula, partials))


def _unary(name: str, forward: Callable[[float], float], tex: str, formula: str,
           partial: str) -> Op:
    return Op(name, name, None, lambda xs: forward(xs[0]),
              lambda v: f"{name}({v[0]})",
              lambda v: tex.format(v[0]),
              _partials(formula, (partial,)))


ADD = _binary("add", "+", lambda xs: xs[0] + xs[1], "{0} + {1}", "{0} + {1}", ("1", "1"))
SUB = _binary("sub", "-", lambda xs: xs[0] - xs[1], "{0} - {1}", "{0} − {1}", ("1", "−1"))
MUL = _binary("mul", "*", lambda xs: xs[0] * xs[1], r"{0} \cdot {1}", "{0}·{1}",
              ("{1}", "{0}"))
DIV = _binary("div", "/", lambda xs: xs[0] / xs[1], r"\frac{{{0}}}{{{1}}}", "{0}/{1}",
              ("1/{1}", "−{0}/{1}²"))
POW2 = _binary("pow", "**", lambda xs: math.pow(xs[0], xs[1]), "{{{0}}}^{{{1}}}", "{0}^{1}",
               ("{1}·{0}^({1} − 1)", "{0}^{1}·ln {0}"))
NEG = Op("neg", "neg", None, lambda xs: -xs[0], lambda v: f"-{v[0]}", lambda v: f"-{v[0]}",
         _partials("−{0}", ("−1",)))
RECIPROCAL = _unary("reciprocal", lambda x: 1.0 / x, r"\frac{{1}}{{{0}}}", "1/{0}", "−1/{0}²")
EXP = _unary("exp", math.exp, "e^{{{0}}}", "e^{0}", "e^{0}")
LOG = _unary("log", math.log, r"\ln {0}", "ln {0}", "1/{0}")
SQRT = _unary("sqrt", math.sqrt, r"\sqrt{{{0}}}", "√{0}", "1/(2√{0})")
TANH = _unary("tanh", math.tanh, r"\tanh {0}", "tanh {0}", "1 − tanh²({0})")
SIGMOID = _unary("sigmoid", _sigmoid, r"\sigma({0})", "σ({0})", "σ({0})·(1 − σ({0}))")
RELU = _unary("relu", lambda x: x if x > 0.0 else 0.0, r"\max(0, {0})", "max(0, {0})",
              "1 if {0} > 0 else 0")
ABS = _unary("abs", abs, r"\lvert {0} \rvert", "|{0}|", "sign({0})")
SIN = _unary("sin", math.sin, r"\sin {0}", "sin {0}", "cos {0}")
COS = _unary("cos", math.cos, r"\cos {0}", "cos {0}", "−sin {0}")

BUILT_IN = {op.name: op for op in (ADD, SUB, MUL, DIV, POW2, NEG, RECIPROCAL, EXP, LOG, SQRT,
                                   TANH, SIGMOID, RELU, ABS, SIN, COS)}

_CACHE_LIMIT = 256  # parametrised ops kept for reuse (the same exponent is used again and again)
_POW_CACHE: dict[float, Op] = {}
_LEAKY_CACHE: dict[float, Op] = {}


def _same(param: object, x: float) -> bool:
    """The same float exactly: 0.0 and -0.0 differ, and NaN is itself."""
    return isinstance(param, float) and param.hex() == x.hex()


def pow_op(n: float) -> Op:
    """x ** n for a constant exponent n, kept exactly (`symbol` is '**2' for n = 2.0)."""
    op = _POW_CACHE.get(n)
    if op is None or not _same(op.param, n):  # (the cache's key 0.0 also finds -0.0)
        text = write_number(n)
        op = Op("pow", "**" + text, n, lambda xs: math.pow(xs[0], n),
                lambda v: f"{v[0]} ** {text}", lambda v: f"{{{v[0]}}}^{{{text}}}",
                _partials("{0}^" + text, (text + "·{0}^" + (
                    write_number(n - 1.0) if n.is_integer() else f"({text} − 1)"),)))
        if len(_POW_CACHE) < _CACHE_LIMIT:
            _POW_CACHE[n] = op
    return op


def leaky_relu_op(slope: float) -> Op:
    """leaky_relu with its slope for x ≤ 0, kept exactly."""
    op = _LEAKY_CACHE.get(slope)
    if op is None or not _same(op.param, slope):
        text = write_number(slope)
        op = Op("leaky_relu", "leaky_relu", slope,
                lambda xs: xs[0] if xs[0] > 0.0 else slope * xs[0],
                lambda v: f"leaky_relu({v[0]}, slope={text})",
                lambda v: rf"\max({text} \cdot {v[0]}, {v[0]})",
                _partials(f"leaky_relu({{0}}, {text})", (f"1 if {{0}} > 0 else {text}",)))
        if len(_LEAKY_CACHE) < _CACHE_LIMIT:
            _LEAKY_CACHE[slope] = op
    return op


def sum_op(const: float) -> Op:
    """sum of the inputs plus the constant `const` (the start and any plain-number terms)."""
    if const == 0.0 and math.copysign(1.0, const) > 0.0:
        return SUM
    text = write_number(const)
    return Op("sum", "sum", const, lambda xs: math.fsum(xs) + const,
              lambda v: f"sum({_args(v)}) + {text}",
              lambda v: r"\sum_i " + "x_i + " + text,
              _each_one)


def _each_one(v: Sequence[str], wrt: Optional[int] = None) -> str:
    return "∂/∂xᵢ = 1 for every input" if wrt is None else f"∂/∂{v[wrt]} = 1"


SUM = Op("sum", "sum", 0.0, lambda xs: math.fsum(xs), lambda v: f"sum({_args(v)})",
         lambda v: r"\sum_i x_i", _each_one)

# dot's parameter is its layout: a tuple with one entry per operand (weights, then inputs,
# then the bias if any), None where the operand is a Value (a parent, in that order) and the
# number where it is a plain-number constant. `DOT` and `DOT_BIAS` cover the usual case, every
# operand a Value.


class _DotOp(Op):
    """dot with some plain-number operands: its layout (the parameter) says where they are."""

    __slots__ = ()

    @property
    def is_custom(self) -> bool:
        return False

    def forward(self, xs: Sequence[float]) -> float:
        layout: tuple = self.param  # type: ignore[assignment]
        it = iter(xs)
        operands = [next(it) if c is None else c for c in layout]
        n = len(layout) // 2
        total = math.fsum(operands[i] * operands[n + i] for i in range(n))
        return total + operands[2 * n] if len(layout) % 2 else total


_DOT_CACHE: dict[tuple, Op] = {}


def dot_op(layout: Optional[tuple], n: int, bias: bool) -> Op:
    """w·x (+ b) over n pairs; `layout` is None when every operand is a Value."""
    if layout is None:
        return DOT_BIAS if bias else DOT
    op = _DOT_CACHE.get(layout)
    if op is None:
        op = _DotOp("dot", "dot", layout, None, _dot_write, _dot_latex, _dot_local)
        if len(_DOT_CACHE) >= 4 * _CACHE_LIMIT:  # full: start again, so that the neurons of
            _DOT_CACHE.clear()  # a layer, which all read the same inputs, share one op
        _DOT_CACHE[layout] = op
    return op


def _dot_forward(xs: Sequence[float], bias: bool) -> float:
    n = len(xs) // 2
    total = math.fsum(xs[i] * xs[n + i] for i in range(n))
    return total + xs[-1] if bias else total


def _dot_write(v: Sequence[str]) -> str:
    return f"dot({_args(v)})"


def _dot_latex(v: Sequence[str]) -> str:
    return r"\sum_i w_i x_i + b"


def _dot_local(v: Sequence[str], wrt: Optional[int] = None) -> str:
    return "∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1"


DOT = Op("dot", "dot", None, lambda xs: _dot_forward(xs, False), _dot_write, _dot_latex,
         _dot_local)
DOT_BIAS = Op("dot", "dot", "bias", lambda xs: _dot_forward(xs, True), _dot_write,
              _dot_latex, _dot_local)

_CUSTOM_CACHE: dict[str, Op] = {}


def custom_op(symbol: str) -> Op:
    """An op defined by the user (Value.from_op, or Value(data, children, op)): only its name
    is known, so it is written as a function call and cannot be recomputed."""
    op = _CUSTOM_CACHE.get(symbol)
    if op is None:
        name = symbol or "op"
        op = Op(name, symbol, None, None, lambda v: f"{name}({_args(v)})",
                lambda v: rf"\operatorname{{{_latex_name(name)}}}({', '.join(v)})",
                lambda v, wrt=None: "given by the op's own _backward")
        if len(_CUSTOM_CACHE) < _CACHE_LIMIT:
            _CUSTOM_CACHE[symbol] = op
    return op


def _latex_name(name: str) -> str:
    return "".join("\\" + c if c in "_&%$#{}" else c for c in name)


def _restore(name: str, symbol: str, param: object) -> Op:
    """The op with this name and parameter (unpickling)."""
    if name == "pow" and param is not None:
        return pow_op(param)  # type: ignore[arg-type]
    if name == "leaky_relu":
        return leaky_relu_op(param)  # type: ignore[arg-type]
    if name == "sum":
        return sum_op(param)  # type: ignore[arg-type]
    if name == "dot":
        if param in (None, "bias"):
            return dot_op(None, 0, param == "bias")
        layout: tuple = param  # type: ignore[assignment]
        # the layout has 2n operands, or 2n + 1 with a bias
        return dot_op(layout, len(layout) // 2, len(layout) % 2 == 1)
    if name in BUILT_IN and BUILT_IN[name].symbol == symbol:
        return BUILT_IN[name]
    return custom_op(symbol)
