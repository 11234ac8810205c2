"""`python -m bench.serve_load`: a room of learners opening lesson 1 at once, per web server.

Each learner asks for what headless Chromium asked for on a first visit of lesson 1 with
`?run=all` (FIRST_VISIT: recorded from the server's log, so it includes the Web Worker's
requests, which the page's DevTools log does not show): the page first, then the other 57
requests over six keep-alive connections, as a browser's per-host limit allows, each with
`Accept-Encoding: gzip`; the 27 that ask again for a file the learner holds are conditional
(If-None-Match, If-Modified-Since), as the browser's are. All learners start in the same
instant over loopback. Each server runs in its own process, a fresh one for each room size:

  scalargrad    `python -m scalargrad.workshop serve SITE` (this checkout's server)
  http.server   `python -m http.server` (the standard library's)
  nginx         Debian's nginx with the configuration docs/workshop.md gives
  caddy         Debian's caddy with the Caddyfile docs/workshop.md gives (when installed)

A learner is *abandoned* when any of its requests is not answered within 30 s (connect, the
response's headers, or a stall in its body), or is answered with an error status. Reported
per server and room: abandoned learners, the median and the slowest learner's total time
(first request sent until last byte read, among learners not abandoned), and the bytes
transferred (bodies as sent, compressed or not). `--json FILE` records the run (bench/serve.json);
`--docs` writes docs/workshop.md's table (between `<!-- serve-load:start -->` and
`<!-- serve-load:end -->`, inside its `bench:serve-load` region) from the recorded file
without measuring; `--check` exits 1 if the table is not the recorded run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
RECORDED = Path("bench") / "serve.json"
DOC = Path("docs") / "workshop.md"
START, END = "<!-- serve-load:start -->", "<!-- serve-load:end -->"
TIMEOUT = 30.0
CONNECTIONS = 6  # a browser's connections per host over HTTP/1.1

# Lesson 1's first visit with `?run=all` in headless Chromium 156 (a fresh profile, run to
# state done), as `scalargrad-workshop serve` logged it on 2026-12-07: 58 GETs, in the order
# the server answered them (the order within each step varies from run to run; the requests do
# not). 31 are new files (200) and 27 ask again for a file the browser already holds: the
# site is served with `Cache-Control: no-cache`, so each later use of a file is a conditional
# GET, answered with a bodiless 304. Steps: the page and its modules; the worker (which imports
# check.js again: a worker has its own module map) and manifest.json; the worker's check of 29
# files against manifest.json (the 8 it has not seen yet, then the 21 it has); Pyodide loading
# 4 of its files again; Viz.js again when the first graph is drawn.
FIRST_VISIT = [("GET", "/" + p) for p in (
    "01-a-program-is-a-graph.html?run=all lesson.css lesson.js outputs.js check.js editor.js "
    "editor/codemirror-state.js editor/codemirror-view.js editor/codemirror-commands.js "
    "editor/codemirror-language.js editor/lezer-highlight.js editor/codemirror-lang-python.js "
    "editor/lezer-common.js editor/codemirror-autocomplete.js editor/style-mod.js "
    "editor/codemirror-streamparser.js editor/lezer-python.js "
    "editor/marijn-find-cluster-break.js editor/w3c-keyname.js editor/crelt.js editor/lezer-lr.js "
    # the worker
    "worker.js check.js manifest.json "
    # its check: the files not yet seen, then the ones the browser holds
    "py/graphviz.whl py/scalargrad.zip pyodide/pyodide.mjs pyodide/pyodide.asm.mjs "
    "pyodide/pyodide.asm.wasm pyodide/pyodide-lock.json pyodide/python_stdlib.zip viz/viz.js "
    "check.js editor/codemirror-autocomplete.js editor/codemirror-commands.js "
    "editor/codemirror-lang-python.js editor/codemirror-language.js editor/codemirror-state.js "
    "editor/codemirror-streamparser.js editor/crelt.js editor/codemirror-view.js "
    "editor/lezer-common.js editor/lezer-highlight.js editor/lezer-python.js editor/lezer-lr.js "
    "editor/marijn-find-cluster-break.js editor/style-mod.js editor/w3c-keyname.js editor.js "
    "lesson.css lesson.js outputs.js worker.js "
    # Pyodide starting, then the first graph
    "pyodide/pyodide.mjs pyodide/pyodide.asm.wasm pyodide/python_stdlib.zip "
    "pyodide/pyodide.asm.mjs viz/viz.js").split()]
# A request for a path asked for earlier is a revalidation: sent once the earlier response is
# in (as in the browser, whose later step needs the earlier file), with that response's
# validators, as Chromium sends them. A server that ignores them sends the whole file again.
# (http.server sends no Cache-Control, so a browser might reuse a copy without asking: the
# simulation asks anyway, as for the three servers that send `no-cache`.)
REVALIDATIONS = sum(1 for k, r in enumerate(FIRST_VISIT) if r in FIRST_VISIT[:k])


def check_site(site: Path) -> None:
    """Fail, naming the file, if the site lacks a file of FIRST_VISIT (a changed site)."""
    for _, path in FIRST_VISIT:
        name = path.lstrip("/").split("?")[0]
        if not (site / name).is_file():
            raise FileNotFoundError(f"{site} has no {name}: the site changed, record "
                                    "FIRST_VISIT again (bench/serve_load.py)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def doc_block(language: str, doc: Path = ROOT / DOC) -> str:
    """The first fenced block marked `language` in docs/workshop.md's "Serving a room"."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index("## Serving a room"):]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    if match is None:
        raise LookupError(f"{doc} has no ```{language} block under 'Serving a room'")
    return match.group(1)


