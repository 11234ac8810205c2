"""The zero-install workshop in WebKit (Safari's engine family): every lesson run to the end
with `?run=all`, offline, in Debian's WebKitGTK MiniBrowser on a virtual display
(tests/webkit.py), then checked by axe-core's WCAG 2.2 A/AA rules (tests/axe.py) as in
Chromium; and the standalone stepper page stepped to its end.

One browser serves the whole module. It sends every request not for 127.0.0.1 to a recording
proxy that refuses it (tests/recording_proxy.py); each lesson must ask it nothing.
WebKit has no SharedArrayBuffer, even on a cross-origin isolated page: the lessons must not
need it. Skipped, saying what to install, without WebKitGTK's driver or Xvfb.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
from axe import violations
from lesson_graphs import multivariate_graph
from lesson_runs import FINISHED, SETTLED, why
from recording_proxy import RecordingProxy, recording_proxy
from webkit import close, driver_log, open_webkit, script

from scalargrad import to_html
from scalargrad.workshop.lessons import notebooks_folder, read_lessons

LESSONS = [lesson.slug for lesson in read_lessons(notebooks_folder())]
SECONDS_PER_LESSON = 180  # WebKit compiles Pyodide's WebAssembly more slowly than the others


@pytest.fixture(scope="module")
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as server:
        yield server


@pytest.fixture(scope="module")
def webkit(proxy) -> Iterator[Any]:
    driver = open_webkit(proxy.port)
    try:
        yield driver
    finally:
        close(driver)


def _frame_at_its_end(driver: Any, frame: Any) -> tuple[str, list[str]]:
    """A stepper or replay frame's text after its End key (pressed inside the frame), and
    what axe finds wrong there."""
    driver.switch_to.frame(frame)
    try:
        script(driver, "document.dispatchEvent(new KeyboardEvent('keydown', "
                       "{key: 'End', bubbles: true}))")
        return driver.find_element("tag name", "body").text, violations(driver)
    finally:
        driver.switch_to.default_content()


def _run_all(driver: Any, url: str) -> dict[str, Any]:
    """One lesson opened with ?run=all and looked at once it settled (see `runs`)."""
    t0 = time.monotonic()
    driver.get(url)
    while time.monotonic() - t0 < SECONDS_PER_LESSON and not script(driver, FINISHED):
        time.sleep(0.5)
    result = {**script(driver, SETTLED), "seconds": round(time.monotonic() - t0, 1),
              "axe": violations(driver)}
    frames = [_frame_at_its_end(driver, frame) for frame in
              driver.find_elements("css selector", ".out iframe")]
    result["frames"] = [text for text, _ in frames]
    result["axe"] += [f"frame {k}: {line}" for k, (_, found) in enumerate(frames)
                      for line in found]
    return result


@pytest.fixture(scope="module")
def runs(webkit, workshop_url, proxy) -> dict[str, Any]:
    """Each lesson opened with ?run=all: how it settled, how long it took, what the proxy saw,
    what axe found, and the text of its stepper or replay frames played to their end. A lesson
    the driver failed on is recorded with the driver's error (and its log), not raised, so that
    the other lessons are still looked at."""
    from selenium.common.exceptions import WebDriverException

    results: dict[str, Any] = {"startup": {"asked": proxy.take()}}
    for slug in LESSONS:
        try:
            result = _run_all(webkit, f"{workshop_url}/{slug}.html?run=all")
        except WebDriverException as exc:
            result = {"state": None, "failed": None, "failedOutput": None, "seconds": None,
                      "status": f"the driver failed: {exc.msg}\n{driver_log(webkit)}",
                      "cellsInError": None, "statusState": None, "text": "", "graphs": 0,
                      "holders": None, "axe": [f"not checked: {exc.msg}"], "frames": []}
        results[slug] = {**result, "asked": proxy.take()}
    return results


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_runs_to_the_end_in_webkit(runs, slug):
    """?run=all reaches "done" in WebKit: Python started without SharedArrayBuffer and every
    cell ran."""
    result = runs[slug]
    assert result["state"] == "done", f"{slug}: {why(result)}"


@pytest.mark.parametrize("slug", LESSONS)
def test_no_cell_fails_in_webkit(runs, slug):
    """No cell is marked as failed, and the status line is the "ready" one."""
    result = runs[slug]
    assert (result["cellsInError"], result["statusState"]) == ([], "ready"), why(result)


@pytest.mark.parametrize("slug", LESSONS)
def test_no_lesson_asks_another_host_in_webkit(runs, slug):
    """While the lesson ran, nothing was asked of any host but 127.0.0.1."""
    assert runs[slug]["asked"] == []


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_after_run_all_has_no_wcag_violation_in_webkit(runs, slug):
    """axe finds nothing on the lesson (and in its frames) once every cell ran in WebKit."""
    found = runs[slug]["axe"]
    assert found == []


def test_the_index_has_no_wcag_violation_in_webkit(webkit, runs, workshop_url):
    webkit.get(f"{workshop_url}/")
    assert violations(webkit) == []


def test_webkit_itself_asks_no_other_host(runs):
    """Starting, MiniBrowser asked nothing of the outside."""
    assert runs["startup"]["asked"] == []


def test_the_multivariate_rule_gives_five_in_webkit(runs):
    assert "x.grad = 2.0 + 3.0 = 5.0" in runs["04-multivariate-chain-rule"]["text"]


def test_graphs_are_drawn_by_viz_js_in_webkit(runs):
    """Lesson 1's graphs are SVGs that Viz.js drew, all of them by the time it says done."""
    result = runs["01-a-program-is-a-graph"]
    assert (result["graphs"] >= 1, result["graphs"]) == (True, result["holders"])


