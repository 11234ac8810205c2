"""The module paths of the views before they moved to `scalargrad.see`, kept importable.

`from scalargrad.trace import format_number` and `scalargrad.draw.graph_spec` keep working:
each old module is a read-only alias whose names come from the modules it was split into.
"""

from __future__ import annotations

import importlib
import sys
import types

# old module (under scalargrad) -> the modules (under scalargrad.see) its names now live in
MOVED: dict[str, tuple[str, ...]] = {
    "trace": ("text", "narrate.explain", "narrate.paths", "narrate.check"),
    "display": ("text", "display.tables", "display.cards", "display.history"),
    "draw": ("draw.spec", "draw.dot", "draw.render", "draw.text_tree", "draw.mpl"),
    "layout": ("draw.layout",),
    "mpl_graph": ("draw.mpl",),
    "frames": ("draw.frames",),
    "_mplfigure": ("figure",),
    "plots": ("plots",),
    "page": ("pages.page",),
    "replay": ("pages.replay",),
}


class _Alias(types.ModuleType):
    """An old module path: looks each name up in the new modules, in order."""

    def __init__(self, name: str, targets: tuple[str, ...]) -> None:
        super().__init__(name, f"Moved: see {', '.join('scalargrad.see.' + t for t in targets)}.")
        self._targets = targets

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self._targets:
            module = importlib.import_module(f"scalargrad.see.{target}")
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (now {', '.join(self._targets)} in "
                             f"scalargrad.see) has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for target in self._targets:
            names.update(dir(importlib.import_module(f"scalargrad.see.{target}")))
        return sorted(names)


def install() -> None:
    """Register every old module path in `sys.modules` (and as an attribute of the package)."""
    package = sys.modules["scalargrad"]
    for old, targets in MOVED.items():
        alias = _Alias(f"scalargrad.{old}", targets)
        sys.modules.setdefault(f"scalargrad.{old}", alias)
        setattr(package, old, sys.modules[f"scalargrad.{old}"])
