"""`python -m bench`: scalargrad side by side with micrograd and PyTorch, printed as tables.

Each engine runs in its own process (`bench.worker`), engines alternate within a group so
slow drifts of the machine hit them alike, each group is repeated, and each number is a
median. `--quick` runs every workload at a tiny size (seconds; what the smoke test uses);
the full run takes about 5-10 minutes. Timings are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Optional

from . import report
from .plan import Group, Row, build_plan
from .worker import interpreter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Interpreters:
    """The command and environment that start a worker under CPython (this one) or PyPy."""

    def __init__(self, use_pypy: bool = True) -> None:
        self.cpython = [sys.executable]
        self.pypy: Optional[list[str]] = None
        self.pypy_path = ""
        self.pypy_note = "PyPy not used"
        self.clock = "wall"  # or "cpu" (bench --clock)
        self._tmp: Optional[tempfile.TemporaryDirectory] = None
        if use_pypy:
            self._find_pypy()

    def _find_pypy(self) -> None:
        exe = shutil.which("pypy3") or shutil.which("pypy")
        if exe is None:
            self.pypy_note = "PyPy not found (install pypy3 for the PyPy rows)"
            return
        if self._pypy_imports_micrograd(exe, ""):
            self.pypy, self.pypy_note = [exe], "micrograd installed for PyPy"
            return
        # micrograd is one pure-Python package: show PyPy the copy CPython has installed.
        try:
            import micrograd
        except ImportError:
            self.pypy_note = "micrograd is not installed (pip install -e '.[bench]')"
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-pypy-")
        package = os.path.dirname(os.path.abspath(micrograd.__file__))
        link = os.path.join(self._tmp.name, "micrograd")
        try:
            os.symlink(package, link)
        except OSError:
            shutil.copytree(package, link)
        if self._pypy_imports_micrograd(exe, self._tmp.name):
            self.pypy, self.pypy_path = [exe], self._tmp.name
            self.pypy_note = "micrograd's source from CPython's site-packages on PYTHONPATH"
        else:
            self.pypy_note = "PyPy could not import micrograd"

    def _pypy_imports_micrograd(self, exe: str, path: str) -> bool:
        env = self.env("pypy", extra=path)
        done = subprocess.run([exe, "-c", "import micrograd.engine, scalargrad, nn"],
                              cwd=ROOT, env=env, capture_output=True)
        return done.returncode == 0

    def env(self, python: str, extra: Optional[str] = None) -> dict:
        env = dict(os.environ)
        paths = [ROOT]
        if python == "pypy":
            paths.insert(0, self.pypy_path if extra is None else extra)
            env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave CPython's site-packages untouched
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join([p for p in paths if p] + ([old] if old else []))
        return env

    def command(self, python: str) -> Optional[list[str]]:
        return self.cpython if python == "cpython" else self.pypy

    def version(self, python: str) -> str:
        cmd = self.command(python)
        if cmd is None:
            return "–"
        code = "from bench.worker import interpreter; print(interpreter())"
        done = subprocess.run([*cmd, "-c", code], cwd=ROOT, env=self.env(python),
                              capture_output=True, text=True)
        return done.stdout.strip() or "?"


def run_worker(interpreters: Interpreters, group: Group, row: Row, extras: bool,
               timeout: float) -> None:
    """Run one process for `row` and keep its result (or its error) on the row."""
    cmd = interpreters.command(row.python)
    if cmd is None:
        row.errors.append(interpreters.pypy_note)
        return
    spec = {"engine": row.engine, "workload": group.workload,
            "size": row.size or group.size, "warmup": row.warmup, "steps": row.steps,
            "gc": row.gc, "extras": extras, "phases": row.phases,
            "default_recursion_limit": row.default_recursion_limit}
    if row.root:
        spec["root"] = os.path.abspath(row.root)
    if interpreters.clock != "wall":
        spec["clock"] = interpreters.clock
    try:
        done = subprocess.run([*cmd, "-m", "bench.worker", json.dumps(spec)], cwd=ROOT,
                              env=interpreters.env(row.python), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        row.errors.append(f"timed out after {timeout:.0f} s")
        return
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no output)"]
        row.errors.append(lines[-1])
        return
    row.results.append(json.loads(done.stdout.strip().splitlines()[-1]))


def run_group(interpreters: Interpreters, group: Group, timeout: float) -> None:
    """Every row, `repeats` times, in a rotating order so no engine always runs first."""
    for rep in range(group.repeats):
        shift = rep % len(group.rows)
        for row in group.rows[shift:] + group.rows[:shift]:
            print(f"  {group.key}: {row.label} (run {rep + 1}/{group.repeats})",
                  file=sys.stderr, flush=True)
            run_worker(interpreters, group, row, extras=rep == 0, timeout=timeout)


def machine(interpreters: Interpreters) -> str:
    """One paragraph on where and with what the numbers were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.2f} at start"
    peers = []
    for name in ("micrograd", "torch"):
        try:
            from importlib.metadata import version
            peers.append(f"{name} {version(name)}")
        except Exception:
            peers.append(f"{name} not installed")
    return (f"Machine: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
            f"{load}. CPython: {interpreter()}. PyPy: {interpreters.version('pypy')} "
            f"({interpreters.pypy_note}). Peers: {', '.join(peers)} (torch on 1 thread, "
            "float64).")


