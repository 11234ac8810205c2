"""`python -m bench.docs`: write the recorded benchmark run into README.md and the docs.

One run is recorded (`make bench-docs` runs `python -m bench --clock cpu --json
bench/recorded.json`, then this script). Every measured figure in README.md and
docs/performance.md sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, and this
script rewrites each such region from that file, so the docs show one run and say which.
`--check` writes nothing and exits 1 naming each region that differs from the recorded run
(tests/test_bench_docs.py runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Optional

from . import report
from .plan import Group, Row

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDED = os.path.join("bench", "recorded.json")
DOCS = ("README.md", os.path.join("docs", "performance.md"))
REGION = re.compile(r"(<!-- bench:([a-z-]+) -->\n)(.*?)(<!-- /bench:\2 -->)", re.S)


class Recorded:
    """A `python -m bench --json` file read back: the run's facts and its groups."""

    def __init__(self, data: dict) -> None:
        self.machine: str = data["machine"]
        self.command: str = data.get("command", "python -m bench")
        self.clock: str = data.get("clock", "wall")
        self.date: str = data.get("date", "?")
        self.seconds: Optional[int] = data.get("seconds")
        self.groups = [_group(g) for g in data["groups"]]
        self.updates: list[dict] = data.get("updates", [])


def _group(g: dict) -> Group:
    rows = []
    for r in g["rows"]:
        row = Row(r["label"], r["engine"], python=r["python"], gc=r["gc"],
                  steps=r.get("steps", 3), warmup=r.get("warmup", 1),
                  phases=r.get("phases", False), size=r.get("size"), root=r.get("root"),
                  default_recursion_limit=r.get("default_recursion_limit", False))
        row.results, row.errors = list(r["results"]), list(r["errors"])
        rows.append(row)
    return Group(g["key"], g["title"], g["workload"], g["size"], g["unit"], rows,
                 repeats=g.get("repeats", 3), note=g.get("note", ""))


def read(path: str) -> Recorded:
    with open(path, encoding="utf-8") as f:
        return Recorded(json.load(f))


def run_line(run: Recorded, shown: Optional[set[str]] = None) -> str:
    """Which run the figures are from, and which groups were measured later on their own
    (of the groups `shown`, or all)."""
    clock = "CPU time per step" if run.clock == "cpu" else "wall-clock time per step"
    took = "" if not run.seconds else (f", {run.seconds} s" if run.seconds < 120
                                       else f", {run.seconds // 60} min")
    text = (f"Recorded run: `{run.command}` on {run.date} ({clock}{took}), written in by "
            f"`python -m bench.docs` from `{RECORDED}`. {run.machine}\n")
    for u in run.updates:  # groups run later on their own (--update)
        if shown is not None and not shown & set(u["groups"]):
            continue
        clock = "CPU time per step" if u.get("clock") == "cpu" else "wall-clock time per step"
        load = re.search(r"load average [\d.]+ at start", u.get("machine", ""))
        text += (f"\nGroups {', '.join(u['groups'])} measured on their own: `{u['command']}` on "
                 f"{u['date']} ({clock}, {u['seconds']} s"
                 f"{', ' + load.group(0) if load else ''}), the same machine.\n")
    return text


def readme(run: Recorded) -> str:
    """The README's short table: the demo step (with the collector as it comes and off), PyPy,
    one elementary size, bytes, targets."""
    keep = ("demo", "demo-pypy", "chain-10000")
    groups = [g for g in run.groups if g.key in keep]
    headline = report.collector_headline(run.groups)
    return (run_line(run, shown=set(keep)) + "\n" + (headline + "\n" if headline else "")
            + report.summary(groups).split("\n", 2)[2] + "\n" + _met_line(run))


def _met_line(run: Recorded) -> str:
    lines = report.targets(run.groups).splitlines()[4:]
    rows = [(line.split("|")[1].strip(), line.rsplit("|", 2)[-2].strip()) for line in lines
            if line.startswith("|")]
    judged = [(target, v) for target, v in rows if v in ("met", "MISSED")]
    missed = [target for target, v in judged if v == "MISSED"]
    met = len(judged) - len(missed)
    text = (f"The bench's targets: {met} of {len(judged)} met in this run (the table in "
            "[docs/performance.md](docs/performance.md#targets-from-the-performance-issues))")
    return text + (f"; missed: {'; '.join(missed)}.\n" if missed else ".\n")


def results(run: Recorded) -> str:
    return "\n".join(report.table(g) for g in run.groups)


RENDER: dict[str, Callable[[Recorded], str]] = {
    "run": run_line,
    "collector": lambda run: report.collector_headline(run.groups),
    "readme": readme,
    "summary": lambda run: report.summary(run.groups).split("\n", 2)[2],
    "targets": lambda run: report.targets(run.groups).split("\n", 2)[2],
    "results": results,
}


def fill(text: str, run: Recorded, where: str) -> str:
    """`text` with every bench region rewritten from `run`."""

    def one(m: re.Match) -> str:
        name = m.group(2)
        if name not in RENDER:
            raise ValueError(f"{where}: unknown bench region {name!r}; expected one of "
                             f"{', '.join(RENDER)}")
        return m.group(1) + RENDER[name](run).rstrip("\n") + "\n" + m.group(4)

    return REGION.sub(one, text)


def regions(text: str) -> dict[str, str]:
    return {m.group(2): m.group(3) for m in REGION.finditer(text)}


def rewrite(doc: Path, recorded: Path, fill_doc: Callable[[str, Any], str], command: str,
            check: bool) -> int:
    """`--docs` (check False) or `--check` for a doc whose figures `fill_doc(text, run)` writes
    from the recorded run in `recorded`: rewrites the doc if it differs, or, for a check,
    says so and returns 1; `command` is the one that rewrites it."""
    from scalargrad.files import write_atomic

    run = json.loads(recorded.read_text(encoding="utf-8"))
    old = doc.read_text(encoding="utf-8")
    new = fill_doc(old, run)
    if check:
        if new != old:
            print(f"{doc} is not the recorded run ({command})", file=sys.stderr)
        return int(new != old)
    if new != old:
        write_atomic(doc, new, f"{command} writes only a regular file")
        print(f"wrote {doc}")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.docs", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--json", default=RECORDED, help=f"the recorded run (default "
                        f"{RECORDED})")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a region differs from the run")
    args = parser.parse_args(argv)
    run = read(os.path.join(ROOT, args.json))
    stale = []
    for name in DOCS:
        path = os.path.join(ROOT, name)
        with open(path, encoding="utf-8") as f:
            old = f.read()
        new = fill(old, run, name)
        if new == old:
            continue
        if args.check:
            before, after = regions(old), regions(new)
            stale += [f"{name}: region {k!r}" for k in after if before.get(k) != after[k]]
            continue
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(new)
        os.replace(tmp, path)
        print(f"wrote {name}")
    for line in stale:
        print(f"not the recorded run: {line} (run python -m bench.docs)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
