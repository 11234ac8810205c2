"""The training replay pages of the demos in a real browser (headless Chromium).

The demos train for a few steps into a temporary folder; the page must load, play to its last
frame, and show there the accuracy the demo itself reports.
"""

from __future__ import annotations

import io
import time

from browser import requests_made

from demos import moons, spiral


def text(browser, element_id: str) -> str:
    return browser.execute_script(f"return document.getElementById('{element_id}').textContent")


def play_to_end(browser, timeout: float = 20.0) -> None:
    body = browser.find_element("tag name", "body")
    for _ in range(5):
        body.send_keys("+")  # the fastest speed
    browser.find_element("id", "play").click()
    assert browser.execute_script("return document.body.dataset.playing") == "yes"
    deadline = time.monotonic() + timeout
    count = browser.execute_script("return document.body.dataset.count")
    while time.monotonic() < deadline:
        if browser.execute_script("return document.body.dataset.position") == count:
            break
        time.sleep(0.1)
    assert browser.execute_script("return document.body.dataset.position") == count
    assert browser.execute_script("return document.body.dataset.playing") == "no"


def painted_colours(browser) -> int:
    """How many distinct colours the boundary canvas holds (a blank canvas has one)."""
    return browser.execute_script("""
        const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
        return seen.size;""")


def test_moons_replay_plays_to_the_final_accuracy(browser, tmp_path):
    """moons writes moons_training.html; played to the end, it shows the demo's final accuracy
    and step count, and it fetched nothing."""
    result = moons.run(seed=0, steps=12, out=tmp_path, resolution=10, file=io.StringIO())
    page = tmp_path / "moons_training.html"
    assert page in result["files"]
    browser.get(page.resolve().as_uri())
    requests_made(browser)
    assert text(browser, "now-step") == "0"
    first = text(browser, "now-accuracy")
    assert first == f"{result['initial_accuracy']:.1%}"
    play_to_end(browser)
    assert text(browser, "now-step") == "12"
    assert text(browser, "now-accuracy") == f"{result['accuracy']:.1%}"
    assert text(browser, "now-correct") == f"({result['correct']} of 100 points)"
    assert painted_colours(browser) > 10
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#watch tr'))"
        ".map(r => Array.from(r.cells).map(c => c.textContent));")
    assert rows[0] == ["parameter", "w0", "w1", "b"]
    assert rows[2][0] == "gradient" and "—" not in rows[2]  # the last step's gradients
    assert requests_made(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_replay_scrubs_and_steps(browser, tmp_path):
    """The position slider and the step keys move through the frames: step 0 shows no
    gradient yet, a later frame its step number."""
    result = spiral.run(seed=0, steps=6, out=tmp_path, resolution=10, file=io.StringIO())
    page = tmp_path / "spiral_training.html"
    assert page in result["files"]
    browser.get(page.resolve().as_uri())
    body = browser.find_element("tag name", "body")
    assert browser.execute_script(
        "return document.querySelector('#watch tbody tr:nth-child(2) td').textContent") == "—"
    assert text(browser, "position") == "step 0 / 6"
    body.send_keys("\ue014\ue014")  # two steps
    assert text(browser, "now-step") == "2"
    browser.execute_script("const s = document.getElementById('scrub'); s.value = '5';"
                           "s.dispatchEvent(new Event('input'));")
    assert text(browser, "now-step") == "5"
    body.send_keys("\ue010")  # End
    assert text(browser, "now-step") == "6"
    assert text(browser, "now-accuracy") == f"{result['train_accuracy']:.1%}"
