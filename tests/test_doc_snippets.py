"""Every ```python block of README.md and docs/*.md runs, as published, in an empty folder.

A page is read top to bottom, so its blocks run in order in one fresh interpreter (names
defined by one block are there for the next), with the current folder an empty temporary one
and the package as installed. A block written as a session (`>>> ` lines) runs its `>>>` and
`...` lines; the printed output under them is not compared. Each block is compiled under its
own name, `README.md:125`, so a failure names the file and the line of the block's fence.

A block that must not run says so on the line before it, with the reason:

    <!-- no-run: a fragment of the training loop, not a program -->

Use it sparingly: for fragments that are not programs, or blocks that need what a reader
would not have.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

NO_RUN = re.compile(r"<!--\s*no-run:\s*\S.*-->")  # a reason is required
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
PYTHON = {"python", "py", "python3", "pycon"}


class Block(NamedTuple):
    where: str  # "docs/nn.md:29": the page and the line of the opening fence
    code: str
    run: bool


def _session(body: str) -> str:
    """The statements of a `>>>` session: its prompt lines without the prompts."""
    return "\n".join(line[4:] if len(line) > 3 else "" for line in body.splitlines()
                     if line.startswith((">>>", "...")))


def blocks(page: Path) -> list[Block]:
    """The fenced python blocks of `page`, each with whether it is marked no-run."""
    found = []
    lines = page.read_text(encoding="utf-8").splitlines()
    name = page.relative_to(ROOT).as_posix()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        if lang.lower() in PYTHON:
            before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            body = "\n".join(line[len(indent):] if line.startswith(indent) else line
                             for line in lines[i + 1:j])
            if body.lstrip().startswith(">>>"):
                body = _session(body)
            found.append(Block(f"{name}:{i + 1}", body, not NO_RUN.search(before)))
        i = j + 1
    return found


# Runs the blocks of one page in one namespace; reports every failing block, then exits 1.
DRIVER = r"""
import json, sys, traceback
failed = []
namespace = {"__name__": "__main__"}
for where, code in json.load(sys.stdin):
    try:
        exec(compile(code, where, "exec"), namespace)
    except BaseException:
        failed.append(where)
        print(f"--- {where} failed:", file=sys.stderr)
        traceback.print_exc(limit=-4)
print("FAILED BLOCKS: " + " ".join(failed) if failed else "all blocks ran", file=sys.stderr)
sys.exit(1 if failed else 0)
"""

# Blocks that fail until another branch is merged: (text in the block, the error it fails
# with now, why). Delete each entry once the branch it names is in; any other failure of the
# block still fails the test.
PENDING = [
]


def _env() -> dict[str, str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    probe = subprocess.run([sys.executable, "-c", "import scalargrad, nn, demos, exercises"],
                           cwd=tempfile.gettempdir(), env=env, capture_output=True)
    if probe.returncode != 0:  # not installed (a dev venv without the package): use the clone
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_pages_have_python_blocks() -> None:
    """The README and the docs hold python blocks for this test to run (the parser finds them)."""
    found = [b for page in PAGES for b in blocks(page)]
    assert sum(b.where.startswith("README.md:") for b in found) >= 3
    assert len([b for b in found if b.run]) >= 10


def test_session_blocks_run_their_prompt_lines() -> None:
    """A `>>>` block contributes its prompt lines (continuations too), not its printed output."""
    body = ">>> for k in range(2):\n...     print(k)\n0\n1\n>>> x = 1"
    assert _session(body) == "for k in range(2):\n    print(k)\nx = 1"


def test_no_run_markers_give_a_reason() -> None:
    """Every `no-run` marker in the pages says why (`<!-- no-run: reason -->`)."""
    for page in PAGES:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if "no-run" in line and "<!--" in line:
                assert NO_RUN.search(line), f"{page.relative_to(ROOT)}:{n}: {line.strip()}"


@pytest.mark.parametrize("page", [p for p in PAGES if any(b.run for b in blocks(p))],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_snippets_run_in_an_empty_folder(page: Path, tmp_path: Path) -> None:
    """The page's python blocks run in order, without an error, from an empty folder."""
    runnable = [b for b in blocks(page) if b.run]
    result = subprocess.run([sys.executable, "-c", DRIVER], cwd=tmp_path, env=_env(),
                            input=json.dumps([(b.where, b.code) for b in runnable]),
                            capture_output=True, text=True, timeout=900)
    if result.returncode == 0:
        return
    match = re.search(r"FAILED BLOCKS: (.*)", result.stderr)
    failed = match.group(1).split() if match else ["?"]
    codes = {b.where: b.code for b in runnable}
    reports = dict(re.findall(r"--- (\S+) failed:\n(.*?)(?=\n--- |\nFAILED BLOCKS)",
                              result.stderr, re.S))
    pending = [why for where in failed for text, error, why in PENDING
               if text in codes.get(where, "") and error in reports.get(where, "")]
    if len(pending) == len(failed):
        pytest.xfail(f"{', '.join(failed)}: waits for {'; '.join(pending)}")
    pytest.fail(f"python blocks failed: {', '.join(failed)}\n{result.stderr[-4000:]}",
                pytrace=False)
