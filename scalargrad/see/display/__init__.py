"""How each object shows itself in Jupyter (IPython's `_repr_html_` / `_repr_markdown_`).

`tables` builds HTML and Markdown tables, `cards` renders values, narrations and checks,
`history` renders training. Importing this package registers the renderers of the engine's
own objects (`Value`, `GradcheckResult`) with `scalargrad.rich`.
"""

from __future__ import annotations

from scalargrad import rich
from scalargrad.gradcheck import GradcheckResult
from scalargrad.value import Value

from .cards import gradcheck_html, gradcheck_markdown, value_html, value_markdown

rich.register(Value, "html", value_html)
rich.register(Value, "markdown", value_markdown)
rich.register(GradcheckResult, "html", gradcheck_html)
rich.register(GradcheckResult, "markdown", gradcheck_markdown)
