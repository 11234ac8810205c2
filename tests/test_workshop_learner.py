"""The workshop under a learner's hands (issue 28), in headless Chromium: Stop on a runaway
cell (in place where the server sends the isolation headers, by a fresh Python elsewhere),
a Run pressed before Python is ready, the keyboard (Esc then Tab, Shift+Enter), a FAIL's look,
a page opened from disk, Reset, a NameError after skipped cells, tracebacks, a phone's header,
the graphs' text alternatives; and docs/workshop.md's commands, run as written.

The site is built once by conftest.py's `workshop_site`; `workshop_url` serves it as any
static server would (no isolation headers), `isolated_url` as `scalargrad-workshop serve`
does.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import OFFLINE, close, open_chromium
from served import served

from scalargrad.workshop.lessons import notebooks_folder, read_lessons

ROOT = Path(__file__).resolve().parents[1]
STATE = "return document.documentElement.dataset.state"
SMALL = "03-checking-a-gradient"  # a short lesson: its page loads fastest


def _wait(read, wanted, seconds: float = 90):
    """Poll `read()` until `wanted(answer)` (or answer in `wanted`) or time is up; the answer."""
    test = wanted if callable(wanted) else (lambda got: got in wanted)
    deadline = time.monotonic() + seconds
    got = read()
    while not test(got) and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    return got


@pytest.fixture(scope="module")
def driver():
    chromium = open_chromium(OFFLINE)
    yield chromium
    close(chromium)


@pytest.fixture(scope="module")
def isolated_url(workshop_site):
    """The site served with the two cross-origin isolation headers."""
    with served(workshop_site, isolate=True) as url:
        yield url


class Page:
    """A lesson page as a learner sees it: its cells by number (1 = the first code cell)."""

    def __init__(self, driver, url: str, slug: str = SMALL, wait: bool = True) -> None:
        self.driver = driver
        driver.get(f"{url}/index.html")  # the lesson as given: no edit kept from another test
        driver.execute_script("localStorage.clear()")
        driver.get(f"{url}/{slug}.html")
        _wait(lambda: driver.find_elements("css selector", ".cm-content"), bool, 30)
        if wait:
            assert _wait(lambda: driver.execute_script(STATE), ("ready",)) == "ready"

    def cell(self, number: int):
        return self.driver.find_element("css selector", f'section.cell[data-number="{number}"]')

    def set_code(self, number: int, code: str) -> None:
        """Put `code` in a cell (through its textarea, which the editor follows)."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
            self.cell(number).find_element("tag name", "textarea"), code)

    def button(self, number: int):  # Run, Cancel or Stop: the cell's first button
        return self.cell(number).find_element("css selector", ".bar button")

    def state(self, number: int) -> str | None:
        return self.cell(number).get_attribute("data-state")

    def run(self, number: int, until=("ok", "error", "stopped")) -> str | None:
        self.button(number).click()
        return _wait(lambda: self.state(number), until)

    def out(self, number: int) -> str:
        return self.cell(number).find_element("css selector", ".out").text

    def badge(self, number: int) -> str:
        return self.cell(number).find_element("css selector", ".badge:not(.verdict)").text

    def active_cell(self) -> str | None:
        """The number of the cell whose editor has the keyboard focus, or None."""
        return self.driver.execute_script(
            "const a = document.activeElement;"
            "return a && a.classList.contains('cm-content') ? "
            "a.closest('section.cell').dataset.number : null;")


