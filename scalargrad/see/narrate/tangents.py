"""The forward tangent pass, narrated: tangent in × local gradient = contribution, node by node.

`explain_tangents(root, {x: 1.0})` walks the graph of `root` in topological order (the order
the forward pass computed it) and carries a *tangent* with every value: how fast that value
moves when the inputs move in the direction given. A leaf's tangent is given (1.0 for x above;
a leaf given none is held fixed, tangent 0). For every other node and each input it was
computed from, the input's tangent (its *tangent in*) × the *local gradient* ∂node/∂input is
that input's *contribution*, and the node's *tangent out* is the sum of its contributions:

    f = h + g:   f.tangent = 2.0 + 3.0 = 5.0

The root's tangent is the directional derivative of the output in the direction given.

The pass is the engine's own (`scalargrad.tangents.tangent_pass`, the rule forward mode's dual
numbers follow), and its local gradients are the very numbers the backward pass multiplies by:
each op's own `_backward` closure, called with upstream 1 (one op, one place). Forward mode
reads them in the other direction: backward sends upstream × local gradient from a node *to*
its inputs; forward gathers tangent in × local gradient *from* the inputs into the node. A
constant (a leaf given no tangent) moves not at all: it contributes 0, even next to an
infinite local gradient. Nothing is run backward and no `.grad` is read or changed.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Optional, Sequence

from scalargrad.graph import topological_order
from scalargrad.node import _as_float
from scalargrad.see.display.tables import html_table, markdown_table
from scalargrad.see.narrate.lookup import NodeLookup, NodeRef
from scalargrad.see.text import format_number, node_names, safe_text
from scalargrad.tangents import tangent_pass
from scalargrad.value import Value

__all__ = ["TangentContribution", "TangentStep", "TangentTrace", "explain_tangents"]


class TangentContribution(NamedTuple):
    """One edge of the tangent pass: what one input adds to the tangent of the node it feeds."""

    input_index: int  # the input's topological index
    input_name: str
    tangent_in: float  # the input's tangent
    local: float  # ∂node/∂input: the same number the backward pass multiplies by
    contribution: float  # tangent in × local gradient
    moves: bool = True  # False: the input is a constant (no tangent reaches it), adding 0


class TangentStep(NamedTuple):
    """One node of the tangent pass: its value, and its tangent as the sum of its inputs'
    contributions (a leaf: the tangent given to it, or 0 when it is held fixed)."""

    index: int  # type: ignore[assignment]  # topological index (0 = first leaf, len - 1 = the root)
    name: str
    op: str  # "" for a leaf
    data: float
    inputs: tuple[TangentContribution, ...]  # one per use of an input, in argument order
    tangent: float  # the tangent out
    given: bool = False  # a leaf whose tangent was given (not held fixed)

    @property
    def is_leaf(self) -> bool:
        return not self.inputs

    def formula(self, digits: int = 6) -> str:
        """The tangent as text: "f.tangent = 2.0 + 3.0 = 5.0" (the contributions summed),
        "y.tangent = -1.0 × -0.25 = 0.25" (one input: tangent in × local gradient),
        "x.tangent = 1.0 (given)"."""
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        head = f"{self.name}.tangent = "
        if self.is_leaf:
            return head + fmt(self.tangent) + (" (given)" if self.given else
                                               " (held fixed: no tangent given)")
        if len(self.inputs) == 1:  # one input: its contribution written out
            c = self.inputs[0]
            if not c.moves:
                return f"{head}{fmt(self.tangent)} ({c.input_name} does not move)"
            return f"{head}{fmt(c.tangent_in)} × {fmt(c.local)} = {fmt(self.tangent)}"
        joined = " + ".join(fmt(c.contribution) for c in self.inputs).replace("+ -", "- ")
        return f"{head}{joined} = {fmt(self.tangent)}"

    def __str__(self) -> str:
        return self.formula()


_COLUMNS = ("node", "op", "data", "input", "tangent in", "local grad", "contribution",
            "tangent out")
_ALIGN = "llrlrrrr"
# A notebook shows a trace whole up to this many rows (and sums); print() always shows all.
ROWS = 400


class TangentTrace:
    """A narrated tangent pass: `steps` in topological order (the forward pass's order).

    `str(trace)` is a readable table followed by every tangent as a sum; in Jupyter it shows
    as an HTML table (`_repr_html_`) or Markdown (`to_markdown()`), every label escaped.
    `trace.step(name_or_node)` looks one node up, `trace.tangent(name_or_node)` reads its
    tangent and `trace.output` is the root's: the directional derivative.
    """

    def __init__(self, order: Sequence[Value], names: Sequence[str],
                 steps: Sequence[TangentStep],
                 unused: Sequence[tuple[str, float]] = ()) -> None:
        self.steps: tuple[TangentStep, ...] = tuple(steps)
        # inputs given a tangent that the output does not depend on: (name, tangent)
        self.unused: tuple[tuple[str, float], ...] = tuple(unused)
        self.root_name = names[-1]
        self._lookup = NodeLookup(order, names)  # a Value or a name -> its position in order

    @property
    def output(self) -> float:
        """The root's tangent: the directional derivative of the output along the tangents."""
        return self.steps[-1].tangent

    @property
    def seeds(self) -> tuple[tuple[str, float], ...]:
        """The tangents given, as (leaf name, tangent) in topological order."""
        return tuple((s.name, s.tangent) for s in self.steps if s.given)

    def step(self, ref: NodeRef) -> TangentStep:
        """The step of one node, by Value or by name."""
        return self.steps[self._lookup(ref)]

    def tangent(self, ref: NodeRef) -> float:
        """One node's tangent, by Value or by name."""
        return self.step(ref).tangent

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return (f"TangentTrace({len(self.steps)} nodes, {self.root_name}.tangent = "
                f"{format_number(self.output)})")

    def title(self, digits: int = 6) -> str:
        """The first line: the direction, and the rule."""
        return (f"Tangent pass (forward mode) to {self.root_name}, tangents in: "
                f"{self.direction(digits)} (contribution = tangent in × local grad; "
                "tangent out = sum of the contributions)")

    def direction(self, digits: int = 6) -> str:
        """The tangents given, as text: "x = 1.0, y = -2.0", or that none was given."""
        given = ", ".join(f"{name} = {format_number(t, digits)}" for name, t in self.seeds)
        return given or "none given (every input held fixed)"

    def conclusion(self, digits: int = 6) -> str:
        """The last line: what the root's tangent means."""
        seeds = self.seeds
        names = ", ".join(name for name, _ in seeds)
        speeds = ", ".join(format_number(t, digits) for _, t in seeds)
        moving = ("every input is held fixed" if not seeds else
                  f"{names} moves at speed {speeds}" if len(seeds) == 1 else
                  f"{names} move at speeds {speeds}")
        return (f"{self.root_name}.tangent = {format_number(self.output, digits)}: the "
                f"directional derivative of {self.root_name} along {self.direction(digits)} "
                f"(how fast {self.root_name} moves when {moving})")

    def rows(self, digits: int = 6) -> list[tuple[str, ...]]:
        """The table's rows as strings: one per (node, input) edge, one per leaf; a node's
        tangent out stands on its last row, under the contributions it sums."""
        fmt = lambda x: format_number(x, digits)  # noqa: E731
        rows: list[tuple[str, ...]] = []
        for s in self.steps:
            head = (s.name, s.op or "leaf", fmt(s.data))
            if not s.inputs:
                rows.append((*head, "", "given" if s.given else "held fixed", "", "",
                             fmt(s.tangent)))
            last = len(s.inputs) - 1
            for k, c in enumerate(s.inputs):
                cells = head if k == 0 else ("", "", "")
                rows.append((*cells, c.input_name, fmt(c.tangent_in), fmt(c.local),
                             fmt(c.contribution), fmt(s.tangent) if k == last else ""))
        return rows

    def _sums(self, digits: int, limit: int | None) -> list[str]:
        steps = self.steps if limit is None else self.steps[:limit]
        out = [s.formula(digits) for s in steps]
        if limit is not None and len(self.steps) > limit:
            out.append(f"… {len(self.steps) - limit} more sums (print() shows them all)")
        out += [f"{name} (tangent {format_number(t, digits)}) is not in the graph of "
                f"{self.root_name}: {self.root_name} does not depend on it, so it adds nothing"
                for name, t in self.unused]
        return [*out, self.conclusion(digits)]

    def to_text(self, digits: int = 6) -> str:
        """The trace as a plain-text table followed by every tangent as a sum."""
        rows = [_COLUMNS, *self.rows(digits)]
        widths = [max(len(r[k]) for r in rows) for k in range(len(_COLUMNS))]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        out = [self.title(digits), "", line(rows[0]), line(tuple("-" * w for w in widths))]
        out.extend(line(r) for r in rows[1:])
        out += ["", "Tangents (each the sum of the contributions of its inputs):"]
        out.extend("  " + s for s in self._sums(digits, None))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self, digits: int = 6) -> str:
        """The trace as a Markdown table and a list of sums, every label escaped."""
        rows = self.rows(digits)
        return markdown_table(_COLUMNS, rows, title=self.title(digits), align=_ALIGN,
                              footer=self._sums(digits, None), max_rows=len(rows))

    def _repr_markdown_(self) -> str:
        rows = self.rows()
        return markdown_table(_COLUMNS, rows, title=self.title(), align=_ALIGN,
                              footer=self._sums(6, ROWS), max_rows=ROWS)

    def _repr_html_(self) -> str:  # Jupyter: the table, with every label HTML-escaped
        return html_table(_COLUMNS, self.rows(), title=self.title(), align=_ALIGN,
                          footer=self._sums(6, ROWS), max_rows=ROWS)


