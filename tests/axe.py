"""axe-core, the accessibility engine, run in a selenium-driven browser (tests only).

`axe_source()` gives axe-core's script: the npm registry's tarball of a pinned version, checked
against the registry's sha512 integrity, fetched once into a cache folder
(`$SCALARGRAD_TEST_CACHE`, default `~/.cache/scalargrad-tests`) and never part of the site.
`violations(driver)` runs it on the page the driver shows (not inside its frames: run it in
each frame after `driver.switch_to.frame`) with the rules of WCAG 2.0, 2.1 and 2.2 at levels
A and AA, and returns what it found, one short line per element.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest

VERSION = "4.11.0"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# `npm view axe-core@4.11.0 dist.integrity`
INTEGRITY = ("sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZb"
             "QIjAlJmF1jQ==")
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
SECONDS = 60  # one axe run, at most

_source: str | None = None


def cache_folder() -> Path:
    return Path(os.environ.get("SCALARGRAD_TEST_CACHE")
                or Path.home() / ".cache" / "scalargrad-tests")


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _download(into: Path) -> None:
    """The tarball into `into`: with npm (`npm pack`) when it is there, else straight from the
    registry's tarball address (what npm itself asks for)."""
    with tempfile.TemporaryDirectory(prefix="axe-") as tmp:
        npm = shutil.which("npm")
        got = Path(tmp) / f"axe-core-{VERSION}.tgz"
        if npm:
            subprocess.run([npm, "pack", f"axe-core@{VERSION}", "--pack-destination", tmp,
                            "--silent"], check=True, capture_output=True, timeout=120)
        else:
            with urllib.request.urlopen(TARBALL, timeout=60) as response:
                got.write_bytes(response.read())
        data = got.read_bytes()
        if _integrity(data) != INTEGRITY:
            raise ValueError(f"axe-core {VERSION}: the registry's tarball has the integrity "
                             f"{_integrity(data)}, expected {INTEGRITY}; refused")
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(got), into)


def axe_source() -> str:
    """axe-core's script (axe.min.js of the pinned, checked tarball), fetched once.

    Without the network and without a cached copy the calling test is skipped, saying so
    (in CI, where `CI` is set, it fails instead)."""
    global _source
    if _source is None:
        tgz = cache_folder() / f"axe-core-{VERSION}.tgz"
        try:
            if not tgz.exists() or _integrity(tgz.read_bytes()) != INTEGRITY:
                _download(tgz)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            message = (f"the accessibility tests need axe-core {VERSION} from the npm registry "
                       f"(cached in {tgz.parent}): {exc}")
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        with tarfile.open(tgz) as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None
            _source = member.read().decode("utf-8")
    return _source


RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, iframes: false,
                   resultTypes: ["violations"]})
  .then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                                summary: (n.failureSummary || "").slice(0, 400)}))}))))
  .catch((e) => done([{id: "axe-error", impact: "", help: String(e), nodes: []}]));
"""


def violations(driver: Any) -> list[str]:
    """What axe-core finds wrong on the driver's current page (or frame), one line per
    element: "rule (impact): selector: why"; an empty list when there is nothing."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(SECONDS)
    found = driver.execute_async_script(RUN, list(TAGS))
    lines = []
    for rule in found:
        if not rule["nodes"]:
            lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"]:
            why = " ".join(node["summary"].split())
            lines.append(f"{rule['id']} ({rule['impact']}): {node['target']}: {why} "
                         f"[{node['html']}]")
    return lines
