"""One measurement in its own process: `python -m bench.worker '<json spec>'` prints one JSON line.

The orchestrator (`python -m bench`) starts one worker per engine per run, so no engine pays
for another's garbage, imports or JIT state. The spec names:
  engine    ours | ours-elementary | micrograd | torch-scalar | torch-batched
            | jacfwd | jacrev (ours, the Jacobian by forward or by reverse mode)
  workload  demo (size = number of moons points) | chain | wide (size = number of blocks)
            | jac-in (f: R^n -> R, size = n) | jac-out (f: R -> R^m, size = m)
  warmup, steps   untimed, then timed repetitions of one step (demo) or one forward+backward
  gc        on (the default: CPython's collector as it comes) | off (gc.disable() after
            set-up and the untimed warm-up steps, gc.enable() after the last timed step: no
            collection runs while timing, and cyclic garbage stays until then)
            | freeze (gc.freeze() after set-up, collector on) | off-in-backward (with phases)
  phases    (chain and wide only) also time forward, backward() and freeing the graph apart
  extras    also count the graph's nodes, its bytes (tracemalloc) and its cyclic garbage
  default_recursion_limit   build and backpropagate one graph at Python's default recursion
            limit and report whether it worked (the depth check; nothing is timed)
"""

from __future__ import annotations

import gc
import json
import platform
import sys
import time
from typing import Any, Callable

from . import workloads

clock = time.perf_counter  # what a step's time is measured with (bench --clock)

ENGINES = ("ours", "ours-elementary", "micrograd", "torch-scalar", "torch-batched", "jacfwd",
           "jacrev")


def load_engine(engine: str) -> Any:
    """The engine's module in bench.peers (imported only in the process that needs it)."""
    if engine in ("ours", "ours-elementary", "jacfwd", "jacrev"):
        from .peers import ours
        return ours
    if engine == "micrograd":
        from .peers import micrograd_peer
        return micrograd_peer
    if engine in ("torch-scalar", "torch-batched"):
        from .peers import torch_peer
        return torch_peer
    raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")


def build(spec: dict) -> tuple[Any, Callable[[int], Any], int]:
    """(the workload object, one step as a function of the step number, leaves made in set-up)."""
    module = load_engine(spec["engine"])
    size = spec["size"]
    if spec["workload"] == "demo":
        points, labels = workloads.moons(size, noise=0.1)
        weights = workloads.mlp_weights()
        cls = module.BatchedDemo if spec["engine"] == "torch-batched" else module.Demo
        variant = "elementary" if spec["engine"] == "ours-elementary" else "fused"
        demo = cls(points, labels, weights, variant)
        return demo, demo.step, len(workloads.flat_parameters(weights))
    if spec["workload"] == "fit":
        points, labels = workloads.moons(size, noise=0.1)
        weights = workloads.mlp_weights()
        fit = module.Fit(points, labels, weights, by_hand=spec.get("gc") == "loop")
        return fit, fit.step, len(workloads.flat_parameters(weights))
    if spec["workload"] in ("jac-in", "jac-out"):
        jac = module.Jacobian(spec["workload"][4:], size, spec["engine"])
        return jac, lambda k: jac.run(), 0
    params = workloads.chain_parameters(size)
    elementary = module.Elementary(spec["workload"], params)
    return elementary, lambda k: elementary.run(), 2 * size + 1


class GCWatch:
    """Counts CPython's collections per generation, and the time spent in them (none while
    `paused`: a collection between two timed steps is not part of either)."""

    def __init__(self, paused: bool = False) -> None:
        self.collections = [0, 0, 0]
        self.seconds = 0.0
        self.paused = paused
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if self.paused:
            return
        if phase == "start":
            self._start = clock()
        else:
            self.seconds += clock() - self._start
            self.collections[info["generation"]] += 1

    def __enter__(self) -> GCWatch:
        if hasattr(gc, "callbacks"):
            gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if hasattr(gc, "callbacks") and self in gc.callbacks:
            gc.callbacks.remove(self)


def time_steps(step: Callable[[int], Any], warmup: int, steps: int,
               gc_mode: str) -> tuple[list[float], Any, GCWatch]:
    """Per-step seconds of `steps` timed steps after `warmup` untimed ones, and step 0's result.

    With `gc_mode` "off" the collector is disabled from the end of the warm-up to the end of
    the last timed step (nothing collected in between, not even between steps).
    """
    first = step(0)
    for k in range(1, warmup):
        step(k)
    if gc_mode == "freeze" and hasattr(gc, "freeze"):
        gc.freeze()
    times = []
    if gc_mode == "off":
        gc.disable()
    try:
        with GCWatch(paused=True) as watch:
            for k in range(warmup, warmup + steps):
                watch.paused = False
                start = clock()
                step(k)
                elapsed = clock() - start
                watch.paused = True
                times.append(elapsed)
    finally:
        gc.enable()
    if gc_mode == "freeze" and hasattr(gc, "unfreeze"):
        gc.unfreeze()
    return times, first, watch


