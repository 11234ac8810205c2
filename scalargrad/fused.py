"""Fused ops of many inputs, each one node: `sum(values)` and `dot(weights, inputs, bias)`.

A neuron's pre-activation Σ wᵢ·xᵢ + b is one `dot` node instead of 2n elementary ones; its
closure is a `graph.Scaled` holding the local gradients.
"""

from __future__ import annotations

import builtins
import operator
from typing import Iterable, Sequence

from . import ops as _ops
from .graph import Scaled
from .node import Operand, _add_backward, _as_float, _make, _pass_backward
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
    # Edges in the order weights, inputs; a weight's local gradient is its input, and an
    # input's is its weight.
    operands = (*weights, *inputs)
    data = [v.data for v in operands if isinstance(v, Value)]
    if len(data) == 2 * n:  # every operand is a Value: one edge each
        parents = operands
        w_data, x_data = data[:n], data[n:]
        local = x_data + w_data
        layout_list: list[float | None] | None = None
    else:  # some operands are plain numbers: constants, with no edge
        data = []
        layout_list = []  # the op's parameter: None for a Value, else the constant
        for v in operands:
            if isinstance(v, Value):
                data.append(v.data)
                layout_list.append(None)
            else:
                x = _as_float(v, "dot")
                data.append(x)
                layout_list.append(x)
        w_data, x_data = data[:n], data[n:]
        parent_list: list[Value] = []
        local_list: list[float] = []
        for v, slope in zip(operands, (*x_data, *w_data)):
            if isinstance(v, Value):
                parent_list.append(v)
                local_list.append(slope)
        parents, local = tuple(parent_list), local_list
    if bias is None:
        total = builtins.sum(map(operator.mul, w_data, x_data), 0.0)
    else:
        bias_data = _operand_data(bias, "dot")
        total = builtins.sum(map(operator.mul, w_data, x_data), bias_data)
        if isinstance(bias, Value):
            parents += (bias,)
            local.append(1.0)
            if layout_list is not None:
                layout_list.append(None)
        elif layout_list is None:
            layout_list = [None] * (2 * n)
            layout_list.append(bias_data)
        else:
            layout_list.append(bias_data)
    if layout_list is None:  # every operand a Value: the shared declaration
        kind = _ops.DOT if bias is None else _ops.DOT_BIAS
    else:  # (declarations are cached by layout: the same constant inputs come back)
        layout = tuple(layout_list)
        kind = _ops._DOT_CACHE.get(layout) or _ops.dot_op(layout, n, bias is not None)

    # Each operand's local gradient is its partner's number (the bias's is 1), so the closure
    # is a `Scaled` holding them: downstream = upstream × each. (backward() applies its
    # products inline, without a list.)
    return _make(total, parents, Scaled(local), kind)


def _operand_data(x: Operand, op: str) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, op)
