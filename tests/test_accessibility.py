"""Accessibility (WCAG 2.2 AA) of the browser pages, in headless Chromium, as a learner meets
them: axe-core's WCAG 2.0-2.2 A and AA rules (tests/axe.py: pinned, fetched from npm by the
tests, never part of the site) on the workshop's index, on every lesson after Run all (and
inside its stepper and replay frames), and on the standalone stepper and replay pages; the
players' layout at 1366x768 and on a phone; autoplay under prefers-reduced-motion; a
keyboard-only walk of the stepper; the text alternatives of their pictures.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from axe import violations
from browser import OFFLINE, close, open_chromium
from lesson_graphs import multivariate_graph

import nn
import scalargrad as sg
from scalargrad.workshop.lessons import notebooks_folder, read_lessons

LESSONS = [lesson.slug for lesson in read_lessons(notebooks_folder())]
SECONDS_PER_LESSON = 120
LAPTOP = (1366, 768)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    driver = open_chromium(OFFLINE)
    try:
        yield driver
    finally:
        close(driver)


def _viewport(driver: Any, size: tuple[int, int] | None) -> None:
    """Emulate a screen of `size` CSS pixels (a phone as a phone), or undo it (None)."""
    if size is None:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.fixture
def laptop(chromium) -> Iterator[Any]:
    _viewport(chromium, LAPTOP)
    yield chromium
    _viewport(chromium, None)


@pytest.fixture
def phone(chromium) -> Iterator[Any]:
    _viewport(chromium, PHONE)
    yield chromium
    _viewport(chromium, None)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The standalone pages: the lesson's stepper (f = w1·x + w2·x), a neuron's stepper with
    its elementary view, the stepper with the tangent pass, and a short training replay
    (with and without autoplay)."""
    out = tmp_path_factory.mktemp("pages")
    x, *_, f = multivariate_graph()
    xs = [sg.Value(v, label=f"x{i}") for i, v in enumerate([1.0, -2.0, 0.5])]
    neuron = nn.Neuron(3, seed=0)
    X, y = nn.moons(40, noise=0.1, seed=0, signed=True)
    model = nn.MLP(2, [8, 1], seed=0)
    recorder = sg.TrainingRecorder(model, X, y, every=2)
    nn.fit(model, X, y, loss="hinge", steps=10, progress=False,
           optimizer=nn.SGD(model.parameters(), lr=0.5), callback=recorder)
    return {
        "stepper": sg.to_html(f, out / "stepper.html"),
        "tangent": sg.to_html(f, out / "tangent.html", tangents={x: 1.0}),
        "autoplay stepper": sg.to_html(f, out / "auto-stepper.html", autoplay=True),
        "neuron": sg.to_html(neuron(xs), out / "neuron.html",
                             elementary=nn.Neuron(3, seed=0, fused=False)(xs)),
        "replay": recorder.page("Two moons, replayed").save(out / "replay.html"),
        "autoplay": recorder.page("Two moons, replayed", autoplay=True).save(out / "auto.html"),
    }


def _open(driver: Any, path: Path, step: int | None = None) -> None:
    """Load the page afresh (a new #step alone would not reload it), at `step` if given."""
    driver.get("about:blank")
    driver.get(path.resolve().as_uri() + ("" if step is None else f"#{step}"))


def _rect(driver: Any, selector: str) -> dict[str, float]:
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,"
        " width: innerWidth, height: innerHeight};", selector)


def _in_view(r: dict[str, float]) -> bool:
    return r["left"] >= 0 and r["top"] >= 0 and r["right"] <= r["width"] and (
        r["bottom"] <= r["height"])


# -- axe on every page ------------------------------------------------------------------


def test_the_index_has_no_wcag_violation(chromium, workshop_url):
    chromium.get(f"{workshop_url}/")
    assert violations(chromium) == []


