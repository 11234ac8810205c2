"""The stepper page's tangent pass (forward mode) in a real browser (headless Chromium).

Each test writes a page with `scalargrad.to_html(..., tangents=...)`, opens it from disk and
drives it like a learner: switch to the tangent pass, press Step until the end, read what the
page shows. The lesson's own numbers (f = 2x + 3x: f.tangent = 2.0 + 3.0 = 5.0; the sigmoid
at 0: 0.25) are the independent check; every other node is compared with `explain_tangents`,
whose numbers the page promises to show.
"""

from __future__ import annotations

import os
from pathlib import Path

from browser import open_page, requests_made
from lesson_graphs import multivariate_graph, sigmoid_graph

from scalargrad import Value, explain_tangents, to_html
from scalargrad.see.text import format_number

NODES = """return Array.from(document.querySelectorAll('#graph .node')).map(g => [
  g.getAttribute('data-name'), g.querySelector('.val-grad-label').textContent,
  g.querySelector('.val-grad').textContent]);"""
SUM = "const e = document.getElementById('panel-sum'); return e && e.textContent"


def body(browser):
    return browser.find_element("tag name", "body")


def dataset(browser, key: str) -> str:
    return browser.execute_script(f"return document.body.dataset.{key}")


def tangents_on_page(browser) -> dict[str, str]:
    """Each node's number as the page shows it, for nodes whose line reads "tangent"."""
    return {name: value for name, label, value in browser.execute_script(NODES)
            if label.strip() == "tangent"}


def step_to_end(browser, limit: int = 500) -> list[str | None]:
    """Press Step until it is disabled; the panel's sum line after each press."""
    button = browser.find_element("id", "step")
    sums = []
    for _ in range(limit):
        if not button.is_enabled():
            return sums
        button.click()
        sums.append(browser.execute_script(SUM))
    raise AssertionError(f"Step was still enabled after {limit} presses")


def no_errors(browser) -> None:
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_x_used_twice_plays_to_f_tangent_five(browser, tmp_path):
    """In the tangent pass of f = 2x + 3x, f's tangent builds up as h's and g's contributions
    arrive, ending as f.tangent = 2.0 + 3.0 = 5.0; every node's tangent matches the narration."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "twice.html", tangents={x: 1.0}))
    browser.find_element("id", "go-tangent").click()
    assert dataset(browser, "mode") == "tangent"
    sums = step_to_end(browser)
    partial, final = "f.tangent = 2.0 (so far; still to come from g)", "f.tangent = 2.0 + 3.0 = 5.0"
    assert partial in sums and final in sums
    assert sums.index(partial) < sums.index(final) == len(sums) - 1
    shown = tangents_on_page(browser)
    assert shown["f"] == "5.0"
    trace = explain_tangents(f, {x: 1.0})
    assert shown == {s.name: format_number(s.tangent) for s in trace.steps}
    panel = browser.find_element("id", "panel").text
    assert "the directional derivative of f along x = 1.0" in panel
    assert requests_made(browser) == []
    no_errors(browser)


def test_tangent_panel_uses_the_lessons_words(browser, tmp_path):
    """An edge step names the node being computed, the tangent in, the local gradient and the
    contribution tangent in × local gradient."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "words.html", tangents={x: 1.0}))
    body(browser).send_keys("t")
    panel = browser.find_element("id", "panel")
    texts = []
    button = browser.find_element("id", "step")
    while button.is_enabled():
        button.click()
        texts.append(panel.text)
    edge = next(t for t in texts if "∂g/∂x" in t)
    assert "node being computed g = w2 * x" in edge
    assert "tangent in x.tangent = 1.0" in edge
    assert "local gradient ∂g/∂x = 3.0" in edge
    assert ("contribution tangent in × local gradient = 1.0 × 3.0 = 3.0, added to g's tangent"
            in edge)


