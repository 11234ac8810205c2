"""A graph as an indented text tree: needs nothing but a terminal."""

from __future__ import annotations

from scalargrad.graph import topological_order
from scalargrad.see.draw.spec import _op_text
from scalargrad.see.text import format_number, node_names, one_line
from scalargrad.value import Value

# -- text --------------------------------------------------------------------------------------


def text_tree(root: Value, *, max_lines: int | None = 200, digits: int = 4) -> str:
    """The graph as an indented tree, output first: needs no graphviz and no matplotlib.

    Each line is `name = data  grad g  ← op`; a node already shown is not expanded again
    ("(shown above)"), so shared subgraphs print once. Past `max_lines` the rest is counted.
    """
    order = topological_order(root)
    names = node_names(order)
    index = {node: i for i, node in enumerate(order)}
    fmt = lambda x: format_number(x, digits)  # noqa: E731

    def describe(node: Value) -> str:
        i = index[node]
        kind = (f"← {one_line(_op_text(node))}" if node._prev else
                "(output)" if i == len(order) - 1 else "(leaf)" if node.label else "(constant)")
        return f"{names[i]} = {fmt(node.data)}  grad {fmt(node.grad)}  {kind}"

    lines = [describe(root)]
    shown = {root}
    # Each entry: (node, its parents' iterator, the prefix for its children's lines).
    stack = [(root, iter(range(len(root._prev))), "")]
    truncated = False
    max_indent = 24
    while stack:
        if max_lines is not None and len(lines) >= max_lines:
            truncated = True
            break
        node, positions, prefix = stack[-1]
        k = next(positions, None)
        if k is None:
            stack.pop()
            continue
        parent = node._prev[k]
        last = k == len(node._prev) - 1
        branch = "└─ " if last else "├─ "
        depth = len(stack)
        if depth > max_indent:
            head = f"{prefix}[depth {depth}] {branch}"
            child_prefix = prefix
        else:
            head = prefix + branch
            child_prefix = prefix + ("   " if last else "│  ")
        if parent in shown and parent._prev:
            lines.append(f"{head}{names[index[parent]]} (shown above)")
            continue
        lines.append(head + describe(parent))
        shown.add(parent)
        if parent._prev:
            stack.append((parent, iter(range(len(parent._prev))), child_prefix))
    if truncated:
        lines.append(f"… {len(order) - len(shown)} more nodes not shown "
                     "(text_tree(root, max_lines=None) shows all)")
    return "\n".join(lines)
