"""The workshop notebooks: committed clean, up to date, and run top to bottom in a real kernel.

Each notebook runs in a fresh IPython kernel (nbclient, kernel `python3` from ipykernel) in an
empty temporary folder, so it uses the installed package, not files lying in the clone. A
cell error fails the test. Cells tagged `rich-display` must show HTML or Markdown (not only
their plain repr), cells tagged `figure` an image or HTML (not "<Figure ...>" text).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]

IMAGE = {"image/png", "image/svg+xml", "text/html"}
RICH = {"text/html", "text/markdown"}


def _load(path: Path) -> Any:
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def _shown(cell: Any) -> list[dict[str, Any]]:
    """The mime bundles a code cell displayed (its result and any display() calls)."""
    return [dict(o.get("data", {})) for o in cell.get("outputs", [])
            if o.get("output_type") in ("execute_result", "display_data")]


def _tagged(nb: Any, tag: str) -> list[tuple[int, Any]]:
    return [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and tag in c.get("metadata", {}).get("tags", [])]


CORE = ["01-a-program-is-a-graph", "02-upstream-local-downstream", "03-checking-a-gradient",
        "04-multivariate-chain-rule", "05-accumulate-dont-assign", "06-neuron-to-network",
        "07-your-turn", "08-training-moons"]


def test_the_lessons_are_numbered_in_order() -> None:
    """notebooks/ holds the lessons 01, 02, ... with no gap, the eight core lessons first."""
    assert [n[:2] for n in NAMES] == [f"{k:02d}" for k in range(1, len(NAMES) + 1)]
    assert [Path(n).stem for n in NAMES][:8] == CORE


def test_every_lesson_text_has_its_notebook_and_back() -> None:
    """Each lesson text NN-name.md has its NN-name.ipynb beside it, and each notebook its text."""
    texts = {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.md")}
    assert texts == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name: str) -> None:
    """No committed notebook holds outputs or execution counts (nbstripout's convention)."""
    nb = _load(ROOT / "notebooks" / name)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert dirty == [], f"{name}: cells {dirty} have outputs; regenerate or clear them"


HEADING = re.compile(r"# Lesson (\d+)( \(optional\))? — (.+)")
DESKTOP = ("python -m", ".ipynb", "docs/", "exercises/workbook.py", "out/")


def _markdown(name: str) -> list[str]:
    """The markdown cells of notebook `name`, in order."""
    return [c.source for c in _load(ROOT / "notebooks" / name).cells if c.cell_type == "markdown"]


def _titles() -> list[tuple[int, bool, str]]:
    """Each lesson's (number, optional?, title), from the heading that opens it."""
    found = []
    for name in NAMES:
        first = _markdown(name)[0].splitlines()[0]
        match = HEADING.fullmatch(first)
        assert match, f"{name} opens with {first!r}, not '# Lesson N — Title'"
        found.append((int(match.group(1)), bool(match.group(2)), match.group(3)))
    return found


def test_each_lesson_is_titled_with_its_number_and_place() -> None:
    """Lesson N opens '# Lesson N — Title'; lessons beyond the eight core ones say (optional)."""
    titles = _titles()
    assert [(n, optional) for n, optional, _ in titles] == [
        (k, k > len(CORE)) for k in range(1, len(NAMES) + 1)]


@pytest.mark.parametrize("k", range(len(NAMES)))
def test_each_lesson_ends_by_naming_the_next_truthfully(k: int) -> None:
    """The last words of a lesson name the next lesson by its number and title (marked
    optional beyond the core), and only the last lesson says it is the last."""
    titles = _titles()
    ending = _markdown(NAMES[k])[-1].strip().splitlines()
    last = ending[-1] if ending else ""
    if k == len(NAMES) - 1:
        assert last == "This is the last lesson.", f"{NAMES[k]} ends {last!r}"
        return
    number, optional, title = titles[k + 1]
    said = " ".join(_markdown(NAMES[k])[-1].split())
    wanted = (f"Next (optional): lesson {number}, " if optional else f"Next: lesson {number}, ")
    at = said.find(wanted)
    assert at >= 0 and said[at + len(wanted):].lower().startswith(title.lower()), (
        f"{NAMES[k]} should end naming {wanted}{title.lower()}: {said[-160:]!r}")
    for other in _markdown(NAMES[k]):
        assert "the last lesson" not in other and "last notebook" not in other, NAMES[k]


def test_desktop_only_words_say_so() -> None:
    """A paragraph that names what only a learner's own machine has (a `python -m` command, a
    file of the repository, an .ipynb) says "on your own machine", so a learner in the browser
    workshop is not sent to what they do not have."""
    for name in NAMES:
        for cell in _markdown(name):
            for paragraph in cell.split("\n\n"):
                if any(word in paragraph for word in DESKTOP):
                    assert "on your own machine" in paragraph.lower(), f"{name}: {paragraph!r}"


def _generator() -> Any:
    pytest.importorskip("nbformat")
    pytest.importorskip("jupytext")
    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "notebooks"))
    return generate


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_are_what_the_generator_writes(name: str) -> None:
    """Each notebook is, byte for byte, what notebooks/generate.py makes of its lesson text."""
    generate = _generator()
    committed = (ROOT / "notebooks" / name).read_text(encoding="utf-8")
    lesson = (ROOT / "notebooks" / name).with_suffix(".md")
    assert committed == generate.render(lesson), (
        f"notebooks/{name} is out of date: run `python notebooks/generate.py` and commit")