def parse(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one run each (seconds): checks the bench works")
    parser.add_argument("--only", action="append", default=[], metavar="KEY",
                        help="run only groups whose key starts with KEY (demo, demo-pypy, "
                        "chain, wide, scaling, depth, fit-scaling, modes); repeatable")
    parser.add_argument("--no-pypy", action="store_true", help="skip the PyPy rows")
    parser.add_argument("--repeats", type=int, help="runs per engine per group (default: "
                        "5 for the demo, 3 otherwise, 1 with --quick)")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement here")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time steps by the wall clock (default) or by each worker's CPU "
                        "time (steadier when other jobs share the machine; excludes waiting)")
    parser.add_argument("--before", metavar="DIR", help="also run the scalargrad in DIR (e.g. "
                        "a git worktree of main) as one more row of the demo, elementary and "
                        "depth groups, and print a before/after table")
    parser.add_argument("--update", metavar="PATH", help="write the groups run into the "
                        "recorded run at PATH (e.g. bench/recorded.json with --only modes): "
                        "same-key groups replaced, the others kept, the update noted")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a single worker is abandoned")
    return parser.parse_args(argv)


def groups_json(groups: list[Group]) -> list[dict]:
    """Every measurement of every group, as the --json file holds them."""
    return [{"key": g.key, "title": g.title, "unit": g.unit, "size": g.size, "ops": g.ops,
             "workload": g.workload, "repeats": g.repeats, "note": g.note,
             "rows": [{"label": r.label, "engine": r.engine, "python": r.python, "gc": r.gc,
                       "steps": r.steps, "warmup": r.warmup, "phases": r.phases,
                       "size": r.size, "root": r.root,
                       "default_recursion_limit": r.default_recursion_limit,
                       "value": report.value(g, r), "bytes_per_node": report.bytes_per_node(r),
                       "check": report.check(g, r), "results": r.results, "errors": r.errors}
                      for r in g.rows]}
            for g in groups]


def update(path: str, groups: list[Group], facts: dict) -> None:
    """Put this run's groups into the recorded run at `path` (a group with the same key is
    replaced where it stood, a new one added at the end) and note the update, so the docs say
    which groups were measured when, without running the others again."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    mine = {g["key"]: g for g in groups_json(groups)}
    keys = list(mine)
    old = [g["key"] for g in data["groups"]]
    data["groups"] = ([mine.get(g["key"], g) for g in data["groups"]]
                      + [g for k, g in mine.items() if k not in old])
    notes = [u for u in data.get("updates", []) if set(u["groups"]) - set(keys)]
    data["updates"] = notes + [{**facts, "groups": keys}]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
    print(f"updated {path}: {', '.join(keys)}", file=sys.stderr)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse(argv)
    if args.update and args.quick:
        print("--update writes into a recorded full run: not with --quick", file=sys.stderr)
        return 2
    interpreters = Interpreters(use_pypy=not args.no_pypy)
    interpreters.clock = args.clock
    groups = build_plan(args.quick, pypy=interpreters.pypy is not None, before=args.before)
    if args.only:
        groups = [g for g in groups if any(g.key.startswith(k) for k in args.only)]
    if args.repeats:
        for g in groups:
            g.repeats = args.repeats
    started = time.perf_counter()
    print(f"# scalargrad benchmark{' (--quick)' if args.quick else ''}"
          f"{' (CPU time per step)' if args.clock == 'cpu' else ''}\n")
    print(machine(interpreters) + "\n", flush=True)
    for group in groups:
        run_group(interpreters, group, args.timeout)
        print(report.table(group), flush=True)
    print(report.summary(groups))
    print(report.targets(groups, quick=args.quick))
    if args.before:
        print(report.before_after(groups))
    print(f"Total time {time.perf_counter() - started:.0f} s.")
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    seconds = round(time.perf_counter() - started)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(interpreters), "quick": args.quick,
                       "command": command, "clock": args.clock,
                       "date": time.strftime("%Y-%m-%d", time.gmtime()),
                       "seconds": seconds, "groups": groups_json(groups)}, f, indent=1)
    failed = [f"{g.key}: {r.label}" for g in groups for r in g.rows if r.errors]
    for name in failed:
        print(f"FAILED: {name}", file=sys.stderr)
    if args.update and failed:
        print(f"{args.update} not updated: a row failed", file=sys.stderr)
    elif args.update:
        update(args.update, groups, {"command": command, "clock": args.clock,
                                     "date": time.strftime("%Y-%m-%d", time.gmtime()),
                                     "seconds": seconds, "machine": machine(interpreters)})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
