"""The zero-install workshop: `scalargrad-workshop build`, then every lesson run to the end in
headless Chromium, served from localhost with every other host unresolvable (the site is built
and served by the `workshop_site` and `workshop_url` fixtures of conftest.py).

The build fetches the pinned Pyodide core, Viz.js, graphviz's wheel and the licence texts
from npm and PyPI once (kept in ~/.cache/scalargrad-workshop) and checks their SHA-256.
"""

from __future__ import annotations

import json
import re
import time
from functools import partial
from pathlib import Path

import pytest
from browser import OFFLINE, close, open_chromium, requests_made

from scalargrad.workshop import fetch
from scalargrad.workshop.lessons import notebooks_folder, read_lessons

LESSONS = [lesson.slug for lesson in read_lessons(notebooks_folder())]
PAGE_STATE = "return document.documentElement.dataset.state"


def _wait(read, wanted: tuple, seconds: float = 120):
    """Poll `read()` until it gives one of `wanted` or time is up; its last answer."""
    deadline = time.monotonic() + seconds
    got = read()
    while got not in wanted and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    return got


def _type(driver, textarea, code: str) -> None:
    """Put `code` in a cell as typing would (the page keeps it: an input event)."""
    driver.execute_script("arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new Event('input'));", textarea, code)


@pytest.fixture(scope="module")
def runs(workshop_url):
    """Each lesson opened with ?run=all: its final state, texts, console and requests."""
    driver = open_chromium(OFFLINE)
    results = {}
    try:
        for slug in LESSONS:
            requests_made(driver)
            driver.get(f"{workshop_url}/{slug}.html?run=all")
            state = _wait(lambda: driver.execute_script(PAGE_STATE), ("done", "error"))
            results[slug] = {
                "state": state,
                "failed": driver.execute_script("return document.documentElement.dataset.failed"),
                "text": driver.find_element("tag name", "main").text,
                "console": [e for e in driver.get_log("browser") if e["level"] == "SEVERE"],
                "requests": requests_made(driver),
                "graphs": len(driver.find_elements("css selector", ".graph svg")),
                "images": len(driver.find_elements("css selector", ".out img")),
                "frames": [_played_to_the_end(driver, frame) for frame in
                           driver.find_elements("css selector", ".out iframe")],
            }
    finally:
        close(driver)
    return results


def _played_to_the_end(driver, frame) -> dict[str, str]:
    """A stepper or replay frame after its End key: its title and its text (its script ran
    only if the page's policy let the frame's inline script run)."""
    driver.switch_to.frame(frame)
    try:
        from selenium.webdriver.common.keys import Keys  # selenium is there: the driver is

        # a click gives the frame the keyboard (on the legend of keys: never under the
        # lesson's sticky header), then End, as a learner would press it
        driver.find_element("css selector", "p.keys").click()
        driver.switch_to.active_element.send_keys(Keys.END)
        return {"title": driver.execute_script("return document.title"),
                "text": driver.find_element("tag name", "body").text}
    finally:
        driver.switch_to.default_content()


def test_the_site_holds_every_lesson_and_its_pieces(workshop_site):
    names = {p.name for p in workshop_site.iterdir()}
    assert {f"{slug}.html" for slug in LESSONS} | {"index.html", "worker.js", "lesson.js"} <= names


def test_the_pyodide_core_is_the_pinned_one(workshop_site):
    manifest = json.loads((workshop_site / "manifest.json").read_text())
    assert manifest["fetched"][fetch.PYODIDE.filename]["sha256"] == fetch.PYODIDE.sha256
    assert {f"pyodide/{n}" for n in fetch.PYODIDE_FILES} <= set(manifest["files"])


def test_the_licence_texts_are_carried(workshop_site):
    texts = {p.name for p in (workshop_site / "LICENCES").iterdir()}
    assert {"MPL-2.0.txt", "MIT.txt", "Python-2.0.txt", "EPL-1.0.txt", "README.txt"} <= texts


def test_the_site_is_small_enough_for_a_usb_stick(workshop_site):
    manifest = json.loads((workshop_site / "manifest.json").read_text())
    assert manifest["bytes"] < 20e6


def test_no_page_names_another_host(workshop_site):
    for page in workshop_site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "https://" not in text and "http://" not in text.replace(
            "http://www.w3.org", ""), page.name


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_runs_to_the_end_offline(runs, slug):
    result = runs[slug]
    assert result["state"] == "done", f"{slug}: {result['state']} at cell {result['failed']}"


@pytest.mark.parametrize("slug", LESSONS)
def test_no_lesson_asks_another_host(runs, slug):
    outside = [u for u in runs[slug]["requests"]
               if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:",
                                    "chrome:", "chrome-untrusted:"))]  # the browser's own
    assert outside == []


@pytest.mark.parametrize("slug", LESSONS)
def test_no_lesson_logs_an_error(runs, slug):
    assert runs[slug]["console"] == []


def test_the_sigmoid_lesson_gives_a_quarter(runs):
    assert "0.25" in runs["02-upstream-local-downstream"]["text"]


def test_the_multivariate_rule_gives_five(runs):
    assert "x.grad = 2.0 + 3.0 = 5.0" in runs["04-multivariate-chain-rule"]["text"]


def test_the_accumulation_lesson_shows_four_against_one(runs):
    text = runs["05-accumulate-dont-assign"]["text"]
    assert "4.0" in text and "1.0" in text


def test_the_moons_lesson_trains_to_a_high_accuracy(runs):
    text = runs["08-training-moons"]["text"]
    assert "accuracy 100.0%" in text or "accuracy  99" in text or "accuracy 100" in text


def test_graphs_are_drawn_without_dot(runs):
    assert runs["01-a-program-is-a-graph"]["graphs"] >= 1