# What Debian's /etc/nginx/nginx.conf wraps around a file of sites-enabled/ (its http block
# includes mime.types and turns gzip and sendfile on), with the paths in a temporary prefix
# and the workers as root (the site may sit in a folder only root can read).
NGINX_MAIN = """\
user root;
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 768; }}
http {{
    sendfile on;
    tcp_nopush on;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    gzip on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""


def nginx_site(site: Path, port: int) -> str:
    """docs/workshop.md's nginx server block, for `site` on `port`."""
    conf = doc_block("nginx")
    conf, n = re.subn(r"listen\s+\d+;", f"listen 127.0.0.1:{port};", conf)
    conf, m = re.subn(r"root\s+[^;]+;", f"root {site};", conf)
    if (n, m) != (1, 1):
        raise LookupError("the doc's nginx block needs one `listen PORT;` and one `root DIR;`")
    return conf


def caddyfile(site: Path, port: int) -> str:
    """docs/workshop.md's Caddyfile, for `site` on `port`, without the admin endpoint."""
    conf = doc_block("caddy")
    conf, n = re.subn(r"^:\d+", f"http://127.0.0.1:{port}", conf, flags=re.M)
    conf, m = re.subn(r"root \* \S+", f"root * {site}", conf)
    if (n, m) != (1, 1):
        raise LookupError("the doc's Caddyfile needs one `:PORT {` site and one `root * DIR`")
    return "{\n\tadmin off\n}\n" + conf


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on port {port} within 20 s")


def precompressed(site: Path, tmp: str) -> Path:
    """A copy of `site` in `tmp`, with the doc's `gzip -k` command run on it (for nginx's
    gzip_static and Caddy's precompressed)."""
    copy = Path(tmp) / "site"
    shutil.copytree(site, copy)
    subprocess.run(["bash", "-e", "-c", doc_block("bash")], cwd=tmp, check=True)
    return copy


