"""plot_costs: cost curves against a size and their crossover, with and without matplotlib."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from without_matplotlib import run_without_matplotlib

import scalargrad as sg
from scalargrad.see.costs import crossovers


def test_two_straight_lines_cross_where_the_algebra_says() -> None:
    """y = 2x and y = 1 cross at x = 0.5 (by hand), found between the measurements 0 and 1."""
    assert crossovers([0.0, 1.0, 2.0], [0.0, 2.0, 4.0], [1.0, 1.0, 1.0]) == [(0.5, 1.0)]


def test_curves_meeting_at_a_measured_size_cross_once_there() -> None:
    """Equal at size 2 (and apart on both sides): one crossover, at exactly (2, 2)."""
    assert crossovers([1, 2, 3], [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == [(2.0, 2.0)]


def test_curves_that_never_cross_have_no_crossover() -> None:
    """One curve above the other everywhere: nothing to mark."""
    assert crossovers([1, 2, 3], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == []


def test_the_crossover_is_named_in_the_picture() -> None:
    """The legend of the drawn figure names the crossover's size (matplotlib or SVG)."""
    figure = sg.plot_costs([0, 1, 2], {"forward": [0.0, 2.0, 4.0], "reverse": [1.0, 1.0, 1.0]},
                           xlabel="n")
    if hasattr(figure, "to_svg"):
        assert "crossover at n ≈ 0.5" in figure.to_svg()
    else:
        texts = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
        assert "crossover at n ≈ 0.5" in texts


MAKE = r"""
import json
import scalargrad as sg
fig = sg.plot_costs([1, 2, 3, 4], {"jacfwd": [1.0, 2.0, 3.0, 4.0], "jacrev": [2.5, 2.5, 2.5, 2.5]},
                    xlabel="n", ylabel="ms", title="<b>costs</b>", log=True)
print(json.dumps({"type": type(fig).__name__, "svg": fig._repr_svg_()}))
"""


def test_without_matplotlib_the_plot_is_svg() -> None:
    """With matplotlib and numpy unimportable (the browser), plot_costs returns an SVG figure
    that parses, names the crossover at n ≈ 2.5 and shows its title as text, escaped."""
    made = run_without_matplotlib(MAKE, timeout=120)
    assert made["type"] == "SvgFigure"
    root = ET.fromstring(made["svg"])
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "crossover at n ≈ 2.5" in texts
    assert "<b>costs</b>" in texts


@pytest.mark.parametrize(("sizes", "costs", "message"), [
    ([1, 2], {"a": [1.0]}, "a has 1 values for 2 sizes"),
    ([1, 2], {"a": [1.0, "2"]}, "a holds '2'; expected finite numbers"),
    ([1, 2], {"a": [1.0, float("nan")]}, "a holds nan"),
    ([2, 1], {"a": [1.0, 2.0]}, "the sizes must increase"),
    ([1, 2], {}, "costs is empty"),
])
def test_bad_input_is_named(sizes, costs, message) -> None:
    """Series of the wrong length, non-numbers, NaN, decreasing sizes and no series at all
    each get an error saying what was wrong."""
    with pytest.raises(ValueError, match=message):
        sg.plot_costs(sizes, costs)
