"""Numbers and names as the views write them, and text made safe for HTML and Markdown."""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from typing import (
    Any,
    Sequence,
)

from scalargrad.value import Value

# -- shared helpers (also used by draw.py and frames.py) ---------------------------------------


def format_number(x: float, digits: int = 6) -> str:
    """x with `digits` significant digits, always with a decimal point ("1.0", "-0.25", "2e-07").

    Negative zero prints as 0.0: −z at z = 0 is mathematically 0, and "-0.0" only distracts.
    A Value (a grad after backward(create_graph=True)) prints as its number.
    """
    if type(x) is not float:
        x = getattr(x, "data", x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x + 0.0:.{digits}g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def constant_name(x: float) -> str:
    """How an unlabeled leaf, a constant such as the 1 of 1 + e^−z, is named: by its number
    ("1", "-0.25", "1e-08"), never by a made-up v<i>."""
    return "nan" if math.isnan(x) else f"{x + 0.0:g}"


def node_names(order: Sequence[Value]) -> list[str]:
    """A name for every node of `order`: its label; unlabeled, a leaf (a constant) is named by
    its number and an op's result by v<i> (its topological index).

    A name held by more than one node gets its index appended (w#3, 1#7), so names are unique
    and the same on every run (they never depend on `id()`).
    """
    bases = [one_line(node.label) if node.label
             else constant_name(node.data) if not node._prev else "" for node in order]
    counts = Counter(base for base in bases if base)
    names = []
    for i, base in enumerate(bases):
        if not base:
            names.append(f"v{i}")
        elif counts[base] > 1:
            names.append(f"{base}#{i}")
        else:
            names.append(base)
    return names


# -- escaping ------------------------------------------------------------------------------------

# What no page, notebook or terminal can carry: C0/C1 control characters (tab and newline
# aside; a carriage return would overwrite a terminal's line), lone surrogates (os.fsdecode
# can make them; UTF-8 cannot encode them) and the noncharacters U+FFFE/U+FFFF. Each is
# shown as its Python escape (\x00, \ud800, \ufffe).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def safe_text(text: Any) -> str:
    """`str(text)` with every character no output can carry shown as its escape."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], str(text))


def one_line(text: Any) -> str:
    """A label as every view shows it (graphs, tables, narration, cards, pages): safe, and a
    line break shown as a visible \\n, so a name always stays one line."""
    return safe_text(text).replace("\n", "\\n")


def escape_html(text: Any) -> str:
    """`text` as HTML text: & < > " ' become entities, so no label is ever read as markup."""
    return html.escape(safe_text(text), quote=True)


# Characters that mean something in Markdown (CommonMark, GitHub tables, Jupyter's $…$ math)
# wherever they stand in a line. Line-start markers (#, -, +, 1.) cannot occur: we never start
# a line with user text.
_MD_BACKSLASH = set("\\`*_[]|~$")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_markdown(text: Any) -> str:
    """`text` as literal Markdown inline text (safe inside a table cell too).

    Emphasis, code, links, table pipes, math and strike-through characters get a backslash;
    < > & become entities (so no HTML passes through); a line break becomes a space.
    """
    out = []
    for ch in re.sub(r"[\r\n]+", " ", safe_text(text)):
        if ch in _MD_ENTITY:
            out.append(_MD_ENTITY[ch])
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def code_span(text: Any) -> str:
    """`text` as a Markdown code span, fenced with more backticks than any run inside it."""
    body = re.sub(r"[\r\n]+", " ", safe_text(text))
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or longest else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def literal_markdown(text: Any) -> str:
    """`text` shown literally: a code span, or escaped text if it holds < > & (which a code
    span would pass to the page as they are)."""
    return escape_markdown(text) if re.search(r"[<>&]", str(text)) else code_span(text)
