"""Checking Part C: the learner's own `backward(root)`, run on graphs that expose each classic
bug, and the bug named.

For each graph the checker sets every grad to 0 (as zero_grad would), runs the learner's
walk, and compares every node's grad with the truth: the leaves' with central finite
differences of the graph's forward value, the interior nodes' with the engine's replay (a
second reference; the engine is itself tested against PyTorch). A wrong walk is matched
against simulations of the classic bugs on the same graphs: `=` instead of `+=`, an order
that is not topological, the root never seeded, a node visited more than once, the
upstream forgotten, grads that did not start from zero.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

from scalargrad import Value
from scalargrad.graph import local_gradients, replay, topological_order

from .derive import const, fmt
from .guard import TimeLimitError, exit_text, time_limit
from .local import _ENGINE
from .predict_tasks import _p1 as _sigmoid  # the lesson's graphs, as Part B asks about them
from .predict_tasks import _p3 as _twice
from .verdict import Outcome, error_text, shown

NAME = "backward"
TITLE = f"{NAME:<17} def backward(root): the backward pass, by hand"
DEPTH = 5000
HINTS = (
    "three steps: order the nodes (parents before children), seed root.grad = 1, then walk "
    "the order from the root back, adding upstream × local gradient into each parent.",
    "`for parent, local in zip(node._prev, local_gradients(node)): parent.grad += node.grad "
    "* local` — `+=`, because a value used twice gets both contributions; and keep a set of "
    "visited nodes so each is listed once.",
    "an order without recursion: a stack of (node, expanded) pairs; pop one, and if it is "
    "expanded append it to the order, else push (node, True) and then (parent, False) for "
    "each unvisited parent.")


@dataclass(frozen=True)
class Graph:
    """A graph to run the learner's backward on: `build(*leaves)` from the leaves' values."""

    title: str
    names: tuple[str, ...]
    at: tuple[float, ...]
    build: Callable[..., Value]
    small: bool = True

    def make(self) -> tuple[Value, tuple[Value, ...]]:
        leaves = tuple(Value(x, label=n) for x, n in zip(self.at, self.names))
        return self.build(*leaves), leaves


def _diamond(x: Value) -> Value:
    # Two diamonds, mirrored: in p = a + b the shared a comes first, in q = k + g the shared
    # g comes last, so an order that is not topological goes wrong on one of them whichever
    # parent it visits first.
    a = x.exp()
    a.label = "a"
    b = a * const(3.0)
    b.label = "b"
    p = a + b
    p.label = "p"
    g = x * x
    g.label = "g"
    k = g * const(2.0)
    k.label = "k"
    q = k + g
    q.label = "q"
    f = p + q
    f.label = "f"
    return f


def _chain(x: Value) -> Value:
    y = x
    for _ in range(DEPTH):
        y = y * const(1.0001)
    return y


GRAPHS = (
    Graph("a value used twice (b = a + a, c = b + b at a = 3)", ("a",), (3.0,), _twice),
    Graph("a diamond both ways (f = (a + 3a) + (2g + g), a = eˣ, g = x·x, at x = 0.5)",
          ("x",), (0.5,), _diamond),
    Graph("the sigmoid chain (y = 1/(1 + e^−z) at z = 0)", ("z",), (0.0,), _sigmoid),
    Graph(f"a chain {DEPTH:,} ops deep (y = x · 1.0001 · 1.0001 · …, at x = 1)", ("x",),
          (1.0,), _chain, small=False),
)


def _truth(graph: Graph, root: Value, leaves: tuple[Value, ...]) -> list[float]:
    order = topological_order(root)
    grads = replay(order)
    index = {node: i for i, node in enumerate(order)}
    for i, leaf in enumerate(leaves):
        h = 1e-6

        def at(d: float, i: int = i) -> float:
            xs = list(graph.at)
            xs[i] += d
            return graph.build(*[Value(x) for x in xs]).data

        numeric = (at(h) - at(-h)) / (2 * h)
        if not math.isclose(grads[index[leaf]], numeric, rel_tol=1e-5, abs_tol=1e-7):
            raise AssertionError(f"checker problem in {graph.title}: {grads[index[leaf]]!r} "
                                 f"against finite differences {numeric!r}")
    return grads


def _orders(root: Value) -> dict[str, list[Value]]:
    """The orders a learner's walk may take: right, and the classic wrong ones."""
    topo = topological_order(root)
    dup: list[Value] = []

    def build(v: Value) -> None:  # micrograd's build_topo without its visited set
        for p in v._prev:
            build(p)
        dup.append(v)

    build(root)
    bfs: list[Value] = []
    seen = {root}
    queue = deque([root])
    while queue:
        v = queue.popleft()
        bfs.append(v)
        for p in v._prev:
            if p not in seen:
                seen.add(p)
                queue.append(p)
    orders = {"topo": topo, "dup": dup, "leaves-first": topo[::-1], "bfs": bfs[::-1]}
    for name, first in (("pre", True), ("pre-last", False)):
        pre: list[Value] = []  # depth-first, each node listed BEFORE its parents
        stack, listed = [root], set()
        while stack:
            v = stack.pop()
            if v in listed:
                continue
            listed.add(v)
            pre.append(v)
            stack.extend(reversed(v._prev) if first else v._prev)
        orders[name] = pre[::-1]
    return orders


