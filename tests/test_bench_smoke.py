"""Smoke test of the benchmark suite (bench/): every workload runs at a tiny size, for every
engine that is installed, and gives sane numbers that agree across engines, so the bench
cannot rot. Timings are never asserted.

Oracles: the demo's loss is compared across independent implementations (micrograd, PyTorch
float64, and our engine); the elementary graphs against their value and derivative worked
out in plain floats (`bench.workloads.chain_reference`).
"""

from __future__ import annotations

import gc
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

from bench import report, workloads
from bench.peers import ours
from bench.plan import Group, build_plan
from bench.worker import measure, time_steps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POINTS = 6  # moons points in the tiny demo
STEPS = 3


def needs(module: str) -> None:
    pytest.importorskip(module, reason=f"{module} is a peer of the benchmark (the bench extra)")


def demo_engines() -> list:
    """(name, Demo class, variant) for every engine whose package is installed."""
    engines = [("ours", ours.Demo, "fused"), ("ours-elementary", ours.Demo, "elementary")]
    try:
        from bench.peers import micrograd_peer
        engines.append(("micrograd", micrograd_peer.Demo, ""))
    except ImportError:
        pass
    try:
        from bench.peers import torch_peer
        engines += [("torch-scalar", torch_peer.Demo, ""),
                    ("torch-batched", torch_peer.BatchedDemo, "")]
    except ImportError:
        pass
    return engines


def losses(cls: type, variant: str) -> list[float]:
    points, labels = workloads.moons(POINTS)
    demo = cls(points, labels, workloads.mlp_weights(), variant)
    return [demo.step(k) for k in range(STEPS)]


# -- the data --------------------------------------------------------------------------------

def test_moons_are_seeded_and_balanced() -> None:
    """The same seed gives the same points; half of them are labelled −1, half +1."""
    first, labels = workloads.moons(10)
    again, _ = workloads.moons(10)
    assert first == again and sorted(labels) == [-1] * 5 + [1] * 5
    assert workloads.moons(10, seed=1)[0] != first


def test_mlp_weights_follow_micrograd_init() -> None:
    """MLP(2, [16, 16, 1]) has 337 parameters: weights in [−1, 1], biases 0."""
    weights = workloads.mlp_weights()
    flat = workloads.flat_parameters(weights)
    assert len(flat) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert all(-1.0 <= w <= 1.0 for layer in weights for ws, _ in layer for w in ws)
    assert all(b == 0.0 for layer in weights for _, b in layer)


# -- the demo step -----------------------------------------------------------------------------

def test_demo_losses_agree_across_engines_step_by_step() -> None:
    """From the same weights, every engine's loss agrees with micrograd's to 1e-9 at each of
    three SGD steps (so forward, backward and the update all match)."""
    needs("micrograd")
    from bench.peers import micrograd_peer
    reference = losses(micrograd_peer.Demo, "")
    for name, cls, variant in demo_engines():
        got = losses(cls, variant)
        assert all(abs(a - b) <= 1e-9 for a, b in zip(got, reference)), (name, got, reference)
    assert len(set(reference)) == STEPS  # each step changed the weights


def test_our_demo_loss_matches_pytorch_batched() -> None:
    """Without micrograd installed, PyTorch (batched, float64) is the oracle for our loss."""
    needs("torch")
    from bench.peers import torch_peer
    want = losses(torch_peer.BatchedDemo, "")
    for variant in ("fused", "elementary"):
        got = losses(ours.Demo, variant)
        assert all(math.isclose(a, b, rel_tol=0, abs_tol=1e-9) for a, b in zip(got, want))


