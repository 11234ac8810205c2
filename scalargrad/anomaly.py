"""Anomaly detection: stop at the first NaN or infinity, and say which line of code made it.

    with scalargrad.detect_anomaly():
        loss = model(x)
        loss.backward()

Inside the block:

* **forward** — every op checks its result; the first NaN or ±inf raises `AnomalyError` naming
  the op and its input values (and labels). It is raised while the node is being made, so the
  traceback ends at the line that made it, and the message names that line too.
* every node made in the block remembers where in the user's code it was created;
* **backward** — every downstream gradient (upstream × local gradient) and every sum it is
  added into is checked; the first NaN or ±inf raises `AnomalyError` naming the node's op and
  label, its inputs, the local gradient, the upstream gradient and where the node was created.
  Before anything is accumulated, backward also refuses a graph one of whose inputs had its
  `data` changed after the forward pass (the gradient would be the one at the old value).

Off by default and almost free when off (an op looks at its thread's modes only while some
thread has a mode block open). Inside, every op costs a finiteness check and a stack capture
(a few times slower): a debugging mode. Like `no_grad()`, the mode is per thread: a block in
one thread never checks or raises in another, and a new thread starts with it off. It nests
with itself and with `no_grad()`/`enable_grad()` in any order. A node's creation stack is kept
in the node's own attributes (`node.__dict__`), only for nodes made inside the block.
"""

from __future__ import annotations

import linecache
import math
import os
import sys
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Iterator, Sequence

from . import graph
from . import node as _node
from .backward_graph import run_hooks
from .grad_mode import _mode
from .modes import _modes
from .ops import Op
from .value import Value

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled"]

_MAX_FRAMES = 32  # how much of the stack a node remembers
_LIBRARY_DIRS = tuple(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   name) + os.sep for name in ("scalargrad", "nn"))
_STACKS: dict[tuple, tuple] = {}  # creation stacks seen while any anomaly block is open
_open_blocks = 0  # anomaly blocks open in all threads (the stack cache is cleared at 0)
_lock = threading.Lock()


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared in forward or backward inside `detect_anomaly()`.

    Attributes: `phase` ("forward" or "backward"), `op` (the op's name), `label` (the node's
    label, "" if unset), `inputs` (the input values), `where` ("file:line in function" of the
    user's code that created the node, or None if unknown) and `stack` (the creation stack,
    innermost first, as "file:line in function" strings).
    """

    def __init__(self, message: str, *, phase: str, op: str, label: str,
                 inputs: Sequence[float], where: str | None, stack: Sequence[str]) -> None:
        super().__init__(message)
        self.phase = phase
        self.op = op
        self.label = label
        self.inputs = tuple(inputs)
        self.where = where
        self.stack = tuple(stack)


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` (in this thread)."""
    return _modes.anomaly > 0


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise `AnomalyError` at the first NaN/inf made in forward or backward inside the block
    (this thread only)."""
    global _open_blocks
    with _lock:
        _open_blocks += 1
    try:
        with _mode(anomaly=1):
            yield
    finally:
        with _lock:
            _open_blocks -= 1
            if _open_blocks == 0:
                _STACKS.clear()


# -- forward --------------------------------------------------------------------------------


def _check_forward(node: Value, parents: tuple, kind: Op, recording: bool) -> None:
    """Called by every op inside the mode: raise on a non-finite result; remember where a
    recorded node was created and its inputs' values (for the stale-input check)."""
    if not math.isfinite(node.data):
        raise _forward_error(node.data, parents, kind.symbol, _capture_frames(4))
    if recording and parents:
        node.__dict__["_anomaly"] = (_capture_frames(4), tuple([p.data for p in parents]))


def _origin(node: Value) -> tuple[tuple, tuple | None]:
    """(creation frames, inputs' data at creation) of a node made inside the mode."""
    found = node.__dict__.get("_anomaly") if node.__dict__ else None
    return found if found is not None else ((), None)


