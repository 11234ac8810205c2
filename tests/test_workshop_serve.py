"""`scalargrad-workshop serve` holds a room: backlog, ranges, validators, gzip, and silence.

The server under test is the command a teacher runs (`python -m scalargrad.workshop serve`,
in its own process, its terminal's output kept in a file), serving the built site
(`workshop_site`) on a free port. What it prints is checked as well as what it answers.
"""

from __future__ import annotations

import gzip
import http.client
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

WASM = "pyodide/pyodide.asm.wasm"
# A line of the server's request log: `127.0.0.1 - - [date] "GET / HTTP/1.1" 200 -`
LOG_LINE = re.compile(r'127\.0\.0\.1 - - \[[^\]]+\] (".*" \d{3} \S+|code \d{3}, message .*)')


class Served:
    """The CLI's server process: its address and what it has printed to its terminal."""

    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self._seen = 0

    def printed(self) -> str:
        """What the server printed since the last call."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        new, self._seen = text[self._seen:], len(text)
        return new

    def get(self, path: str, headers: dict[str, str] | None = None,
            timeout: float = 20) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def served(workshop_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("serve") / "terminal.txt"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "scalargrad.workshop", "serve", str(workshop_site),
             "--port", "0"], stdout=subprocess.PIPE, stderr=err, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, f"the server did not say where it serves: {line!r}"
    yield Served(proc, int(match.group(1)), log)
    proc.terminate()
    proc.wait(10)


def raw(port: int, request: bytes) -> bytes:
    """Send `request` as bytes on a new connection; the status line that comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        return s.recv(4096).split(b"\r\n")[0]


def test_backlog_holds_a_room(served: Served) -> None:
    """The listening socket's backlog (ss's Send-Q) is at least 128, not socketserver's 5."""
    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is needed to read a socket's backlog: apt-get install iproute2")
    out = subprocess.run(["ss", "-ltnH", f"sport = :{served.port}"], capture_output=True,
                         text=True, check=True).stdout.split()
    assert int(out[2]) >= 128, f"backlog {out[2]} (ss: {out})"


def test_two_hundred_connections_at_once_are_all_answered(served: Served) -> None:
    """200 clients connecting in the same instant each get index.html within 10 s."""
    answers: list[object] = [None] * 200
    start = threading.Barrier(200)

    def learner(i: int) -> None:
        start.wait()
        try:
            answers[i] = served.get("/index.html", timeout=10)[0].status
        except OSError as e:
            answers[i] = repr(e)

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    missed = [a for a in answers if a != 200]
    assert not missed, f"{len(missed)} of 200 not answered with 200: {missed[:3]}"


@pytest.mark.parametrize("header, first, last", [("bytes=0-99", 0, 99), ("bytes=-100", -100, None),
                                                 ("bytes=9000000-", 9000000, None)])
def test_a_byte_range_is_a_206_of_those_bytes(served: Served, workshop_site: Path, header: str,
                                              first: int, last: int | None) -> None:
    """A single range comes back as 206 with its Content-Range, the identity bytes, even to a
    client that accepts gzip."""
    whole = (workshop_site / WASM).read_bytes()
    want = whole[first:] if last is None else whole[first:last + 1]
    response, body = served.get("/" + WASM, {"Range": header, "Accept-Encoding": "gzip"})
    start = first % len(whole)
    assert (response.status, response.getheader("Content-Range"),
            response.getheader("Content-Encoding"), body == want) == (
        206, f"bytes {start}-{start + len(want) - 1}/{len(whole)}", None, True)


def test_a_range_past_the_end_is_a_416(served: Served, workshop_site: Path) -> None:
    """A range starting past the end is 416 with `Content-Range: bytes */size`."""
    size = (workshop_site / WASM).stat().st_size
    response, _ = served.get("/" + WASM, {"Range": f"bytes={size}-"})
    assert (response.status, response.getheader("Content-Range")) == (416, f"bytes */{size}")


def test_a_current_copy_is_a_304(served: Served) -> None:
    """If-None-Match with the ETag, and If-Modified-Since with Last-Modified, give a bodiless
    304; another ETag gives the file."""
    first, _ = served.get("/lesson.js")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert etag and modified
    by_tag, body = served.get("/lesson.js", {"If-None-Match": etag})
    by_date, _ = served.get("/lesson.js", {"If-Modified-Since": modified})
    other, _ = served.get("/lesson.js", {"If-None-Match": '"another-version"'})
    assert (by_tag.status, body, by_date.status, other.status) == (304, b"", 304, 200)