def test_fused_demo_graph_has_one_node_per_neuron() -> None:
    """The default graph: per point 16 + 16 + 1 dot nodes and 32 relus; then the hinge, the
    L2 and their sum; plus the 337 parameters. The elementary graph is micrograd's size."""
    points, labels = workloads.moons(POINTS)
    fused = ours.Demo(points, labels, workloads.mlp_weights(), "fused")
    assert fused.count_nodes() == 65 * POINTS + 3 + 337
    elementary = ours.Demo(points, labels, workloads.mlp_weights(), "elementary")
    # per point: 2 inputs, 16·(2·2+1) + 16·(2·16+1) + 2·16 nodes in the net, 5 in the hinge
    per_point = 2 + 16 * 5 + 16 * 33 + 32 + 5
    # sum of the hinges (0 lifted + one + per point), ·1/n (2), α·Σp² (337·2 + 1 + 2), final +,
    # and the 337 parameters
    rest = (1 + POINTS) + 2 + (337 + 337 + 1 + 2) + 1 + 337
    assert elementary.count_nodes() == POINTS * per_point + rest
    needs("micrograd")
    from bench.peers import micrograd_peer
    mg = micrograd_peer.Demo(points, labels, workloads.mlp_weights())
    assert mg.count_nodes() == elementary.count_nodes()


# -- elementary graphs -------------------------------------------------------------------------

def elementary_engines() -> list:
    engines = [ours]
    for name in ("micrograd_peer", "torch_peer"):
        try:
            engines.append(__import__(f"bench.peers.{name}", fromlist=["Elementary"]))
        except ImportError:
            pass
    return engines


@pytest.mark.parametrize("shape", ["chain", "wide"])
def test_elementary_graphs_match_the_float_oracle(shape: str) -> None:
    """Every installed engine's output and d output/dx equal the plain-float computation."""
    params = workloads.chain_parameters(40)
    want = workloads.chain_reference(shape, params)
    for engine in elementary_engines():
        got = engine.Elementary(shape, params).run()
        assert all(math.isclose(g, w, rel_tol=1e-12) for g, w in zip(got, want)), engine
        assert want[1] > 0.5  # every relu passed its gradient: the check is not vacuous


def test_elementary_node_counts() -> None:
    """A chain block is w, b, *, +, relu: 5 nodes, plus x; a wide block adds one more +."""
    params = workloads.chain_parameters(30)
    assert ours.Elementary("chain", params).count_nodes() == 5 * 30 + 1
    assert ours.Elementary("wide", params).count_nodes() == 6 * 30


# -- the worker ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [
    {"engine": "ours", "workload": "demo", "size": POINTS},
    {"engine": "ours-elementary", "workload": "demo", "size": POINTS},
    {"engine": "ours", "workload": "chain", "size": 50, "phases": True},
    {"engine": "ours", "workload": "chain", "size": 50, "phases": True, "gc": "off-in-backward"},
    {"engine": "ours", "workload": "wide", "size": 50, "gc": "freeze"},
    {"engine": "ours", "workload": "chain", "size": 50, "gc": "off"},
])
def test_worker_measures_our_engine(spec: dict) -> None:
    """A worker run reports one positive time per timed step, nodes, bytes, and no cycles."""
    result = measure({**spec, "warmup": 1, "steps": 2, "extras": True})
    assert len(result["times"]) == 2 and all(t > 0 for t in result["times"])
    assert result["nodes"] > result["setup_leaves"] > 0
    made = result["nodes"] - result["setup_leaves"]
    assert 50 < result["graph_bytes"] / made < 2000  # a plausible size for a Python object
    assert result["cyclic_garbage"] == 0  # our graphs are freed by reference counting
    if spec.get("phases"):
        assert len(result["phases"]["backward"]) == 2


@pytest.mark.parametrize("engine,workload", [
    ("micrograd", "demo"), ("micrograd", "chain"), ("torch-scalar", "demo"),
    ("torch-scalar", "wide"), ("torch-batched", "demo"),
])
def test_worker_measures_the_peers(engine: str, workload: str) -> None:
    """The peers run through the same worker; micrograd's graphs leave cyclic garbage."""
    needs("torch" if engine.startswith("torch") else "micrograd")
    size = POINTS if workload == "demo" else 30
    result = measure({"engine": engine, "workload": workload, "size": size, "warmup": 1,
                      "steps": 1, "extras": True})
    assert len(result["times"]) == 1 and result["times"][0] > 0
    assert result["nodes"] > 0
    if engine == "micrograd":
        assert result["cyclic_garbage"] > result["nodes"]  # each node's closure is a cycle


