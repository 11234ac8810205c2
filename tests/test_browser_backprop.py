"""The backprop stepper page in a real browser (headless Chromium): numbers, keys, safety.

Each test writes a page with `scalargrad.to_html`, opens it from disk and drives it like a
learner would: press Step until the end, read what the page shows. The lesson's own numbers
(dy/dz = 0.25 for the sigmoid at 0, x.grad = 2.0 + 3.0 = 5.0) are the independent check;
every other node is compared with `explain`, whose numbers the page promises to show.
"""

from __future__ import annotations

import time

from browser import open_page, requests_made
from lesson_graphs import multivariate_graph, sigmoid_graph

from scalargrad import Value, backprop_page, explain, to_html
from scalargrad.see.text import format_number

NODES = """return Array.from(document.querySelectorAll('#graph .node')).map(g => [
  g.getAttribute('data-name'), g.querySelector('.val-data').textContent,
  g.querySelector('.val-grad').textContent, g.getAttribute('class')]);"""
EDGES = ("return Array.from(document.querySelectorAll('#graph .edge'))"
         ".map(g => g.getAttribute('class'));")


def state(browser) -> tuple:
    """Everything a learner sees that changes with the step."""
    panel = browser.find_element("id", "panel").text
    return (browser.execute_script("return document.body.dataset.position"),
            browser.execute_script(NODES), browser.execute_script(EDGES), panel)


def step_to_end(browser, limit: int = 500) -> list[tuple]:
    """Press Step until it is disabled; the state after each press."""
    button = browser.find_element("id", "step")
    seen = []
    for _ in range(limit):
        if not button.is_enabled():
            return seen
        button.click()
        seen.append(state(browser))
    raise AssertionError(f"Step was still enabled after {limit} presses")


def grads_on_page(browser) -> dict[str, str]:
    return {name: grad for name, _, grad, _ in browser.execute_script(NODES)}


def no_errors(browser) -> None:
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_sigmoid_every_gradient_matches_explain(browser, tmp_path):
    """Stepping the lesson's sigmoid to the end shows every node's gradient as explain gives
    it, and dy/dz = 0.25 (the lesson's number)."""
    z, y = sigmoid_graph(0.0)
    open_page(browser, to_html(y, tmp_path / "sigmoid.html"))
    before = grads_on_page(browser)
    assert set(before.values()) == {"?"}
    step_to_end(browser)
    trace = explain(y, run_backward=False)
    shown = grads_on_page(browser)
    assert shown == {s.name: format_number(trace.gradient(s.name).total) for s in trace.steps}
    assert shown["z"] == "0.25"
    assert "z.grad = 0.25" in browser.find_element("id", "panel").text
    no_errors(browser)


def test_multivariate_running_sum(browser, tmp_path):
    """x's gradient builds up as its two contributions arrive, ending as x.grad = 2.0 + 3.0 =
    5.0, and every node's gradient matches explain."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "multivariate.html"))
    button = browser.find_element("id", "step")
    sums = []
    while button.is_enabled():
        button.click()
        sums.append(browser.execute_script(
            "const e = document.getElementById('panel-sum'); return e && e.textContent"))
    assert "x.grad = 3.0 (so far; still to come from h)" in sums
    assert "x.grad = 2.0 + 3.0 = 5.0" in sums
    assert sums.index("x.grad = 2.0 + 3.0 = 5.0") > sums.index(
        "x.grad = 3.0 (so far; still to come from h)")
    trace = explain(f, run_backward=False)
    assert grads_on_page(browser) == {s.name: format_number(trace.gradient(s.name).total)
                                      for s in trace.steps}
    assert grads_on_page(browser)["x"] == "5.0"


def test_backward_panel_uses_the_lessons_words(browser, tmp_path):
    """An edge step names the node being processed, its upstream, the local gradient and the
    downstream upstream × local it sends."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "words.html"))
    states = step_to_end(browser)
    panels = [panel for *_, panel in states]
    edge = next(p for p in panels if "∂g/∂x" in p)
    assert "node being processed g = w2 * x" in edge
    assert "upstream ∂f/∂g = 1.0" in edge
    assert "local gradient ∂g/∂x = 3.0" in edge
    assert "downstream upstream × local gradient = 1.0 × 3.0 = 3.0, sent to x" in edge


def test_step_back_restores_every_previous_state(browser, tmp_path):
    """Back after any number of steps shows exactly what the page showed one step earlier."""
    z, y = sigmoid_graph(0.5)
    open_page(browser, to_html(y, tmp_path / "back.html"))
    start = state(browser)
    forward = [start, *step_to_end(browser)]
    back = browser.find_element("id", "back")
    for expected in reversed(forward[:-1]):
        back.click()
        assert state(browser) == expected
    assert not back.is_enabled()


def test_keys_step_play_and_reset(browser, tmp_path):
    """→ steps, ← steps back, Space plays until the end, Home resets: no mouse needed."""
    x, w1, w2, f = multivariate_graph()
    open_page(browser, to_html(f, tmp_path / "keys.html"))
    body = browser.find_element("tag name", "body")
    position = lambda: int(browser.execute_script("return document.body.dataset.position"))  # noqa: E731
    body.send_keys("\ue014\ue014\ue014")  # ArrowRight ×3
    assert position() == 3
    body.send_keys("\ue012")  # ArrowLeft
    assert position() == 2
    for _ in range(5):
        body.send_keys("+")  # fastest
    body.send_keys(" ")
    deadline = time.monotonic() + 10
    count = int(browser.execute_script("return document.body.dataset.count"))
    while position() < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert position() == count
    assert browser.execute_script("return document.body.dataset.playing") == "no"
    body.send_keys("\ue011")  # Home
    assert position() == 0
    labels = [b.get_attribute("aria-label") for b in browser.find_elements("tag name", "button")]
    assert all(labels), labels


