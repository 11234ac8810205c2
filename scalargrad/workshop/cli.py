"""`scalargrad-workshop build DIR` and `scalargrad-workshop serve DIR`."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import Sequence

from scalargrad.workshop.server import serve

__all__ = ["main", "serve"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scalargrad-workshop",
        description="Build or serve the zero-install workshop site (the lessons running in "
                    "the browser on Pyodide).")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the site into DIR")
    b.add_argument("dir", type=Path)
    b.add_argument("--cache", type=Path, default=None,
                   help="where downloads are kept (default ~/.cache/scalargrad-workshop)")
    b.add_argument("--from", dest="source", type=Path, default=None,
                   help="a folder holding the pinned downloads (no network needed)")
    b.add_argument("--offline", action="store_true", help="never use the network")
    b.add_argument("--lessons", type=Path, default=None,
                   help="the notebooks folder (default: the one that came with scalargrad)")
    s = sub.add_parser("serve", help="serve the site in DIR on this machine")
    s.add_argument("dir", type=Path)
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--host", default="127.0.0.1",
                   help="0.0.0.0 to let the room's laptops reach it over the LAN")
    s.add_argument("--no-isolation", dest="isolate", action="store_false",
                   help="do not send the cross-origin isolation headers (then Stop restarts "
                        "Python instead of interrupting the cell, as on any static server)")
    args = parser.parse_args(argv)
    if args.command == "build":
        from scalargrad.workshop.build import BuildError, build
        from scalargrad.workshop.fetch import FetchError

        try:
            manifest = build(args.dir, cache=args.cache, source=args.source,
                             offline=args.offline, lessons=args.lessons)
        except (BuildError, FetchError, FileNotFoundError, FileExistsError) as e:
            print(f"scalargrad-workshop: {e}", file=sys.stderr)
            return 2
        print(f"wrote {args.dir}: {len(manifest['lessons'])} lessons, "
              f"{manifest['bytes'] / 1e6:.1f} MB in {len(manifest['files'])} files")
        python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) \
            else sys.executable
        print(f"serve it with: {python} -m scalargrad.workshop serve {args.dir}   "
              f"(or: cd {args.dir} && python3 -m http.server)")
        return 0
    try:
        server = serve(args.dir, args.port, args.host, isolate=args.isolate)
    except (FileNotFoundError, OSError) as e:
        print(f"scalargrad-workshop: {e}", file=sys.stderr)
        return 1
    threading.Thread(target=server.compress_all, daemon=True).start()
    print(f"serving {args.dir} at http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