def _keys(driver, *keys, holding=None) -> None:
    """Press `keys` in turn (with the modifier `holding` held down), as a keyboard would."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(driver)
    if holding:
        chain = chain.key_down(holding)
    for key in keys:
        chain = chain.send_keys(key)
    if holding:
        chain = chain.key_up(holding)
    chain.perform()


# -- Stop --------------------------------------------------------------------------------------

def test_stop_interrupts_a_runaway_cell_in_place_and_keeps_the_variables(driver, isolated_url):
    page = Page(driver, isolated_url)
    assert driver.execute_script("return crossOriginIsolated") is True
    page.set_code(1, "x = 41")
    assert page.run(1) == "ok"
    page.set_code(2, "while True: pass")
    page.button(2).click()
    assert _wait(lambda: page.state(2), ("running",)) == "running"
    time.sleep(0.5)
    page.button(2).click()  # ■ Stop
    assert _wait(lambda: page.state(2), ("stopped",), 15) == "stopped"
    assert "KeyboardInterrupt" in page.out(2)
    page.set_code(3, "x + 1")
    assert (page.run(3), page.out(3)) == ("ok", "42")  # the same Python: x is still there


def test_stop_restarts_python_on_a_plain_server_and_says_what_was_lost(driver, workshop_url):
    page = Page(driver, workshop_url)
    assert driver.execute_script("return crossOriginIsolated") is False
    page.set_code(1, "x = 41")
    assert page.run(1) == "ok"
    page.set_code(2, "while True: pass")
    page.button(2).click()
    _wait(lambda: page.state(2), ("running",))
    page.button(2).click()  # ■ Stop
    assert _wait(lambda: page.state(2), ("stopped",), 15) == "stopped"
    assert "Python was restarted" in page.out(2) and "cells [1]" in page.out(2)
    page.set_code(3, "1 + 1")
    assert (page.run(3), page.out(3)) == ("ok", "2")  # the fresh Python runs the next cell


def test_run_the_cells_above_again_after_a_restart_brings_the_variables_back(driver,
                                                                            workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, "x = 41")
    page.run(1)
    page.set_code(2, "while True: pass")
    page.button(2).click()
    _wait(lambda: page.state(2), ("running",))
    page.button(2).click()
    _wait(lambda: page.state(2), ("stopped",), 15)
    page.cell(2).find_element("css selector", ".offer button").click()
    assert _wait(lambda: page.state(1), ("ok", "error")) == "ok"
    page.set_code(3, "x + 1")
    assert (page.run(3), page.out(3)) == ("ok", "42")


def test_reset_lesson_during_a_runaway_cell_leaves_no_hang(driver, workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, "while True: pass")
    page.button(1).click()
    _wait(lambda: page.state(1), ("running",))
    driver.find_element("xpath", '//button[text()="Reset lesson"]').click()
    driver.switch_to.alert.accept()
    assert page.state(1) is None and page.out(1) == ""
    assert page.run(1) == "ok"  # the lesson's own first cell, in a fresh Python


def test_run_before_python_is_ready_is_queued_then_runs(driver, workshop_url):
    # a slow network (2 MB/s, nothing cached): Python's 13 MB take seconds to arrive
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": 2e6, "uploadThroughput": -1})
    try:
        page = Page(driver, workshop_url, wait=False)
        assert driver.execute_script(STATE) == "loading"
        page.button(1).click()
        assert page.state(1) == "queued" and "waits for Python to load" in page.badge(1)
        assert _wait(lambda: page.state(1), ("ok", "error")) == "ok"
    finally:
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def test_a_queued_cell_can_be_cancelled(driver, workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, "import time\ntime.sleep(3)")
    page.button(1).click()
    page.button(2).click()
    assert page.state(2) == "queued" and "waits for cell [1]" in page.badge(2)
    page.button(2).click()  # ✕ Cancel
    assert page.state(2) is None and "not run" in page.badge(2)
    assert _wait(lambda: page.state(1), ("ok",)) == "ok" and page.state(2) is None


# -- the keyboard ------------------------------------------------------------------------------

def test_tab_indents_in_the_editor(driver, workshop_url):
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, workshop_url, wait=False)
    page.set_code(1, "x = 1")
    page.cell(1).find_element("css selector", ".cm-content").click()
    _keys(driver, Keys.HOME, Keys.TAB)
    assert page.cell(1).find_element("tag name", "textarea").get_attribute("value") == "    x = 1"
    assert page.active_cell() == "1"


def test_esc_then_tab_moves_the_focus_out_of_the_editor(driver, workshop_url):
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, workshop_url, wait=False)
    page.set_code(1, "x = 1")
    page.cell(1).find_element("css selector", ".cm-content").click()
    hint = page.cell(1).find_element("css selector", ".keys")
    assert hint.is_displayed() and "Esc then Tab" in hint.text
    _keys(driver, Keys.ESCAPE, Keys.TAB)
    assert page.active_cell() is None
    assert page.cell(1).find_element("tag name", "textarea").get_attribute("value") == "x = 1"


def test_shift_enter_runs_the_cell_and_moves_to_the_next(driver, workshop_url):
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, workshop_url)
    page.cell(1).find_element("css selector", ".cm-content").click()
    _keys(driver, Keys.ENTER, holding=Keys.SHIFT)
    assert page.active_cell() == "2"
    assert _wait(lambda: page.state(1), ("ok", "error")) == "ok"
    assert "\n" not in page.cell(1).find_element("tag name", "textarea").get_attribute(
        "value")[-1:]  # no newline typed


def test_ctrl_enter_runs_the_cell_in_place(driver, workshop_url):
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, workshop_url)
    page.cell(1).find_element("css selector", ".cm-content").click()
    _keys(driver, Keys.ENTER, holding=Keys.CONTROL)
    assert _wait(lambda: page.state(1), ("ok", "error")) == "ok" and page.active_cell() == "1"


# -- honest status -----------------------------------------------------------------------------

REPORT = '''class Report:
    def __init__(self, verdict, word):
        self.verdict, self.word = verdict, word
    def _repr_html_(self):
        return (f'<div class="sg-check" data-verdict="{self.verdict}">'
                f'<p class="sg-verdict" data-verdict="{self.verdict}">{self.word} div</p></div>')
Report(VERDICT, WORD)'''


def _look(page, number: int) -> dict:
    cell = page.cell(number)
    badge = cell.find_element("css selector", ".verdict")
    return {"badge": badge.text, "verdict": cell.get_attribute("data-verdict"),
            "kind": badge.get_attribute("data-kind"), "live": badge.get_attribute("aria-live"),
            "border": page.driver.execute_script(
                "return getComputedStyle(arguments[0]).borderLeftStyle", cell)}


def test_a_fail_is_drawn_differently_from_a_pass_not_by_colour_alone(driver, workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, REPORT.replace("VERDICT, WORD", "'pass', '✓ PASS'"))
    page.set_code(2, REPORT.replace("VERDICT, WORD", "'fail', '✗ FAIL'"))
    page.run(1)
    page.run(2)
    passed, failed = _look(page, 1), _look(page, 2)
    assert (passed["badge"], passed["verdict"], passed["live"]) == ("✓ PASS", "pass", "polite")
    assert (failed["badge"], failed["verdict"], failed["live"]) == ("✗ FAIL", "fail", "polite")
    assert passed["kind"] != failed["kind"] and passed["border"] != failed["border"]


WRONG_DIV = "return (upstream / b.data, 0.0)"


def test_the_checkers_fail_marks_the_cell(driver, workshop_url):
    """Lesson 7's div exercise answered wrongly: the cell says FAIL in words, not only red."""
    page = Page(driver, workshop_url, "07-your-turn")
    page.run(1)
    source = page.cell(2).find_element("tag name", "textarea").get_attribute("value")
    page.set_code(2, re.sub(r"raise NotImplementedError.*|return \(upstream .*", WRONG_DIV,
                            source))
    page.run(2)
    assert page.cell(2).get_attribute("data-verdict") == "fail"
    assert page.cell(2).find_element("css selector", ".verdict").text == "✗ FAIL"


