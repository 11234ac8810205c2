"""The performance figures in README.md and docs/performance.md are one recorded bench run."""

from __future__ import annotations

import json
import os
import re
from statistics import median

import pytest

from bench import docs, site

ROOT = docs.ROOT
FIGURE = re.compile(r"\d[\d,.]*\s*(×|ms\b|ns\b|µs|KB\b|MB\b|bytes\b)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _text(name: str) -> str:
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def _performance_section(readme: str) -> str:
    start = readme.index("## Performance\n")
    end = readme.find("\n## ", start + 1)
    return readme[start:] if end < 0 else readme[start:end]


def test_the_docs_show_the_recorded_run() -> None:
    """Rewriting every bench region from bench/recorded.json changes nothing."""
    run = docs.read(os.path.join(ROOT, docs.RECORDED))
    for name in docs.DOCS:
        text = _text(name)
        assert docs.fill(text, run, name) == text, f"{name}: run python -m bench.docs"


@pytest.mark.parametrize("name, regions", [
    ("README.md", {"readme"}),
    (os.path.join("docs", "performance.md"),
     {"run", "collector", "summary", "targets", "results"}),
])
def test_each_document_has_its_regions(name: str, regions: set) -> None:
    assert set(docs.regions(_text(name))) == regions


@pytest.mark.parametrize("name", (*docs.DOCS, str(site.DOC)))
def test_no_measured_figure_outside_the_regions(name: str) -> None:
    """A time, a ratio or a size typed by hand would not change with the run: only the
    regions hold them (code blocks aside: they show commands)."""
    text = _text(name)
    if name == "README.md":
        text = _performance_section(text)
    outside = FENCE.sub("", docs.REGION.sub("", text))
    found = [m.group(0) for m in FIGURE.finditer(outside)]
    assert not found, f"{name}: figures outside the bench regions: {found}"


def test_a_changed_figure_is_found() -> None:
    """--check's comparison sees one digit changed inside a region."""
    run = docs.read(os.path.join(ROOT, docs.RECORDED))
    text = _text(os.path.join("docs", "performance.md"))
    summary = docs.regions(text)["summary"]
    digit = re.search(r"\d", summary)
    assert digit is not None
    i = text.index(summary) + digit.start()
    edited = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
    assert docs.fill(edited, run, "performance.md") != edited


def test_an_unknown_region_is_named() -> None:
    run = docs.read(os.path.join(ROOT, docs.RECORDED))
    with pytest.raises(ValueError, match="unknown bench region 'speed'"):
        docs.fill("<!-- bench:speed -->\n<!-- /bench:speed -->\n", run, "x.md")


def test_the_recorded_run_is_a_full_run_with_every_target_met() -> None:
    """The recorded file is a full run (not --quick), and every target it prints is met."""
    with open(os.path.join(ROOT, docs.RECORDED), encoding="utf-8") as f:
        data = json.load(f)
    assert data["quick"] is False
    run = docs.Recorded(data)
    rows = [line for line in docs.RENDER["targets"](run).splitlines()
            if line.startswith("| ") and not line.startswith("| target")]
    assert rows
    verdicts = {line.rsplit("|", 2)[-2].strip(): line for line in rows}
    verdicts.pop("---", None)
    assert set(verdicts) <= {"met", "reported"}, [v for k, v in verdicts.items()
                                                  if k not in ("met", "reported")]


def _demo_rows() -> dict:
    """The recorded demo group's rows by (engine, gc)."""
    with open(os.path.join(ROOT, docs.RECORDED), encoding="utf-8") as f:
        demo = next(g for g in json.load(f)["groups"] if g["key"] == "demo")
    return {(r["engine"], r["gc"]): r for r in demo["rows"]}


def test_the_recorded_demo_ran_every_engine_with_the_collector_off() -> None:
    """Each demo engine ran as it comes and with the collector off, and the off runs counted
    no collection while timing."""
    rows = _demo_rows()
    engines = {e for e, _ in rows}
    assert {"ours", "micrograd"} <= engines and set(rows) == {(e, g) for e in engines
                                                               for g in ("on", "off")}
    assert all(r["results"] and not r["errors"] for r in rows.values())
    assert all(res["gc_collections"] == [0, 0, 0] for (_, gc), r in rows.items() if gc == "off"
               for res in r["results"])


def _ratio(theirs: dict, ours: dict) -> float:
    """Median over runs of each run's median step, theirs ÷ ours (from the raw times)."""
    def ms(row: dict) -> float:
        return median(median(res["times"]) for res in row["results"])
    return ms(theirs) / ms(ours)


@pytest.mark.parametrize("name, region", [
    ("README.md", "readme"), (os.path.join("docs", "performance.md"), "collector")])
def test_the_headline_gives_the_ratio_as_it_comes_and_with_the_collector_off(
        name: str, region: str) -> None:
    """Where the docs quote the demo's speed-up over micrograd they give both ratios of the
    recorded run: CPython's collector as it comes, and off in both engines."""
    rows = _demo_rows()
    text = docs.regions(_text(name))[region]
    for gc in ("on", "off"):
        ratio = _ratio(rows[("micrograd", gc)], rows[("ours", gc)])
        assert f"**{ratio:.1f}×**" in text, (gc, ratio)
    assert "collector off" in text and "gc.disable()" in text


def _site_run() -> dict:
    with open(os.path.join(ROOT, site.RECORDED), encoding="utf-8") as f:
        return json.load(f)


def test_the_workshop_page_shows_the_recorded_site_run() -> None:
    """docs/workshop.md's speed figures are bench/site.json's (python -m bench.site --docs);
    its serve-load region is bench/serve_load.py's, checked by that script."""
    text = _text(str(site.DOC))
    assert set(docs.regions(text)) == {"site", "serve-load"}
    assert site.fill(text, _site_run()) == text, "run python -m bench.site --docs"


def test_the_site_run_compared_the_browser_with_cpython_in_one_run() -> None:
    run = _site_run()
    assert len(run["browser_ms"]) == len(run["cpython_ms"]) == len(run["cold"]) >= 3