def simulate(root: Value, order: str = "topo", assign: bool = False, seed: bool = True,
             upstream: bool = True, start: float = 0.0, local: bool = True,
             late_seed: bool = False) -> dict[Value, float]:
    """The grads a walk with the given bug would leave (the walk goes over `order`
    reversed, as `for node in reversed(order)`)."""
    nodes = _orders(root)[order]
    grads = {v: start for v in topological_order(root)}
    if seed:
        grads[root] = 1.0
    for node in reversed(nodes):
        for parent, g in zip(node._prev, local_gradients(node)):
            g = g if local else 1.0
            down = grads[node] * g if upstream else g
            grads[parent] = down if assign else grads[parent] + down
    if late_seed:
        grads[root] = 1.0
    return grads


_PRE = ("not in topological order: a node passed its gradient on before all its consumers "
        "had added theirs (a breadth-first walk, or an order listing each node before its "
        "parents, does that on a diamond); list each node after its parents and walk that "
        "order reversed, from the root")
BUGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("`=` instead of `+=`: each use replaced the gradient instead of adding to it (a value "
     "used twice must get the sum of both contributions)", {"assign": True}),
    ("the root is never seeded: set root.grad = 1 (∂root/∂root) before the walk; without it "
     "every gradient stays 0", {"seed": False}),
    ("a node visited more than once: your order lists a node once per path to it, so it "
     "passes its gradient on twice; keep a set of visited nodes", {"order": "dup"}),
    ("not in topological order: you walked the order from the leaves up; a topological "
     "order lists parents first, so walk it reversed, from the root", {"order": "leaves-first"}),
    (_PRE, {"order": "bfs"}),
    (_PRE, {"order": "pre"}),
    (_PRE, {"order": "pre-last"}),
    ("the upstream is forgotten: each parent gets its local gradient alone; it should get "
     "node.grad × local gradient", {"upstream": False}),
    ("the local gradient is left out: each parent gets the node's grad unchanged; it should "
     "get node.grad × local gradient (local_gradients(node))", {"local": False}),
    ("the root is seeded after the walk: set root.grad = 1 before it, so the walk starts "
     "from 1", {"seed": False, "late_seed": True}),
    ("grads did not start from zero: every node started at 1. Only the root is seeded with "
     "1; every other grad starts at 0 (the checker set them all to 0 before your backward "
     "ran) and only collects +=", {"start": 1.0}),
    ("grads did not start from zero, and the root was seeded with += on top of them",
     {"start": 1.0, "seed": False}),
)


