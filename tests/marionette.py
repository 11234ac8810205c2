"""A small client for Firefox's own remote protocol, Marionette (no geckodriver needed).

Firefox started with `--marionette` listens on a TCP port (`marionette.port`; with port 0 it
picks one and writes it into PROFILE/MarionetteActivePort). Every message either way is
length-prefixed JSON, `len:json`, `len` being the byte length of the JSON in decimal:

    server, on connect:  {"applicationType": "gecko", "marionetteProtocol": 3}
    client command:      [0, msgid, "WebDriver:Navigate", {"url": "..."}]
    server reply:        [1, msgid, error or null, result]

`Marionette` speaks that; `start_firefox()` starts a headless Firefox on a fresh profile and
returns the process and a connected client. Only the standard library is used.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

COMMAND, REPLY = 0, 1


class MarionetteError(Exception):
    """An error reply from Firefox: its WebDriver error code, message and stack."""

    def __init__(self, error: str, message: str, stacktrace: str = "") -> None:
        super().__init__(f"{error}: {message}")
        self.error, self.message, self.stacktrace = error, message, stacktrace


class Marionette:
    """One connection to a Firefox's Marionette server, one session on it."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 300.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self._next_id = 0
        self.hello: dict[str, Any] = self._read()
        if self.hello.get("marionetteProtocol") != 3:
            raise MarionetteError("unsupported protocol", repr(self.hello))
        self.session_id: str | None = None
        self.capabilities: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (f"Marionette({self.hello.get('applicationType')}, "
                f"session={self.session_id}, peer={self.sock.getpeername()})")

    # -- the wire: len:json --------------------------------------------------------------

    def _send(self, packet: object) -> None:
        data = json.dumps(packet).encode("utf-8")
        self.sock.sendall(str(len(data)).encode("ascii") + b":" + data)

    def _read(self) -> Any:
        while b":" not in self._buffer:
            self._fill()
        length, _, self._buffer = self._buffer.partition(b":")
        size = int(length)
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return json.loads(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("Firefox closed the Marionette connection")
        self._buffer += chunk

    def send(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        """Send one command and return its result (raise MarionetteError on an error reply)."""
        self._next_id += 1
        msgid = self._next_id
        self._send([COMMAND, msgid, name, dict(params or {})])
        while True:
            kind, reply_id, error, result = self._read()
            if kind == REPLY and reply_id == msgid:
                break  # replies to earlier, timed-out commands are dropped
        if error:
            raise MarionetteError(error.get("error", "unknown error"),
                                  error.get("message", ""), error.get("stacktrace", ""))
        return result

    # -- the WebDriver commands the tests use ------------------------------------------------

    def new_session(self, capabilities: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Start the session (WebDriver:NewSession) and return its capabilities."""
        result = self.send("WebDriver:NewSession", {"capabilities": {
            "alwaysMatch": {"acceptInsecureCerts": False, **(capabilities or {})}}})
        self.session_id = result["sessionId"]
        self.capabilities = result["capabilities"]
        return self.capabilities

    def navigate(self, url: str) -> None:
        """Open `url` in the current tab and wait for its load event."""
        self.send("WebDriver:Navigate", {"url": url})

    def execute_script(self, script: str, args: Sequence[Any] = ()) -> Any:
        """Run `script` as a function body in the page (`arguments` holds args); its return."""
        return self.send("WebDriver:ExecuteScript",
                         {"script": script, "args": list(args)})["value"]

    def set_context(self, context: str) -> None:
        """Run scripts in `context`: "content" (the page) or "chrome" (the browser itself,
        allowed only when Firefox was started with -remote-allow-system-access)."""
        self.send("Marionette:SetContext", {"value": context})

    def delete_session(self) -> None:
        """End the session (WebDriver:DeleteSession)."""
        if self.session_id is not None:
            self.send("WebDriver:DeleteSession")
            self.session_id = None

    def quit(self) -> None:
        """Ask Firefox to quit (Marionette:Quit, which needs the session) and close the
        connection."""
        self.sock.settimeout(10)
        try:
            self.send("Marionette:Quit", {"flags": ["eForceQuit"]})
        except (ConnectionError, OSError, MarionetteError):
            pass  # it may close the socket before it answers
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection (Firefox keeps running)."""
        self.sock.close()


def write_prefs(profile: Path, prefs: Mapping[str, bool | int | str]) -> Path:
    """Write `prefs` as the profile's user.js (read by Firefox before anything starts)."""
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});"
             for name, value in prefs.items()]
    path = profile / "user.js"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_firefox(binary: str, profile: Path, prefs: Mapping[str, bool | int | str],
                  env: Mapping[str, str] | None = None, timeout: float = 60.0,
                  extra_args: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], Marionette]:
    """Start `binary --headless --marionette` on `profile` with `prefs` and connect to it.

    The profile's user.js asks for `marionette.port` 0, so Firefox picks a free port and writes
    it into PROFILE/MarionetteActivePort; if the prefs name a port, that one is used instead.
    Returns the process and a client with a new session; on failure the process is killed.
    """
    port = int(prefs.get("marionette.port", 0))
    write_prefs(profile, {**prefs, "marionette.port": port})
    active = profile / "MarionetteActivePort"
    active.unlink(missing_ok=True)
    process = subprocess.Popen(
        [binary, "--headless", "--marionette", "-no-remote", "-profile", str(profile),
         *extra_args], env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = _connect(process, active, port, timeout)
        client.new_session()
    except BaseException:
        stop_firefox(process)
        raise
    return process, client


def _connect(process: subprocess.Popen[bytes], active: Path, port: int,
             timeout: float) -> Marionette:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Firefox exited with {process.returncode} before Marionette "
                               "listened")
        if port == 0 and active.is_file() and active.read_text().strip():
            port = int(active.read_text())
        if port:
            try:
                return Marionette(port)
            except OSError:
                pass  # not listening yet
        time.sleep(0.1)
    raise TimeoutError(f"Marionette did not listen within {timeout} s "
                       f"(MarionetteActivePort {'written' if active.exists() else 'absent'})")


def stop_firefox(process: subprocess.Popen[bytes], client: Marionette | None = None,
                 grace: float = 10.0) -> None:
    """Quit Firefox through Marionette if it can, else terminate it, else kill it."""
    if client is not None:
        client.quit()  # it ends the session too (after DeleteSession Firefox refuses to quit)
    for stop in (None, process.terminate, process.kill):
        if stop is not None:
            stop()
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