def test_every_file_is_revalidated_and_none_is_immutable(served: Served) -> None:
    """Pages and the rest say Cache-Control no-cache: a lesson rebuilt mid-workshop is seen."""
    policies = {path: served.get(path)[0].getheader("Cache-Control")
                for path in ("/01-a-program-is-a-graph.html", "/" + WASM, "/lesson.js")}
    assert all(p and "no-cache" in p and "immutable" not in p for p in policies.values()), \
        policies


def test_gzip_when_accepted_and_it_unpacks_to_the_file(served: Served,
                                                       workshop_site: Path) -> None:
    """A client accepting gzip gets the wasm gzipped (Vary: Accept-Encoding), and it unpacks
    to the file's bytes; `gzip;q=0` gets the identity body."""
    zipped, body = served.get("/" + WASM, {"Accept-Encoding": "gzip, deflate, br"})
    plain, plain_body = served.get("/" + WASM, {"Accept-Encoding": "gzip;q=0"})
    whole = (workshop_site / WASM).read_bytes()
    assert (zipped.getheader("Content-Encoding"), zipped.getheader("Vary"),
            len(body) < len(whole) // 2, gzip.decompress(body) == whole) == (
        "gzip", "Accept-Encoding", True, True)
    assert (plain.getheader("Content-Encoding"), plain_body == whole) == (None, True)


def test_no_directory_listing(served: Served, workshop_site: Path) -> None:
    """A folder without index.html is a 404; `/` is the site's index.html."""
    folder, _ = served.get("/pyodide/")
    root, body = served.get("/")
    assert (folder.status, root.status, body) == (
        404, 200, (workshop_site / "index.html").read_bytes())


@pytest.mark.parametrize("request_line", [b"GET /a%00b HTTP/1.1", b"GET /a\x00b HTTP/1.1",
                                          b"GET /../../etc/passwd HTTP/1.1",
                                          b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1"])
def test_a_hostile_path_is_a_4xx_and_no_traceback(served: Served, request_line: bytes) -> None:
    """NUL bytes and `..` get a 400 or 404, and the terminal shows no traceback."""
    served.printed()
    status = raw(served.port, request_line + b"\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    printed = served.printed()
    assert re.fullmatch(rb"HTTP/1\.[01] 4\d\d .*", status), status
    assert "Traceback" not in printed, printed


def test_a_learner_leaving_mid_download_prints_nothing_but_the_request(served: Served) -> None:
    """A client that resets the connection mid-download leaves only the request's log line
    in the teacher's terminal (no ConnectionResetError or BrokenPipeError traceback)."""
    served.printed()
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /{WASM} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        s.recv(4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset
        s.close()
    time.sleep(1.0)
    printed = [line for line in served.printed().splitlines() if line]
    assert printed and all(LOG_LINE.fullmatch(line) for line in printed), printed


def test_module_and_webassembly_types(served: Served, workshop_site: Path) -> None:
    """.mjs and .js are text/javascript, .wasm application/wasm, and no file of the site is
    application/octet-stream."""
    types = {}
    for path in sorted(workshop_site.rglob("*")):
        if path.is_file():
            name = path.relative_to(workshop_site).as_posix()
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
            conn.request("HEAD", "/" + name)
            types[name] = conn.getresponse().getheader("Content-Type", "")
            conn.close()
    mjs = {types[n].split(";")[0] for n in types if n.endswith((".mjs", ".js"))}
    assert (mjs, types[WASM]) == ({"text/javascript"}, "application/wasm")
    assert not [n for n, t in types.items() if t == "application/octet-stream"], types


def test_isolation_headers_by_default(served: Served) -> None:
    """The command sends COOP same-origin and COEP require-corp (Stop interrupts in place)."""
    response, _ = served.get("/")
    assert (response.getheader("Cross-Origin-Opener-Policy"),
            response.getheader("Cross-Origin-Embedder-Policy")) == ("same-origin",
                                                                    "require-corp")
