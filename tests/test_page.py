"""The browser pages as files (no browser needed): data from explain, escaping, size, writing.

The behaviour in a browser is pinned by tests/test_browser_*.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import stat

import pytest
from lesson_graphs import multivariate_graph, sigmoid_graph

import nn
from scalargrad import TrainingRecorder, Value, backprop_page, explain, to_html
from scalargrad.see.pages.page import graph_data, json_for_script
from scalargrad.see.text import format_number


def page_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text,
                      re.S)
    assert match
    return json.loads(match.group(1))


def test_numbers_are_explains():
    """Every node's value and gradient, and every edge step's upstream, local gradient and
    downstream, are explain's numbers formatted by format_number."""
    z, y = sigmoid_graph(0.3)
    data = graph_data(y)
    trace = explain(y, run_backward=False)
    assert [n["name"] for n in data["nodes"]] == [s.name for s in reversed(trace.steps)]
    for node in data["nodes"]:
        step = trace.step(node["name"])
        assert node["data"] == format_number(step.data)
        assert node["grad"] == format_number(trace.gradient(node["name"]).total)
    edges = [s for s in data["steps"] if s["kind"] == "edge"]
    expected = [(format_number(s.upstream), format_number(c.local), format_number(c.downstream))
                for s in trace.steps for c in s.inputs]
    assert [(e["upstream"], e["local"], e["downstream"]) for e in edges] == expected


def test_timeline_forward_seed_then_one_step_per_edge():
    """The steps are one per node (forward), the seed, then one per edge (backward)."""
    x, w1, w2, f = multivariate_graph()
    data = graph_data(f)
    kinds = [s["kind"] for s in data["steps"]]
    assert kinds == ["forward"] * 6 + ["seed"] + ["edge"] * 6
    sums = [s["sum"] for s in data["steps"] if s["kind"] == "edge"]
    assert sums[-1] == "x.grad = 2.0 + 3.0 = 5.0"
    assert "x.grad = 3.0 (so far; still to come from h)" in sums


def test_making_a_page_changes_no_gradient():
    """backprop_page replays the pass: no .grad of the graph is touched."""
    x, w1, w2, f = multivariate_graph()
    x.grad = 7.0
    backprop_page(f)
    assert (x.grad, w1.grad, w2.grad, f.grad) == (7.0, 0.0, 0.0, 0.0)


def test_json_for_script_cannot_close_the_script():
    """The embedded JSON has no <, > or & (so no </script> or <!--) and still decodes to
    the same data."""
    data = {"label": "</script><!--<script>alert(1)</script>&amp;\u2028"}
    text = json_for_script(data)
    assert not set("<>&") & set(text)
    assert json.loads(text) == data


def test_hostile_labels_stay_inside_the_data():
    """A page whose labels hold script tags has exactly its own two script elements, and the
    labels come back intact from its data."""
    a = Value(1.0, label="</script><script>alert(1)</script>")
    b = Value(2.0, label='"><img src=x onerror=alert(2)>')
    c = a + b
    text = backprop_page(c).html
    assert text.count("<script") == 2
    assert "<img" not in text
    names = [n["name"] for n in page_data(text)["views"][0]["nodes"]]
    assert a.label in names and b.label in names


def test_policy_allows_only_the_players_script():
    """The Content-Security-Policy forbids every fetch and allows one script, by its hash."""
    x, w1, w2, f = multivariate_graph()
    text = backprop_page(f).html
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert policy.startswith("default-src 'none';")
    script = re.search(r"<script>(.*)</script>", text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"']*", text))
    assert urls == {"http://www.w3.org/2000/svg"}  # a namespace name, never fetched


def test_large_graph_keeps_the_layers_nearest_the_output():
    """Over max_nodes, the kept nodes include every consumer of each kept node, and the
    page says how many were left out."""
    xs = [Value(float(i), label=f"x{i}") for i in range(200)]
    out = xs[0]
    for x in xs[1:]:
        out = out * 0.5 + x
    data = graph_data(out, max_nodes=50)
    assert data["collapsed"] == {"shown": len(data["nodes"]), "total": data["size"], "limit": 50}
    assert 0 < len(data["nodes"]) <= 50
    consumers: dict[int, set[int]] = {}
    for e in data["edges"]:
        consumers.setdefault(e["src"], set()).add(e["dst"])
    trace = explain(out, run_backward=False)
    kept = {n["name"] for n in data["nodes"]}
    for s in trace.steps:
        for c in s.inputs:
            if c.input_name in kept:
                assert s.name in kept


