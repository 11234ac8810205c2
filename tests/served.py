"""A workshop site served for a test: `with served(folder) as url:` runs `scalargrad-workshop
serve`'s server (scalargrad/workshop/server.py) on a free port of 127.0.0.1 in a daemon thread,
gives its address, and shuts it down after."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


@contextmanager
def served(folder: Path, **options: Any) -> Iterator[str]:
    """The site in `folder` served (options as `serve`'s: `isolate=True`, ...); its URL."""
    from scalargrad.workshop.server import serve

    server = serve(folder, 0, quiet=True, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
