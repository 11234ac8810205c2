"""Turning the workers' measurements into the tables and the list of targets."""

from __future__ import annotations

import math
from statistics import median
from typing import Optional

from . import modes, workloads
from .plan import Group, Row

LOSS_TOLERANCE = 1e-9  # the demo's losses at step 0 must agree this closely
GRAD_TOLERANCE = 1e-9  # relative, for d output/dx of the elementary graphs


# -- one row's numbers --------------------------------------------------------------------------

def run_medians(row: Row) -> list[float]:
    """Each run's median seconds per step."""
    return [median(r["times"]) for r in row.results if r.get("times")]


def seconds(row: Row) -> Optional[float]:
    """The row's number: the median over runs of each run's median step, in seconds."""
    runs = run_medians(row)
    return median(runs) if runs else None


def per_unit(group: Group, secs: float) -> float:
    """Seconds per step in the group's unit: ms per step, ns per op or ns per node."""
    if group.unit in ("ms/step", "ms/Jacobian"):
        return secs * 1e3
    if group.unit == "ns/op":
        return secs / group.ops * 1e9
    return secs / (5 * group.size + 1) * 1e9  # ns/node of a scaling chain


def value(group: Group, row: Row) -> Optional[float]:
    secs = seconds(row)
    if secs is not None and group.workload == "fit":  # ns per node of the step's graph
        nodes = next((r["nodes"] for r in row.results if "nodes" in r), None)
        return None if not nodes else secs / nodes * 1e9
    return None if secs is None else per_unit(group, secs)


def extras(row: Row) -> dict:
    """The run that also counted nodes and bytes (the first one)."""
    return next((r for r in row.results if "nodes" in r), {})


def bytes_per_node(row: Row) -> Optional[float]:
    """Bytes one forward pass allocates, per node it creates (the set-up leaves excluded)."""
    ex = extras(row)
    if "graph_bytes" not in ex:
        return None
    made = ex["nodes"] - ex["setup_leaves"]
    return ex["graph_bytes"] / made if made > 0 else None


def gc_per_step(row: Row) -> Optional[tuple[list[float], float]]:
    """(collections per timed step for each generation, share of timed time spent in GC)."""
    runs = [r for r in row.results if r.get("times")]
    if not runs:
        return None
    steps = sum(len(r["times"]) for r in runs)
    total = sum(sum(r["times"]) for r in runs)
    per_gen = [sum(r["gc_collections"][g] for r in runs) / steps for g in range(3)]
    return per_gen, sum(r["gc_seconds"] for r in runs) / total if total else 0.0


def phase_medians(group: Group, row: Row) -> Optional[tuple[float, float, float, int]]:
    """(forward, backward, free) in the group's unit, and collections inside backward()."""
    runs = [r["phases"] for r in row.results if r.get("phases")]
    if not runs:
        return None
    medians = [per_unit(group, median(median(p[k]) for p in runs))
               for k in ("forward", "backward", "free")]
    return (*medians, sum(p["backward_collections"] for p in runs))


def first_result(row: Row) -> object:
    return row.results[0]["first"] if row.results and "first" in row.results[0] else None


# -- checks ---------------------------------------------------------------------------------

def demo_loss_gap(group: Group, row: Row) -> Optional[float]:
    """|this row's loss at step 0 − micrograd's| (or ours', if micrograd did not run)."""
    mine = first_result(row)
    refs = [first_result(r) for r in group.rows if r.engine == "micrograd"]
    refs = [x for x in refs if x is not None] or [first_result(group.rows[0])]
    if mine is None or refs[0] is None:
        return None
    return abs(mine - refs[0])


def grad_error(group: Group, row: Row) -> Optional[float]:
    """Relative error of (output, d output/dx) against the plain-float oracle."""
    got = first_result(row)
    if got is None:
        return None
    want = workloads.chain_reference(group.workload, workloads.chain_parameters(group.size))
    return max(abs(g - w) / max(abs(w), 1e-300) for g, w in zip(got, want))