@pytest.fixture(scope="module")
def lesson_audits(chromium, workshop_url) -> dict[str, Any]:
    """Each lesson after ?run=all: its state, axe's findings on the page and in each of its
    frames (the stepper and the replay), in the browser's window and then, the same page
    narrowed to a phone's screen, again."""
    audits = {}
    for slug in LESSONS:
        chromium.get(f"{workshop_url}/{slug}.html?run=all")
        deadline = time.monotonic() + SECONDS_PER_LESSON
        state = None
        while time.monotonic() < deadline and state not in ("done", "error"):
            time.sleep(0.2)
            state = chromium.execute_script("return document.documentElement.dataset.state")
        audits[slug] = {"state": state, "violations": _audit(chromium)}
        _viewport(chromium, PHONE)
        try:
            time.sleep(0.3)  # the frames lay themselves out again
            audits[slug]["phone"] = _audit(chromium)
        finally:
            _viewport(chromium, None)
    return audits


def _audit(driver: Any) -> list[str]:
    found = violations(driver)
    for k, frame in enumerate(driver.find_elements("css selector", "iframe")):
        driver.switch_to.frame(frame)
        try:
            found += [f"frame {k}: {line}" for line in violations(driver)]
        finally:
            driver.switch_to.default_content()
    return found


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_after_run_all_has_no_wcag_violation(lesson_audits, slug):
    """axe finds nothing on the lesson once every cell ran (outputs, graphs, frames)."""
    audit = lesson_audits[slug]
    assert audit["state"] == "done", f"{slug} did not run to the end: {audit['state']}"
    found = audit["violations"]
    assert found == []


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_on_a_phone_has_no_wcag_violation(lesson_audits, slug):
    """The same page at 390 px: nothing either. Code cells, outputs and formulas that scroll
    sideways there are reachable by keyboard (the editor's content, or the box itself as a
    named region), and the header's links and buttons are at least 24 px square."""
    found = lesson_audits[slug]["phone"]
    assert found == []


@pytest.mark.parametrize("step", [0, 5, 9, 13])
def test_the_stepper_has_no_wcag_violation_at_any_phase(chromium, pages, step):
    """Ready, forward pass, backward pass, done: each state's colours and names pass."""
    _open(chromium, pages["stepper"], step)
    assert violations(chromium) == []


def test_the_elementary_view_has_no_wcag_violation(chromium, pages):
    """The view toggle pressed (a dark button) and the bigger elementary graph."""
    _open(chromium, pages["neuron"], 12)
    chromium.find_element("id", "view").click()
    assert (chromium.execute_script("return document.body.dataset.view"),
            violations(chromium)) == ("elementary", [])


def test_the_tangent_pass_has_no_wcag_violation(chromium, pages):
    """The tangent pass on (its toggle pressed), mid-way through its edges."""
    _open(chromium, pages["tangent"])
    chromium.find_element("id", "go-tangent").click()
    for _ in range(6):
        chromium.find_element("id", "step").click()
    assert (chromium.find_element("id", "go-tangent").get_attribute("aria-pressed"),
            violations(chromium)) == ("true", [])


@pytest.mark.parametrize("step", [0, 5])
def test_the_replay_has_no_wcag_violation(chromium, pages, step):
    _open(chromium, pages["replay"], step)
    assert violations(chromium) == []


def test_the_players_pass_on_a_phone_too(phone, pages):
    found = []
    for name in ("stepper", "replay"):
        _open(phone, pages[name], 3)
        found += violations(phone)
    assert found == []


# -- layout: watch the graph while stepping ----------------------------------------------


def test_the_stepper_shows_graph_and_panel_side_by_side_at_1366x768(laptop, pages):
    """Mid backward pass, the narration and the whole graph frame are both in the window,
    the panel left of the graph."""
    _open(laptop, pages["stepper"], 9)
    panel, graph = _rect(laptop, "#panel"), _rect(laptop, "#graph-wrap")
    assert (_in_view(panel), _in_view(graph), panel["right"] <= graph["left"]) == (
        True, True, True), (panel, graph)


def test_the_stepper_stacks_graph_under_panel_on_a_phone(phone, pages):
    _open(phone, pages["stepper"], 9)
    panel, graph = _rect(phone, "#panel"), _rect(phone, "#graph-wrap")
    assert (graph["top"] >= panel["bottom"], panel["right"] <= PHONE[0],
            graph["right"] <= PHONE[0]) == (True, True, True), (panel, graph)


def test_the_replay_shows_boundary_and_numbers_side_by_side_at_1366x768(laptop, pages):
    _open(laptop, pages["replay"], 3)
    boundary, now = _rect(laptop, "#boundary"), _rect(laptop, "#now")
    assert (_in_view(boundary), _in_view(now), boundary["right"] <= now["left"]) == (
        True, True, True), (boundary, now)