def test_notebook_iframe_escapes_the_page():
    """_repr_html_ is one sandboxed iframe whose srcdoc is the whole page, HTML-escaped."""
    z, y = sigmoid_graph()
    page = backprop_page(y)
    shown = page._repr_html_()
    assert shown.startswith("<iframe") and shown.count("<") == 2  # <iframe ...></iframe>
    assert 'sandbox="allow-scripts"' in shown
    src = re.search(r'srcdoc="([^"]*)"', shown).group(1)
    assert html.unescape(src) == page.html


def test_save_writes_the_page_and_leaves_nothing_on_failure(tmp_path):
    """to_html writes the whole page; a write into a folder's place fails without leftovers."""
    x, w1, w2, f = multivariate_graph()
    path = to_html(f, tmp_path / "sub" / "f.html")
    assert path.read_text(encoding="utf-8") == backprop_page(f).html
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        to_html(f, tmp_path / "taken")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "taken"]


def test_elementary_view_and_bad_start():
    """An elementary graph adds a second view; start picks which one shows first."""
    z, y = sigmoid_graph()
    zf = Value(0.0, label="z")
    yf = zf.sigmoid()
    data = page_data(backprop_page(yf, elementary=y, start="elementary").html)
    assert [v["name"] for v in data["views"]] == ["fused", "elementary"]
    assert data["start"] == 1
    with pytest.raises(ValueError, match="start must be"):
        backprop_page(yf, start="both")
    with pytest.raises(TypeError, match="expected a Value"):
        graph_data(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_nodes"):
        graph_data(yf, max_nodes=0)


def test_recorder_frames_and_size():
    """The recorder keeps one frame per `every` steps plus the last, each a few KB at most,
    and its last frame's accuracy is the model's accuracy after training."""
    X, y = nn.moons(40, noise=0.1, seed=1, signed=True)
    model = nn.MLP(2, [8, 1], seed=1)
    rec = TrainingRecorder(model, X, y, watch=model.layers[0].neurons[0].parameters(), every=3)
    opt = nn.SGD(model.parameters(), lr=0.5)
    nn.fit(model, X, y, optimizer=opt, steps=7, progress=False, callback=rec)
    data = rec.data()
    assert [f["step"] for f in data["frames"]] == [0, 3, 6, 7]
    _, acc = nn.evaluate(model, X, y, loss="hinge")
    assert data["final"] == f"{acc:.1%}"
    assert data["watch"] == ["w0", "w1", "b"]
    size = len(rec.page().html.encode())
    assert size < 60_000 + 3_000 * len(data["frames"])


def test_recorder_rejects_bad_data():
    """Points that are not 2-D, or labels that do not match them, are refused with a reason."""
    model = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="2-D"):
        TrainingRecorder(model, [[0.0, 1.0, 2.0]], [1])
    with pytest.raises(ValueError, match="as many labels"):
        TrainingRecorder(model, [[0.0, 1.0]], [1, -1])
    with pytest.raises(ValueError, match="finite"):
        TrainingRecorder(nn.MLP(2, [1], seed=0), [[0.0, float("nan")]], [1])


def test_lesson_demos_write_their_pages(tmp_path):
    """demos.sigmoid and demos.multivariate write their stepper pages (the sigmoid's with a
    fused and an elementary view); with --no-plots they write none."""
    import io

    from demos import multivariate, sigmoid

    sigmoid.run(out=tmp_path, plots=True, file=io.StringIO())
    multivariate.run(out=tmp_path, plots=True, file=io.StringIO())
    views = page_data((tmp_path / "sigmoid_backprop.html").read_text(encoding="utf-8"))["views"]
    assert [v["name"] for v in views] == ["fused", "elementary"]
    assert [len(v["nodes"]) for v in views] == [2, 6]
    data = page_data((tmp_path / "multivariate_backprop.html").read_text(encoding="utf-8"))
    assert data["views"][0]["steps"][-1]["sum"] == "x.grad = 2.0 + 3.0 = 5.0"
    quiet = tmp_path / "quiet"
    sigmoid.run(out=quiet, plots=False, file=io.StringIO())
    assert not list(quiet.glob("*.html"))