def _capture_frames(skip: int) -> tuple:
    """(file, line, function) of the callers, innermost first, starting `skip` frames up.

    Nodes made in a loop share one creation stack: identical stacks are stored once (until
    the outermost `detect_anomaly()` block ends), so a node costs a pointer, not a stack.
    """
    key: list = []
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None and len(key) < 2 * _MAX_FRAMES:
        key += (frame.f_code, frame.f_lineno)
        frame = frame.f_back
    stack_key = tuple(key)
    frames = _STACKS.get(stack_key)
    if frames is None:
        frames = tuple((code.co_filename, line, code.co_name)
                       for code, line in zip(stack_key[::2], stack_key[1::2]))
        _STACKS[stack_key] = frames
    return frames


def _user_frame(frames: tuple) -> tuple | None:
    """The innermost frame outside scalargrad and nn: where the user's code made the node."""
    for frame in frames:
        filename = os.path.abspath(frame[0])
        if not filename.startswith(_LIBRARY_DIRS) and not filename.endswith("contextlib.py"):
            return frame
    return frames[0] if frames else None


def _describe_frame(frame: tuple) -> str:
    filename, lineno, function = frame
    return f"{filename}:{lineno} in {function}"


def _where(frames: tuple) -> tuple[str | None, str]:
    """('file:line in function', '\\n    created at …' text) for a creation stack."""
    frame = _user_frame(frames)
    if frame is None:
        return None, ("\n    (created outside detect_anomaly() or by Value(...)/Value.from_op, "
                      "so where is unknown: enter detect_anomaly() before the forward pass)")
    where = _describe_frame(frame)
    source = linecache.getline(frame[0], frame[1]).strip()
    return where, f"\n    created at {where}" + (f": {source}" if source else "")


def _node_name(op: str, label: str) -> str:
    return f"op {str(op)!r}" + (f" (label {label!r})" if label else "")


def _inputs_text(parents: Sequence[Value]) -> str:
    parts = [f"{p.label}={p.data!r}" if p.label else repr(p.data) for p in parents]
    return "(" + ", ".join(parts) + ")"


def _forward_error(data: float, parents: tuple, op: str, frames: tuple) -> AnomalyError:
    where, created = _where(frames)
    inputs = tuple(p.data for p in parents)
    hint = ""
    if not all(math.isfinite(x) for x in inputs):
        hint = ("\n    an input was already non-finite: it was a leaf made with that value, "
                "or was computed outside detect_anomaly()")
    message = (f"forward: {_node_name(op, '')} produced {data!r} from the inputs "
               f"{_inputs_text(parents)}{created}{hint}")
    return AnomalyError(message, phase="forward", op=str(op), label="", inputs=inputs,
                        where=where, stack=[_describe_frame(f) for f in frames])


# -- backward -------------------------------------------------------------------------------