def test_an_exercise_placeholder_becomes_the_workbooks_stub_and_its_check() -> None:
    """`# exercise: reciprocal` in a lesson becomes the workbook's reciprocal stub + its check."""
    generate = _generator()
    source = generate.exercise_source("reciprocal")
    assert source.startswith("def reciprocal(x: Value) -> Value:")
    assert "raise NotImplementedError" in source
    assert source.endswith("\n\ncheck('reciprocal', reciprocal)")


def test_a_placeholder_naming_no_exercise_is_refused(tmp_path: Path) -> None:
    """A lesson whose `# exercise:` names nothing in the workbook fails with the name."""
    generate = _generator()
    lesson = tmp_path / "01-x.md"
    lesson.write_text("# T\n\n```{code-cell} ipython3\n:tags: [exercise]\n\n"
                      "# exercise: nope\n```\n", encoding="utf-8")
    with pytest.raises(KeyError, match="'nope' is not in"):
        generate.build(lesson)


def test_a_misspelt_tag_is_refused(tmp_path: Path) -> None:
    """A code cell with a tag the tests do not know (e.g. `figures`) fails, naming the tag."""
    generate = _generator()
    lesson = tmp_path / "01-x.md"
    lesson.write_text("# T\n\n```{code-cell} ipython3\n:tags: [figures]\n\n1 + 1\n```\n",
                      encoding="utf-8")
    with pytest.raises(ValueError, match="figures"):
        generate.build(lesson)


def test_check_lists_a_stale_notebook_and_an_orphan(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`generate.py --check` fails while a lesson's notebook is stale or a notebook has no
    lesson text, and passes once the notebooks are written and the orphan removed."""
    generate = _generator()
    monkeypatch.setattr(generate, "HERE", tmp_path)
    (tmp_path / "01-x.md").write_text("# Lesson 1 — X\n", encoding="utf-8")
    (tmp_path / "01-x.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "02-gone.ipynb").write_text("{}", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert generate.main(["--check"]) == 1
    assert "01-x.ipynb is out of date" in out.getvalue()
    assert "02-gone.ipynb has no lesson text" in out.getvalue()
    (tmp_path / "02-gone.ipynb").unlink()
    with contextlib.redirect_stdout(out):
        assert generate.main([]) == 0
        assert generate.main(["--check"]) == 0


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: the installed package, or this clone when it is not installed."""
    env = dict(os.environ)
    probe = subprocess.run([sys.executable, "-c", "import scalargrad, demos, exercises"],
                           cwd=tempfile.gettempdir(), env=env, capture_output=True)
    if probe.returncode != 0:  # not installed (a dev venv without the package): use the clone
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)  # let ipykernel choose its inline backend, as in Jupyter
    return env


_EXECUTED: dict[str, Any] = {}
_FOLDERS: dict[str, Path] = {}  # the empty folder each notebook ran in


