"""The bench's two-directions groups (jacfwd against jacrev, bench/modes.py): they run, their
Jacobians agree with the chain rule written out in plain floats, and a run of those groups
alone can be recorded into bench/recorded.json without the others. Timings are never asserted.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys

import pytest

from bench import docs, modes, workloads
from bench.plan import Group, Row, build_plan
from bench.worker import measure

ROOT = docs.ROOT


@pytest.mark.parametrize("direction", ["in", "out"])
def test_the_float_oracle_matches_central_differences(direction: str) -> None:
    """jacobian_reference (the chain rule by hand) is the slope of the functions computed
    in plain floats, the oracle's own check."""
    ends, trunk = workloads.jacobian_parameters(3)

    def through(h: float) -> float:
        for a, b in trunk:
            h = math.tanh(a * h + b)
        return h

    x0, h = workloads.JAC_X0, 1e-6
    want = workloads.jacobian_reference(direction, 3)
    if direction == "in":
        def f(xs: list[float]) -> float:
            return through(sum(math.tanh(w * x + c) for x, (w, c) in zip(xs, ends)))

        for j in range(3):
            up = [x0 + (h if k == j else 0.0) for k in range(3)]
            down = [x0 - (h if k == j else 0.0) for k in range(3)]
            assert (f(up) - f(down)) / (2 * h) == pytest.approx(want[j], rel=1e-6)
    else:
        for i, (w, c) in enumerate(ends):
            slope = (math.tanh(w * through(x0 + h) + c)
                     - math.tanh(w * through(x0 - h) + c)) / (2 * h)
            assert slope == pytest.approx(want[i][0], rel=1e-6)


@pytest.mark.parametrize("engine", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("workload", ["jac-in", "jac-out"])
def test_worker_measures_both_modes_and_their_jacobians_are_right(engine: str,
                                                                  workload: str) -> None:
    """A worker times the Jacobian, reports its peak memory, and the Jacobian is the float
    oracle's to 1e-12."""
    result = measure({"engine": engine, "workload": workload, "size": 5, "warmup": 1,
                      "steps": 2, "extras": True})
    assert len(result["times"]) == 2 and all(t > 0 for t in result["times"])
    assert result["nodes"] > 30
    if platform.python_implementation() == "CPython":  # (tracemalloc)
        assert result["peak_bytes"] > 0
    got = result["first"]
    want = workloads.jacobian_reference(workload[4:], 5)
    flat = [g[0] if isinstance(g, list) else g for g in got]
    ref = [w[0] if isinstance(w, list) else w for w in want]
    assert len(flat) == 5 and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(flat, ref))


def test_the_plan_has_both_directions_with_a_row_per_mode_and_size() -> None:
    """Quick and full plans hold modes-in and modes-out, each size timed by both modes."""
    for quick in (True, False):
        groups = {g.key: g for g in build_plan(quick=quick, pypy=False)}
        for key in ("modes-in", "modes-out"):
            rows = groups[key].rows
            sizes = sorted({r.size for r in rows})
            assert len(sizes) >= 2
            assert sorted((r.engine, r.size) for r in rows) == sorted(
                (m, s) for s in sizes for m in ("jacfwd", "jacrev"))


def _group(times: dict) -> Group:
    rows = []
    for (mode, size), ms in times.items():
        row = Row(f"{mode}, n = {size}", mode, size=size)
        row.results = [{"times": [ms / 1e3]}]
        rows.append(row)
    return Group("modes-in", "t", "jac-in", 8, "ms/Jacobian", rows)


def test_the_crossover_is_where_the_cheaper_mode_stays_cheaper() -> None:
    """jacrev cheaper from n = 4 on (n = 2 a blip back): the crossover is 4, not 2."""
    group = _group({("jacfwd", 1): 1.0, ("jacrev", 1): 2.0, ("jacfwd", 2): 2.0,
                    ("jacrev", 2): 1.5, ("jacfwd", 3): 2.0, ("jacrev", 3): 2.5,
                    ("jacfwd", 4): 4.0, ("jacrev", 4): 2.0, ("jacfwd", 8): 8.0,
                    ("jacrev", 8): 2.0})
    assert modes.crossover(group) == 4
    never = _group({("jacfwd", 1): 1.0, ("jacrev", 1): 2.0})
    assert modes.crossover(never) is None


def test_quick_command_prints_both_tables_and_the_cost_rule() -> None:
    """`python -m bench --quick --only modes` prints one table per direction and reports the
    crossover among the targets."""
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "modes",
                           "--no-pypy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("| jacfwd, ms | jacrev, ms |") == 2
    assert "jacrev is the cheaper Jacobian as n grows" in done.stdout
    assert "jacfwd is the cheaper Jacobian as m grows" in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("| f: ")]
    assert len(lines) == 2 and all(line.endswith("| reported |") for line in lines), lines


def test_update_puts_the_groups_into_a_recorded_run_and_says_so(tmp_path: object) -> None:
    """--update replaces the modes groups of a recorded run, keeps every other group as it
    was, notes the update, and the docs' run line names it."""
    path = os.path.join(str(tmp_path), "recorded.json")
    shutil.copy(os.path.join(ROOT, docs.RECORDED), path)
    with open(path, encoding="utf-8") as f:
        before = json.load(f)
    from bench.__main__ import update

    groups = [g for g in build_plan(quick=True, pypy=False) if g.key.startswith("modes")]
    update(path, groups, {"command": "python -m bench --only modes", "clock": "cpu",
                          "date": "2026-12-07", "seconds": 5, "machine": "load average "
                          "1.50 at start"})
    with open(path, encoding="utf-8") as f:
        after = json.load(f)
    others = [g for g in before["groups"] if not g["key"].startswith("modes")]
    assert after["groups"][:len(others)] == others
    assert [g["key"] for g in after["groups"][len(others):]] == ["modes-in", "modes-out"]
    assert after["updates"][-1]["groups"] == ["modes-in", "modes-out"]
    assert after["command"] == before["command"] and after["quick"] is False
    line = docs.run_line(docs.read(path))
    assert "Groups modes-in, modes-out measured on their own: `python -m bench --only modes`" \
        in line and "load average 1.50 at start" in line


def test_update_refuses_a_quick_run() -> None:
    """A --quick run is never written into the recorded full run."""
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "modes",
                           "--no-pypy", "--update", "never-written.json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not with --quick" in done.stderr
    assert not os.path.exists(os.path.join(ROOT, "never-written.json"))
