"""Finding one node of a narrated pass by the Value itself or by its name (the traces'
`step(name_or_node)`), with an error that names what was asked and what there is."""

from __future__ import annotations

from typing import Sequence, Union

from scalargrad.value import Value

NodeRef = Union[Value, str]


class NodeLookup:
    """Where each node stands in a pass's order; called with a Value or a name, its position."""

    def __init__(self, order: Sequence[Value], names: Sequence[str]) -> None:
        self._names = list(names)
        self._index = {node: i for i, node in enumerate(order)}
        self._by_name = {name: i for i, name in enumerate(names)}

    def __call__(self, ref: NodeRef) -> int:
        if isinstance(ref, Value):
            if ref not in self._index:
                raise KeyError(f"{ref!r} is not a node of this trace's graph")
            return self._index[ref]
        if ref not in self._by_name:
            raise KeyError(f"no node named {ref!r} in this trace; names: "
                           f"{', '.join(self._names[:20])}{' …' if len(self._names) > 20 else ''}")
        return self._by_name[ref]
