"""The nginx and Caddy configurations docs/workshop.md gives, run as written: Debian's nginx and
caddy serve the built site with them, and headless Chromium runs lesson 1 to `done`.

The configurations are read out of the doc's "Serving a room" (bench/serve_load.py's
`nginx_site` and `caddyfile`: only the port and the site's folder are put in), so the doc is
what is tested; the doc's `gzip -k` line is run on a copy of the site first. nginx runs
inside the main configuration Debian's nginx.conf wraps around a file of sites-enabled/
(bench/serve_load.py's NGINX_MAIN). Each server is skipped, saying what to install, when it
is missing.
"""

from __future__ import annotations

import http.client
import os
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from lesson_runs import FINISHED, SETTLED, why

from bench.serve_load import server

LESSON = "01-a-program-is-a-graph"
INSTALL = {"nginx": ("/usr/sbin/nginx", "apt-get install nginx"),
           "caddy": ("caddy", "apt-get install caddy")}


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def served(request: pytest.FixtureRequest, workshop_site: Path) -> Iterator[tuple[str, int]]:
    """(server name, port): the doc's configuration of that server, serving the site."""
    binary, install = INSTALL[request.param]
    if not (os.path.exists(binary) or shutil.which(binary)):
        pytest.skip(f"{request.param} is not installed: {install}")
    with server(request.param, workshop_site.resolve()) as port:
        yield request.param, port


def head(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_types_isolation_and_gzip(served: tuple[str, int]) -> None:
    """.mjs as text/javascript, .wasm as application/wasm and gzipped when accepted, with
    both isolation headers and no-cache."""
    _, port = served
    mjs = head(port, "/pyodide/pyodide.mjs")
    wasm = head(port, "/pyodide/pyodide.asm.wasm", **{"Accept-Encoding": "gzip"})
    got = {"mjs": mjs.getheader("Content-Type", "").split(";")[0],
           "wasm": wasm.getheader("Content-Type"),
           "encoding": wasm.getheader("Content-Encoding"),
           "coop": wasm.getheader("Cross-Origin-Opener-Policy"),
           "coep": mjs.getheader("Cross-Origin-Embedder-Policy"),
           "cache": mjs.getheader("Cache-Control")}
    assert got == {"mjs": "text/javascript", "wasm": "application/wasm", "encoding": "gzip",
                   "coop": "same-origin", "coep": "require-corp", "cache": "no-cache"}


def test_no_directory_listing(served: tuple[str, int]) -> None:
    """A folder without index.html is refused, not listed."""
    assert head(served[1], "/pyodide/").status in (403, 404)


def test_lesson_one_runs_to_done(served: tuple[str, int], browser: Any) -> None:
    """Headless Chromium runs lesson 1 with ?run=all to `done`, cross-origin isolated."""
    _, port = served
    browser.get(f"http://127.0.0.1:{port}/{LESSON}.html?run=all")
    started = time.monotonic()
    while not browser.execute_script(FINISHED) and time.monotonic() - started < 120:
        time.sleep(0.25)
    result = browser.execute_script(SETTLED)
    result["seconds"] = round(time.monotonic() - started)
    isolated = browser.execute_script("return self.crossOriginIsolated")
    browser.execute_script("localStorage.clear()")
    assert (result["state"], isolated) == ("done", True), why(result)