@contextmanager
def server(name: str, site: Path) -> Iterator[int]:
    """Start server `name` on `site` in its own process; yields its port, stops it after."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix=f"serve-{name}-") as tmp:
        env = dict(os.environ)
        if name in ("nginx", "caddy"):
            site = precompressed(site, tmp)
        if name == "scalargrad":
            cmd = [sys.executable, "-m", "scalargrad.workshop", "serve", str(site), "--port",
                   str(port)]
        elif name == "http.server":
            cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                   "--directory", str(site)]
        elif name == "nginx":
            Path(tmp, "site.conf").write_text(nginx_site(site, port), encoding="utf-8")
            Path(tmp, "nginx.conf").write_text(NGINX_MAIN.format(tmp=tmp), encoding="utf-8")
            cmd = ["/usr/sbin/nginx", "-p", tmp, "-c", f"{tmp}/nginx.conf",
                   "-e", f"{tmp}/error.log"]
        elif name == "caddy":
            Path(tmp, "Caddyfile").write_text(caddyfile(site, port), encoding="utf-8")
            env.update(XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
            cmd = [shutil.which("caddy") or "caddy", "run", "--config", f"{tmp}/Caddyfile",
                   "--adapter", "caddyfile"]
        else:
            raise ValueError(f"unknown server {name!r}: scalargrad, http.server, nginx, caddy")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_listening(port, proc, name)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def fetch(conn: http.client.HTTPConnection, method: str, path: str,
          validators: dict[str, str]) -> tuple[int, dict[str, str]]:
    """One request on a keep-alive connection, conditional on `validators` (the headers of the
    learner's earlier copy, or none); the body bytes read and this response's validators
    (raises on an error)."""
    headers = {"Accept-Encoding": "gzip"}
    if "ETag" in validators:
        headers["If-None-Match"] = validators["ETag"]
    if "Last-Modified" in validators:
        headers["If-Modified-Since"] = validators["Last-Modified"]
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    got = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            break
        got += len(chunk)
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: HTTP {response.status}")
    kept = {name: value for name in ("ETag", "Last-Modified")
            if (value := response.getheader(name)) is not None}
    return got, kept or validators


def learner(port: int, start: threading.Barrier, result: dict[str, Any]) -> None:
    """One learner's first visit: the page, then the rest over CONNECTIONS connections; a
    revalidation waits for the earlier response of its path and sends its validators."""
    start.wait()
    began = time.monotonic()
    todo: queue.SimpleQueue[tuple[int, tuple[str, str]]] = queue.SimpleQueue()
    for k, request in enumerate(FIRST_VISIT[1:], 1):
        todo.put((k, request))
    result.update(bytes=0, error=None)
    lock = threading.Lock()
    held: dict[str, dict[str, str]] = {}  # path: the validators of the copy the learner holds
    answered = {path: threading.Event() for _, path in FIRST_VISIT}
    first_asked = {path: k for k, (_, path) in reversed(list(enumerate(FIRST_VISIT)))}

    def ask(conn: http.client.HTTPConnection, k: int, method: str, path: str) -> None:
        validators: dict[str, str] = {}
        if first_asked[path] < k:
            if not answered[path].wait(TIMEOUT):
                raise TimeoutError(f"{path} was not answered, so it cannot be revalidated")
            validators = held[path]
        got, kept = fetch(conn, method, path, validators)
        with lock:
            result["bytes"] += got
            held[path] = kept
        answered[path].set()

    def connection(first: tuple[str, str] | None) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            if first is not None:
                ask(conn, 0, *first)
            while result["error"] is None:
                try:
                    k, (method, path) = todo.get_nowait()
                except queue.Empty:
                    return
                ask(conn, k, method, path)
        except Exception as e:  # a timeout, a reset, an error status: the learner gives up
            result["error"] = result["error"] or f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    connection(FIRST_VISIT[0])
    if result["error"] is None:
        helpers = [threading.Thread(target=connection, args=(None,))
                   for _ in range(CONNECTIONS)]
        for t in helpers:
            t.start()
        for t in helpers:
            t.join()
    result["seconds"] = time.monotonic() - began


def room(port: int, learners: int) -> dict[str, Any]:
    """`learners` first visits started in the same instant; what each got."""
    start = threading.Barrier(learners)
    results: list[dict[str, Any]] = [{} for _ in range(learners)]
    threads = [threading.Thread(target=learner, args=(port, start, r)) for r in results]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r["seconds"] for r in results if r["error"] is None]
    errors = sorted({r["error"] for r in results if r["error"]})
    return {"learners": learners, "abandoned": learners - len(done),
            "median_s": statistics.median(done) if done else None,
            "slowest_s": max(done) if done else None,
            "wall_s": time.monotonic() - began,
            "bytes": sum(r["bytes"] for r in results),
            "bytes_per_learner": statistics.median(r["bytes"] for r in results if not
                                                   r["error"]) if done else None,
            "errors": errors[:5]}


def available(name: str) -> bool:
    return {"nginx": os.path.exists("/usr/sbin/nginx"),
            "caddy": shutil.which("caddy") is not None}.get(name, True)


def measure(site: Path, sizes: list[int], names: list[str]) -> dict[str, Any]:
    """Every server against every room size, each in a fresh server process."""
    from bench.__main__ import Interpreters, machine

    check_site(site)
    started = time.monotonic()
    machine_line = machine(Interpreters(use_pypy=False)).split(" PyPy:")[0]
    runs = []
    for size in sizes:
        for name in names:
            if not available(name):
                runs.append({"server": name, "learners": size, "skipped": "not installed"})
                continue
            print(f"  serve_load: {name}, {size} learners", file=sys.stderr, flush=True)
            with server(name, site) as port:
                runs.append({"server": name, **room(port, size)})
            print(f"    {runs[-1]}", file=sys.stderr, flush=True)
    versions = {"nginx": _version(["/usr/sbin/nginx", "-v"]),
                "caddy": _version(["caddy", "version"])}
    return {"command": "python -m bench.serve_load", "date": time.strftime("%Y-%m-%d"),
            "seconds": round(time.monotonic() - started), "machine": machine_line,
            "versions": versions, "requests": len(FIRST_VISIT),
            "revalidations": REVALIDATIONS, "timeout_s": TIMEOUT,
            "connections": CONNECTIONS, "runs": runs}


def _version(cmd: list[str]) -> str | None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return (done.stdout + done.stderr).strip().split("\n")[0] or None


LABELS = {"scalargrad": "`scalargrad-workshop serve`",
          "http.server": "`python3 -m http.server`",
          "nginx": "Debian nginx, the configuration below",
          "caddy": "Debian caddy, the Caddyfile below"}


def render(run: dict[str, Any]) -> str:
    """The docs' table of one recorded run."""
    rows = []
    for r in run["runs"]:
        label = LABELS.get(r["server"], r["server"])
        if "skipped" in r:
            rows.append(f"| {label} | {r['learners']} | not installed | | | |")
            continue
        med = "–" if r["median_s"] is None else f"{r['median_s']:.1f} s"
        slow = "–" if r["slowest_s"] is None else f"{r['slowest_s']:.1f} s"
        per = "–" if r["bytes_per_learner"] is None else f"{r['bytes_per_learner'] / 1e6:.1f} MB"
        rows.append(f"| {label} | {r['learners']} | {r['abandoned']} | {med} | {slow} | "
                    f"{per} ({r['bytes'] / 1e9:.2f} GB in all) |")
    return (f"Recorded run: `{run['command']} --json {RECORDED}` on {run['date']} "
            f"({run['seconds']} s), written in by `python -m bench.serve_load --docs`. "
            f"{run['machine']} {run['versions'].get('nginx') or 'nginx not installed'}; "
            f"caddy {run['versions'].get('caddy') or 'not installed'}.\n\n"
            f"Each learner asks for lesson 1's first visit as Chromium does ({run['requests']} "
            f"requests, {run.get('revalidations', 0)} of them asking again, with the validators "
            "it got, for a file it already holds: the page, then the rest over "
            f"{run['connections']} keep-alive connections, accepting gzip); all start at once "
            "over loopback, the client and the "
            "server sharing the machine. *Abandoned*: a request not answered within "
            f"{run['timeout_s']:.0f} s (or answered with an error). Times are of the learners "
            "not abandoned: the median learner's and the slowest's, from the first request to "
            "the last byte. The client is Python (a thread per connection, http.client), so "
            "its own CPU is in every time: compare the servers within one run.\n\n"
            "| server | learners | abandoned | median learner | slowest learner | "
            "bytes per learner |\n| --- | --- | --- | --- | --- | --- |\n"
            + "\n".join(rows) + "\n" + summary(run))


def summary(run: dict[str, Any]) -> str:
    """A sentence on the biggest room: ours against http.server, medians."""
    big = max(r["learners"] for r in run["runs"])
    by = {r["server"]: r for r in run["runs"] if r["learners"] == big and "skipped" not in r}
    if "scalargrad" not in by or "http.server" not in by:
        return ""
    ours, std = by["scalargrad"], by["http.server"]
    return (f"\nWith {big} learners, `scalargrad-workshop serve` left {ours['abandoned']} "
            f"abandoned (median learner {ours['median_s']:.1f} s); `python3 -m http.server` "
            f"left {std['abandoned']} of {big} with a request unanswered after "
            f"{run['timeout_s']:.0f} s.\n")


def fill(text: str, run: dict[str, Any]) -> str:
    """`text` with its serve-load region rewritten from `run`."""
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return before + START + "\n" + render(run) + END + after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[60, 200])
    parser.add_argument("--servers", nargs="+",
                        default=["scalargrad", "http.server", "nginx", "caddy"])
    parser.add_argument("--site", type=Path, default=None,
                        help="a built site (default: build one in a temporary folder)")
    parser.add_argument("--json", help=f"record the run in this file (e.g. {RECORDED})")
    parser.add_argument("--docs", action="store_true",
                        help=f"measure nothing: rewrite {DOC}'s table from {RECORDED}")
    parser.add_argument("--check", action="store_true",
                        help=f"measure and write nothing: exit 1 if {DOC} is not {RECORDED}")
    args = parser.parse_args(argv)
    if args.docs or args.check:
        from .docs import rewrite

        return rewrite(ROOT / DOC, ROOT / RECORDED, fill, "python -m bench.serve_load --docs",
                       args.check)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        site = args.site
        if site is None:
            from scalargrad.workshop.build import build

            site = Path(tmp) / "site"
            build(site)
        run = measure(site.resolve(), args.learners, args.servers)
    print(render(run))
    if args.json:
        Path(args.json).write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
        print(f"recorded {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
