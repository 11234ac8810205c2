"""`python -m bench --before DIR --clock cpu`: an earlier checkout runs as one more row, from
its own directory, and the before/after table compares it with ours. Timings are never
asserted; the checkout used as "before" here is this repository itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.plan import build_plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_before_adds_one_row_to_the_demo_elementary_and_depth_groups() -> None:
    """Every demo, chain, wide and depth group gains a last row importing from DIR; the other
    groups are unchanged."""
    plain = {g.key: len(g.rows) for g in build_plan(True, pypy=False)}
    for g in build_plan(True, pypy=False, before="/some/checkout"):
        extra = [r for r in g.rows if r.root]
        if g.key == "demo" or g.key.startswith(("chain", "wide", "depth")):
            assert len(g.rows) == plain[g.key] + 1 and extra == [g.rows[-1]]
            assert extra[0].root == "/some/checkout" and extra[0].engine == "ours"
        else:
            assert len(g.rows) == plain[g.key] and not extra


def test_before_run_prints_the_before_after_table(tmp_path: object) -> None:
    """A quick run with --before and --clock cpu: the table has a row per group, and both
    rows measured the same graph (the same check against the oracle)."""
    out = os.path.join(str(tmp_path), "run.json")
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--no-pypy", "--clock",
                           "cpu", "--before", ROOT, "--only", "chain-100", "--json", out],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(CPU time per step)" in done.stdout
    table = done.stdout.split("### Before/after", 1)[1]
    assert "| chain-100 (ns/op) |" in table
    with open(out) as f:
        rows = json.load(f)["groups"][0]["rows"]
    mine, before = rows[0], rows[-1]
    assert before["label"].startswith("scalargrad before")
    assert before["check"] == mine["check"] and before["value"] > 0