def test_keys_switch_modes_and_step(browser, tmp_path):
    """T enters the tangent pass at its start, → steps it, Enter on the focused mode button
    leaves it again and B goes to the backward pass: no mouse needed. The panel is a live
    region and the mode button says its state."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "keys.html", tangents={x: 1.0}))
    page = body(browser)
    backward_count = dataset(browser, "count")
    page.send_keys("\ue014\ue014")  # two steps of the backward page's forward pass
    page.send_keys("t")
    toggle = browser.find_element("id", "go-tangent")
    assert (dataset(browser, "mode"), dataset(browser, "position")) == ("tangent", "0")
    assert toggle.get_attribute("aria-pressed") == "true"
    assert toggle.get_attribute("aria-label") == "Tangent pass (forward mode): on (key T)"
    # 6 nodes: 3 leaves, then 2 edges into each of h, g, f
    assert dataset(browser, "count") == "9" != backward_count
    page.send_keys("\ue014\ue014\ue014")
    assert dataset(browser, "position") == "3"
    panel = browser.find_element("id", "panel").text
    assert "h.tangent = 0.0 (so far; still to come from x)" in panel
    toggle.send_keys("\ue007")  # Enter on the focused button
    assert dataset(browser, "mode") == "backward"
    assert toggle.get_attribute("aria-pressed") == "false"
    page.send_keys("t")
    page.send_keys("b")
    assert dataset(browser, "mode") == "backward"
    assert dataset(browser, "position") == "6"  # the seed is next: the 6 forward steps done
    assert browser.find_element("id", "panel").get_attribute("aria-live") == "polite"


def test_sigmoid_in_both_views_reaches_a_quarter(browser, tmp_path):
    """The fused sigmoid and its elementary ops, the fused view's z given the tangent 1: the
    tangent pass ends with y's tangent 0.25 in both views (the elementary view's z is the
    input of the same name; V switches view and stays in the tangent pass)."""
    z, y = sigmoid_graph(0.0)
    zf = Value(0.0, label="z")
    yf = zf.sigmoid()
    yf.label = "y"
    open_page(browser, to_html(yf, tmp_path / "views.html", elementary=y,
                               tangents={zf: 1.0}))
    page = body(browser)
    page.send_keys("t")
    step_to_end(browser)
    assert tangents_on_page(browser) == {"z": "1.0", "y": "0.25"}
    page.send_keys("v")
    assert (dataset(browser, "view"), dataset(browser, "mode")) == ("elementary", "tangent")
    sums = step_to_end(browser)
    assert sums[-1] == "y.tangent = -1.0 × -0.25 = 0.25"
    assert tangents_on_page(browser)["y"] == "0.25"
    no_errors(browser)


HOSTILE = ('<script>window.__pwned = 1</script>"\'<img src=x onerror="window.__pwned=2">'
           '</script><!--')


def test_hostile_labels_in_the_tangent_pass_are_text(browser, tmp_path):
    """A label full of markup, given a tangent by its name, is shown literally in the panel of
    the tangent pass; no script of it runs, nothing is fetched for it."""
    a = Value(2.0, label=HOSTILE)
    b = Value(3.0, label="b")
    c = a * b
    c.label = "</script><script>window.__pwned = 3</script>"
    open_page(browser, to_html(c, tmp_path / "hostile.html", tangents={HOSTILE: 1.0}))
    body(browser).send_keys("t")
    texts = []
    button = browser.find_element("id", "step")
    while button.is_enabled():
        button.click()
        texts.append(browser.find_element("id", "panel").text)
    assert any(f"{HOSTILE} is a leaf: its tangent 1.0 is given" in t for t in texts)
    assert f"tangent in {HOSTILE}.tangent = 1.0" in texts[-2]
    assert tangents_on_page(browser)[c.label] == "3.0"
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert requests_made(browser) == []


def test_without_tangents_there_is_no_tangent_pass(browser, tmp_path):
    """A page made without tangents hides the mode button and T does nothing (the pass and
    the position stay as they were)."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "plain.html"))
    assert not browser.find_element("id", "go-tangent").is_displayed()
    body(browser).send_keys("\ue014\ue014t")
    assert (dataset(browser, "mode"), dataset(browser, "position")) == ("backward", "2")


def test_large_graph_tangent_pass_is_collapsed_and_still_right(browser, tmp_path):
    """On a collapsed graph of 2,000 nodes the inputs not shown are folded into one step, and
    the tangents shown at the end are the narration's."""
    xs = [Value(float(i % 7), label=f"x{i}") for i in range(1000)]
    out = xs[0]
    for x in xs[1:]:
        out = out + x * 0.5
    tangents = {xs[k]: 1.0 for k in range(0, 1000, 3)}
    open_page(browser, to_html(out, tmp_path / "large.html", tangents=tangents))
    page = body(browser)
    page.send_keys("t")
    page.send_keys("\ue010")  # End
    shown = tangents_on_page(browser)
    assert 0 < len(shown) <= 300
    trace = explain_tangents(out, tangents)
    assert shown == {name: format_number(trace.tangent(name)) for name in shown}
    no_errors(browser)


def test_screenshot_of_the_tangent_pass(browser, tmp_path):
    """The page in the middle of f's sum renders (a screenshot is written for a person to look
    at: SCALARGRAD_SCREENSHOTS=folder keeps it)."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "shot.html", tangents={x: 1.0}))
    page = body(browser)
    page.send_keys("t")
    page.send_keys("\ue014" * 8)
    assert browser.execute_script(SUM) == "f.tangent = 2.0 (so far; still to come from g)"
    folder = Path(os.environ.get("SCALARGRAD_SCREENSHOTS", tmp_path))
    assert browser.save_screenshot(str(folder / "tangent-pass.png"))
