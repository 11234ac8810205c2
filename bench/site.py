"""`python -m bench.site`: how fast the zero-install workshop is, in headless Chromium.

Builds the site, serves it on 127.0.0.1 and, in a fresh Chromium (Debian's, every other host
unresolvable) for each repeat, measures:

  ready     seconds from opening lesson 8 until Python is ready (`dataset.ready`): first
            with an empty browser cache (a learner's first visit), then on a reload
  step      one step of lesson 8's training loop (the moons MLP(2, [16, 16, 1]), hinge loss
            + L2, SGD), typed into the page's first cell and run with its Run button, as a
            learner would; the same code runs under this CPython, in its own process

Each figure is a median; the ratio is browser step / CPython step, measured in the same run.
The loss after the last step must be the same float in both, or the run fails. `--json FILE`
records the run (`make bench-site` records bench/site.json and writes docs/workshop.md's
`<!-- bench:site -->` region from it); `--docs` only rewrites that region from the recorded
file; `--check` exits 1 if the region is not the recorded run (tests/test_bench_docs.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from scalargrad.files import write_atomic

from .docs import REGION, rewrite

ROOT = Path(__file__).resolve().parent.parent
RECORDED = Path("bench") / "site.json"
DOC = Path("docs") / "workshop.md"
LESSON = "08-training-moons"
WARMUP, STEPS = 3, 20

# Lesson 8's loop, timed step by step; the same text runs in the page and under CPython.
STEP_CODE = f"""
import json, time
import nn
X, y = nn.moons(100, noise=0.1, seed=0, signed=True)
model = nn.MLP(2, [16, 16, 1], seed=0)
opt = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, steps=100))
seconds = []
for k in range({WARMUP + STEPS}):
    start = time.perf_counter()
    loss = nn.hinge_loss([model(x) for x in X], y) + nn.l2_regularization(model.parameters())
    opt.zero_grad()
    loss.backward()
    opt.step()
    seconds.append(time.perf_counter() - start)
print("BENCH " + json.dumps({{"ms": [1000 * s for s in seconds[{WARMUP}:]],
                              "loss": loss.data.hex()}}))
"""


def _result(text: str) -> dict[str, Any]:
    line = next((x for x in text.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"the timed cell printed no result; it printed:\n{text}")
    result: dict[str, Any] = json.loads(line[len("BENCH "):])
    return result


def cpython_step() -> dict[str, Any]:
    """The step under this CPython, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", STEP_CODE], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=600)
    return _result(done.stdout)


def _wait(read: Any, want: tuple[str, ...], what: str, seconds: float = 600) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = read()
        if state in want:
            return str(state)
        time.sleep(0.05)
    raise TimeoutError(f"waited {seconds:.0f} s for {what}")


def _ready(driver: Any) -> float:
    state = _wait(lambda: driver.execute_script("return document.documentElement.dataset."
                                                "state"), ("ready", "error"), "Python")
    if state == "error":
        raise RuntimeError("Python did not start in the page: "
                           + driver.find_element("id", "status").text)
    return float(driver.execute_script("return document.documentElement.dataset.ready"))


def browser_run(url: str) -> dict[str, Any]:
    """One fresh Chromium: lesson 8 opened cold, reloaded, then the timed step in a cell."""
    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from browser import OFFLINE, close, open_chromium  # the tests' Chromium, same flags

    driver = open_chromium(OFFLINE)
    try:
        driver.get(f"{url}/{LESSON}.html")
        cold = _ready(driver)
        driver.refresh()
        warm = _ready(driver)
        cell = driver.find_element("css selector", "section.cell")
        textarea = cell.find_element("tag name", "textarea")
        driver.execute_script("arguments[0].value = arguments[1];"
                              "arguments[0].dispatchEvent(new Event('input'));",
                              textarea, STEP_CODE)
        cell.find_element("css selector", ".bar button").click()
        state = _wait(lambda: cell.get_attribute("data-state"), ("ok", "error"),
                      "the timed cell")
        out = cell.find_element("css selector", ".out").text
        if state != "ok":
            raise RuntimeError(f"the timed cell failed in the page:\n{out}")
        version = driver.capabilities.get("browserVersion", "?")
        driver.execute_script("localStorage.clear()")
        return {"cold": cold, "warm": warm, "chromium": version, **_result(out)}
    finally:
        close(driver)


