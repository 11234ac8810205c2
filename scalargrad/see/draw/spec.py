"""What to draw: one description of a graph (`GraphSpec`) shared by the DOT, matplotlib and
frame renderers, with names for parameters, inputs and intermediate values."""

from __future__ import annotations

import re
from typing import (
    Any,
    Collection,
    Mapping,
    NamedTuple,
    Sequence,
    Union,
)

from scalargrad import graph as graph_walk
from scalargrad.graph import topological_order
from scalargrad.see.narrate.check import GraphCheck, check_graph
from scalargrad.see.text import node_names, one_line
from scalargrad.value import Value

CheckOption = Union[bool, GraphCheck, None]
ParamsOption = Any  # Values, or a model with named_parameters()
NamesOption = Union[Mapping[Value, str], Mapping[str, Value], None]


DEFAULT_MAX_NODES = 500


# -- what to draw: one description shared by the DOT, matplotlib and frame renderers ------------


class NodeSpec(NamedTuple):
    index: int  # type: ignore[assignment]  # topological index
    name: str
    op: str
    data: float
    grad: float
    role: str  # "output", "param", "input", "const" or "interior"
    bad: bool  # a gradient check failed here (leaf gradient or one of its local gradients)
    absorbed: tuple[str, ...]  # leaves drawn inside this node (collapse=)
    hidden: int  # uses of inputs that are not drawn (max_nodes / max_depth)


class EdgeSpec(NamedTuple):
    parent: int  # topological index of the input
    child: int  # topological index of the node that uses it
    position: int  # argument position in the child's op
    local: float  # ∂child/∂parent for this use
    downstream: float  # child.grad × local
    bad: bool
    upstream: float = 0.0  # child.grad: the gradient arriving at the child


class GraphSpec(NamedTuple):
    nodes: tuple[NodeSpec, ...]  # in topological order
    edges: tuple[EdgeSpec, ...]  # by child, then argument position
    total: int  # nodes in the whole graph


def graph_spec(root: Value, *, params: ParamsOption = (), max_nodes: int | None =
               DEFAULT_MAX_NODES, max_depth: int | None = None, collapse: Collection[str] = (),
               check: CheckOption = None, names: NamesOption = None) -> GraphSpec:
    """Decide what to draw: which nodes (limited by depth and count), their names, roles, edges.

    `params` is a list of parameters or a model (anything with `named_parameters()`, such as
    an `nn.MLP`): a model also names its parameters after their place in it (`w1[0,2]` is
    layer 1, neuron 0, weight 2; `b1[0]` its bias) and each neuron's pre-activation `z1[0]`
    and activation `h1[0]` (labels you set win). `names` maps Values to names (or names to
    Values) and wins over both. `max_depth` keeps nodes at most that many edges from the root;
    `max_nodes` then keeps the nodes nearest the root. Inputs left out are summarised as
    "… N more" on their consumer. `collapse` names ops (e.g. {"dot"}) whose node absorbs the
    leaves used by it alone (a neuron's weights and bias, named inside the op node), so a whole
    MLP stays readable.
    """
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    n = len(order)
    param_list, model_names = _params_and_names(params)
    result = _resolve_check(root, check)
    bad_nodes: set[int] = set()
    bad_edges: set[tuple[int, int]] = set()
    if result is not None:
        if result.size != n:
            raise ValueError("draw: check= is a GraphCheck of a different graph "
                             f"({result.size} nodes, this one has {n})")
        bad_nodes, bad_edges = set(result.bad_nodes), set(result.bad_edges)

    # Shortest distance from the root, and each node's distinct consumers (reverse topo order).
    dist = [n] * n  # n: not reached (never left so: every node is under the root)
    dist[n - 1] = 0
    consumers: list[set[int]] = [set() for _ in range(n)]
    for i in range(n - 1, -1, -1):
        d = dist[i]
        for parent in order[i]._prev:
            j = index[parent]
            consumers[j].add(i)
            if dist[j] > d + 1:
                dist[j] = d + 1
    shown = _names(order, consumers, model_names, names)

    collapse = frozenset(collapse)
    absorbed: dict[int, list[int]] = {}
    absorbed_into: set[int] = set()
    for i, node in enumerate(order):
        if _op_text(node) in collapse:
            for parent in dict.fromkeys(node._prev):
                j = index[parent]
                if not parent._prev and consumers[j] == {i} and j != n - 1:
                    absorbed.setdefault(i, []).append(j)
                    absorbed_into.add(j)

    candidates = [i for i in range(n) if i not in absorbed_into
                  and (max_depth is None or dist[i] <= max_depth)]
    if max_nodes is not None and len(candidates) > max_nodes:
        candidates.sort(key=lambda i: (dist[i], -i))
        candidates = candidates[:max(1, max_nodes)]
    kept = set(candidates) | {n - 1}

    param_set = set(param_list)
    nodes = []
    edges = []
    for i, node in enumerate(order):
        if i not in kept:
            continue
        if i == n - 1:
            role = "output"
        elif node in param_set:
            role = "param"
        elif node._prev:
            role = "interior"
        else:
            role = "input" if node.label else "const"
        hidden = 0
        for k, (parent, local, down) in enumerate(graph_walk.edges(node, node.grad)):
            j = index[parent]
            if j in kept:
                edges.append(EdgeSpec(j, i, k, local, down, (i, k) in bad_edges, node.grad))
            elif j not in absorbed.get(i, ()):
                hidden += 1
        bad = i in bad_nodes or any(j in bad_nodes for j in absorbed.get(i, ()))
        nodes.append(NodeSpec(i, shown[i], one_line(_op_text(node)), node.data, node.grad,
                              role, bad, tuple(shown[j] for j in absorbed.get(i, ())), hidden))
    return GraphSpec(tuple(nodes), tuple(edges), n)


