"""How engine objects show themselves in Jupyter, without the engine importing the views.

A `Value` or a `GradcheckResult` answers IPython's `_repr_html_` / `_repr_markdown_` by asking
this registry; the views (`scalargrad.see`) register the renderers when they are imported,
which `import scalargrad` does. With nothing registered the object shows as its plain repr.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

Renderer = Callable[[Any], str]

_renderers: dict[tuple[type, str], Renderer] = {}


def register(cls: type, mime: str, render: Renderer) -> None:
    """Show objects of `cls` with `render` for `mime` ('html' or 'markdown')."""
    _renderers[(cls, mime)] = render


def show(obj: Any, mime: str) -> Optional[str]:
    """`obj` rendered as `mime`, or None when no view has registered a renderer for it."""
    render = _renderers.get((type(obj), mime))
    if render is None:
        for cls in type(obj).__mro__[1:]:
            render = _renderers.get((cls, mime))
            if render is not None:
                break
        else:
            return None
    return render(obj)
