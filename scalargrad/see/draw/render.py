"""Writing a graph picture to a file: `dot` when it is installed, else matplotlib."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path as FilePath
from typing import (
    Any,
)

from scalargrad.see.draw.dot import (
    _GRAPH_NAME,
    GRAPHVIZ_FIX,
    VECTOR_FORMATS,
    GraphvizMissingError,
    GraphvizMissingWarning,
    to_dot,
)
from scalargrad.see.draw.layout import DPI
from scalargrad.see.draw.mpl import draw_matplotlib
from scalargrad.see.draw.text_tree import text_tree
from scalargrad.value import Value


def render_graph(root: Value, path: str | FilePath, *, format: str | None = None,  # noqa: A002
                 fallback: bool = True, rankdir: str = "auto", **options: Any) -> FilePath:
    """Write the graph of `root` to an image file and return the path of what was written.

    The DOT source is always written next to it (`path` with suffix .dot). The format comes
    from `format` or the file's suffix (png, svg, pdf; default svg). With graphviz's `dot` on
    the PATH, `dot` renders it. Without `dot`: with `fallback=True` a GraphvizMissingWarning
    names the fix and matplotlib draws the image instead (or, without matplotlib either, a
    text tree is written to `path` with suffix .txt, and that path is returned); with
    `fallback=False` a GraphvizMissingError names the fix. `options` are those of `to_dot`.
    """
    path = FilePath(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if not path.suffix:
        path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(to_dot(root, rankdir, **options), encoding="utf-8")
    dot = shutil.which("dot")
    if dot is not None:
        command = [dot, f"-T{fmt}", str(dot_path), "-o", str(path)]
        if fmt not in VECTOR_FORMATS:  # pixels per inch; vector files keep their points
            command.insert(1, f"-Gdpi={options.get('dpi') or DPI:g}")
        done = subprocess.run(command,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"graphviz's dot could not render {dot_path} as {fmt!r} "
                               f"(exit status {done.returncode}): {done.stderr.strip()}")
        return path
    message = (f"graphviz's `dot` program was not found, so {path} was not rendered by graphviz. "
               f"Fix: {GRAPHVIZ_FIX}. The DOT source was written to {dot_path} "
               f"(render it later with: dot -T{fmt} {dot_path} -o {path}).")
    if not fallback:
        raise GraphvizMissingError(message)
    try:
        figure = draw_matplotlib(root, rankdir, **options)
    except ImportError:
        text_path = path.with_suffix(".txt")
        text_path.write_text(text_tree(root) + "\n", encoding="utf-8")
        warnings.warn(f"{message} matplotlib is not installed either: wrote a text tree to "
                      f"{text_path} instead.", GraphvizMissingWarning, stacklevel=2)
        return text_path
    from matplotlib import rc_context

    with rc_context({"svg.hashsalt": _GRAPH_NAME}):  # else each run draws new random SVG ids
        figure.savefig(path, format=fmt, metadata=_deterministic_metadata(fmt))
    warnings.warn(f"{message} Drew {path} with matplotlib instead.", GraphvizMissingWarning,
                  stacklevel=2)
    return path


def _deterministic_metadata(fmt: str) -> dict[str, Any] | None:
    """Image metadata without timestamps or versions, so a file is the same on every run."""
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Creator": None, "Producer": None}
    return None