def executed(name: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run notebook `name` once in a fresh kernel in an empty folder; the notebook with outputs."""
    if name not in _EXECUTED:
        nbclient = pytest.importorskip("nbclient")
        pytest.importorskip("ipykernel")
        nb = _load(ROOT / "notebooks" / name)
        folder = tmp_path_factory.mktemp(name.split(".")[0])
        _FOLDERS[name] = folder
        env = _kernel_env()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # the kernel process inherits this environment
        try:
            client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                             resources={"metadata": {"path": str(folder)}})
            client.execute()
        except nbclient.exceptions.CellExecutionError as exc:
            _EXECUTED[name] = exc
        finally:
            os.environ.clear()
            os.environ.update(saved)
        _EXECUTED.setdefault(name, nb)
    result = _EXECUTED[name]
    if isinstance(result, Exception):
        pytest.fail(f"notebooks/{name} failed in the kernel:\n{result}", pytrace=False)
    return result


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The notebook runs without a cell error in a fresh kernel, from an empty folder."""
    nb = executed(name, tmp_path_factory)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []


@pytest.mark.parametrize("name", NAMES)
def test_rich_display_cells_show_html(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every `rich-display` cell shows text/html or text/markdown, not only its plain repr."""
    nb = executed(name, tmp_path_factory)
    for i, cell in _tagged(nb, "rich-display"):
        bundles = _shown(cell)
        assert bundles, f"{name} cell {i} displayed nothing:\n{cell.source}"
        assert any(RICH & set(b) for b in bundles), (
            f"{name} cell {i} shows only {[sorted(b) for b in bundles]}:\n{cell.source}")


@pytest.mark.parametrize("name", [n for n in NAMES if _tagged(_load(ROOT / "notebooks" / n),
                                                              "figure")])
def test_figure_cells_show_images(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every `figure` cell shows image/png, image/svg+xml or text/html, never '<Figure' text."""
    nb = executed(name, tmp_path_factory)
    for i, cell in _tagged(nb, "figure"):
        bundles = _shown(cell)
        assert any(IMAGE & set(b) for b in bundles), (
            f"{name} cell {i} shows no picture, only "
            f"{[b.get('text/plain', '')[:60] for b in bundles]}:\n{cell.source}")


def test_exercise_cells_run_the_checker(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every exercise in the workbook has a cell in some notebook, and each shows a verdict
    (the checker's report, as text and as HTML)."""
    from exercises.check import TASK_NAMES

    seen = set()
    for name in NAMES:
        nb = executed(name, tmp_path_factory)
        for i, cell in _tagged(nb, "exercise"):
            outputs = cell.get("outputs", [])
            text = "".join(o.get("data", {}).get("text/plain", "") for o in outputs
                           if o.get("output_type") == "execute_result")
            shown = "".join(o.get("data", {}).get("text/html", "") for o in outputs
                            if o.get("output_type") == "execute_result")
            assert "TODO" in text and "Score:" in text, f"{name} cell {i}: {text!r}"
            assert 'class="sg-verdict" data-verdict="todo"' in shown, f"{name} cell {i}"
            seen.update(t for t in TASK_NAMES if f"check({t!r}" in cell.source)
    assert seen == set(TASK_NAMES)


PRINTED = re.compile(r"<!-- printed by lesson (\d\d) -->\n```\n(.*?)\n```", re.S)


def _printed(nb: Any) -> str:
    """Everything a notebook's cells printed (their stdout), as one text."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


def _guide_quotes() -> list[tuple[str, str]]:
    """(notebook, line) for every line of the guide's blocks marked as a lesson's output."""
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    return [(next(n for n in NAMES if n.startswith(number)), line)
            for number, block in PRINTED.findall(guide) for line in block.splitlines()]


def test_the_guide_quotes_lessons_output() -> None:
    """docs/guide.md quotes the output of lessons 1, 4, 6 and 8 (the one-number descent and
    the moons training among them)."""
    assert {name[:2] for name, _ in _guide_quotes()} >= {"01", "04", "06", "08"}


@pytest.mark.parametrize("name", sorted({name for name, _ in _guide_quotes()}))
def test_the_guides_numbers_are_the_lessons_own(name: str,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every line docs/guide.md shows as a lesson's output is printed, as it stands, by that
    lesson run in a kernel: the guide and the lessons tell the same numbers."""
    printed = _printed(executed(name, tmp_path_factory)).splitlines()
    missing = [line for n, line in _guide_quotes() if n == name and line not in printed]
    assert missing == [], f"docs/guide.md quotes lines {name} does not print"


def test_lessons_leave_no_file_behind(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A lesson writes only where it says: nothing in the folder it runs in but `out/` (the
    desktop-only GIF), so running lesson 8 beside its notebook leaves no model file there."""
    for name in NAMES:
        executed(name, tmp_path_factory)
        left = sorted(p.name for p in _FOLDERS[name].iterdir())
        assert set(left) <= {"out"}, f"{name} left {left} in the folder it ran in"


def test_notebook_check_gives_the_command_lines_verdicts() -> None:
    """check(name, answer) prints PASS/FAIL/TODO as `python -m exercises` does, by short name."""
    from exercises.check import check
    from scalargrad import Value

    def reciprocal(x: Value) -> Value:
        def _backward(upstream: float) -> tuple[float]:
            return (upstream * -1.0 / (x.data * x.data),)

        return Value.from_op(1.0 / x.data, (x,), op="reciprocal", backward=_backward)

    out = io.StringIO()
    check("reciprocal", reciprocal, file=out)
    assert "PASS  reciprocal " in out.getvalue() and "All done!" in out.getvalue()
    out = io.StringIO()
    check("p1", 0.3, file=out)
    assert "FAIL  P1" in out.getvalue() and "hint 1 of 3:" in out.getvalue()

    def todo(x: Value) -> Value:
        def _backward(upstream: float) -> tuple[float]:
            raise NotImplementedError

        return Value.from_op(float(math.exp(x.data)), (x,), op="exp", backward=_backward)

    out = io.StringIO()
    check("exp", todo, file=out)
    assert "TODO  exp " in out.getvalue()
    with pytest.raises(ValueError, match="no exercise named 'nope'"):
        check("nope", 1.0)
