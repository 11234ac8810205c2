"""The plots without matplotlib or numpy (as in the browser): the same plots as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from without_matplotlib import run_without_matplotlib

MAKE = r"""
import json
import nn, scalargrad as sg
X, y = nn.moons(60, noise=0.1, seed=0, signed=True)
model = nn.MLP(2, [8, 1], seed=1)
h = nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=0.1), steps=20, progress=False)
figs = {"history": sg.plot_history(h),
        "boundary": sg.plot_decision_boundary(model, X, y, resolution=40),
        "function": sg.plot_function(lambda x: x.tanh()),
        "curvature": sg.plot_curvature(lambda x: x**4 - 2*x**2, marks=[1.0])}
try:
    figs["history"].savefig("plot.png")
    png = "written"
except ValueError as e:
    png = str(e)
print(json.dumps({"svg": {k: f._repr_svg_() for k, f in figs.items()},
                  "types": {k: type(f).__name__ for k, f in figs.items()}, "png": png}))
"""

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("svg")
    return run_without_matplotlib(MAKE, timeout=300, cwd=folder)


@pytest.mark.parametrize("name", ["history", "boundary", "function", "curvature"])
def test_each_plot_is_an_svg_figure(made, name):
    assert made["types"][name] == "SvgFigure"


@pytest.mark.parametrize("name", ["history", "boundary", "function", "curvature"])
def test_each_svg_is_well_formed(made, name):
    assert ET.fromstring(made["svg"][name]).tag == NS + "svg"


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(NS + "text")]


def test_the_history_has_both_panels(made):
    assert {"Loss", "Accuracy"} <= set(_texts(made["svg"]["history"]))


def test_the_boundary_shows_every_point(made):
    circles = list(ET.fromstring(made["svg"]["boundary"]).iter(NS + "circle"))
    assert len(circles) >= 60


def test_the_boundary_title_gives_the_accuracy(made):
    assert any(t.startswith("accuracy ") and "of 60" in t for t in _texts(made["svg"]["boundary"]))


def test_the_boundary_fills_both_regions(made):
    groups = [g for g in ET.fromstring(made["svg"]["boundary"]).iter(NS + "g")
              if g.get("opacity")]
    assert len(groups) == 2 and all(len(g) > 0 for g in groups)


def test_the_curvature_plot_names_its_three_curves(made):
    texts = _texts(made["svg"]["curvature"])
    assert sum(1 for t in texts if t.startswith("f")) >= 3


def test_a_png_without_matplotlib_is_refused_with_the_fix(made):
    assert "SVG only" in made["png"] and "pip install matplotlib" in made["png"]
