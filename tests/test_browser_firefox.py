"""The pages in Firefox: its headless screenshot shows what the page's script drew.

No WebDriver for Firefox is needed (Debian packages none): `firefox --headless --screenshot`
loads the page, runs its script and saves the window. `page.html#13` opens the stepper at
step 13, so the picture holds the colours that only the script paints at that step (the node
being processed, the node receiving, the sum line of the panel). Skipped without Firefox.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lesson_graphs import multivariate_graph

from scalargrad import to_html

CURRENT, RECEIVING, SUM = (0xFF, 0xE0, 0x8A), (0xCF, 0xE8, 0xFF), (0xE8, 0xF1, 0xFB)


@pytest.fixture(scope="module")
def firefox(tmp_path_factory):
    binary = os.environ.get("FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")
    if binary is None:
        pytest.skip("Firefox is not installed (apt-get install firefox-esr): the pages were "
                    "checked in Chromium only")
    pytest.importorskip("matplotlib", reason="reading the screenshot needs matplotlib")
    home = tmp_path_factory.mktemp("firefox-home")
    profile = tmp_path_factory.mktemp("firefox-profile")

    def screenshot(url: str, out: Path) -> Path:
        subprocess.run([binary, "--headless", "-no-remote", "-profile", str(profile),
                        "--window-size=1280,800", "--screenshot", str(out), url],
                       env={**os.environ, "HOME": str(home)}, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if not out.exists():
            pytest.skip(f"Firefox ({binary}) made no screenshot here")
        return out

    return screenshot


def pixels(path: Path, colour: tuple[int, int, int]) -> int:
    """How many pixels of the PNG have exactly this colour."""
    import matplotlib.image
    import numpy as np

    image = matplotlib.image.imread(str(path))[..., :3]
    rgb = np.round(image * 255).astype(int).reshape(-1, 3)
    return int((rgb == np.array(colour)).all(axis=1).sum())


def test_stepper_runs_in_firefox(firefox, tmp_path):
    """At page.html#13 Firefox shows the last backward step (x receiving, h processed, the
    sum line); at #0 none of those colours, so the script ran under the page's policy."""
    x, w1, w2, f = multivariate_graph()
    uri = to_html(f, tmp_path / "multivariate.html").resolve().as_uri()
    done = firefox(uri + "#13", tmp_path / "done.png")
    start = firefox(uri + "#0", tmp_path / "start.png")
    for colour in (CURRENT, RECEIVING, SUM):
        assert pixels(done, colour) > 1000
        assert pixels(start, colour) == 0
