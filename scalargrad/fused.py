"""Fused ops of many inputs, each one node: `sum(values)` and `dot(weights, inputs, bias)`.

A neuron's pre-activation Σ wᵢ·xᵢ + b is one `dot` node instead of 2n elementary ones. Its
closure is a `DotBackward` (defined here, beside `dot`) when every operand is a Value: it
reads the local gradients from the parents' numbers, copying none. With plain-number operands
it is a `graph.Scaled` holding the local gradients.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any, Iterable, Sequence

from . import graph
from . import ops as _ops
from .graph import Scaled
from .node import Operand, _add_backward, _as_float, _make, _new, _pass_backward
from .value import Value


def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:  # noqa: A001
    """f(x₁, …, xₙ) = start + x₁ + … + xₙ as one node;  ∂f/∂xᵢ = 1.

    The same result and gradients as chaining `+` left to right, with one node instead of n.
    A plain-number `start` (or term) is a constant and gets no edge.
    """
    values = list(values)
    data = [v.data for v in values if isinstance(v, Value)]
    const = 0.0  # the plain-number terms: part of the op, not parents
    if len(data) == len(values):  # every term is a Value
        parents = tuple(values)
    else:
        data = [_operand_data(v, "sum") for v in values]
        parents = tuple(v for v in values if isinstance(v, Value))
        const = builtins.sum([x for v, x in zip(values, data) if not isinstance(v, Value)], 0.0)
    if isinstance(start, Value):
        parents = (start, *parents)
        start_data = start.data
    else:
        start_data = _as_float(start, "sum")
        const = start_data + const
    total = builtins.sum(data, start_data)
    kind = _ops.sum_op(const)
    n = len(parents)
    if n == 2:
        return _make(total, parents, _add_backward, kind)
    if n == 1:
        return _make(total, parents, _pass_backward, kind)

    def _backward(upstream, n=n):
        return (upstream,) * n

    return _make(total, parents, _backward, kind)


@_ops.graph_form("sum")
def _sum_graph(node: Value, upstream: Value) -> tuple:
    """∂/∂xᵢ = 1: every input gets the upstream as it is."""
    return (upstream,) * len(node._prev)


def dot(weights: Sequence[Operand], inputs: Sequence[Operand],
        bias: Operand | None = None) -> Value:
    """f(w, x, b) = Σ wᵢ·xᵢ + b as one node;  ∂f/∂wᵢ = xᵢ,  ∂f/∂xᵢ = wᵢ,  ∂f/∂b = 1.

    A neuron's pre-activation in a single node. `weights` and `inputs` must have the same
    length (no silent truncation); plain numbers among them are constants and get no edge.
    """
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"dot: {n} weights but {len(inputs)} inputs; "
                         "expected the same number of each")
    # Edges in the order weights, inputs, bias; a weight's local gradient is its input, an
    # input's is its weight and the bias's is 1.
    if n and type(inputs[0]) is float:  # a first layer: numbers in, only the weights are nodes
        node = _dot_with_number_inputs(weights, inputs, bias, n)
        if node is not None:
            return node
    operands = (*weights, *inputs) if bias is None else (*weights, *inputs, bias)
    try:  # the usual case, every operand a Value: a plain number has no .data
        total = builtins.sum(map(operator.mul, [w.data for w in weights],  # type: ignore
                                 [x.data for x in inputs]),  # type: ignore[union-attr]
                             0.0 if bias is None else bias.data)  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # (TypeError: a numpy scalar's .data is a buffer)
        return _dot_with_constants(operands, n, bias is not None)
    if type(total) is not float:  # something else with a .data (a tensor, say)
        return _dot_with_constants(operands, n, bias is not None)
    # The local gradients are the parents' own numbers (every operand is a Value: .data worked)
    # and the closure reads them.
    back = _new(DotBackward)
    back.parents = operands  # type: ignore[assignment]
    return _make(total, operands, back, _ops.DOT if bias is None else _ops.DOT_BIAS)


class DotBackward:
    """dot's `_backward` closure when every operand is a Value: upstream in, each parent's
    downstream out. A weight's local gradient is its input's number, an input's is its
    weight's and the bias's is 1, so weight i gets upstream × xᵢ, input i upstream × wᵢ and
    the bias the upstream.

    The numbers are read from the parents when it is called (as micrograd's closures read
    `other.data`), so no local gradient is copied per node; it holds the node's parents
    tuple (`parents`, weights then inputs then the bias), never the node. backward()
    (`graph.backward`) adds the same products inline instead of calling it."""

    __slots__ = ("parents",)

    parents: tuple[Value, ...]

    def __call__(self, upstream: float) -> list[float]:
        parents = self.parents
        n = len(parents) >> 1
        downs = [x.data * upstream for x in parents[n:2 * n]]
        downs += [w.data * upstream for w in parents[:n]]
        if len(parents) & 1:
            downs.append(upstream)
        return downs

    def __repr__(self) -> str:
        n = len(self.parents) >> 1
        bias = " and a bias" if len(self.parents) & 1 else ""
        return f"<dot backward of {n} weight{'s' if n != 1 else ''}{bias}>"


graph._DotBackward = DotBackward  # (backward() applies it inline)


@_ops.graph_form("dot")
def _dot_graph(node: Value, upstream: Value) -> tuple:
    """A weight's downstream is upstream × its input, an input's upstream × its weight (a
    Value, or a constant where the operand was a number), the bias's the upstream."""
    parents = node._prev
    layout: Any = node._kind.param  # type: ignore[union-attr]
    if layout is None or layout == "bias":  # every operand a Value
        operands: list = list(parents)
        has_bias = layout == "bias"
    else:
        it = iter(parents)
        operands = [next(it) if c is None else c for c in layout]
        has_bias = len(layout) % 2 == 1
    n = (len(operands) - has_bias) // 2
    downs = []
    for k, v in enumerate(operands):
        if isinstance(v, Value):
            partner = 1.0 if k == 2 * n else operands[k + n] if k < n else operands[k - n]
            downs.append(upstream * partner)
    return tuple(downs)