def test_the_replay_stacks_on_a_phone(phone, pages):
    _open(phone, pages["replay"], 3)
    boundary, now = _rect(phone, "#boundary"), _rect(phone, "#now")
    assert (now["top"] >= boundary["bottom"], boundary["right"] <= PHONE[0]) == (True, True)


def test_the_stepper_in_a_lesson_is_side_by_side_at_1366x768(laptop, workshop_url):
    """Lesson 4's stepper frame, at a laptop's size: the frame fits in the window below the
    lesson's header, and in it the panel and the graph sit side by side, both in view."""
    laptop.get(f"{workshop_url}/04-multivariate-chain-rule.html?run=all")
    deadline = time.monotonic() + SECONDS_PER_LESSON
    while time.monotonic() < deadline and laptop.execute_script(
            "return document.documentElement.dataset.state") not in ("done", "error"):
        time.sleep(0.2)
    frame = laptop.find_element("css selector", ".out iframe")
    outer = laptop.execute_script(  # the frame's height, the window's below the header
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.width, r.height, innerHeight - document.querySelector('header')"
        ".getBoundingClientRect().height]", frame)
    laptop.switch_to.frame(frame)
    try:
        panel, graph = _rect(laptop, "#panel"), _rect(laptop, "#graph-wrap")
    finally:
        laptop.switch_to.default_content()
    assert outer[1] <= outer[2], f"the frame ({outer[1]} px) is taller than the window " \
        f"below the lesson's header ({outer[2]} px)"
    assert (_in_view(panel), _in_view(graph), panel["right"] <= graph["left"]) == (
        True, True, True), (panel, graph)


# -- motion ------------------------------------------------------------------------------