def _checked_backward(root: Value, grad: float = 1.0) -> None:
    """`graph.backward`, checking every downstream gradient and every sum it goes into.

    Same semantics as the plain pass: interior nodes' grads are recomputed, leaves accumulate.
    It also refuses a node whose closure gives a different number of downstream gradients
    than it has parents (an edited `_prev`), which the plain pass would silently truncate.
    """
    order = graph.topological_order(root)
    for node in order:
        if node._prev:
            _check_inputs_unchanged(node)
    for node in order:
        if node._prev:
            node.grad = 0.0
    # Hooked leaves start this pass at 0 so their hooks see this pass's gradient alone (as in
    # the plain hooked pass); what they held before is added back at the end.
    hooked = ({node: node.grad for node in order if node.__dict__ and node.__dict__.get("_hooks")}
              if graph._hooks_live else {})  # no hook anywhere: skip the look at every node
    for node in hooked:
        if not node._prev:
            node.grad = 0.0
    if not math.isfinite(grad) or not math.isfinite(root.grad + grad):
        raise AnomalyError(f"backward: seeded with {grad!r}, so {_node_name(root._op, root.label)}"
                           f" starts with grad {root.grad + grad!r}", phase="backward",
                           op=str(root._op), label=root.label, inputs=(),
                           where=None, stack=())
    root.grad += grad
    for node in reversed(order):
        parents = node._prev
        if node in hooked:  # its gradient is complete here: every consumer came before it
            node.grad = run_hooks(node.__dict__["_hooks"], node.grad, node)
        if not parents:
            continue
        upstream = node.grad
        if graph.is_measured(node):  # micrograd's form: it adds into the parents itself
            graph.step(node)
            for i, parent in enumerate(dict.fromkeys(parents)):
                if not math.isfinite(parent.grad):
                    raise _backward_error(node, i, math.nan, upstream, math.nan, parent.grad)
            continue
        downs = graph.downstream(node, upstream)
        if downs is None or len(downs) != len(parents):
            count = "no" if downs is None else len(downs)
            raise ValueError(f"backward: {_node_name(node._op, node.label)} has "
                             f"{len(parents)} parents but {count} local gradients; "
                             "was its _prev edited by hand?")
        for i, parent in enumerate(parents):
            down = downs[i]
            total = parent.grad + down
            if not math.isfinite(total):
                local = graph.local_gradients(node)[i]
                raise _backward_error(node, i, local, upstream, down, parent.grad)
            parent.grad = total
    for node, before in hooked.items():
        if not node._prev and not (type(before) is float and before == 0.0):
            node.grad = before + node.grad


def _check_inputs_unchanged(node: Value) -> None:
    """Refuse a node whose input's data was edited after the node was made.

    Local gradients are computed in the forward pass, so backward would give the gradient
    at the old values (PyTorch refuses the same situation with an in-place-modification error).
    """
    frames, recorded = _origin(node)
    if recorded is None:
        return
    for i, (parent, before) in enumerate(zip(node._prev, recorded)):
        now = parent.data
        if now != before and not (now != now and before != before):  # NaN = NaN here
            _, created = _where(frames)
            name = f" {parent.label!r}" if parent.label else ""
            raise AnomalyError(
                f"backward: input {i}{name} of {_node_name(node._op, node.label)} was "
                f"{before!r} in the forward pass and is now {now!r}; the local gradients were "
                f"computed at {before!r}, so backward would give the gradient there. Run the "
                f"forward pass again after changing a value{created}",
                phase="backward", op=str(node._op), label=node.label, inputs=recorded,
                where=_where(frames)[0],
                stack=[_describe_frame(f) for f in frames])


def _backward_error(node: Value, i: int, local: float, upstream: float, downstream: float,
                    before: float) -> AnomalyError:
    parent = node._prev[i]
    if not math.isfinite(local):
        why = f"its local gradient for input {i} is {local!r}"
    elif not math.isfinite(downstream):
        why = f"upstream × local = {upstream!r} × {local!r} overflows to {downstream!r}"
    elif not math.isfinite(before):
        why = f"input {i} already held the gradient {before!r} (from an earlier backward?)"
    else:
        why = f"adding {downstream!r} to input {i}'s gradient {before!r} overflows"
    frames = _origin(node)[0]
    where, created = _where(frames)
    parent_name = f" {parent.label!r}" if parent.label else ""
    message = (f"backward: {_node_name(node._op, node.label)} (value {node.data!r}, inputs "
               f"{_inputs_text(node._prev)}) sends a non-finite gradient to input {i}"
               f"{parent_name}: {why}{created}")
    return AnomalyError(message, phase="backward", op=str(node._op), label=node.label,
                        inputs=[p.data for p in node._prev], where=where,
                        stack=[_describe_frame(f) for f in frames])


_node._anomaly_forward = _check_forward
graph._checked_backward = _checked_backward