def _dot_with_number_inputs(weights: Sequence[Operand], inputs: Sequence[Operand],
                            bias: Operand | None, n: int) -> Value | None:
    """`dot` for Value weights (and bias) and float inputs, or None if they are not that.

    The inputs are constants: kept in the op's layout, no edge; the weights' local
    gradients are those numbers (and the bias's is 1)."""
    if (n > len(_UNKNOWN) or not _FLOAT.issuperset(map(type, inputs))
            or not _VALUE.issuperset(map(type, weights))):
        return None
    if bias is None:
        parents = tuple(weights)
        local = Scaled(inputs)
        layout = (*_UNKNOWN[:n], *inputs)
        start = 0.0
    elif type(bias) is Value:
        parents = (*weights, bias)
        local = Scaled((*inputs, 1.0))
        layout = (*_UNKNOWN[:n], *inputs, None)
        start = bias.data
    else:
        return None
    total = builtins.sum(map(operator.mul, [w.data for w in weights],  # type: ignore
                             inputs), start)
    # (declarations are cached by layout: the same constant inputs come back every epoch)
    kind = _ops._DOT_CACHE.get(layout) or _ops.dot_op(layout, n, bias is not None)
    return _make(total, parents, local, kind)


_FLOAT = frozenset([float])
_VALUE = frozenset([Value])
_UNKNOWN = (None,) * 64  # a layout's entries for Value operands (longer rows: the general path)


def _dot_with_constants(operands: tuple, n: int, has_bias: bool) -> Value:
    """`dot` when some operands are plain numbers (or Value subclasses): the numbers are
    constants, kept in the op's layout, and get no edge."""
    data: list[float] = []
    layout_list: list[float | None] = []  # the op's parameter: None for a Value, else the number
    values = []
    for v in operands:
        if isinstance(v, Value):
            data.append(v.data)
            layout_list.append(None)
            values.append(True)
        else:
            x = _as_float(v, "dot")
            data.append(x)
            layout_list.append(x)
            values.append(False)
    # each operand's partner: weight i <-> input i; the bias's local gradient is 1
    partner = data[n:2 * n] + data[:n] + ([1.0] if has_bias else [])
    parents = tuple([v for v, is_value in zip(operands, values) if is_value])
    local = [slope for slope, is_value in zip(partner, values) if is_value]
    total = builtins.sum(map(operator.mul, data[:n], data[n:2 * n]),
                         data[-1] if has_bias else 0.0)
    if all(values):  # Value subclasses: the same node as the usual case
        back = _new(DotBackward)
        back.parents = operands
        return _make(total, operands, back, _ops.DOT_BIAS if has_bias else _ops.DOT)
    layout = tuple(layout_list)
    # (declarations are cached by layout: the same constant inputs come back)
    kind = _ops._DOT_CACHE.get(layout) or _ops.dot_op(layout, n, has_bias)
    # Fixed local gradients, held by a `Scaled`: downstream = upstream × each.
    return _make(total, parents, Scaled(local), kind)


def _operand_data(x: Operand, op: str) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, op)