def _op_text(node: Value) -> str:
    """The op that made `node`, as a graph writes it ("" for a leaf)."""
    return node._op


def _params_and_names(params: ParamsOption) -> tuple[list[Value], dict[Value, str]]:
    """The parameters to colour, and their names when `params` is a model."""
    named = getattr(params, "named_parameters", None)
    if callable(named):
        pairs = named()
        return [v for _, v in pairs], {v: parameter_name(path) for path, v in pairs}
    if isinstance(params, Value):
        return [params], {}
    try:
        return list(params), {}
    except TypeError:
        raise TypeError("params= expects Values or a model with named_parameters(), got "
                        f"{type(params).__name__}") from None


def parameter_name(path: str) -> str:
    """A short name for a parameter from its dotted path in a model.

    "layers.0.neurons.3.w.1" → "w1[3,1]" (layer 1, neuron 3, weight 1), "layers.2.neurons.0.b"
    → "b3[0]", "neurons.2.b" → "b[2]", "w.0" → "w[0]". Layers count from 1, as in h1, h2.
    """
    parts = path.split(".")
    base, layer, indices = path, "", []
    k = 0
    while k < len(parts):
        part = parts[k]
        if part == "layers" and k + 1 < len(parts) and parts[k + 1].isdigit():
            layer = str(int(parts[k + 1]) + 1)
            k += 2
            continue
        if part.isdigit():
            indices.append(part)
        else:
            base = part
        k += 1
    return base + layer + (f"[{','.join(indices)}]" if indices else "")


def _names(order: Sequence[Value], consumers: Sequence[set[int]],
           model_names: dict[Value, str], names: NamesOption) -> list[str]:
    """Every node's name: `names=` first, then a model's names, then labels, then v<i>."""
    result = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    for node, name in model_names.items():
        i = index.get(node)
        if i is None:
            continue
        result[i] = name
        if not re.fullmatch(r"b\d*(\[[\d,]*\])?", name):
            continue
        # a neuron: its bias → (the dot node, or a chain of +) → pre-activation z → activation h
        j = i
        while len(consumers[j]) == 1:
            (c,) = consumers[j]
            plus = _op_text(order[c]) == "+"
            if j == i or plus:
                j = c
            if not plus:
                break
        if j == i:
            continue
        z, h = "z" + name[1:], "h" + name[1:]
        if not order[j].label:
            result[j] = z
        if len(consumers[j]) == 1:
            (a,) = consumers[j]
            if len(order[a]._prev) == 1 and not order[a].label:
                result[a] = h
    if names:
        items: list[tuple[Any, Any]] = list(names.items())
        for key, value in items:
            node, name = (value, key) if isinstance(key, str) else (key, value)
            if not isinstance(node, Value) or not isinstance(name, str):
                raise TypeError("names= maps Values to names (or names to Values), got "
                                f"{type(key).__name__} → {type(value).__name__}")
            if node in index:
                result[index[node]] = name
    return [one_line(name) for name in result]  # names= too are shown as labels are


def _resolve_check(root: Value, check: CheckOption) -> GraphCheck | None:
    if check is None or check is False:
        return None
    if check is True:
        return check_graph(root)
    if isinstance(check, GraphCheck):
        return check
    raise TypeError(f"check= expects True, False, None or a GraphCheck, got {type(check).__name__}")