class Phases:
    """One forward + backward step of our (or micrograd's) Elementary workload, by phase.

    Records per step the seconds of the forward pass, of backward(), and of freeing the
    graph, and how many collections ran inside backward(); with `gc_off_in_backward` the
    collector is switched off for backward() only.
    """

    def __init__(self, workload: Any, gc_off_in_backward: bool) -> None:
        self.workload = workload
        self.gc_off_in_backward = gc_off_in_backward
        self.forward: list[float] = []
        self.backward: list[float] = []
        self.free: list[float] = []
        self.collections: list[int] = []  # inside backward(), per step

    def __call__(self, k: int) -> tuple[float, float]:
        x = self.workload.x
        x.grad = 0.0
        start = clock()
        out = self.workload.forward()
        built = clock()
        was_enabled = gc.isenabled()
        with GCWatch() as watch:
            if self.gc_off_in_backward:
                gc.disable()
            out.backward()
            if was_enabled:
                gc.enable()
        done = clock()
        result = out.data, x.grad
        del out
        freed = clock()
        self.forward.append(built - start)
        self.backward.append(done - built)
        self.free.append(freed - done)
        self.collections.append(sum(watch.collections))
        return result

    def summary(self, warmup: int) -> dict:
        """The timed steps only (the warm-up ones dropped)."""
        return {"forward": self.forward[warmup:], "backward": self.backward[warmup:],
                "free": self.free[warmup:],
                "backward_collections": sum(self.collections[warmup:])}


def graph_bytes(workload: Any) -> tuple[int, int]:
    """(bytes allocated by one forward pass, nodes in its graph), by tracemalloc (CPython)."""
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = workload.forward()
        allocated = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del root
    return allocated, workload.count_nodes()


def peak_bytes(run: Callable[[], Any]) -> int:
    """The most memory `run()` held at once above what was held before (tracemalloc)."""
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        run()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def cyclic_garbage(step: Callable[[int], Any]) -> int:
    """Objects that only the cycle collector can free, left behind by one step.

    Reference counting frees an acyclic graph the moment its output is dropped; a graph with
    reference cycles (a node's closure pointing back at the node) waits for gc.collect().
    """
    gc.collect()
    gc.disable()
    try:
        step(0)
        return gc.collect()
    finally:
        gc.enable()


DEFAULT_RECURSION_LIMIT = 1000  # CPython's


def depth_check(spec: dict) -> dict:
    """Build and backpropagate one graph at CPython's default recursion limit (1000)."""
    previous = sys.getrecursionlimit()
    workload, _, _ = build(spec)
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)  # undoing any raise made in set-up
    try:
        workload.run()
        ok = True
    except RecursionError:
        ok = False
    finally:
        sys.setrecursionlimit(previous)
    return {"depth_ok": ok, "recursion_limit": DEFAULT_RECURSION_LIMIT}


def interpreter() -> str:
    impl = platform.python_implementation()
    version = platform.python_version()
    if impl == "PyPy":
        pypy = ".".join(map(str, sys.pypy_version_info[:3]))  # type: ignore[attr-defined]
        return f"PyPy {pypy} (Python {version})"
    return f"{impl} {version}"


def measure(spec: dict) -> dict:
    """Run the spec in this process and return what it measured."""
    result: dict[str, Any] = {"spec": spec, "interpreter": interpreter()}
    result["engine"] = load_engine(spec["engine"]).describe()
    if spec.get("default_recursion_limit"):
        result.update(depth_check(spec))
        return result
    workload, step, setup_leaves = build(spec)
    gc_mode = spec.get("gc", "on")
    phases = None
    if spec.get("phases"):
        phases = step = Phases(workload, gc_off_in_backward=gc_mode == "off-in-backward")
    warmup = spec.get("warmup", 1)
    times, first, watch = time_steps(step, warmup, spec.get("steps", 3), gc_mode)
    result.update(times=times, first=first, gc_collections=watch.collections,
                  gc_seconds=watch.seconds)
    if phases is not None:
        result["phases"] = phases.summary(warmup)
    if spec.get("extras") or spec["workload"] == "fit":
        result["nodes"] = workload.count_nodes()
    if spec.get("extras") and spec["workload"] in ("jac-in", "jac-out"):
        if platform.python_implementation() == "CPython":
            result["peak_bytes"] = peak_bytes(workload.run)
    elif spec.get("extras"):
        result["setup_leaves"] = setup_leaves
        if platform.python_implementation() == "CPython" and not spec["engine"].startswith("torch"):
            # tracemalloc sees Python objects only, not torch's C++ tensors: no bytes for torch
            result["graph_bytes"], _ = graph_bytes(workload)
            result["cyclic_garbage"] = cyclic_garbage(step)
    return result


def main(argv: list[str]) -> None:
    global clock
    spec = json.loads(argv[0])
    if spec.get("clock") == "cpu":  # this process's CPU time: steadier on a shared machine
        clock = time.process_time
    if spec.get("root"):  # an earlier checkout's scalargrad and nn (bench --before)
        sys.path.insert(0, spec["root"])
    print(json.dumps(measure(spec)))


if __name__ == "__main__":
    main(sys.argv[1:])