def _reduced_motion(driver: Any, on: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-reduced-motion", "value": "reduce" if on else ""}]})


def _playing(driver: Any) -> tuple[str, str]:
    return driver.execute_script("return [document.body.dataset.playing,"
                                 " document.body.dataset.position]")


@pytest.mark.parametrize("page", ["autoplay", "autoplay stepper"])
def test_reduced_motion_turns_autoplay_off(chromium, pages, page):
    """With prefers-reduced-motion: reduce, a page made to autoplay stays still at step 0."""
    _reduced_motion(chromium, True)
    try:
        _open(chromium, pages[page])
        time.sleep(1.5)  # the replay plays 4 frames a second, the stepper 1 step
        state = _playing(chromium)
        autoplay = chromium.execute_script("return document.body.dataset.autoplay")
    finally:
        _reduced_motion(chromium, False)
    assert (state, autoplay) == (["no", "0"], "reduced")


@pytest.mark.parametrize("page", ["autoplay", "autoplay stepper"])
def test_autoplay_plays_and_pause_stops_it(chromium, pages, page):
    """Without the preference it plays by itself, and Pause stops it where it is."""
    _open(chromium, pages[page])
    assert chromium.execute_script("return document.body.dataset.playing") == "yes"
    chromium.find_element("id", "play").click()  # now labelled Pause
    stopped = _playing(chromium)
    time.sleep(0.6)
    assert (stopped[0], _playing(chromium)) == ("no", stopped)


def test_the_narration_is_a_live_region_quiet_while_playing(chromium, pages):
    """The panel speaks each step (aria-live polite), not while playing, and again after."""
    _open(chromium, pages["stepper"])
    live = "return document.getElementById('panel').getAttribute('aria-live')"
    before = chromium.execute_script(live)
    chromium.find_element("id", "play").click()
    during = chromium.execute_script(live)
    chromium.find_element("id", "play").click()
    assert (before, during, chromium.execute_script(live)) == ("polite", "off", "polite")


# -- keyboard ----------------------------------------------------------------------------

FOCUS = """const e = document.activeElement, s = getComputedStyle(e);
return [e.id || e.className || e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)];"""


def test_a_keyboard_walks_the_stepper_with_focus_always_visible(laptop, pages):
    """Tab from the top reaches every control, each with a visible outline; on Step, Enter
    and the arrow and letter keys step, End goes to the end, Home back to the start."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _open(laptop, pages["stepper"])
    keys = lambda *k: ActionChains(laptop).send_keys(*k).perform()  # noqa: E731
    visited, unseen = [], []
    for _ in range(12):
        keys(Keys.TAB)
        name, outline, width = laptop.execute_script(FOCUS)
        visited.append(name)
        if outline == "none" or width < 2:
            unseen.append(name)
        if name == "step":
            break
    assert ({"go-forward", "go-backward", "play", "step"} <= set(visited), unseen) == (True, [])
    position = lambda: laptop.execute_script("return document.body.dataset.position")  # noqa
    seen = []
    for key in (Keys.ENTER, Keys.ARROW_RIGHT, "n", Keys.ARROW_LEFT, Keys.END, Keys.HOME):
        keys(key)
        seen.append(position())
    assert seen == ["1", "2", "3", "2", "13", "0"]


def test_tab_reaches_the_sliders_and_the_graph(laptop, pages):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _open(laptop, pages["stepper"], 4)
    visited = []
    for _ in range(14):
        ActionChains(laptop).send_keys(Keys.TAB).perform()
        name, outline, width = laptop.execute_script(FOCUS)
        visited.append((name, outline != "none" and width >= 2))
    assert {("speed", True), ("scrub", True), ("graph-wrap", True)} <= set(visited), visited


def _wait_for(driver: Any, script: str, wanted: tuple[str, ...], *args: Any) -> Any:
    """What `script` returns once it is one of `wanted`, or after SECONDS_PER_LESSON."""
    deadline = time.monotonic() + SECONDS_PER_LESSON
    got = driver.execute_script(script, *args)
    while time.monotonic() < deadline and got not in wanted:
        time.sleep(0.2)
        got = driver.execute_script(script, *args)
    return got


REGION = ("const o = document.querySelector('section.cell .out');"
          "return [o.getAttribute('tabindex'), o.getAttribute('role'),"
          " o.getAttribute('aria-label')]")


def test_an_output_is_a_tab_stop_only_while_it_scrolls_sideways(laptop, workshop_url):
    """A short output is no tab stop; a line too long for the cell makes its output a region
    named for the cell, in the tab order (its scroll reachable by keyboard); the cell's Reset
    empties it, and it is plain again."""
    laptop.get(f"{workshop_url}/01-a-program-is-a-graph.html")
    assert _wait_for(laptop, "return document.documentElement.dataset.state",
                     ("ready", "error")) == "ready"
    cell = laptop.find_element("css selector", "section.cell")
    seen = []
    for code in ('print("short")', 'print("x" * 400)'):
        laptop.execute_script("const t = arguments[0].querySelector('textarea');"
                              "t.value = arguments[1]; t.dispatchEvent(new Event('input'));"
                              "arguments[0].querySelector('.bar button').click()", cell, code)
        time.sleep(0.2)
        _wait_for(laptop, "return arguments[0].dataset.state", ("ok", "error"), cell)
        seen.append(laptop.execute_script(REGION))
    laptop.execute_script("arguments[0].querySelectorAll('.bar button')[1].click()", cell)
    time.sleep(0.3)  # the box's size changes, then its observer looks again
    seen.append(laptop.execute_script(REGION))
    assert seen == [[None, None, None], ["0", "region", "Output of cell 1 (scrolls sideways)"],
                    [None, None, None]]


# -- text alternatives --------------------------------------------------------------------


def test_the_graph_is_described_in_words_with_its_gradients(chromium, pages):
    """At the end, the graph's text alternative names every node with its value and its
    gradient: the lesson's x.grad = 5.0 among them."""
    _open(chromium, pages["stepper"], 13)
    items = chromium.execute_script(
        "return [...document.querySelectorAll('#graph-text li')].map((li) => li.textContent)")
    x = [item for item in items if item.startswith("x (a leaf): ")]
    assert (x, len(items)) == (["x (a leaf): data 0.0, grad 5.0 \u2014 this step"], 6), items


def test_the_replay_pictures_say_what_they_show(chromium, pages):
    _open(chromium, pages["replay"], 5)
    boundary, curves = chromium.execute_script(
        "return ['boundary', 'curves'].map((id) => "
        "document.getElementById(id).getAttribute('aria-label'))")
    assert boundary.startswith("Decision boundary at step 10 of 10") and "misclassified" in boundary
    assert "now step 10, loss" in curves
