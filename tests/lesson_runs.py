"""Reading a lesson opened with `?run=all` in a browser (the Firefox and WebKit tests): whether
it has finished, one look at the page once it has settled, and a failure message from that look.
"""

from __future__ import annotations

from typing import Any

# Has ?run=all finished (every cell ran, or one failed, or Python could not start)?
FINISHED = """
return ["done", "error"].includes(document.documentElement.dataset.state)
    || document.getElementById("status").dataset.state === "failed";
"""

# One look at the page once it has settled: everything the lesson tests ask about.
SETTLED = """
const root = document.documentElement, status = document.getElementById("status");
const failed = root.dataset.failed ? document.querySelector(
    `section.cell[data-cell="${root.dataset.failed}"] .out`) : null;
return {
  state: root.dataset.state || null, failed: root.dataset.failed || null,
  failedOutput: failed ? failed.innerText : null,
  status: status ? status.innerText : null, statusState: status ? status.dataset.state : null,
  cellsInError: [...document.querySelectorAll('section.cell[data-state="error"]')]
      .map((cell) => cell.dataset.cell),
  text: document.querySelector("main").innerText,
  graphs: document.querySelectorAll(".graph svg").length,
  holders: document.querySelectorAll("div.graph").length,
  undrawn: [...document.querySelectorAll("div.graph pre.stderr")].map((pre) => pre.textContent),
  images: document.querySelectorAll(".out img").length,
};
"""


def why(result: dict[str, Any]) -> str:
    """A settled lesson's state in a sentence (with the browser's errors where it has them)."""
    return (f"state {result['state']} after {result['seconds']} s, failed cell "
            f"{result['failed']}: {result['failedOutput']!r}; status {result['status']!r}"
            + (f"; errors {result['errors']}" if "errors" in result else ""))