def measure(repeats: int) -> dict[str, Any]:
    """Build and serve the site, then `repeats` browser runs and as many CPython runs, in turn."""
    from scalargrad import __version__
    from scalargrad.workshop import fetch
    from scalargrad.workshop.build import build
    from scalargrad.workshop.cli import serve

    from .__main__ import Interpreters, machine

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        manifest = build(Path(tmp) / "site")
        server = serve(Path(tmp) / "site", 0, quiet=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        browser, cpython = [], []
        try:
            for rep in range(repeats):  # alternate, so a slow spell of the machine hits both
                print(f"  site: run {rep + 1}/{repeats}", file=sys.stderr, flush=True)
                browser.append(browser_run(url))
                cpython.append(cpython_step())
        finally:
            server.shutdown()
            server.server_close()
    losses = {r["loss"] for r in browser + cpython}
    if len(losses) != 1:
        raise RuntimeError(f"the browser's loss and CPython's differ: {sorted(losses)}")
    return {
        "command": "python -m bench.site", "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.monotonic() - started),
        "machine": machine(Interpreters(use_pypy=False)).split(" PyPy:")[0],
        "chromium": browser[0]["chromium"], "pyodide": fetch.PYODIDE_VERSION,
        "scalargrad": __version__, "site_bytes": manifest["bytes"],
        "warmup": WARMUP, "steps": STEPS, "loss": losses.pop(),
        "cold": [r["cold"] for r in browser], "warm": [r["warm"] for r in browser],
        "browser_ms": [statistics.median(r["ms"]) for r in browser],
        "cpython_ms": [statistics.median(r["ms"]) for r in cpython],
    }


def render(run: dict[str, Any]) -> str:
    """The docs' table of one recorded run."""
    median = statistics.median
    browser, cpython = median(run["browser_ms"]), median(run["cpython_ms"])
    n = len(run["cold"])
    return (
        f"Recorded run: `{run['command']}` on {run['date']} ({run['seconds']} s), written in "
        f"by `python -m bench.site --docs` from `{RECORDED}`: medians of {n} runs, each in a "
        f"fresh headless Chromium {run['chromium']} with every other host unresolvable. "
        f"{run['machine']}\n\n"
        "| what | time |\n| --- | --- |\n"
        f"| lesson 8 opened, until Python is ready (empty browser cache) | "
        f"{median(run['cold']):.2f} s |\n"
        f"| the same, on a reload | {median(run['warm']):.2f} s |\n"
        f"| one moons training step in the browser (Pyodide {run['pyodide']}) | "
        f"{browser:.1f} ms |\n"
        f"| the same step under CPython on the same machine | {cpython:.1f} ms |\n"
        f"| browser / CPython | {browser / cpython:.2f}× |\n\n"
        f"A step is lesson 8's loop (forward pass, hinge loss + L2, zero_grad, backward, SGD "
        f"step) over 100 points; {run['steps']} steps after {run['warmup']} untimed, median "
        f"per run. Both ended with the same loss, to the last bit ({float.fromhex(run['loss'])!r}"
        f"). The site was {run['site_bytes'] / 1e6:.1f} MB.\n")


def fill(text: str, run: dict[str, Any]) -> str:
    """`text` with its `<!-- bench:site -->` region rewritten from `run`."""
    return REGION.sub(lambda m: m.group(1) + render(run).rstrip("\n") + "\n" + m.group(4)
                      if m.group(2) == "site" else m.group(0), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.site",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="browser runs (default 5)")
    parser.add_argument("--json", help=f"record the run in this file (e.g. {RECORDED})")
    parser.add_argument("--docs", action="store_true",
                        help=f"measure nothing: rewrite {DOC}'s region from {RECORDED}")
    parser.add_argument("--check", action="store_true",
                        help=f"measure and write nothing: exit 1 if {DOC} is not {RECORDED}")
    args = parser.parse_args(argv)
    doc = ROOT / DOC
    if args.docs or args.check:
        return rewrite(doc, ROOT / RECORDED, fill, "python -m bench.site --docs", args.check)
    run = measure(args.repeats)
    print(render(run))
    if args.json:
        write_atomic(args.json, json.dumps(run, indent=1) + "\n",
                     "bench.site writes only a regular file")
        print(f"recorded {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
