"""Verdicts: one `Outcome` per exercise, and the `Report` that shows them.

A report is the same verdicts in three places: its `str()`/`repr()` is the terminal's text
(what `python -m exercises` prints, and what a plain `python` prompt echoes), and its
`_repr_html_` is what a notebook or the browser workshop shows: each verdict as a word and a
symbol ("✓ PASS", "✗ FAIL", "… TODO", "! ERROR") in an element with `class="sg-verdict"`,
`data-verdict="pass|fail|todo|error"` and `role="status"`, inside a container whose
`data-verdict` is the whole report's. Every piece of text is escaped: an answer may be any
string a learner typed.
"""

from __future__ import annotations

import html
import reprlib
from dataclasses import dataclass, field
from typing import Sequence

STATUSES = ("pass", "fail", "todo", "error")
WORD = {"pass": "PASS", "fail": "FAIL", "todo": "TODO", "error": "ERROR"}
SYMBOL = {"pass": "✓", "fail": "✗", "todo": "…", "error": "!"}
MARK = WORD  # (the old name)

PARTS = (
    ("A", "Part A — write the backward (your closure, for upstreams 1, −1.5, 0.3 and 2, against "
          "upstream × the true local gradient)"),
    ("B", "Part B — predict the gradient (against the engine, confirmed by finite differences)"),
    ("C", "Part C — write backward() yourself (on graphs that expose each classic bug)"),
    ("D", "Part D — forward mode: tangents (against finite differences)"),
)


_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80


def shown(x: object) -> str:
    """A learner's value as text: its repr, cut short, and never an exception."""
    try:
        return _REPR.repr(x)
    except Exception:  # a learner's object whose __repr__ fails
        return f"<{type(x).__name__} object>"


def error_text(exc: BaseException) -> str:
    """An exception from the learner's code as "Name: message", cut short, never raising."""
    try:
        said = str(exc)
    except Exception:
        said = ""
    said = said if len(said) <= 300 else said[:300] + " …"
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


@dataclass(frozen=True)
class Outcome:
    """The verdict on one exercise: "pass", "fail", "todo" or "error", with the details.

    `diagnosis` names the mistake when the checker recognised one (it is also the first of
    `details`); `part` is the workbook part, "A" to "D"."""

    name: str
    status: str
    title: str
    details: tuple[str, ...] = ()
    part: str = "A"
    diagnosis: str = ""


def _item(line: str) -> str:
    """A detail line as a list item; an indented line (a step of a derivation) gets
    class="sg-depth-N" for its depth, so a page can indent it without inline style."""
    depth = (len(line) - len(line.lstrip(" "))) // 2
    mark = f' class="sg-depth-{depth}"' if depth else ""
    return f"<li{mark}>{html.escape(line.strip())}</li>"


def overall(outcomes: Sequence[Outcome]) -> str:
    """One verdict for several: error over fail over todo over pass."""
    found = {o.status for o in outcomes}
    for status in ("error", "fail", "todo"):
        if status in found:
            return status
    return "pass"


@dataclass
class Report:
    """What the checker found: the verdicts in order, and notes around them.

    `notes` come before the verdicts (the engine put back after a patch); `after[part]`
    after a part's verdicts (the chained sigmoid line after Part A)."""

    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)
    after: dict[str, list[str]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """The report's one verdict: "pass" only when every exercise passed."""
        return overall(self.outcomes)

    @property
    def passed(self) -> bool:
        return bool(self.outcomes) and self.verdict == "pass"

    def __getitem__(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name.lower() == name.lower():
                return o
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        return {s: sum(o.status == s for o in self.outcomes) for s in STATUSES}

    def score(self) -> str:
        counts, n = self.counts(), len(self.outcomes)
        return (f"Score: {counts['pass']} of {n} passed"
                + (f", {counts['fail']} failed" if counts["fail"] else "")
                + (f", {counts['error']} with errors" if counts["error"] else "")
                + (f", {counts['todo']} still to do" if counts["todo"] else "")
                + (".  All done!" if counts["pass"] == n else "."))

    def lines(self) -> list[str]:
        """The terminal's text, line by line."""
        out = list(self.notes)
        for part, heading in PARTS:
            items = [o for o in self.outcomes if o.part == part]
            if not items:
                continue
            out += ["", heading]
            for o in items:
                out.append(f"  {SYMBOL[o.status]} {WORD[o.status]:<5} {o.title}")
                out += [f"          {line}" for line in o.details]
            out += [f"  {line}" for line in self.after.get(part, [])]
        out += ["", self.score()]
        while out and not out[0]:
            del out[0]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = [f'<p class="sg-note">{esc(n)}</p>' for n in self.notes]
        for part, heading in PARTS:
            items = [o for o in self.outcomes if o.part == part]
            if not items:
                continue
            rows.append(f'<p class="sg-part">{esc(heading)}</p>')
            for o in items:
                details = "".join(_item(line) for line in o.details)
                rows.append(
                    f'<div class="sg-verdict" data-verdict="{o.status}" role="status" '
                    f'data-exercise="{esc(o.name)}">'
                    f'<strong class="sg-mark">{SYMBOL[o.status]} {WORD[o.status]}</strong> '
                    f'<code>{esc(o.name)}</code> {esc(o.title[len(o.name):].strip())}'
                    + (f"<ul>{details}</ul>" if details else "") + "</div>")
            rows += [f'<p class="sg-note">{esc(line)}</p>' for line in self.after.get(part, [])]
        rows.append(f'<p class="sg-score">{esc(self.score())}</p>')
        return (f'<div class="sg-check" data-verdict="{self.verdict}">'
                + "\n".join(rows) + "</div>")
