"""The two-directions groups (jacfwd against jacrev) as tables: one line per size, both modes
side by side, the ratio, each mode's peak memory, and the check against the float oracle."""

from __future__ import annotations

import math
from typing import Optional

from . import workloads
from .plan import Group, Row


def is_modes(group: Group) -> bool:
    return group.workload in ("jac-in", "jac-out")


def _ms(row: Row) -> Optional[float]:
    from .report import seconds  # (report imports this module)

    secs = seconds(row)
    return None if secs is None else secs * 1e3


def _peak(row: Row) -> Optional[int]:
    return next((r["peak_bytes"] for r in row.results if "peak_bytes" in r), None)


def error(group: Group, row: Row) -> Optional[float]:
    """Largest relative error of the row's Jacobian against `workloads.jacobian_reference`."""
    if not row.results or "first" not in row.results[0]:
        return None
    got = row.results[0]["first"]
    want = workloads.jacobian_reference(group.workload[4:], row.size or group.size)
    flat = [(g[0], w[0]) if isinstance(g, list) else (g, w) for g, w in zip(got, want)]
    if len(flat) != len(want):
        return math.inf
    return max(abs(g - w) / max(abs(w), 1e-300) for g, w in flat)


def pairs(group: Group) -> list[tuple[int, Row, Row]]:
    """(size, jacfwd row, jacrev row) for each size, smallest first."""
    by = {(r.engine, r.size): r for r in group.rows}
    sizes = sorted({r.size for r in group.rows if r.size is not None})
    return [(s, by[("jacfwd", s)], by[("jacrev", s)]) for s in sizes
            if ("jacfwd", s) in by and ("jacrev", s) in by]


def crossover(group: Group) -> Optional[int]:
    """The smallest size from which the cheaper mode for large sizes stays cheaper (jacrev
    for n inputs, jacfwd for m outputs), or None if it never is."""
    cheap, dear = ("jacrev", "jacfwd") if group.workload == "jac-in" else ("jacfwd", "jacrev")
    found = None
    for size, fwd, rev in pairs(group):
        t = {"jacfwd": _ms(fwd), "jacrev": _ms(rev)}
        low, high = t[cheap], t[dear]
        if low is None or high is None:
            return None
        if low < high:
            found = size if found is None else found
        else:
            found = None
    return found


def table(group: Group) -> str:
    what = "n" if group.workload == "jac-in" else "m"
    lines = [f"### {group.title}", "",
             f"| {what} | jacfwd, ms | jacrev, ms | jacfwd ÷ jacrev | peak memory jacfwd / "
             "jacrev | check |", "| ---: | ---: | ---: | ---: | ---: | --- |"]
    for size, fwd, rev in pairs(group):
        a, b = _ms(fwd), _ms(rev)
        ratio = f"{a / b:.2g}×" if a is not None and b else "–"
        pa, pb = _peak(fwd), _peak(rev)
        peak = "–" if pa is None or pb is None else f"{pa / 1e3:.0f} / {pb / 1e3:.0f} KB"
        errors = [error(group, r) for r in (fwd, rev)]
        failed = [r.errors[-1] for r in (fwd, rev) if r.errors and not r.results]
        worst = max((e for e in errors if e is not None), default=None)
        check = ("FAILED: " + failed[0] if failed else "–" if None in errors else
                 f"both agree with the float oracle to {worst:.0e}")
        lines.append(f"| {size} | {_num(a)} | {_num(b)} | {ratio} | {peak} | {check} |")
    if group.note:
        lines += ["", group.note]
    return "\n".join(lines) + "\n"


def _num(x: Optional[float]) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.3g}"


def targets(groups: list[Group]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) lines: the cost rule, as measured (reported, not judged)."""
    out = []
    for g in groups:
        if not is_modes(g) or not pairs(g):
            continue
        size = crossover(g)
        what, cheap = ("n", "jacrev") if g.workload == "jac-in" else ("m", "jacfwd")
        errors = [error(g, r) for _, f, r in pairs(g) for r in (f, r)]
        ok = all(e is not None and e <= 1e-9 for e in errors)
        measured = ("never, up to " if size is None else f"from {what} = {size} (of ") + \
            f"{what} = {pairs(g)[-1][0]}" + ("" if size is None else ")")
        fn = "ℝⁿ → ℝ" if g.workload == "jac-in" else "ℝ → ℝᵐ"
        out.append((f"f: {fn}: {cheap} is the cheaper Jacobian as {what} grows (Jacobians "
                    "agree with the float oracle to 1e-9)", measured,
                    "reported" if ok else "MISSED"))
    return out