def test_the_stepper_plays_to_its_end_inside_a_lesson_in_webkit(runs):
    (stepper,) = runs["04-multivariate-chain-rule"]["frames"]
    assert "13 / 13" in stepper and "x.grad = 2.0 + 3.0 = 5.0" in stepper


def test_the_training_replay_plays_to_its_end_inside_a_lesson_in_webkit(runs):
    (replay,) = runs["08-training-moons"]["frames"]
    assert "Step 100 of 100" in replay


def test_the_standalone_stepper_steps_to_the_end_in_webkit(webkit, runs, tmp_path):
    """The stepper page written by to_html, opened from disk, stepped with its Step button
    until it is disabled: the lesson's sum x.grad = 2.0 + 3.0 = 5.0 at the end."""
    *_, f = multivariate_graph()
    webkit.get(to_html(f, tmp_path / "stepper.html").resolve().as_uri())
    step = webkit.find_element("id", "step")
    for _ in range(50):
        if not step.is_enabled():
            break
        step.click()
    position = script(webkit, "return [document.body.dataset.position, "
                      "document.body.dataset.count]")
    assert (position[0], position[0] == position[1]) == ("13", True)
    assert "x.grad = 2.0 + 3.0 = 5.0" in webkit.find_element("id", "panel").text


def test_the_standalone_stepper_has_no_wcag_violation_in_webkit(webkit, runs, tmp_path):
    """Mid backward pass (step 9), WebKit's rendering of the page passes axe."""
    *_, f = multivariate_graph()
    webkit.get(to_html(f, tmp_path / "stepper.html").resolve().as_uri() + "#9")
    assert violations(webkit) == []


def test_the_proxy_sees_what_is_not_localhost_in_webkit(webkit, runs, proxy):
    """The checks above can fail: a page on another host goes to the proxy, and is refused.
    (After the lessons, so that what it asks is not counted as theirs.)"""
    try:
        webkit.get("http://outside.example/")
    except Exception:  # the refusal: an error page, or a load error
        pass
    asked = proxy.take()
    assert any(a.startswith("GET http://outside.example/ ") for a in asked), asked