def check(group: Group, row: Row) -> str:
    if row.errors and not row.results:
        return "FAILED: " + row.errors[-1]
    if row.default_recursion_limit:
        r = row.results[0]
        return (f"backward ok at recursion limit {r['recursion_limit']}" if r["depth_ok"]
                else f"RecursionError at recursion limit {r['recursion_limit']}")
    if group.key.startswith("scaling"):
        g = gc_per_step(row)
        if g is None:
            return ""
        gens, share = g
        text = (f"collections per step {gens[0]:.0f} / {gens[1]:.1f} / {gens[2]:.2f} "
                f"(gen 0/1/2), {100 * share:.0f}% of the time")
        phases = phase_medians(group, row)
        if phases:
            fwd, bwd, free, in_backward = phases
            text += (f"; forward / backward / free {fwd:.0f} / {bwd:.0f} / {free:.0f} ns/node, "
                     f"{in_backward} collections inside backward()")
        return text
    if group.workload == "fit":
        g = gc_per_step(row)
        nodes = next((r["nodes"] for r in row.results if "nodes" in r), None)
        if g is None or nodes is None:
            return ""
        gens, share = g
        return (f"{nodes:,} nodes; collections per step {gens[0]:.0f} / {gens[1]:.1f} / "
                f"{gens[2]:.2f} (gen 0/1/2), {100 * share:.0f}% of the time")
    if modes.is_modes(group):
        err = modes.error(group, row)
        return "" if err is None else f"agrees with the float oracle to {err:.0e}"
    if group.workload == "demo":
        gap = demo_loss_gap(group, row)
        loss = first_result(row)
        return "" if gap is None else f"loss {loss:.12f} (Δ {gap:.0e})"
    err = grad_error(group, row)
    return "" if err is None else f"dx agrees with the oracle to {err:.0e}"


# -- tables -------------------------------------------------------------------------------------