def test_a_page_opened_from_disk_says_it_must_be_served(driver, workshop_site):
    driver.get((workshop_site / f"{SMALL}.html").as_uri())
    notice = _wait(lambda: driver.find_elements("css selector", ".served"), bool, 10)
    assert notice and "must be served" in notice[0].text and "http.server" in notice[0].text
    assert driver.find_element("id", "status").get_attribute("data-state") == "failed"


def test_a_cells_reset_clears_its_output(driver, workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, "1 / 0")
    assert page.run(1) == "error" and "ZeroDivisionError" in page.out(1)
    page.cell(1).find_element("xpath", './/button[text()="Reset"]').click()
    assert (page.out(1), page.state(1)) == ("", None)


def test_a_name_error_after_skipped_cells_offers_to_run_them(driver, workshop_url):
    page = Page(driver, workshop_url, "01-a-program-is-a-graph")
    third = page.cell(3).find_element("tag name", "textarea").get_attribute("value")
    assert page.run(3) == "error" and "NameError" in page.out(3), third
    offer = page.cell(3).find_element("css selector", ".offer button")
    assert "Run the cells above (cells [1], [2]), then this one" in offer.text
    offer.click()
    assert _wait(lambda: [page.state(n) for n in (1, 2, 3)],
                 lambda got: "error" in got or got == ["ok"] * 3) == ["ok"] * 3


