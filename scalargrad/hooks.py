"""Gradient hooks: `v.register_hook(fn)` calls `fn(grad)` with the gradient arriving at `v`
during backward (its whole gradient: every consumer's share added up), and uses what `fn`
returns, if not None, in its place — for `v.grad` and for everything upstream of `v`.

As in PyTorch, the handle's `remove()` takes the hook off again. While any hook is
registered, `backward()` runs the dict-based walk of `backward_graph` (which calls them);
with none, its usual pass, at its usual speed.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import backward_graph, graph

if TYPE_CHECKING:
    from .value import Value

Hook = Callable[[Any], Optional[Any]]

_ids = itertools.count()
_lock = threading.Lock()


class RemovableHandle:
    """What `register_hook` returns: `remove()` takes the hook off (twice is harmless)."""

    __slots__ = ("_node", "_id")

    def __init__(self, node: Value, hook_id: int) -> None:
        self._node: Optional[Value] = node
        self._id = hook_id

    def remove(self) -> None:
        node, self._node = self._node, None
        if node is None:
            return
        hooks = getattr(node, "_hooks", None)
        if hooks is not None and hooks.pop(self._id, None) is not None:
            with _lock:
                graph._hooks_live -= 1

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<hook handle {self._id}{'' if self._node is not None else ' (removed)'}>"


def register_hook(node: Value, fn: Hook) -> RemovableHandle:
    """Call `fn(grad)` with the gradient arriving at `node` in every backward pass."""
    if not callable(fn):
        raise TypeError(f"register_hook expects a function of the gradient, got "
                        f"{type(fn).__name__} {fn!r}")
    hooks = node.__dict__.setdefault("_hooks", {})
    hook_id = next(_ids)
    hooks[hook_id] = fn
    with _lock:
        graph._hooks_live += 1
    return RemovableHandle(node, hook_id)


def _hooked_backward(root: Value, grad: float) -> None:
    backward_graph.backward(root, grad, create_graph=False)


graph._hooked_backward = _hooked_backward
