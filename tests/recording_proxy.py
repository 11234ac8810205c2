"""A "proxy" on 127.0.0.1 for the browser tests that must stay offline (Firefox, WebKit):
the browser sends it every request not for 127.0.0.1, and it writes each down and refuses it,
so that a test can say which outside host a page asked for."""

from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager
from typing import Iterator


class RecordingProxy(socketserver.ThreadingTCPServer):
    """A "proxy" on 127.0.0.1 that writes down what it is asked for and refuses all of it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Refuse)
        self.port = int(self.server_address[1])
        self._asked: list[str] = []
        self._lock = threading.Lock()

    def record(self, what: str) -> None:
        with self._lock:
            self._asked.append(what)

    def take(self) -> list[str]:
        """What was asked since the last call ("GET http://host/ HTTP/1.1 (Host: host)")."""
        with self._lock:
            asked, self._asked = self._asked, []
        return asked


class _Refuse(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        try:
            line = self.rfile.readline(8192).decode("latin-1").strip()
            host = ""
            while True:
                header = self.rfile.readline(8192).decode("latin-1").strip()
                if not header:
                    break
                if header.lower().startswith("host:"):
                    host = header[5:].strip()
        except OSError:
            return
        if line:  # (Firefox may open a connection ahead of need and say nothing)
            self.server.record(f"{line} (Host: {host})")  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")


@contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    """A RecordingProxy serving from a daemon thread; shut down and closed after."""
    server = RecordingProxy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