@pytest.mark.parametrize("code", ["x = (1,", "import scalargrad as sg\nsg.Value('two')",
                                  "import json\njson.loads('{')"])
def test_a_traceback_shows_the_learners_lines_only(driver, workshop_url, code):
    page = Page(driver, workshop_url)
    page.set_code(1, code)
    assert page.run(1) == "error"
    shown = page.out(1)
    assert "<cell 1>" in shown
    assert not re.search(r"python3\d*\.zip|/lib/python3|pyodide|scalargrad/|ast\.py|kernel\.py",
                         shown), shown


# -- layout and text alternatives ---------------------------------------------------------------

def test_the_header_takes_little_of_a_phones_screen(driver, workshop_url):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    try:
        page = Page(driver, workshop_url, "01-a-program-is-a-graph", wait=False)
        page.set_code(1, "x = '" + "long " * 40 + "'")
        height, screen, wraps, scrolls = driver.execute_script(
            "const s = document.querySelector('section.cell .cm-scroller');"
            "return [document.querySelector('header').getBoundingClientRect().height,"
            "window.innerHeight, !!document.querySelector('.cm-lineWrapping'),"
            "s.scrollWidth > s.clientWidth]")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert height < screen / 8, (height, screen)
    assert (wraps, scrolls) == (False, True)  # a long line scrolls sideways, never wraps


def test_a_graph_has_a_text_alternative_with_values_and_gradients(driver, workshop_url):
    page = Page(driver, workshop_url)
    page.set_code(1, "import scalargrad as sg\na = sg.Value(3.0, label='a')\n"
                     "b = a * a\nb.label = 'b'\nb.backward()\nsg.draw_dot(b)")
    assert page.run(1) == "ok"
    svg = page.cell(1).find_element("css selector", ".graph svg")
    assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
    described = driver.find_element("id", svg.get_attribute("aria-describedby"))
    text = driver.execute_script("return arguments[0].textContent", described)
    assert "b = 9.0  grad 1.0" in text and "a = 3.0  grad 6.0" in text


# -- the index and docs/workshop.md --------------------------------------------------------------

def test_the_index_numbers_the_lessons_as_their_files_do(workshop_site):
    index = (workshop_site / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r'<span class="num">(\d+)</span>', index)
    lessons = read_lessons(notebooks_folder())
    assert shown == [lesson.slug[:2] for lesson in lessons]
    assert index.count('class="optional"') == sum(lesson.optional for lesson in lessons)