def _num(x: Optional[float], digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def collector_off_row(group: Group, row: Row) -> Optional[Row]:
    """The row that ran the same engine as `row` with the collector off (None if none did)."""
    return next((r for r in group.rows if r.gc == "off" and r.engine == row.engine
                 and r.python == row.python and r.root == row.root), None)


def _median_and_runs(group: Group, row: Optional[Row]) -> str:
    if row is None:
        return "–"
    runs = [per_unit(group, s) for s in run_medians(row)]
    if not runs:
        return "failed" if row.errors else "–"
    return f"{_num(value(group, row))} ({_num(min(runs))} – {_num(max(runs))})"


def _in_collector(row: Optional[Row]) -> str:
    g = gc_per_step(row) if row is not None else None
    return "–" if g is None else f"{100 * g[1]:.0f}%"


def collector_table(group: Group) -> str:
    """The demo as one line per engine: its step with CPython's collector as it comes and
    with it off, each with its ratio to ours under the same setting."""
    ours_on = group.rows[0]
    ours_off = collector_off_row(group, ours_on)
    refs = {"on": value(group, ours_on), "off": value(group, ours_off) if ours_off else None}
    lines = [f"### {group.title}", "",
             f"| engine | collector as it comes: {group.unit} (median; runs: min – max) | "
             f"÷ ours | collector off: {group.unit} (median; runs: min – max) | ÷ ours | "
             "share of the step in the collector (as it comes / off) | nodes per step | "
             "bytes per node | check |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in group.rows:
        if row.gc != "on":
            continue
        off = collector_off_row(group, row)
        ratios = []
        for r, ref in ((row, refs["on"]), (off, refs["off"])):
            v = value(group, r) if r is not None else None
            ratios.append(_times(v / ref) if v is not None and ref else "–")
        nodes = extras(row).get("nodes")
        failed = [r.errors[-1] for r in (row, off) if r is not None and r.errors]
        lines.append(
            f"| {row.label} | {_median_and_runs(group, row)} | {ratios[0]} | "
            f"{_median_and_runs(group, off)} | {ratios[1]} | "
            f"{_in_collector(row)} / {_in_collector(off)} | "
            f"{'–' if nodes is None else f'{nodes:,}'} | {_num(bytes_per_node(row))} | "
            f"{'FAILED: ' + failed[0] if failed else check(group, row)} |")
    if group.note:
        lines += ["", group.note]
    return "\n".join(lines) + "\n"


def table(group: Group) -> str:
    """The group as a Markdown table (a depth group is a short list of outcomes)."""
    if modes.is_modes(group):
        return modes.table(group)
    if group.collector_pairs:
        return collector_table(group)
    lines = [f"### {group.title}", ""]
    if group.unit == "":
        lines += [f"- {row.label}: {check(group, row)}" for row in group.rows]
        return "\n".join(lines) + "\n"
    ours = value(group, group.rows[0])
    lines += [f"| engine | {group.unit} (median of runs) | runs: min – max | ÷ first row | "
              "nodes per step | bytes per node | check |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in group.rows:
        v = value(group, row)
        runs = [per_unit(group, s) for s in run_medians(row)]
        spread = f"{_num(min(runs))} – {_num(max(runs))}" if runs else "–"
        ratio = _times(v / ours) if v is not None and ours else "–"
        nodes = extras(row).get("nodes")
        lines.append(f"| {row.label} | {_num(v)} | {spread} | {ratio} | "
                     f"{'–' if nodes is None else f'{nodes:,}'} | "
                     f"{_num(bytes_per_node(row))} | {check(group, row)} |")
    if group.note:
        lines += ["", group.note]
    return "\n".join(lines) + "\n"


# -- summary --------------------------------------------------------------------------------

def summary(groups: list[Group]) -> str:
    """One line per workload: ours and each peer side by side (the table for the README)."""
    out = ["### Summary (time per step or per op; ratio = peer ÷ ours; bytes per graph node)", "",
           "| workload | scalargrad | micrograd 0.1.0 | PyTorch, 0-d tensors | "
           "PyTorch, batched | bytes/node ours vs micrograd |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for g in groups:
        if g.key.startswith(("scaling", "depth", "fit-scaling")) or modes.is_modes(g):
            continue
        ours = value(g, g.rows[0])
        if g.key == "demo-pypy":
            _, mg = _row(groups, g.key, "micrograd", "pypy")
            _, ours_pypy = _row(groups, g.key, "ours", "pypy")
            cells = [f"{_cell(g, g.rows[0], None)} (CPython); "
                     f"{_cell(g, ours_pypy, None)} (PyPy)" if ours_pypy else "–",
                     f"{_cell(g, mg, ours)} (PyPy)" if mg else "–", "", ""]
        else:
            cells = _peer_cells(groups, g, "on")
        _, mine = _row(groups, g.key, "ours-elementary" if g.key == "demo" else "ours")
        _, theirs = _row(groups, g.key, "micrograd")
        a = bytes_per_node(mine) if mine else None
        b = bytes_per_node(theirs) if theirs else None
        cells.append(f"{a:.0f} vs {b:.0f}" if a and b else "")
        name = g.key if g.key != "demo" else f"demo step ({g.size} moons points)"
        if g.collector_pairs:
            name += ", collector as it comes"
        out.append(f"| {name} ({g.unit}) | " + " | ".join(cells) + " |")
        if g.collector_pairs:
            out.append(f"| demo step ({g.size} moons points), collector off ({g.unit}) | "
                       + " | ".join(_peer_cells(groups, g, "off")) + " | |")
    nodes = [(g, value(g, r)) for g in groups if g.key.startswith("scaling")
             for r in g.rows if r.gc == "on"]
    if nodes:
        out.append("| scaling, ns/node at " + " / ".join(f"{5 * g.size + 1:,.0f}" for g, _ in nodes)
                   + " nodes | " + " / ".join(_num(v) for _, v in nodes) + " | | | | |")
    fit = [(g, value(g, r)) for g in groups if g.key.startswith("fit-scaling")
           for r in g.rows if r.gc == "on"]
    if fit:
        out.append("| inside nn.fit, ns/node at " + " / ".join(
            f"{65 * g.size:,.0f}" for g, _ in fit) + " nodes | "
            + " / ".join(_num(v) for _, v in fit) + " | | | | |")
    return "\n".join(out) + "\n"


def _peer_cells(groups: list[Group], g: Group, gc: str) -> list[str]:
    """Ours, then micrograd and PyTorch with their ratio to ours, all under collector `gc`."""
    _, mine = _row(groups, g.key, "ours", gc=gc)
    ours = value(g, mine) if mine else None
    cells = [_cell(g, mine, None) if mine else "–"]
    for engine in ("micrograd", "torch-scalar", "torch-batched"):
        _, r = _row(groups, g.key, engine, gc=gc)
        cells.append(_cell(g, r, ours) if r else "")
    return cells


def _cell(group: Group, row: Row, ours: Optional[float]) -> str:
    v = value(group, row)
    if v is None:
        return "failed" if row.errors else "–"
    return _num(v) if ours is None else f"{_num(v)} ({_times(v / ours)})"


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio >= 0.95 else f"{ratio:.2g}×"


# -- targets --------------------------------------------------------------------------------

def _row(groups: list[Group], key: str, engine: str, python: str = "cpython",
         gc: str = "on") -> tuple[Optional[Group], Optional[Row]]:
    for g in groups:
        if g.key == key:
            for r in g.rows:
                if r.engine == engine and r.python == python and r.gc == gc:
                    return g, r
    return None, None


def _ratio(groups: list[Group], key: str, peer: str, python: str = "cpython",
           mine: str = "ours", gc: str = "on") -> Optional[float]:
    g, theirs = _row(groups, key, peer, python, gc)
    _, ours = _row(groups, key, mine, gc=gc)
    if g is None or theirs is None or ours is None:
        return None
    a, b = value(g, theirs), value(g, ours)
    return None if a is None or b is None else a / b


def collector_share(groups: list[Group], engine: str) -> Optional[float]:
    """The share of `engine`'s timed demo steps spent in the cyclic collector (as it comes)."""
    _, row = _row(groups, "demo", engine)
    g = gc_per_step(row) if row is not None else None
    return None if g is None else g[1]


def collector_headline(groups: list[Group]) -> str:
    """The demo's headline in one sentence: ours against micrograd with CPython's collector as
    it comes and with it off, as medians and ratios ("" if the demo ran no collector-off rows)."""
    g, mg_on = _row(groups, "demo", "micrograd")
    _, mg_off = _row(groups, "demo", "micrograd", gc="off")
    _, ours_on = _row(groups, "demo", "ours")
    _, ours_off = _row(groups, "demo", "ours", gc="off")
    rows = [r for r in (ours_on, mg_on, ours_off, mg_off) if r is not None]
    if g is None or len(rows) < 4:
        return ""
    ms = [v for v in (value(g, r) for r in rows) if v]
    shares = [s for s in (collector_share(groups, "micrograd"), collector_share(groups, "ours"))
              if s is not None]
    if len(ms) < 4 or len(shares) < 2:
        return ""
    runs = min(len(run_medians(r)) for r in rows)
    return (f"On micrograd's demo step ({g.size} points) scalargrad is **{_times(ms[1] / ms[0])}** "
            f"faster than micrograd with CPython's cyclic collector as it comes ({_num(ms[1])} "
            f"against {_num(ms[0])} ms per step; micrograd spends {100 * shares[0]:.0f}% of "
            "its step in the collector, as its closures make every node cyclic garbage that "
            f"only the collector frees; we spend {100 * shares[1]:.0f}%), and "
            f"**{_times(ms[3] / ms[2])}** faster with the collector off in both ({_num(ms[3])} "
            f"against {_num(ms[2])} ms; `gc.disable()` after warm-up). The first ratio swings "
            "with when the collector happens to run, from run to run and machine to machine; "
            "the second is the engines' own work. Each figure is the median over "
            f"{runs} run{'s' if runs != 1 else ''} of each run's median step.\n")


DEMO_SPEEDUP = 35.0  # the demo step, ours (default nn.MLP) against micrograd 0.1.0
DEMO_BYTES = 0.45  # bytes per node of the default demo graph, as a share of micrograd's


def targets(groups: list[Group], quick: bool = False) -> str:
    """Each target of the performance issue, the measured number, and met / missed."""
    out = ["### Targets", ""]
    if quick:
        out += ["(--quick: tiny sizes and one run each, to check the bench works; the targets "
                "are about the full run's sizes.)", ""]
    out += ["| target | measured | met? |", "| --- | --- | --- |"]

    def line(target: str, measured: str, ok: Optional[bool] | str) -> None:
        verdict = ok if isinstance(ok, str) else "–" if ok is None else "met" if ok else "MISSED"
        out.append(f"| {target} | {measured} | {verdict} |")

    r = _ratio(groups, "demo", "micrograd")
    g, _ = _row(groups, "demo", "micrograd")
    gaps = [demo_loss_gap(g, row) for row in g.rows] if g else []
    gaps = [x for x in gaps if x is not None]
    line(f"demo step ≥ {DEMO_SPEEDUP:.0f}× faster than micrograd, same loss to 1e-9",
         "–" if r is None else f"{r:.0f}× faster; losses differ by ≤ {max(gaps):.0e}",
         None if r is None else r >= DEMO_SPEEDUP and max(gaps) <= LOSS_TOLERANCE)
    r = _ratio(groups, "demo", "micrograd", gc="off")
    if r is not None:
        line("demo step with the collector off in both (the engines' own work)",
             f"{r:.1f}× faster", "reported")
    in_gc = collector_share(groups, "micrograd"), collector_share(groups, "ours")
    if in_gc[0] is not None and in_gc[1] is not None:
        line("share of the demo step in CPython's collector (as it comes)",
             f"micrograd {100 * in_gc[0]:.0f}%, ours {100 * in_gc[1]:.0f}%", "reported")
    r = _ratio(groups, "demo-pypy", "micrograd", "pypy")
    line("ours on CPython faster than micrograd on PyPy",
         "–" if r is None else f"{r:.1f}× faster", None if r is None else r > 1)

    ratios = [(g.key, _ratio(groups, g.key, "micrograd")) for g in groups
              if g.workload in ("chain", "wide") and not g.key.startswith(("scaling", "depth"))]
    ratios = [(k, x) for k, x in ratios if x is not None]
    if ratios:
        worst = min(ratios, key=lambda kx: kx[1])
        line("elementary ops ≥ 2× faster per op than micrograd (each size run)",
             f"{worst[1]:.1f}× at worst ({worst[0]}), "
             f"{max(x for _, x in ratios):.1f}× at best", worst[1] >= 2)

    for gc_mode in ("on", "off-in-backward", "freeze", "off"):
        per_node = [(g.key, value(g, r)) for g in groups if g.key.startswith("scaling")
                    for r in g.rows if r.gc == gc_mode]
        per_node = [(k, v) for k, v in per_node if v is not None]
        if len(per_node) > 1:
            lo, hi = min(v for _, v in per_node), max(v for _, v in per_node)
            span = f"{per_node[0][0].split('-')[1]}–{per_node[-1][0].split('-')[1]} nodes"
            # (reported: the target is inside nn.fit, which manages the collector, below)
            line(f"time per node over {span}, a bare chain (gc {gc_mode})",
                 f"{lo:.0f}–{hi:.0f} ns/node: {hi / lo:.2f}×", "reported")

    fit = [(g.key, value(g, r)) for g in groups if g.key.startswith("fit-scaling")
           for r in g.rows if r.gc == "on"]
    fit = [(k, v) for k, v in fit if v is not None]
    if len(fit) > 1:
        lo, hi = min(v for _, v in fit), max(v for _, v in fit)
        sizes = [int(k.split("-")[-1]) for k, _ in fit]
        line(f"time per node flat within 1.5× inside nn.fit ({65 * min(sizes):,}–"
             f"{65 * max(sizes):,} nodes)",
             f"{lo:.0f}–{hi:.0f} ns/node: {hi / lo:.2f}×", hi / lo <= 1.5)

    for key in [g.key for g in groups if g.key.startswith(("chain", "demo"))
                and g.key != "demo-pypy"]:
        g, ours = _row(groups, key, "ours")
        _, theirs = _row(groups, key, "micrograd")
        a = bytes_per_node(ours) if ours else None
        b = bytes_per_node(theirs) if theirs else None
        if a is not None and b is not None:
            share = DEMO_BYTES if key == "demo" else 0.5
            line(f"bytes per node ≤ {share:g}× micrograd's ({key})",
                 f"{a:.0f} vs {b:.0f} bytes: {a / b:.2f}", a <= b * share)
    if any(g.key == "demo" for g in groups):
        g, ours = _row(groups, "demo", "ours-elementary")
        _, theirs = _row(groups, "demo", "micrograd")
        a = bytes_per_node(ours) if ours else None
        b = bytes_per_node(theirs) if theirs else None
        if a is not None and b is not None:
            line("bytes per node ≤ half of micrograd's (demo, the same elementary graph)",
                 f"{a:.0f} vs {b:.0f} bytes: {a / b:.2f}", a <= b / 2)

    g, ours = _row(groups, "depth", "ours")
    _, theirs = _row(groups, "depth", "micrograd")
    if ours and ours.results:
        deep = 3 * g.size
        mg = theirs.results[0]["depth_ok"] if theirs and theirs.results else None
        line(f"backward through a {deep:,}-op chain at the default recursion limit",
             ("ok" if ours.results[0]["depth_ok"] else "RecursionError")
             + ("" if mg is None else f"; micrograd at 1,002 ops: "
                f"{'ok' if mg else 'RecursionError'}"),
             ours.results[0]["depth_ok"])

    for key, mine, what in (("demo", "ours", "demo step, ours (default) vs 0-d tensors"),
                            ("demo", "ours-elementary",
                             "demo step, both on micrograd's elementary graph")):
        r = _ratio(groups, key, "torch-scalar", mine=mine)
        if r is not None:
            line(f"faster than PyTorch scalar by scalar ({what})", f"{r:.1f}× faster", r > 1)
    torch_ratios = [(g.key, _ratio(groups, g.key, "torch-scalar")) for g in groups
                    if g.workload in ("chain", "wide") and not g.key.startswith("scaling")]
    torch_ratios = [(k, x) for k, x in torch_ratios if x is not None]
    if torch_ratios:
        worst = min(torch_ratios, key=lambda kx: kx[1])
        line("faster per op than PyTorch 0-d tensors (elementary graphs)",
             f"{worst[1]:.1f}× at worst ({worst[0]})", worst[1] > 1)
    r = _ratio(groups, "demo", "torch-batched")
    if r is not None:
        line("PyTorch batched tensors, same MLP",
             f"PyTorch {1 / r:.0f}× faster than ours" if r < 1 else f"ours {r:.1f}× faster",
             "reported")
    for target, measured, verdict in modes.targets(groups):
        line(target, measured, verdict)
    return "\n".join(out) + "\n"


def before_after(groups: list[Group]) -> str:
    """Ours against the `--before` engine, group by group: time, ratio and bytes per node."""
    out = ["### Before/after (the --before checkout vs this one, same run)", "",
           "| workload | before | after | after ÷ before | bytes/node before → after |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for g in groups:
        before = [r for r in g.rows if r.root]
        if not before:
            continue
        mine, old = g.rows[0], before[0]
        if g.unit == "":
            out.append(f"| {g.key} | {check(g, old)} | {check(g, mine)} | | |")
            continue
        a, b = value(g, mine), value(g, old)
        ratio = f"{a / b:.2f}×" if a is not None and b else "–"  # a 1.05 budget needs two digits
        bytes_a, bytes_b = bytes_per_node(mine), bytes_per_node(old)
        out.append(f"| {g.key} ({g.unit}) | {_num(b)} | {_num(a)} | {ratio} | "
                   f"{_num(bytes_b)} → {_num(bytes_a)} |")
    return "\n".join(out) + "\n"
