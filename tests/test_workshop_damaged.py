"""A damaged copy of the workshop site (a USB stick's copy gone wrong), in headless Chromium:
each damage ends in dataset.state "error" with the status line naming the damaged file,
within seconds, instead of "Loading Python…" for ever or a `done` with nothing drawn.

One copy of the built site per damage, side by side in one folder served by one server; one
browser for the module. The copies are hard links to conftest.py's `workshop_site`, and a
damaged file is written anew (never changed in place, which would change the original).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from served import served

STATE = ("return [document.documentElement.dataset.state, "
         "document.getElementById('status').textContent]")
SMALL = "03-checking-a-gradient"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.unlink()
    path.write_bytes(bytes(data))


DAMAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "wasm-truncated": ("pyodide/pyodide.asm.wasm", _truncate),
    "stdlib-flipped": ("pyodide/python_stdlib.zip", _flip),
    "loader-deleted": ("pyodide/pyodide.mjs", Path.unlink),
    "lock-deleted": ("pyodide/pyodide-lock.json", Path.unlink),
    "worker-deleted": ("worker.js", Path.unlink),
    "viz-deleted": ("viz/viz.js", Path.unlink),
}


def _serve(folder: Path, handler: Any, host: str = "127.0.0.1") -> http.server.HTTPServer:
    server = http.server.ThreadingHTTPServer((host, 0), functools.partial(handler,
                                                                         directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".js": "text/javascript", ".mjs": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json",
                      ".zip": "application/zip", ".whl": "application/zip", ".css": "text/css",
                      ".html": "text/html; charset=utf-8"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


class _OctetModules(_Quiet):
    """A server that does not know .mjs (sends it as application/octet-stream)."""

    extensions_map = {**_Quiet.extensions_map, ".mjs": "application/octet-stream"}


@pytest.fixture(scope="module")
def sites(workshop_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding an intact copy ("intact") and one damaged copy per DAMAGES entry."""
    parent = tmp_path_factory.mktemp("damaged")
    (parent / "index.html").write_text("copies of the workshop site\n", encoding="utf-8")
    for name in ["intact", *DAMAGES]:
        shutil.copytree(workshop_site, parent / name, copy_function=os.link)
        if name in DAMAGES:
            path, damage = DAMAGES[name]
            damage(parent / name / path)
    yield parent


@pytest.fixture(scope="module")
def url(sites: Path) -> Iterator[str]:
    with served(sites) as address:
        yield address


def _settle(browser: Any, address: str, seconds: float = 30) -> tuple[str, str, float]:
    """Open `address`; its state once it is no longer loading, its status, and how long."""
    start = time.monotonic()
    browser.get(address)
    state, status = browser.execute_script(STATE)
    while state in (None, "loading") and time.monotonic() - start < seconds:
        time.sleep(0.1)
        state, status = browser.execute_script(STATE)
    return state, status, time.monotonic() - start


@pytest.mark.parametrize("damage", [d for d in DAMAGES if d != "viz-deleted"])
def test_a_damaged_file_python_needs_is_named_at_once(browser, url, damage):
    """The status names the file and what to do, and the state is error, within seconds."""
    path = DAMAGES[damage][0]
    state, status, seconds = _settle(browser, f"{url}/{damage}/{SMALL}.html?run=all")
    assert (state, seconds < 15) == ("error", True), (status, seconds)
    assert f"/{damage}/{path}" in status and "copy the whole site folder again" in status, status


def test_a_missing_viz_js_is_named_and_a_graph_cell_fails(browser, url):
    """Python starts (cells without graphs run), the page says viz.js is missing, and a
    draw_dot cell ends in error naming viz.js rather than as done with nothing drawn."""
    state, status, _ = _settle(browser, f"{url}/viz-deleted/{SMALL}.html?run=all")
    assert state == "error" and "/viz-deleted/viz/viz.js is missing" in status, status
    ready = "return document.getElementById('status').dataset.state"
    deadline = time.monotonic() + 60
    while browser.execute_script(ready) != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    cell = browser.find_element("css selector", 'section.cell[data-number="1"]')
    browser.execute_script(
        "const t = arguments[0].querySelector('textarea'); t.value = arguments[1];"
        "t.dispatchEvent(new Event('input')); arguments[0].querySelector('.bar button').click()",
        cell, "import scalargrad as sg\nsg.draw_dot(sg.Value(2.0) * 3)")
    while cell.get_attribute("data-state") not in ("ok", "error") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cell.get_attribute("data-state") == "error"
    assert "viz/viz.js" in cell.find_element("css selector", ".out").text
    assert browser.execute_script("return document.documentElement.dataset.state") == "error"


def test_a_module_served_with_the_wrong_type_is_named(browser, workshop_site):
    server = _serve(workshop_site, _OctetModules)
    try:
        state, status, _ = _settle(
            browser, f"http://127.0.0.1:{server.server_address[1]}/{SMALL}.html")
    finally:
        server.shutdown()
        server.server_close()
    assert state == "error", status
    assert "pyodide.mjs" in status and "application/octet-stream" in status, status


def test_a_python_that_does_not_start_within_the_bound_says_what_it_waited_for(browser, url):
    state, status, seconds = _settle(browser, f"{url}/intact/{SMALL}.html?start-timeout=0.5")
    assert (state, seconds < 10) == ("error", True), status
    assert "did not start within 0.5 s" in status and "waiting for" in status, status


def _lan_address() -> str | None:
    """This machine's address on its network (not loopback), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # (no packet is sent: this only picks a route)
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_a_lan_address_over_http_still_checks_every_byte(browser, sites):
    """Over http on a LAN address the browser offers no crypto.subtle (not a secure
    context): the page hashes in JavaScript, and finds a byte flipped all the same."""
    address = _lan_address()
    if address is None:
        pytest.skip("this machine has no network address but loopback")
    server = _serve(sites, _Quiet, host=address)
    try:
        base = f"http://{address}:{server.server_address[1]}"
        state, status, _ = _settle(browser, f"{base}/stdlib-flipped/{SMALL}.html")
        secure = browser.execute_script("return isSecureContext")
        browser.get(f"{base}/intact/{SMALL}.html")
        checked = "return document.documentElement.dataset.checked || null"
        deadline = time.monotonic() + 30
        while browser.execute_script(checked) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        hashed_by = browser.execute_script(checked)
    finally:
        server.shutdown()
        server.server_close()
    assert secure is False
    assert state == "error" and "python_stdlib.zip is damaged" in status, status
    assert hashed_by == "JavaScript"  # every file of the intact copy matched
