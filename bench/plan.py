"""Which runs make up the benchmark: the groups of rows, their sizes and repetitions.

A group is one table: its rows are timed alternately, each run in a fresh process, `repeats`
times over, and each row's number is the median over its runs of the per-run median step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .workloads import OPS_PER_BLOCK

OURS = "scalargrad"
MICROGRAD = "micrograd 0.1.0"


@dataclass
class Row:
    """One engine in one group: how to run it, and (after the run) what it measured."""

    label: str
    engine: str
    python: str = "cpython"  # or "pypy"
    warmup: int = 1
    steps: int = 3
    gc: str = "on"
    phases: bool = False  # also time forward, backward() and freeing apart (ours, micrograd)
    default_recursion_limit: bool = False
    size: Optional[int] = None  # overrides the group's size (the depth check)
    root: Optional[str] = None  # import scalargrad and nn from this checkout (--before)
    results: list = field(default_factory=list)
    errors: list = field(default_factory=list)


@dataclass
class Group:
    """One table: a workload at one size, with one row per engine (the first row is ours)."""

    key: str
    title: str
    workload: str  # demo | chain | wide | fit | jac-in | jac-out
    size: int  # moons points, or blocks of the elementary graph
    unit: str  # "ms/step", "ns/op" or "ns/node"
    rows: list
    repeats: int = 3
    note: str = ""

    @property
    def collector_pairs(self) -> bool:
        """True for the demo: each engine runs twice, with CPython's collector as it comes
        and with it off, and the table sets the two side by side."""
        return self.workload == "demo" and any(r.gc == "off" for r in self.rows)

    @property
    def ops(self) -> Optional[int]:
        """Op nodes of the elementary graph (the same in every engine), None for a model."""
        if self.workload not in OPS_PER_BLOCK:  # the demo and fit: models, not chains
            return None
        return OPS_PER_BLOCK[self.workload] * self.size - (self.workload == "wide")


def build_plan(quick: bool, pypy: bool, before: Optional[str] = None) -> list[Group]:
    """The groups to run: full (about 5-10 minutes) or quick (seconds, sizes for smoke tests).

    With `before` (a checkout of an earlier scalargrad, e.g. a git worktree of main), the demo
    and elementary groups get one more row: that engine, run like ours, for a before/after.
    """
    groups = _plan(quick, pypy)
    if before:
        for g in groups:
            if g.key == "demo" or g.key.startswith(("chain", "wide", "depth")):
                mine = g.rows[0]
                g.rows.append(Row(f"{OURS} before ({before})", "ours", warmup=mine.warmup,
                                  steps=mine.steps, default_recursion_limit=(
                                      mine.default_recursion_limit), root=before))
    return groups


def _plan(quick: bool, pypy: bool) -> list[Group]:
    groups = [_demo(quick)]
    if pypy:
        groups.append(_demo_pypy(quick))
    for shape in ("chain", "wide"):
        for ops in ((100, 1_000) if quick else (1_000, 10_000, 100_000)):
            groups.append(_elementary(shape, ops, quick))
    for nodes in ((1_000, 10_000) if quick else (1_000, 10_000, 100_000, 1_000_000)):
        groups.append(_scaling(nodes, quick))
    for points in ((15, 150) if quick else (15, 150, 1_500, 15_000)):
        groups.append(_fit_scaling(points, quick))
    groups.append(_depth(quick))
    for direction in ("in", "out"):
        groups.append(_modes(direction, quick))
    return groups


COLLECTOR_OFF = (
    "Collector off: the worker calls gc.disable() after its set-up and untimed warm-up steps "
    "and gc.enable() after the last timed step, so CPython's cyclic collector runs no "
    "collection while timing (nothing is collected between steps either; reference counting "
    "still frees every acyclic object at once). As it comes: the collector on, with its "
    "default thresholds. Each ÷ ours divides by our default row under the same setting.")


def collector_off(row: Row) -> Row:
    """The same engine and step as `row`, timed with the cyclic collector off."""
    return Row(f"{row.label}, collector off", row.engine, python=row.python,
               warmup=row.warmup, steps=row.steps, gc="off", root=row.root)


def _demo(quick: bool) -> Group:
    n = 10 if quick else 100
    as_it_comes = [
        Row(f"{OURS}: nn.MLP, one `dot` node per neuron (the default)", "ours",
            warmup=1 if quick else 3, steps=2 if quick else 30),
        Row(f"{OURS}: micrograd's elementary graph, node for node", "ours-elementary",
            steps=1 if quick else 5),
        Row(MICROGRAD, "micrograd", steps=1 if quick else 3),
        Row("PyTorch, 0-d tensors, micrograd's graph", "torch-scalar",
            steps=1 if quick else 3),
        Row("PyTorch, batched tensors (one matmul per layer)", "torch-batched",
            warmup=1 if quick else 10, steps=2 if quick else 200),
    ]
    return Group(
        "demo", f"micrograd's demo step: MLP(2, [16, 16, 1]), {n} moons points (noise 0.1), "
        "hinge loss + 1e-4·L2, forward + backward + SGD update, same starting weights; "
        "each engine with CPython's collector as it comes and off",
        "demo", n, "ms/step", repeats=1 if quick else 5, note=COLLECTOR_OFF,
        rows=[r for row in as_it_comes for r in (row, collector_off(row))])


def _demo_pypy(quick: bool) -> Group:
    n = 10 if quick else 100
    warm = 1 if quick else 20
    return Group(
        "demo-pypy", f"the same demo step ({n} points), micrograd running under PyPy",
        "demo", n, "ms/step", repeats=1 if quick else 5,
        note=f"PyPy rows are timed after {warm} untimed steps (the JIT's warm-up). The "
             "target is about the first row: ours on CPython against micrograd on PyPy.",
        rows=[
            Row(f"{OURS} on CPython (default nn.MLP)", "ours", warmup=1 if quick else 3,
                steps=2 if quick else 30),
            Row(f"{MICROGRAD} on PyPy", "micrograd", python="pypy", warmup=warm,
                steps=2 if quick else 20),
            Row(f"{OURS} on PyPy (default nn.MLP)", "ours", python="pypy", warmup=warm,
                steps=2 if quick else 40),
        ])


def _elementary(shape: str, ops: int, quick: bool) -> Group:
    blocks = max(1, round(ops / OPS_PER_BLOCK[shape]))
    what = ("a chain h ← relu(h·w + b)" if shape == "chain"
            else "a wide sum s ← s + relu(x·w + b), x shared")
    return Group(
        f"{shape}-{ops}", f"elementary ops, {what}: ~{ops:,} + * relu ops, forward + backward",
        shape, blocks, "ns/op", repeats=1 if quick else 3, rows=[
            Row(OURS, "ours", steps=max(2, 300_000 // ops)),
            Row(f"{MICROGRAD} (recursion limit raised)", "micrograd",
                steps=max(1, 20_000 // ops)),
            Row("PyTorch, 0-d tensors", "torch-scalar", steps=max(1, 50_000 // ops)),
        ])


def _scaling(nodes: int, quick: bool) -> Group:
    blocks = nodes // 5  # a chain block adds 5 nodes: w, b, and the * + relu results
    steps = max(2, min(100, 3_000_000 // nodes))
    return Group(
        f"scaling-{nodes}", f"graph size scaling: {OURS} chain of {5 * blocks + 1:,} nodes, "
        "forward + backward, CPython's garbage collector as it comes, frozen, or off",
        "chain", blocks, "ns/node", repeats=1 if quick else 3, rows=[
            Row(f"{OURS}, gc on (as it comes)", "ours", steps=steps, phases=True),
            Row(f"{OURS}, gc off in backward() only", "ours", steps=steps, phases=True,
                gc="off-in-backward"),
            Row(f"{OURS}, gc.freeze() after set-up", "ours", steps=steps, phases=True,
                gc="freeze"),
            Row(f"{OURS}, gc disabled while timing", "ours", steps=steps, phases=True,
                gc="off"),
        ])


def _fit_scaling(points: int, quick: bool) -> Group:
    nodes = 65 * points  # MLP(2, [16, 16, 1]): 33 dot and 32 relu nodes per point
    steps = 1 if quick else max(2, min(20, 2_000_000 // nodes))
    return Group(
        f"fit-scaling-{points}", f"graph size scaling inside nn.fit: MLP(2, [16, 16, 1]) on "
        f"{points:,} moons points per step (~{nodes:,} ops built per step; the parameters are "
        "not counted as nodes), one step per call",
        "fit", points, "ns/node", repeats=1 if quick else 3, rows=[
            Row(f"{OURS}: nn.fit (pauses the collector while it trains)", "ours",
                steps=steps),
            Row(f"{OURS}: the same step written by hand, gc as it comes", "ours",
                steps=steps, gc="loop"),
        ])


def _depth(quick: bool) -> Group:
    deep = 3_334 if quick else 333_334  # 3 ops per block: 10,002 or 1,000,002 ops deep
    return Group(
        "depth", "depth: backward through a chain at Python's default recursion limit",
        "chain", deep, "", repeats=1, rows=[
            Row(f"{OURS}, {3 * deep:,} ops deep", "ours", default_recursion_limit=True),
            Row(f"{MICROGRAD}, 1,002 ops deep", "micrograd", default_recursion_limit=True,
                size=334),
        ])


MODES_SIZES = (1, 2, 4, 8, 16, 32, 64)
MODES_QUICK = (1, 4)


def _modes(direction: str, quick: bool) -> Group:
    """jacfwd against jacrev as the inputs (n) or the outputs (m) grow: one row per mode and
    size, each in its own process like every row."""
    sizes = MODES_QUICK if quick else MODES_SIZES
    if direction == "in":
        title = ("the two directions, f: ℝⁿ → ℝ (n inputs summed into a trunk of 30 tanh "
                 "rounds): the Jacobian by jacfwd (n forward passes) and by jacrev (one "
                 "backward pass)")
        what = "n"
    else:
        title = ("the two directions, f: ℝ → ℝᵐ (a trunk of 30 tanh rounds fanned out to m "
                 "outputs): the Jacobian by jacfwd (one forward pass) and by jacrev (m "
                 "backward passes)")
        what = "m"
    rows = []
    for size in sizes:
        for mode in ("jacfwd", "jacrev"):
            rows.append(Row(f"{mode}, {what} = {size}", mode, size=size,
                            warmup=1, steps=2 if quick else 5))
    return Group(f"modes-{direction}", title, f"jac-{direction}", max(sizes), "ms/Jacobian",
                 rows, repeats=1 if quick else 3)