HOSTILE = ('<script>window.__pwned = 1</script>"\'<img src=x onerror="window.__pwned=2">'
           '</script><!--')


def test_hostile_label_is_text_and_never_runs(browser, tmp_path):
    """A label full of HTML and script tags is shown literally; no script of it runs, nothing
    is fetched for it."""
    a = Value(2.0, label=HOSTILE)
    b = Value(3.0, label="b")
    c = a * b
    c.label = "</script><script>window.__pwned = 3</script>"
    open_page(browser, to_html(c, tmp_path / "hostile.html"))
    step_to_end(browser)
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.execute_script("return document.scripts.length") == 2
    names = [name for name, *_ in browser.execute_script(NODES)]
    assert HOSTILE in names and c.label in names
    body = browser.find_element("tag name", "body")
    body.send_keys("\ue011")  # Home
    body.send_keys("\ue014")  # the first forward step: the hostile leaf, by its name
    assert HOSTILE in browser.find_element("id", "panel").text
    assert requests_made(browser) == []
    try:
        alert = browser.switch_to.alert
        text = alert.text
    except Exception:  # NoAlertPresentException: what we want
        text = None
    assert text is None


def test_page_fetches_nothing(browser, tmp_path):
    """Opened from disk, the page loads no resource at all (checked in the browser's network
    log and its resource timings) and its policy forbids any."""
    z, y = sigmoid_graph(0.0)
    path = to_html(y, tmp_path / "offline.html")
    browser.get(path.resolve().as_uri())
    urls = requests_made(browser)
    assert urls == [path.resolve().as_uri()]
    step_to_end(browser)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert requests_made(browser) == []
    policy = browser.execute_script(
        "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert policy.startswith("default-src 'none'")
    no_errors(browser)


def test_fused_and_elementary_views(browser, tmp_path):
    """With an elementary graph given, V switches between the fused sigmoid (2 nodes) and its
    elementary ops (6 nodes); both end with dy/dz = 0.25."""
    z, y = sigmoid_graph(0.0)
    zf = Value(0.0, label="z")
    yf = zf.sigmoid()
    yf.label = "y"
    open_page(browser, to_html(yf, tmp_path / "views.html", elementary=y))
    assert browser.execute_script("return document.body.dataset.view") == "fused"
    step_to_end(browser)
    assert grads_on_page(browser) == {"z": "0.25", "y": "1.0"}
    browser.find_element("tag name", "body").send_keys("v")
    assert browser.execute_script("return document.body.dataset.view") == "elementary"
    assert browser.find_element("id", "view").get_attribute("aria-pressed") == "true"
    step_to_end(browser)
    assert len(grads_on_page(browser)) == 6
    assert grads_on_page(browser)["z"] == "0.25"


def test_large_graph_is_collapsed_with_a_message(browser, tmp_path):
    """A graph of 2,000 nodes shows a notice and only the nodes nearest the output, whose
    gradients still match explain; the page stays responsive."""
    xs = [Value(float(i % 7), label=f"x{i}") for i in range(1000)]
    out = xs[0]
    for x in xs[1:]:
        out = out + x * 0.5
    open_page(browser, to_html(out, tmp_path / "large.html"))
    notice = browser.find_element("id", "notice")
    assert notice.is_displayed() and "too many to step through" in notice.text
    shown = grads_on_page(browser)
    assert 0 < len(shown) <= 300
    browser.find_element("tag name", "body").send_keys("\ue010")  # End
    trace = explain(out, run_backward=False)
    assert grads_on_page(browser) == {name: format_number(trace.gradient(name).total)
                                      for name in shown}


def test_notebook_display_is_the_same_player(browser, tmp_path):
    """`_repr_html_` is the same page in a sandboxed iframe: its script runs there and it
    reaches the same gradients."""
    x, w1, w2, f = multivariate_graph()
    wrapper = tmp_path / "notebook.html"
    wrapper.write_text("<!DOCTYPE html><meta charset='utf-8'><body>"
                       + backprop_page(f)._repr_html_() + "</body>", encoding="utf-8")
    browser.get(wrapper.resolve().as_uri())
    browser.switch_to.frame(browser.find_element("tag name", "iframe"))
    try:
        step_to_end(browser)
        assert grads_on_page(browser)["x"] == "5.0"
    finally:
        browser.switch_to.default_content()


def test_a_link_can_open_the_page_at_a_step(browser, tmp_path):
    """page.html#N opens at step N (a teacher can link to the moment x.grad reaches 5.0)."""
    x, w1, w2, f = multivariate_graph()
    path = to_html(f, tmp_path / "linked.html")
    browser.get(path.resolve().as_uri() + "#13")
    assert browser.execute_script("return document.body.dataset.position") == "13"
    assert grads_on_page(browser)["x"] == "5.0"
    assert "x.grad = 2.0 + 3.0 = 5.0" in browser.find_element("id", "panel").text
