"""Gradient hooks: `v.register_hook(fn)` calls `fn(grad)` with the gradient arriving at `v`
during backward (its whole gradient: every consumer's share added up), and uses what `fn`
returns, if not None, in its place — for `v.grad` and for everything upstream of `v`.

A hook returns None, a real number (int, float, a numpy scalar) or a Value; anything else
is a TypeError naming the hook and the node. In a plain backward the gradients are floats,
so a Value returned gives its number; with `create_graph=True` they are Values, so a number
returned becomes a constant (`backward_graph.run_hooks`).

As in PyTorch, the handle's `remove()` takes the hook off again. While any hook is
registered, `backward()` runs the dict-based walk of `backward_graph` (which calls them);
with none, its usual pass, at its usual speed. A hook also goes when its node is garbage
collected (a notebook that drops a hooked Value gets its fast pass back). Inside
`detect_anomaly()` the checked pass runs, and calls the hooks too.
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
_lock = threading.RLock()  # (re-entrant: a node's hooks may be collected while it is held)


class _Hooks(dict):
    """A node's hooks by id, each counted in `graph._hooks_live` until removed or until this
    dict (so its node) is collected. Copies of a node share it (copying.py copies attributes
    shallowly), so each hook is counted once; an unpickled one is counted again."""

    __slots__ = ()

    def __del__(self) -> None:
        if self and _count is not None:  # (None while the interpreter shuts down)
            _count(-len(self))

    def __reduce__(self) -> tuple:
        return (_restored, (dict(self),))


def _restored(items: dict) -> _Hooks:
    hooks = _Hooks(items)
    _count(len(hooks))
    return hooks


def _count(change: int) -> None:
    with _lock:
        graph._hooks_live += change


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
            _count(-1)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<hook handle {self._id}{'' if self._node is not None else ' (removed)'}>"


def register_hook(node: Value, fn: Hook) -> RemovableHandle:
    """Call `fn(grad)` with the gradient arriving at `node` in every backward pass; what it
    returns (None, a real number or a Value) replaces that gradient unless None."""
    if not callable(fn):
        raise TypeError(f"register_hook expects a function of the gradient, got "
                        f"{type(fn).__name__} {fn!r}")
    hooks = node.__dict__.get("_hooks")
    if not isinstance(hooks, _Hooks):
        hooks = node.__dict__["_hooks"] = _Hooks(hooks or {})
        _count(len(hooks))
    hook_id = next(_ids)
    hooks[hook_id] = fn
    _count(1)
    return RemovableHandle(node, hook_id)


def _hooked_backward(root: Value, grad: float) -> None:
    backward_graph.backward(root, grad, create_graph=False)


graph._hooked_backward = _hooked_backward