@pytest.mark.parametrize("scores", [
    [float("nan"), 0.0, 1.0], [float("inf"), 0.0, float("inf")], [-math.inf] * 3,
    float("nan"), float("inf")])
def test_recorder_draws_non_finite_scores(scores):
    """A model whose scores overflow (multi-class inf/NaN used to raise "cannot convert float
    NaN to integer"): a NaN says no class (or the boundary for one score), infinite scores
    share the probability. The page is still made."""
    rec = TrainingRecorder(lambda x: scores, [[0.0, 0.0], [1.0, 1.0]], [0, 1], grid=3)
    frame = rec.data()["frames"][0]  # step 0, recorded when the recorder is made
    assert len(frame["grid"]) == 9 * (len(scores) if isinstance(scores, list) else 1)
    assert "<html" in rec.page().html


def _page():
    x = Value(2.0, label="x")
    return backprop_page(x * x)


@pytest.mark.skipif(not hasattr(os, "umask"), reason="POSIX permissions")
def test_page_save_respects_the_umask(tmp_path):
    """A new page gets what the umask gives (it used to be 0644 whatever the umask)."""
    old = os.umask(0o077)
    try:
        path = _page().save(tmp_path / "p.html")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_page_save_follows_a_symlink(tmp_path):
    """Saving over a link replaces the file it points to and keeps the link, as nn.save."""
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    _page().save(link)
    assert link.is_symlink() and "<html" in real.read_text()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_page_save_refuses_a_fifo(tmp_path):
    """A FIFO at the path is refused by name (it used to be replaced by a file)."""
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO"):
        _page().save(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- size: a page grows with the graph, not with the square of a node's fan-out ----------

def _fan_out(n: int) -> Value:
    """x used n times: z = x*0 + x*1 + ... + x*(n-1), each product labelled h{i}."""
    x = Value(0.5, label="x")
    z = Value(0.0, label="z0")
    for i in range(n):
        h = x * float(i)
        h.label = f"h{i}"
        z = z + h
    return z


def test_page_size_is_linear_in_a_nodes_fan_out():
    """Bytes per node at fan-out 2,000 are within 1.5x of those at fan-out 200 (a quadratic
    page, as before, had 8x)."""
    small, big = (len(backprop_page(_fan_out(n), max_nodes=10**5).html) for n in (200, 2000))
    assert big / 2000 <= 1.5 * small / 200


def _x_sums(n: int) -> list[str]:
    steps = graph_data(_fan_out(n), max_nodes=10**5)["steps"]
    return [s["sum"] for s in steps if s["kind"] == "edge" and s["sum"].startswith("x.grad")]


def test_a_long_sum_shows_each_contribution_added_to_the_sum_so_far():
    sums = _x_sums(10)
    assert sums[1] == ("x.grad = 9.0 (so far, 1 term) + 8.0 (from h8) = 17.0 "
                       "(so far; 8 still to come, next from h7, h6, h5)")


def test_a_long_sum_starts_with_its_first_contribution():
    assert _x_sums(10)[0] == ("x.grad = 9.0 (from h9, the first of 10 contributions; "
                              "9 still to come, next from h8, h7, h6)")


def test_a_long_finished_sum_shows_its_ends_and_counts_the_rest():
    assert _x_sums(10)[-1] == "x.grad = 0.0 + 1.0 + 2.0 + … (4 more) + 7.0 + 8.0 + 9.0 = 45.0"


def test_a_long_finished_sum_is_explains_total():
    z = _fan_out(50)
    total = explain(z, run_backward=False).gradient("x").total
    assert _x_sums(50)[-1].endswith(f"= {format_number(total)}")


def test_a_sum_of_six_terms_is_written_out_in_full():
    sums = _x_sums(6)
    assert sums[-1] == "x.grad = 0.0 + 1.0 + 2.0 + 3.0 + 4.0 + 5.0 = 15.0"