@pytest.mark.parametrize("engine,own", [
    ("ours", "scalargrad"), ("micrograd", "micrograd"), ("torch-scalar", "torch"),
])
def test_a_worker_imports_its_own_engine_only(engine: str, own: str) -> None:
    """A worker process loads one engine: the shared workload code imports none of them."""
    if own != "scalargrad":
        needs(own)
    code = ("import json, sys; from bench.worker import measure; "
            f"measure({{'engine': {engine!r}, 'workload': 'demo', 'size': 4, 'steps': 1}}); "
            "print(json.dumps([m for m in ('scalargrad', 'micrograd', 'torch') "
            "if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [own]


def test_collector_off_is_off_for_every_timed_step_and_on_again_after() -> None:
    """gc "off": the warm-up runs with the collector on, every timed step with it off, and it
    is on again afterwards, even when a timed step raises."""
    seen: list[bool] = []

    def step(k: int) -> int:
        seen.append(gc.isenabled())
        if k == 3:
            raise ArithmeticError("step 3")
        return k

    time_steps(step, warmup=2, steps=1, gc_mode="off")
    assert seen == [True, True, False] and gc.isenabled()
    with pytest.raises(ArithmeticError):
        time_steps(step, warmup=2, steps=2, gc_mode="off")
    assert gc.isenabled()


def test_worker_with_the_collector_off_counts_no_collection() -> None:
    """micrograd's demo step collects with the collector as it comes, never with it off."""
    needs("micrograd")
    spec = {"engine": "micrograd", "workload": "demo", "size": POINTS, "warmup": 1, "steps": 2}
    assert sum(measure(spec)["gc_collections"]) > 0
    off = measure({**spec, "gc": "off"})
    assert off["gc_collections"] == [0, 0, 0] and off["gc_seconds"] == 0.0


def test_the_demo_runs_every_engine_with_the_collector_as_it_comes_and_off() -> None:
    """Each demo row has a twin with gc "off" (same engine, interpreter, warm-up and steps);
    no other group gains rows."""
    for quick in (True, False):
        demo = next(g for g in build_plan(quick, pypy=False) if g.key == "demo")
        on = [r for r in demo.rows if r.gc == "on"]
        off = [r for r in demo.rows if r.gc == "off"]
        assert [r.engine for r in on] == [r.engine for r in off] == [
            "ours", "ours-elementary", "micrograd", "torch-scalar", "torch-batched"]
        assert all((a.python, a.warmup, a.steps) == (b.python, b.warmup, b.steps)
                   for a, b in zip(on, off))
        assert demo.rows[0] is on[0] and demo.collector_pairs
    others = [g for g in build_plan(True, pypy=True) if g.key != "demo"]
    assert not any(g.collector_pairs for g in others)


def _timed(demo: Group, ms: dict) -> Group:
    """`demo` with one made-up run per row: `ms[(engine, gc)]` ms per step, a tenth of it in
    the collector with the collector on."""
    for row in demo.rows:
        t = ms[(row.engine, row.gc)] / 1e3
        row.results = [{"times": [t, t], "first": 0.5, "gc_collections": [1, 0, 0],
                        "gc_seconds": 0.2 * t if row.gc == "on" else 0.0}]  # of 2·t
    return demo


def test_the_demo_tables_give_both_ratios() -> None:
    """The demo table, the summary and the targets divide each peer by ours under the same
    collector setting: 700 ms ÷ 10 ms as it comes, 40 ms ÷ 8 ms with the collector off."""
    demo = next(g for g in build_plan(True, pypy=False) if g.key == "demo")
    engines = ("ours", "ours-elementary", "micrograd", "torch-scalar", "torch-batched")
    ms = {**{(e, "on"): 100.0 for e in engines}, **{(e, "off"): 80.0 for e in engines}}
    ms.update({("ours", "on"): 10.0, ("ours", "off"): 8.0, ("micrograd", "on"): 700.0,
               ("micrograd", "off"): 40.0})
    _timed(demo, ms)
    line = next(x for x in report.table(demo).splitlines() if x.startswith("| micrograd"))
    assert "| 700 (700 – 700) | 70.0× | 40 (40 – 40) | 5.0× | 10% / 0% |" in line
    summary = report.summary([demo])
    assert "collector as it comes (ms/step) | 10 | 700 (70.0×) |" in summary
    assert "collector off (ms/step) | 8 | 40 (5.0×) |" in summary
    targets = report.targets([demo])
    assert "| demo step with the collector off in both (the engines' own work) | 5.0× faster |"\
        in targets


def test_update_replaces_a_group_where_it_stood(tmp_path: object) -> None:
    """--update puts a measured group in place of the recorded one with its key (the docs'
    tables keep their order) and a new group at the end, and notes the update."""
    from bench.__main__ import update
    path = os.path.join(str(tmp_path), "recorded.json")
    with open(path, "w") as f:
        json.dump({"groups": [{"key": k, "rows": []} for k in ("demo", "demo-pypy", "depth")],
                   "updates": []}, f)
    new = [Group(k, "t", "demo", 4, "ms/step", rows=[]) for k in ("demo", "extra")]
    update(path, new, {"command": "python -m bench --only demo"})
    with open(path) as f:
        data = json.load(f)
    assert [(g["key"], g["title"] if "title" in g else None) for g in data["groups"]] == [
        ("demo", "t"), ("demo-pypy", None), ("depth", None), ("extra", "t")]
    assert data["updates"] == [{"command": "python -m bench --only demo",
                                "groups": ["demo", "extra"]}]


def test_depth_check_at_the_default_recursion_limit() -> None:
    """Ours backpropagates 3,000 ops deep at the default limit; micrograd cannot do 1,002."""
    limit = sys.getrecursionlimit()
    assert measure({"engine": "ours", "workload": "chain", "size": 1000,
                    "default_recursion_limit": True})["depth_ok"]
    assert sys.getrecursionlimit() == limit  # put back as it was
    needs("micrograd")
    result = measure({"engine": "micrograd", "workload": "chain", "size": 334,
                      "default_recursion_limit": True})
    assert result["depth_ok"] is False and result["recursion_limit"] == 1000
    assert sys.getrecursionlimit() == limit


def test_quick_plan_covers_every_workload() -> None:
    """--quick still has the demo, PyPy, both elementary shapes, scaling and depth groups."""
    keys = [g.key for g in build_plan(quick=True, pypy=True)]
    for prefix in ("demo", "demo-pypy", "chain", "wide", "scaling", "depth"):
        assert any(k.startswith(prefix) for k in keys), prefix


# -- the command ----------------------------------------------------------------------------------

def test_command_runs_and_prints_the_tables(tmp_path: object) -> None:
    """`python -m bench --quick` (here: the PyPy demo and depth groups) runs each engine in its
    own process, prints a table and the targets, and writes every measurement as JSON."""
    needs("micrograd")
    out = os.path.join(str(tmp_path), "bench.json")
    args = ["--quick", "--only", "demo-pypy", "--only", "depth", "--json", out]
    if shutil.which("pypy3") is None and shutil.which("pypy") is None:
        args = ["--quick", "--only", "demo", "--only", "depth", "--no-pypy", "--json", out]
    done = subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "### Targets" in done.stdout and "| engine |" in done.stdout
    with open(out) as f:
        data = json.load(f)
    rows = [r for g in data["groups"] for r in g["rows"]]
    assert rows and all(r["results"] and not r["errors"] for r in rows)
    demo = next(g for g in data["groups"] if g["key"].startswith("demo"))
    first = [r["results"][0]["first"] for r in demo["rows"]]
    assert max(first) - min(first) <= 1e-9  # every engine (and interpreter) agrees
    depth = {r["engine"]: r["results"][0]["depth_ok"] for r in
             next(g for g in data["groups"] if g["key"] == "depth")["rows"]}
    assert depth == {"ours": True, "micrograd": False}