def explain_tangents(root: Value, tangents: Mapping[NodeRef, float]) -> TangentTrace:
    """The forward tangent pass to `root`, narrated node by node (see the module docstring).

    `tangents` maps inputs (leaf Values, or their names as the trace writes them) to their
    tangents: `{x: 1.0}` asks how fast `root` moves as x moves, `{x: 1.0, y: -1.0}` along a
    direction in (x, y). Leaves not named are held fixed (tangent 0). Returns a
    `TangentTrace`; `trace.output` is the directional derivative. No `.grad` is changed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain_tangents expected a Value (the output of a graph), got "
                        f"{type(root).__name__}")
    if not isinstance(tangents, Mapping):
        raise TypeError("explain_tangents: tangents must be a dict from inputs (leaf Values "
                        f"or their names) to numbers, like {{x: 1.0}}; got "
                        f"{type(tangents).__name__}")
    order = topological_order(root)
    names = node_names(order)
    seeds, unused = _seeds(order, names, tangents)
    index = {node: i for i, node in enumerate(order)}
    found: list[TangentStep | None] = [None] * len(order)

    def visit(i: int, node: Value, edges: Sequence[tuple[Value, float, Optional[float]]],
              tangent: Optional[float]) -> None:
        # (parent, local gradient, tangent in) per edge; None: a constant, which moves not
        contributions = []
        for parent, local, tangent_in in edges:
            j = index[parent]
            if tangent_in is None:
                contributions.append(TangentContribution(j, names[j], 0.0, local, 0.0, False))
            else:
                contributions.append(TangentContribution(j, names[j], tangent_in, local,
                                                         local * tangent_in))
        found[i] = TangentStep(i, names[i], safe_text(node._op), node.data,
                               tuple(contributions), 0.0 if tangent is None else tangent)

    # The engine's own tangent pass: tangent out = Σ local gradient × tangent in.
    values = tangent_pass(order, {order[i]: t for i, t in seeds.items()}, visit)
    steps = [s if s is not None else
             TangentStep(i, names[i], "", order[i].data, (), values[i], i in seeds)
             for i, s in enumerate(found)]
    return TangentTrace(order, names, steps, unused)


def _seeds(order: Sequence[Value], names: Sequence[str],
           tangents: Mapping[NodeRef, float]
           ) -> tuple[dict[int, float], list[tuple[str, float]]]:
    """The given tangents by topological index, and those of Values the output does not
    depend on (by name: they add nothing, as `gradients` gives them 0); a clear error for
    anything else."""
    index = {node: i for i, node in enumerate(order)}
    by_name = {name: i for i, name in enumerate(names)}
    seeds: dict[int, float] = {}
    unused: list[tuple[str, float]] = []
    for ref, tangent in tangents.items():
        if isinstance(ref, Value):
            if ref not in index:
                name = safe_text(ref.label) if ref.label else repr(ref)
                what = f"explain_tangents: the tangent of {name}"
                unused.append((name, _as_float(tangent, what)))
                continue
            i = index[ref]
        elif isinstance(ref, str):
            if ref not in by_name:
                raise KeyError(f"explain_tangents: no node named {ref!r} in the graph; the "
                               f"inputs are: {_leaves(order, names)}")
            i = by_name[ref]
        else:
            raise TypeError(f"explain_tangents: a tangent's key must be an input (a leaf Value "
                            f"or its name), got {type(ref).__name__} {ref!r}")
        if order[i]._prev:
            raise ValueError(f"explain_tangents: {names[i]} is computed by {order[i]._op!r}, "
                             "not an input: tangents are given to leaves, and every other "
                             f"tangent follows from them; the inputs are: {_leaves(order, names)}")
        if i in seeds:
            raise ValueError(f"explain_tangents: {names[i]} is given a tangent twice")
        seeds[i] = _as_float(tangent, f"explain_tangents: the tangent of {names[i]}")
    return seeds, unused


def _leaves(order: Sequence[Value], names: Sequence[str]) -> str:
    leaves = [name for node, name in zip(order, names) if not node._prev]
    return ", ".join(leaves[:20]) + (" …" if len(leaves) > 20 else "")
