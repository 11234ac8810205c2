"""The stepper page's tangent pass: forward mode played edge by edge, beside the backward pass.

`tangent_timeline` turns `explain_tangents`' narration into the page's steps, in topological
order (the order the forward pass computes the graph): a leaf's tangent is given or held
fixed; then for each node, one step per input edge, saying tangent in × local gradient =
contribution and the node's tangent so far (f.tangent = 2.0 (so far; still to come from g),
then f.tangent = 2.0 + 3.0 = 5.0). Every number is the narration's, formatted by
`format_number`, so the page reads exactly as the printed trace. A node with more than
`SUM_TERMS` inputs is written with a bounded text, so a page grows with its graph, not with the
square of a node's fan-in.
"""

from __future__ import annotations

from typing import Any, Mapping

from scalargrad.graph import topological_order
from scalargrad.see.narrate.tangents import NodeRef, TangentStep, explain_tangents
from scalargrad.see.text import format_number, node_names
from scalargrad.value import Value

SUM_TERMS = 6  # as the backward pass's sums on the page


def tangent_timeline(root: Value, tangents: Mapping[NodeRef, float], ids: Mapping[int, int],
                     edge_of: Mapping[tuple[int, int], int], digits: int = 6) -> dict[str, Any]:
    """The page's tangent pass for the graph of `root`.

    `tangents` as `explain_tangents` takes them; a leaf Value of another graph (a page's
    other view) stands for the input of the same name in this one. `ids` maps the
    topological index of each node shown to its id on the page, `edge_of` an edge
    (consumer's index, argument position) to its id; nodes and edges not shown (a
    collapsed graph) are folded in: a shown node's inputs that are not shown add their part
    in one step before its shown edges.
    """
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    trace = explain_tangents(root, _in_view(root, tangents))
    steps: list[dict[str, Any]] = []
    for s in trace.steps:
        if s.index not in ids:
            continue
        node = ids[s.index]
        if s.is_leaf:
            text = (f"{s.name} is a leaf: its tangent {fmt(s.tangent)} is given" if s.given else
                    f"{s.name} is a leaf held fixed (no tangent given): its tangent is "
                    f"{fmt(s.tangent)}")
            steps.append({"kind": "tleaf", "node": node, "tangent": fmt(s.tangent),
                          "text": text, "sum": s.formula(digits)})
            continue
        shown = [k for k in range(len(s.inputs)) if (s.index, k) in edge_of]
        running = 0.0
        if len(shown) < len(s.inputs):
            hidden = [c for k, c in enumerate(s.inputs) if k not in shown]
            running = sum(c.contribution for c in hidden)
            steps.append({"kind": "thidden", "node": node, "tangent": fmt(running),
                          "text": f"{s.name}'s {len(hidden)} inputs not shown contribute "
                                  f"{fmt(running)} to its tangent"})
        for n, k in enumerate(shown):
            c = s.inputs[k]
            previous = running
            running += c.contribution
            done = n == len(shown) - 1
            steps.append({
                "kind": "tedge", "edge": edge_of[(s.index, k)], "node": node,
                "input": ids[c.input_index], "tin": fmt(c.tangent_in), "local": fmt(c.local),
                "contribution": fmt(c.contribution),
                "tangent": fmt(s.tangent if done else running),
                "sum": _running_sum(s, k, len(shown) - n - 1, previous, running, digits)})
    return {"direction": trace.direction(digits), "conclusion": trace.conclusion(digits),
            "output": fmt(trace.output), "steps": steps}


def _in_view(root: Value, tangents: Mapping[NodeRef, float]) -> dict[NodeRef, float]:
    """The tangents for the graph of `root`: an input given as a Value of another graph (the
    fused view's z on the elementary view's page) stands for the input of the same name here."""
    order = topological_order(root)
    here, names = set(order), set(node_names(order))
    return {ref.label if (isinstance(ref, Value) and ref not in here and ref.label in names)
            else ref: t for ref, t in tangents.items()}


def _running_sum(s: TangentStep, k: int, waiting: int, previous: float, running: float,
                 digits: int) -> str:
    """Node s's tangent after its contribution from input k, with `waiting` shown inputs
    still to come: the narration's formula once all are in, else the contributions so far
    and the inputs still to come."""
    fmt = lambda x: format_number(x, digits)  # noqa: E731
    head = f"{s.name}.tangent = "
    terms = s.inputs
    whole = waiting == len(terms) - k - 1  # every input before k was shown, as was k
    if len(terms) <= SUM_TERMS and whole:
        if not waiting:
            return s.formula(digits)
        so_far = " + ".join(fmt(c.contribution) for c in terms[:k + 1]).replace("+ -", "- ")
        if k > 0:
            so_far += f" = {fmt(running)}"
        names = dict.fromkeys(c.input_name for c in terms[k + 1:])
        return f"{head}{so_far} (so far; still to come from {', '.join(names)})"
    if not waiting:
        if not whole:
            return f"{head}{fmt(s.tangent)} (all {len(terms)} contributions in)"
        edge = SUM_TERMS // 2
        parts = [fmt(c.contribution) for c in terms[:edge]]
        parts += [f"… ({len(terms) - 2 * edge} more)"]
        parts += [fmt(c.contribution) for c in terms[-edge:]]
        return f"{head}{' + '.join(parts).replace('+ -', '- ')} = {fmt(s.tangent)}"
    this = terms[k]
    if previous == 0.0 and k == 0:
        return (f"{head}{fmt(running)} (from {this.input_name}, the first of {len(terms)} "
                f"contributions; {waiting} still to come)")
    return (f"{head}{fmt(previous)} (so far) + {fmt(this.contribution)} "
            f"(from {this.input_name}) = {fmt(running)} (so far; {waiting} still to come)")
