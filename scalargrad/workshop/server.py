"""The workshop's static web server: the built site for a room of learners, standard library only.

What a room needs of it, beyond `python3 -m http.server`:

- a listen backlog for a room arriving at once (`request_queue_size`; http.server keeps
  socketserver's 5, and the sixth learner's connection waits for a SYN retry);
- the right types for ES modules (`.mjs`) and WebAssembly, without which Pyodide never starts;
- quiet about learners who reload mid-download, and about hostile paths (a 400, no traceback);
- no directory listings; `ETag`/`Last-Modified` and 304s; single byte ranges (206/416);
- gzip for the big compressible files (Pyodide's WebAssembly halves), compressed once per
  file version and kept in memory;
- optionally, the two headers that make a page cross-origin isolated (`isolate`).
"""

from __future__ import annotations

import email.utils
import gzip
import http.server
import re
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Every type the built site holds (and a few a teacher might add); a browser refuses a module
# script or `WebAssembly.instantiateStreaming` served as anything else.
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".wasm": "application/wasm", ".json": "application/json",
         ".zip": "application/zip", ".whl": "application/zip", ".tar": "application/x-tar",
         ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".ico": "image/x-icon", ".ipynb": "application/json",
         ".py": "text/plain; charset=utf-8", ".map": "application/json"}
OTHER = "application/octet-stream"

# The two headers that make a page cross-origin isolated: it may then share memory with its
# worker (SharedArrayBuffer), so Stop can interrupt a cell in place instead of restarting
# Python. The site asks nothing of another origin, so nothing it loads is refused by them.
ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin",
             "Cross-Origin-Embedder-Policy": "require-corp"}

# Types worth gzipping (zip and wheel files are compressed already), from this size up.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/wasm",
                "image/svg+xml")
COMPRESS_FROM = 1024

# A browser revalidates every file on each visit (a bodiless 304 when unchanged), so a lesson
# rebuilt during the workshop is seen at the next reload and never mixed with the old build's
# scripts: the files' names carry no content hash, so nothing may be cached as immutable.
CACHE_CONTROL = "no-cache"

BACKLOG = 1024  # a room of 200 browsers opens about six connections each at once
CHUNK = 256 * 1024  # each write of a body has its own timeout, not the whole file's
IDLE = 60  # seconds a keep-alive connection may sit idle, or a write may stall

RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class BadPath(ValueError):
    """A request path that cannot name a file of the site (a 400)."""


@dataclass(frozen=True)
class Entry:
    """A file of the site as one request sees it."""

    path: Path
    size: int
    mtime: float
    etag: str  # the identity body's, quoted; the gzip body's adds "-gzip" inside the quotes
    mime: str


def media_type(path: Path) -> str:
    """The Content-Type the site's file `path` is served with."""
    return TYPES.get(path.suffix.lower(), OTHER)


def compressible(mime: str, size: int) -> bool:
    """Whether a body of this type and size is sent gzipped to a client that accepts gzip."""
    return size >= COMPRESS_FROM and mime.startswith(COMPRESSIBLE)


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header accepts gzip (`gzip` or `*`, with a q above 0)."""
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = re.search(r"q\s*=\s*([0-9.]+)", params)
        try:
            if q is None or float(q.group(1)) > 0:
                return True
        except ValueError:
            continue
    return False


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single `Range: bytes=a-b | a- | -n` request.

    None means serve the whole file (no usable range: malformed, or several ranges, which a
    server may ignore); ValueError means no byte of the file is in it (a 416).
    """
    match = RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise ValueError("an empty suffix range")
        return max(0, size - n), size - 1
    a = int(first)
    b = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < a:
        return None  # a-b with b < a is not a range at all: ignored, as RFC 9110 says
    if a >= size:
        raise ValueError("the range starts past the end")
    return a, b


def site_path(folder: Path, url_path: str) -> Path:
    """The file or folder of the site that a request's path names (not yet checked to exist).

    Raises BadPath for a NUL byte or a `..` segment: a browser never sends either.
    """
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path, errors="strict")
    if "\x00" in path:
        raise BadPath("the path holds a NUL byte")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts or any("\\" in p for p in parts):
        raise BadPath("the path climbs out of the site (..)")
    return folder.joinpath(*parts)


class Gzipped:
    """Each file's gzip body, made once per version (size and mtime) and kept in memory."""

    def __init__(self) -> None:
        self._bodies: dict[Path, tuple[str, bytes]] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    def body(self, entry: Entry) -> bytes:
        """The gzip of `entry`'s file; a room asking at once waits for one compression."""
        with self._guard:
            lock = self._locks.setdefault(entry.path, threading.Lock())
        with lock:
            kept = self._bodies.get(entry.path)
            if kept is not None and kept[0] == entry.etag:
                return kept[1]
            data = gzip.compress(entry.path.read_bytes(), compresslevel=6, mtime=0)
            self._bodies[entry.path] = (entry.etag, data)
            return data


class StaticServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server for one folder, with a backlog for a room."""

    request_queue_size = BACKLOG
    daemon_threads = True

    def __init__(self, address: tuple[str, int], folder: Path, quiet: bool = False,
                 isolate: bool = False) -> None:
        self.folder = folder.resolve()
        self.quiet = quiet
        self.isolate = isolate
        self.gzipped = Gzipped()
        super().__init__(address, Handler)

    def entry(self, path: Path) -> Entry:
        """The site's file `path` (resolved, inside the folder) as a request sees it."""
        stat = path.stat()
        return Entry(path, stat.st_size, stat.st_mtime, f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
                     media_type(path))

    def compress_all(self) -> None:
        """Gzip every compressible file of the site now (about a second of CPU for the
        built site), so the room's first requests find it done; run it in a thread."""
        for path in sorted(self.folder.rglob("*")):
            if path.is_file():
                entry = self.entry(path)
                if compressible(entry.mime, entry.size):
                    self.gzipped.body(entry)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a reload mid-download, a closed laptop) is no error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of the site's files; nothing else."""

    server: StaticServer
    protocol_version = "HTTP/1.1"  # keep-alive: a page asks for some thirty files
    server_version = "scalargrad-workshop"
    timeout = IDLE

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._serve(body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - the base class's name
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        try:
            entry = self._find()
            if entry is not None:
                self._send(entry, body)
        except (ConnectionError, TimeoutError):  # the client went away, or stalled
            self.close_connection = True

    def _find(self) -> Entry | None:
        """The requested file, or None once an error or a redirect has been sent."""
        try:
            path = site_path(self.server.folder, self.path)
        except (BadPath, UnicodeDecodeError) as e:
            self.send_error(400, f"Bad path: {e}")
            return None
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                self.send_response(301)
                self.send_header("Location", urllib.parse.urlsplit(self.path).path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            path = path / "index.html"  # no index.html: a 404 below, never a listing
        try:
            resolved = path.resolve()
            if resolved.is_relative_to(self.server.folder) and resolved.is_file():
                return self.server.entry(resolved)
        except (OSError, ValueError):
            pass
        self.send_error(404, "Not found")
        return None

    def _send(self, entry: Entry, body: bool) -> None:
        ranged = self._range(entry)
        if ranged == "unsatisfiable":
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{entry.size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        may_gzip = compressible(entry.mime, entry.size)
        use_gzip = may_gzip and ranged is None and accepts_gzip(
            self.headers.get("Accept-Encoding"))
        etag = entry.etag[:-1] + '-gzip"' if use_gzip else entry.etag
        if self._unchanged(entry):
            self.send_response(304)
            self._validators(entry, etag, may_gzip)
            self.end_headers()
            return
        data = self.server.gzipped.body(entry) if use_gzip else None
        first, last = ranged if isinstance(ranged, tuple) else (0, entry.size - 1)
        length = len(data) if data is not None else last - first + 1
        self.send_response(206 if isinstance(ranged, tuple) else 200)
        self.send_header("Content-Type", entry.mime)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if isinstance(ranged, tuple):
            self.send_header("Content-Range", f"bytes {first}-{last}/{entry.size}")
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        self._validators(entry, etag, may_gzip)
        self.end_headers()
        if not body or length == 0:
            return
        if data is not None:
            view = memoryview(data)
            for start in range(0, len(view), CHUNK):
                self.wfile.write(view[start:start + CHUNK])
            return
        with open(entry.path, "rb") as f:
            self.connection.sendfile(f, first, length)

    def _range(self, entry: Entry) -> tuple[int, int] | str | None:
        """The byte range to send, "unsatisfiable", or None for the whole file."""
        header = self.headers.get("Range")
        if header is None or self.command != "GET":
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() not in (
                entry.etag, email.utils.formatdate(entry.mtime, usegmt=True)):
            return None  # the client's part is of another version: send it all
        try:
            return byte_range(header, entry.size)
        except ValueError:
            return "unsatisfiable"

    def _unchanged(self, entry: Entry) -> bool:
        """Whether the client's copy is current (If-None-Match, else If-Modified-Since)."""
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {t.strip().removeprefix("W/").replace('-gzip"', '"')
                    for t in match.split(",")}
            return entry.etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(entry.mtime) <= when

    def _validators(self, entry: Entry, etag: str, vary: bool) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(entry.mtime, usegmt=True))
        self.send_header("Cache-Control", CACHE_CONTROL)
        if vary:
            self.send_header("Vary", "Accept-Encoding")

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.server.isolate:
            for name, value in ISOLATION.items():
                self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        if not self.server.quiet:
            super().log_message(format, *args)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        # "Request timed out": an idle keep-alive connection closed, nothing to tell anyone
        if not (args and isinstance(args[0], TimeoutError)):
            self.log_message(format, *args)


def serve(folder: Path, port: int = 8000, host: str = "127.0.0.1",
          quiet: bool = False, isolate: bool = False) -> StaticServer:
    """A server for the site in `folder` (call serve_forever(), or run it in a thread);
    `isolate` sends the cross-origin isolation headers (Stop then interrupts in place)."""
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise FileNotFoundError(f"{folder} has no index.html: build the site first "
                                f"(scalargrad-workshop build {folder})")
    return StaticServer((host, port), folder, quiet=quiet, isolate=isolate)