def _num(g: Any) -> str:
    return fmt(g) if isinstance(g, (int, float)) else shown(g)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _run(fn: Callable[[Value], Any], graph: Graph) -> tuple[Optional[str], list[str]]:
    """Run the learner's walk on `graph`: (None, []) if right, else (the bug's words or "",
    the numbers)."""
    root, leaves = graph.make()
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    truth = _truth(graph, root, leaves)
    saved = Value.backward

    def engines(self: Value, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("your backward() called the engine's root.backward(); walk the "
                           "graph yourself with _prev and local_gradients")

    Value.backward = engines  # type: ignore[method-assign]
    try:
        fn(root)
    finally:
        Value.backward = saved  # type: ignore[method-assign]
    mine = [node.grad for node in order]
    if all(isinstance(g, (int, float)) and _same(g, t) for g, t in zip(mine, truth)):
        return None, []
    wrong = [(node, g, t) for node, g, t in zip(order, mine, truth) if not _same(g, t)]
    names = ", ".join(f"{n.label or n._op or 'a node'}.grad is {_num(g)}, it should be "
                      f"{fmt(t)}" for n, g, t in wrong[:2])
    numbers = [f"on {graph.title}: {names}"]
    if not graph.small:
        return "", numbers
    for says, knobs in BUGS:
        bug = simulate(root, **knobs)
        if all(isinstance(g, (int, float)) and _same(g, bug[node])
               for node, g in zip(order, mine)):
            return says, numbers
    return "", numbers


def check_backward(module: Any) -> Outcome:
    """Run `module.backward` on every graph of GRAPHS and name what went wrong."""
    fn = getattr(module, NAME, None)
    if fn is None:
        return Outcome(NAME, "todo", TITLE, (f"not defined in your file: def {NAME}(root)",),
                       "C")
    if not callable(fn):
        return Outcome(NAME, "error", TITLE, (f"{NAME} should be a function",), "C")
    found: list[tuple[Graph, Optional[str], list[str]]] = []
    for graph in GRAPHS:
        try:
            with time_limit(what=f"your backward on {graph.title}"):
                says, numbers = _run(fn, graph)
        except NotImplementedError:
            return Outcome(NAME, "todo", TITLE, ("still raises NotImplementedError",), "C")
        except RecursionError:
            said = (f"RecursionError on {graph.title}: your walk is recursive, one Python call "
                    f"per node, and Python stops at {sys.getrecursionlimit():,} calls deep. "
                    "Nothing wrong with the idea: keep the order in an explicit stack (a list "
                    "you append to and pop from) instead of the call stack")
            found.append((graph, said, []))
            continue
        except SystemExit as exc:
            return Outcome(NAME, "error", TITLE, (exit_text(exc),), "C")
        except TimeLimitError as exc:
            return Outcome(NAME, "error", TITLE, (str(exc),), "C")
        except AssertionError:
            raise
        except Exception as exc:  # the learner's code
            return Outcome(NAME, "error", TITLE, (f"on {graph.title}: "
                                                  f"{error_text(exc)}",), "C")
        finally:
            _ENGINE.restore()
        if says is not None:
            found.append((graph, says, numbers))
    if not found:
        return Outcome(NAME, "pass", TITLE, ("right on " + "; ".join(
            g.title.split(" (")[0] for g in GRAPHS),), "C")
    named = [s for _, s, _ in found if s]
    diagnosis = named[0] if named else ""
    details = list(dict.fromkeys(named))
    for _, _, numbers in found:
        details += numbers
    right = [g.title.split(" (")[0] for g in GRAPHS if g not in [f[0] for f in found]]
    if right:
        details.append("right on " + "; ".join(right))
    return Outcome(NAME, "fail", TITLE, tuple(details), "C", diagnosis)


def reveal() -> list[str]:
    root, _ = GRAPHS[0].make()
    grads = simulate(root)
    a = [v for v in grads if v.label == "a"][0]
    return [
        "1. order: every node after all its parents (depth-first, a visited set, an explicit "
        "stack so deep graphs work)",
        "2. seed: root.grad = 1",
        "3. for node in reversed(order): for parent, local in zip(node._prev, "
        "local_gradients(node)): parent.grad += node.grad * local",
        f"e.g. b = a + a, c = b + b: b.grad = 1 + 1 = 2, a.grad = 2 + 2 = {fmt(grads[a])}",
    ]