def _commands() -> list[str]:
    """The shell commands docs/workshop.md gives (its ```bash blocks and inline `make ...`,
    `.venv/bin/...` and `python -m ...` spans)."""
    text = (ROOT / "docs" / "workshop.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        found += [line.split("#")[0].strip() for line in block.splitlines()]
    found += re.findall(r"`((?:make|\.venv/bin/|python3? -m )[^`]*)`", text)
    return [c for c in found if c]


def test_docs_workshop_md_gives_commands_that_exist():
    commands = _commands()
    assert "make serve" in commands and any(".venv/bin/scalargrad-workshop" in c
                                            for c in commands)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in commands:
        words = command.split()
        if words[0] == "make":
            for target in words[1:]:
                assert re.search(rf"^{re.escape(target)}:", makefile, re.M), command
        elif words[0] == "cd":
            continue


@pytest.mark.parametrize("command", [c for c in _commands()
                                     if "scalargrad-workshop" in c or "scalargrad.workshop" in c])
def test_each_workshop_command_in_the_docs_runs_from_the_makefiles_venv(command):
    """Each scalargrad-workshop command of docs/workshop.md, as written, with --help added
    (after `make site` the venv is .venv; `scalargrad-workshop` alone is not on PATH)."""
    words = command.split()
    words = [sys.executable if w in ("python", "python3", ".venv/bin/python") else w for w in words]
    program = ROOT / words[0]
    if words[0].startswith(".venv/bin/"):
        if not program.exists():
            pytest.skip(f"{words[0]} is made by `make site` (pip install -e .); not here")
        words[0] = str(program)
    cut = next(k for k, w in enumerate(words) if w in ("build", "serve")) + 1
    done = subprocess.run(words[:cut] + ["--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    for option in re.findall(r"(--[a-z-]+)", " ".join(words[cut:])):
        assert option in done.stdout, (option, command)


def test_a_python_that_cannot_load_says_why_and_what_to_try(driver, workshop_site, tmp_path):
    """A site copied without Python's WebAssembly file (a copy cut short)."""
    import shutil

    broken = tmp_path / "site"
    shutil.copytree(workshop_site, broken)
    (broken / "pyodide" / "pyodide.asm.wasm").unlink()
    with served(broken) as url:
        Page(driver, url, wait=False)
        status = driver.find_element("id", "status")
        assert _wait(lambda: status.get_attribute("data-state"), ("failed",), 60) == "failed"
        assert "Python could not start" in status.text and "Try reloading" in status.text


def test_a_lesson_can_be_done_with_the_keyboard_alone(driver, workshop_url):
    """From the top of the page: Tab until the first cell's editor has the focus (each stop
    visibly focused), then Shift+Enter through every cell; every cell runs."""
    from selenium.webdriver.common.keys import Keys

    page = Page(driver, workshop_url)
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(30):
        _keys(driver, Keys.TAB)
        ring = driver.execute_script(
            "const a = document.activeElement, s = getComputedStyle(a),"
            " e = a.closest('.editor');"
            "return s.outlineStyle !== 'none' && s.outlineWidth !== '0px' || "
            "(e !== null && getComputedStyle(e).boxShadow !== 'none')")
        assert ring, driver.execute_script("return document.activeElement.outerHTML")
        if page.active_cell() == "1":
            break
    assert page.active_cell() == "1"
    count = len(driver.find_elements("css selector", "section.cell:not([data-desktop-only])"))
    for number in range(1, count + 1):
        assert page.active_cell() == str(number)
        _keys(driver, Keys.ENTER, holding=Keys.SHIFT)
    states = _wait(lambda: [page.state(n) for n in range(1, count + 1)],
                   lambda got: "error" in got or got == ["ok"] * count)
    assert states == ["ok"] * count, [page.out(n) for n in range(1, count + 1)]


# -- the kernel's side, under CPython ------------------------------------------------------------

def _outputs(code: str, name: str = "<cell 4>") -> list[dict]:
    from scalargrad.workshop.kernel import Kernel

    outputs: list[dict] = []
    Kernel(outputs.append).run(code, name)
    return outputs


def test_a_syntax_error_names_the_cell_and_no_frame_of_ast():
    (error,) = _outputs("x = (1,")
    assert error["traceback"].startswith('  File "<cell 4>", line 1')
    assert "ast.py" not in error["traceback"] and "Traceback" not in error["traceback"]


def test_an_error_inside_scalargrad_shows_the_learners_line_and_says_what_was_hidden():
    (error,) = _outputs("import scalargrad as sg\nsg.Value('two')")
    text = error["traceback"]
    assert "sg.Value('two')" in text and "scalargrad/" not in text
    assert "frames inside scalargrad and Python's own library hidden" in text


def test_a_graph_is_sent_with_its_text_alternative():
    pytest.importorskip("graphviz")
    (shown,) = _outputs("import scalargrad as sg\na = sg.Value(3.0, label='a')\nb = a * a\n"
                        "b.label = 'b'\nb.backward()\nsg.draw_dot(b)")
    text = shown["data"]["text/plain"]
    assert "b = 9.0  grad 1.0" in text and "a = 3.0  grad 6.0" in text


def test_a_plot_drawn_without_matplotlib_is_sent_with_its_text_alternative():
    from scalargrad.see.svg_figure import SvgFigure
    from scalargrad.workshop.kernel import mime_bundle

    figure = SvgFigure(6, 4)
    figure.suptitle("Training")
    figure.axes[0].plot([0, 1, 2], [0.69, 0.3, 0.1], label="loss")
    figure.axes[0].set_xlabel("step")
    assert mime_bundle(figure)["text/plain"] == (
        "A figure: Training. Panel 1; x: step; loss: 3 values from 0.69 to 0.1 "
        "(lowest 0.1, highest 0.69).")


def test_stop_restarts_python_in_webkit_which_has_no_shared_memory(workshop_url):
    """Safari's engine family (WebKitGTK, tests/webkit.py): a runaway cell stopped, the next
    cell run in the fresh Python."""
    webkit = pytest.importorskip("webkit", reason="tests/webkit.py drives WebKitGTK")
    from recording_proxy import recording_proxy

    with recording_proxy() as proxy:
        browser = webkit.open_webkit(proxy.server_address[1])
        try:
            browser.get(f"{workshop_url}/{SMALL}.html")
            assert _wait(lambda: browser.execute_script(STATE), ("ready", "error"), 180) == "ready"
            assert browser.execute_script("return typeof SharedArrayBuffer") == "undefined"
            cells = browser.find_elements("css selector", "section.cell")[:3]
            for cell, code in zip(cells, ("x = 41", "while True: pass", "1 + 1")):
                browser.execute_script("arguments[0].value = arguments[1];"
                                       "arguments[0].dispatchEvent(new Event('input'));",
                                       cell.find_element("tag name", "textarea"), code)
            click = "arguments[0].querySelector('.bar button').click()"  # Run, then Stop
            browser.execute_script(click, cells[0])
            browser.execute_script(click, cells[1])
            assert _wait(lambda: cells[1].get_attribute("data-state"), ("running",)) == "running"
            browser.execute_script(click, cells[1])
            assert _wait(lambda: cells[1].get_attribute("data-state"), ("stopped",),
                         15) == "stopped"
            assert "Python was restarted" in cells[1].find_element("css selector", ".out").text
            browser.execute_script(click, cells[2])
            assert _wait(lambda: cells[2].get_attribute("data-state"), ("ok", "error"), 180) == "ok"
            assert cells[2].find_element("css selector", ".out").text == "2"
        finally:
            webkit.close(browser)


def test_every_package_the_editor_imports_is_in_the_import_map(workshop_site):
    """Each bare import of the served editor modules (and of editor.js) names a package of the
    page's import map: no module left out of the pinned set."""
    import json

    from scalargrad.workshop.build import import_map

    mapped = json.loads(import_map())["imports"]
    sources = [*(workshop_site / "editor").glob("*.js"), workshop_site / "editor.js"]
    imported = set()
    for path in sources:
        imported |= set(re.findall(r"""^(?:import|export)[^'"]*?from ['"]([^'"./][^'"]*)['"]""",
                                   path.read_text(encoding="utf-8"), re.M))
    assert imported and imported <= set(mapped), imported - set(mapped)
    assert all((workshop_site / target).is_file() for target in mapped.values())


def test_the_pages_policy_allows_the_import_map_by_its_hash(workshop_site):
    import base64
    import hashlib
    import html

    from scalargrad.workshop.build import import_map

    page = html.unescape((workshop_site / f"{SMALL}.html").read_text(encoding="utf-8"))
    digest = base64.b64encode(hashlib.sha256(import_map().encode()).digest()).decode()
    assert f'<script type="importmap">{import_map()}</script>' in page
    assert f"'sha256-{digest}'" in page and "'unsafe-inline'" not in page.split("script-src")[1] \
        .split(";")[0]