def test_plots_are_drawn_without_matplotlib(runs):
    assert runs["08-training-moons"]["images"] >= 2


def test_the_stepper_plays_inside_a_lesson(runs):
    (stepper,) = runs["04-multivariate-chain-rule"]["frames"]
    assert stepper["title"] == "Backpropagation through f"
    assert "13 / 13" in stepper["text"] and "x.grad = 2.0 + 3.0 = 5.0" in stepper["text"]


def test_the_training_replay_plays_inside_a_lesson(runs):
    (replay,) = runs["08-training-moons"]["frames"]
    assert replay["title"] == "Two moons: the training replayed"
    assert "Step 100 of 100" in replay["text"]


GRAPH_CELL = """import scalargrad as sg
a = sg.Value(3.0, label="a")
sg.draw_dot(a * a)"""
# Counts, the moment the page says done, the graphs not yet drawn (MutationObserver callbacks
# run before anything else the page has waiting).
WATCH_DONE = """
const root = document.documentElement;
new MutationObserver(() => {
  if (root.dataset.state === "done" && root.dataset.undrawnAtDone === undefined) {
    root.dataset.undrawnAtDone = [...document.querySelectorAll("div.graph")]
      .filter((holder) => !holder.querySelector("svg")).length;
  }
}).observe(root, {attributes: true, attributeFilter: ["data-state"]});
"""


@pytest.fixture(scope="module")
def edited_lesson(workshop_url, tmp_path_factory):
    """Lesson 3 (no graph in it) with its last cell edited to draw one, then reloaded with
    ?run=all: the page's state, its last cell's code, the graphs left undrawn at done, and
    the files its two download buttons saved."""
    driver = open_chromium(OFFLINE)
    page = f"{workshop_url}/03-checking-a-gradient.html"
    downloads = tmp_path_factory.mktemp("downloads")
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(page)
        last = driver.find_elements("css selector", "section.cell textarea")[-1]
        _type(driver, last, GRAPH_CELL)
        driver.get(page + "?run=all")
        driver.execute_script(WATCH_DONE)  # Python takes seconds to start: nothing ran yet
        state = _wait(lambda: driver.execute_script(PAGE_STATE), ("done", "error"))
        result = {"state": state,
                  "code": driver.find_elements("css selector", "section.cell textarea")[-1]
                  .get_attribute("value"),
                  "undrawn": driver.execute_script(
                      "return document.documentElement.dataset.undrawnAtDone")}
        for label in ("⤓ .py", "⤓ .ipynb"):
            driver.find_element("xpath", f'//button[text()="{label}"]').click()
        names = ("03-checking-a-gradient.py", "03-checking-a-gradient.ipynb")
        # Chromium makes the file before it has written it (it may read empty for a moment)
        _wait(lambda: all((downloads / name).is_file() and (downloads / name).stat().st_size
                          for name in names) and not any(downloads.glob("*.crdownload")),
              (True,), 10)
        yield {**result, **{Path(name).suffix: (downloads / name).read_text(encoding="utf-8")
                            for name in names if (downloads / name).exists()}}
    finally:
        close(driver)


def test_a_reload_keeps_the_learners_edit(edited_lesson):
    assert (edited_lesson["state"], edited_lesson["code"]) == ("done", GRAPH_CELL)


def test_done_waits_for_the_last_cells_graph(edited_lesson):
    assert edited_lesson["undrawn"] == "0"


WRONG_DIV = "return (upstream / b.data, 0.0)"
RIGHT_DIV = "return (upstream / b.data, upstream * -out / b.data)"


@pytest.fixture(scope="module")
def answered(workshop_url):
    """Lesson 7's `div` exercise answered in the page as a learner would (the stub's raise
    replaced, then Run): the checker's output for a wrong and then a right answer."""
    driver = open_chromium(OFFLINE)
    try:
        driver.get(f"{workshop_url}/07-your-turn.html")
        _wait(lambda: driver.execute_script(PAGE_STATE), ("ready",))
        imports, exercise = driver.find_elements("css selector", "section.cell")[:2]
        outputs = {}
        for name, answer in (("setup", None), ("wrong", WRONG_DIV), ("right", RIGHT_DIV)):
            cell = imports if answer is None else exercise
            if answer is not None:
                textarea = cell.find_element("tag name", "textarea")
                code = re.sub(r"raise NotImplementedError.*|return \(upstream .*", answer,
                              textarea.get_attribute("value"))
                _type(driver, textarea, code)
            cell.find_element("css selector", ".bar button").click()  # ▶ Run
            _wait(partial(cell.get_attribute, "data-state"), ("ok", "error"))
            outputs[name] = cell.find_element("css selector", ".out").text
        return outputs
    finally:
        close(driver)


def test_a_wrong_exercise_answer_gets_the_checkers_hint(answered):
    text = answered["wrong"]
    assert "✗ FAIL" in text and "for b: no downstream" in text
    assert "hint 1 of 3: a/b = a · (1/b)" in text


def test_a_right_exercise_answer_passes(answered):
    assert "✓ PASS" in answered["right"] and "1 of 1 passed" in answered["right"]


def test_the_downloaded_notebook_holds_the_edit_and_opens_in_jupyter(edited_lesson):
    nbformat = pytest.importorskip("nbformat", reason="reading the notebook needs nbformat")
    notebook = nbformat.reads(edited_lesson[".ipynb"], as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells[-1].source == GRAPH_CELL  # the lesson's last code cell, edited


def test_the_downloaded_python_file_holds_the_edit_and_compiles(edited_lesson):
    source = edited_lesson[".py"]
    compile(source, "03-checking-a-gradient.py", "exec")
    assert f"# %%\n{GRAPH_CELL}\n" in source
