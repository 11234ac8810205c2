"""The teacher's kit (docs/teaching.md) and the learner handout (docs/handout.md) agree with
the lessons: the plan names every notebook once and fits three hours, the minutes it quotes add
up, the material counts it quotes are the notebooks' own, the handout names only exercises the
checker knows, where the lessons ask them, and gives none of their answers away.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "docs" / "teaching.md"
HANDOUT = ROOT / "docs" / "handout.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NOTEBOOK = re.compile(r"\b\d\d-[a-z0-9-]+\.ipynb\b")
CORE_LIMIT = 180  # minutes, the break included

# The rule the plan's estimate uses (docs/teaching.md, "How the minutes were estimated"):
# minutes per code cell run and talked through, per 100 words of prose, per exercise by part.
PER_CELL, PER_100_WORDS = 2, 1
PER_EXERCISE = {"A": 5, "B": 4, "C": 15, "D": 5}
BEFORE = "9f72ecd"  # the commit whose notebooks the rule is calibrated on


# ── reading the pages ────────────────────────────────────────────────────────────────────

def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of `text`: its rows (the header first, the --- line dropped)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.lstrip().startswith("|"):
            cells = _cells(line)
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def table_after(text: str, heading: str) -> list[list[str]]:
    """The first table after the line `heading`."""
    at = text.index(heading + "\n")
    return tables(text[at:])[0]


class Row(NamedTuple):
    start: str
    lesson: str
    teach: int
    practise: int
    minutes: int


def plan() -> tuple[list[Row], Row, list[Row]]:
    """The plan's rows: the core (before the total), the total row, and the rows after it."""
    rows = table_after(TEACHING.read_text(encoding="utf-8"), "## The plan")
    header, body = rows[0], rows[1:]
    assert [h.lower() for h in header] == ["start", "lesson", "teach", "practise", "minutes"]
    parsed = [Row(r[0], r[1], *(int(c.strip("*")) for c in r[2:])) for r in body]
    totals = [i for i, r in enumerate(parsed) if "total" in r.lesson.lower()]
    assert len(totals) == 1, "the plan has one total row"
    i = totals[0]
    return parsed[:i], parsed[i], parsed[i + 1:]


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def notebook_names() -> list[str]:
    return [p.name for p in NOTEBOOKS]


# ── the checker's exercises, read at test time ───────────────────────────────────────────

def _check_module() -> ModuleType:
    from exercises import check

    return check


def task_names() -> list[str]:
    """Every exercise the checker knows (Parts A to D), by its name."""
    check = _check_module()
    return list(check.TASK_NAMES)


def task_part(name: str) -> str:
    """The workbook part, "A" to "D", of the exercise `name`."""
    check = _check_module()
    finder = getattr(check, "task_part", None)
    if callable(finder):
        return str(finder(name))
    for attr, part in (("LOCAL_TASKS", "A"), ("PREDICT_TASKS", "B"),
                       ("BACKWARD_TASKS", "C"), ("TANGENT_TASKS", "D")):
        if name in {t.name for t in getattr(check, attr, ())}:
            return part
    raise KeyError(f"the checker knows no exercise {name!r}")


# ── the rule, applied to notebooks ───────────────────────────────────────────────────────

CHECK_CALL = re.compile(r"""check\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


class Count(NamedTuple):
    shown: int  # code cells that are not exercises
    words: int  # words of prose
    exercises: tuple[str, ...]  # the exercises' names, in order


def count(nb: dict[str, Any]) -> Count:
    """What a notebook holds: demonstration cells, words of prose, exercises."""
    shown, words, exercises = 0, 0, []
    for cell in nb["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            words += len(source.split())
        elif cell["cell_type"] == "code":
            called = CHECK_CALL.findall(source)
            if called:
                exercises += called
            else:
                shown += 1
    return Count(shown, words, tuple(exercises))


def by_the_rule(c: Count, part: Any) -> float:
    return (PER_CELL * c.shown + PER_100_WORDS * c.words / 100
            + sum(PER_EXERCISE[part(n)] for n in c.exercises))


def _parts_text(names: tuple[str, ...], part: Any) -> str:
    if not names:
        return "–"
    counts = Counter(part(n) for n in names)
    return ", ".join(f"{counts[p]} {p}" for p in sorted(counts))


# ── the plan ─────────────────────────────────────────────────────────────────────────────

def test_the_plan_names_every_notebook_exactly_once() -> None:
    """Each notebooks/NN-*.ipynb has exactly one row in the plan."""
    core, total, after = plan()
    named = Counter(n for r in core + after for n in NOTEBOOK.findall(r.lesson))
    assert sorted(named) == notebook_names()
    assert [n for n, k in named.items() if k > 1] == []


def test_the_pages_name_no_notebook_that_does_not_exist() -> None:
    """Every NN-name.ipynb the teaching page or the handout mentions is a file in notebooks/."""
    text = TEACHING.read_text(encoding="utf-8") + HANDOUT.read_text(encoding="utf-8")
    assert sorted(set(NOTEBOOK.findall(text)) - set(notebook_names())) == []


def test_the_core_fits_three_hours_and_adds_up() -> None:
    """The core rows (break included) add up to the total the page states, at most 180."""
    core, total, _ = plan()
    assert sum(r.minutes for r in core) == total.minutes <= CORE_LIMIT
    assert sum(r.teach for r in core) == total.teach
    assert sum(r.practise for r in core) == total.practise


def test_each_row_is_its_teaching_and_practice() -> None:
    """Every row but the break: teaching + practice minutes = its minutes."""
    core, total, after = plan()
    wrong = [r.lesson for r in core + after
             if "break" not in r.lesson.lower() and r.teach + r.practise != r.minutes]
    assert wrong == []


def test_the_start_times_follow_the_minutes() -> None:
    """Each core row starts when the one before it ends; the total row at the end."""
    core, total, _ = plan()
    clock = 0
    for r in core + [total]:
        assert _minutes(r.start) == clock, f"{r.lesson} starts at {r.start}, expected {clock}"
        clock += r.minutes if r is not total else 0


def test_the_core_has_a_break() -> None:
    """One core row is the break, between lessons."""
    core, _, _ = plan()
    breaks = [i for i, r in enumerate(core) if "break" in r.lesson.lower()]
    assert len(breaks) == 1 and 0 < breaks[0] < len(core) - 1


def test_the_lessons_beyond_the_core_are_marked_optional() -> None:
    """Rows after the core total say "optional"; no core row does; the core lessons come first."""
    core, _, after = plan()
    assert all("optional" in (r.start + r.lesson).lower() for r in after)
    assert not any("optional" in r.lesson.lower() for r in core)
    core_numbers = [int(n[:2]) for r in core for n in NOTEBOOK.findall(r.lesson)]
    later = [int(n[:2]) for r in after for n in NOTEBOOK.findall(r.lesson)]
    assert core_numbers == list(range(1, len(core_numbers) + 1))
    assert all(n > max(core_numbers) for n in later)


SECTION_PARTS = ("**Objectives.**", "**Show live.**", "**Learners do.**",
                 "**Common mistakes.**", "**Step in when.**", "**If running late.**")


@pytest.mark.parametrize("name", notebook_names())
def test_each_notebook_has_its_section(name: str) -> None:
    """Each notebook has a `###` section naming it, with objectives, what to show live, what
    learners do, the common mistakes, when to step in and what to cut."""
    text = TEACHING.read_text(encoding="utf-8")
    heads = [m.start() for m in re.finditer(r"^### .*$", text, re.M)]
    mine = [i for i in heads if name in text[i:text.index("\n", i)]]
    assert len(mine) == 1, f"one ### heading names {name}"
    later = [i for i in heads if i > mine[0]]
    section = text[mine[0]:(later[0] if later else len(text))]
    assert [p for p in SECTION_PARTS if p not in section] == []


MATERIAL = ("<!-- table held by tests/test_teaching.py: cells and words counted from the "
            "notebooks -->")


def material_rows() -> list[str]:
    """The estimate's table as it should read, one Markdown row per notebook."""
    rows = []
    for path in NOTEBOOKS:
        c = count(json.loads(path.read_text(encoding="utf-8")))
        rows.append(f"| `{path.name}` | {c.shown} | {c.words} | "
                    f"{_parts_text(c.exercises, task_part)} | "
                    f"{round(by_the_rule(c, task_part))} |")
    return rows


def test_the_material_counts_are_the_notebooks() -> None:
    """The estimate's table gives each notebook's own counts: cells shown, words of prose,
    exercises by part, and the rule's minutes (on failure, the message has the right rows)."""
    quoted = table_after(TEACHING.read_text(encoding="utf-8"), MATERIAL)[1:]
    expected = [_cells(r) for r in material_rows()]
    assert quoted == expected, "the table should read:\n" + "\n".join(material_rows())


def _old_notebook(name: str) -> dict[str, Any]:
    shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:{name}"],
                           capture_output=True, text=True, check=True)
    return json.loads(shown.stdout)


def test_the_rule_gives_the_quoted_minutes_for_the_old_notebooks() -> None:
    """The rule, applied to the notebooks before the plan, gives the minutes the page quotes."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git history (the notebooks of commit " + BEFORE + ")")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", BEFORE,
                             "notebooks/"], capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip(f"commit {BEFORE} is not in this clone")
    names = [n for n in listed.stdout.split() if n.endswith(".ipynb")]

    def old_part(name: str) -> str:
        return "B" if re.fullmatch(r"P\d+", name) else "A"

    total = sum(by_the_rule(count(_old_notebook(n)), old_part) for n in names)
    text = TEACHING.read_text(encoding="utf-8")
    quoted = re.search(r"this\s+rule\s+gives\s+(\d+)\s+minutes", text)
    assert quoted is not None
    assert int(quoted.group(1)) == round(total)


# ── the handout ──────────────────────────────────────────────────────────────────────────

def handout_exercises() -> list[tuple[str, str, str]]:
    """(name, part column, where column) for each exercise the handout's table lists."""
    rows = table_after(HANDOUT.read_text(encoding="utf-8"), "## The exercises")
    assert [h.lower() for h in rows[0]] == ["exercise", "part", "where"]
    return [(name, r[1], r[2]) for r in rows[1:] for name in re.findall(r"`([^`]+)`", r[0])]


def test_every_exercise_in_the_handout_is_one_the_checker_knows() -> None:
    """Each exercise name in the handout is an exercise of the workbook's Parts A to D."""
    known = set(task_names())
    assert [n for n, _, _ in handout_exercises() if n not in known] == []


def test_the_handout_lists_every_exercise_once() -> None:
    """Every exercise the checker knows is in the handout's table, once."""
    listed = Counter(n for n, _, _ in handout_exercises())
    assert sorted(set(task_names()) - set(listed)) == []
    assert [n for n, k in listed.items() if k > 1] == []


def test_the_handout_gives_each_exercises_part() -> None:
    """The part column starts with the exercise's workbook part (A to D)."""
    wrong = [(n, p) for n, p, _ in handout_exercises() if p[:1] != task_part(n)]
    assert wrong == []


def test_each_exercise_is_in_the_lesson_the_handout_names() -> None:
    """The lesson the handout gives for an exercise asks it (an exercise cell checking it)."""
    by_number = {p.name[:2]: p for p in NOTEBOOKS}
    wrong = []
    for name, _, where in handout_exercises():
        lesson = by_number.get(where.strip()[:2])
        asked = count(json.loads(lesson.read_text(encoding="utf-8"))).exercises if lesson else ()
        if name not in asked:
            wrong.append((name, where))
    assert wrong == []


NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:/\d+)?")


def _numbers(text: str) -> list[float]:
    """The numbers written in `text` (fractions too), leaving out lesson numbers like 04."""
    out = []
    for token in NUMBER.findall(text):
        token = token.replace("−", "-")
        if re.fullmatch(r"-?0\d", token):
            continue  # a lesson's number
        if "/" in token:
            top, bottom = token.split("/")
            out.append(float(top) / float(bottom))
        else:
            out.append(float(token))
    return out


def _reference() -> ModuleType:
    check = _check_module()
    return check.load(check.SOLUTIONS)


def test_the_handout_gives_no_predicted_number_next_to_its_exercise() -> None:
    """No line of the handout that names a prediction exercise holds its reference answer."""
    solutions = _reference()
    lines = HANDOUT.read_text(encoding="utf-8").splitlines()
    leaks = []
    for name in task_names():
        answer = getattr(solutions, name, None)
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            continue
        for line in lines:
            if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", line) and any(
                    math.isclose(x, answer, abs_tol=1e-9) for x in _numbers(line)):
                leaks.append((name, line))
    assert leaks == []


def _returns(source: str, function: str) -> list[str]:
    """The expressions the reference `function`'s closures return, as source text."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [ast.unparse(n.value) for n in ast.walk(node)
                    if isinstance(n, ast.Return) and n.value is not None
                    and isinstance(n.value, ast.Tuple)]
    return []


def test_the_handout_gives_no_reference_backward() -> None:
    """No reference closure's return value (Parts A and C) is written in the handout."""
    source = (ROOT / "exercises" / "solutions.py").read_text(encoding="utf-8")
    handout = re.sub(r"\s+", "", HANDOUT.read_text(encoding="utf-8"))
    leaks = [expr for name in task_names() for expr in _returns(source, name)
             if re.sub(r"\s+", "", expr) in handout]
    assert leaks == []


PRINT_CSS = """
@page { size: A4; margin: 14mm; }
body { font: 10pt/1.35 "DejaVu Sans", sans-serif; }
h1 { font-size: 15pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 8pt 0 3pt; }
p, ul { margin: 3pt 0; } table { border-collapse: collapse; margin: 3pt 0; }
td, th { border: 0.5pt solid #999; padding: 1pt 4pt; text-align: left; }
pre { font-size: 8.5pt; margin: 3pt 0; white-space: pre-wrap; }
"""


def handout_html() -> str:
    """The handout as one printable HTML page (Markdown rendered by markdown-it-py)."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py comes with jupytext")
    body = markdown_it.MarkdownIt("commonmark").enable("table").render(
        HANDOUT.read_text(encoding="utf-8"))
    return (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Handout</title>"
            f"<style>{PRINT_CSS}</style><body>{body}</body></html>")


def test_the_handout_prints_on_two_pages(tmp_path: Path) -> None:
    """Printed on A4 in Chromium, the handout fills at most two pages."""
    from browser import close, open_chromium
    from selenium.webdriver.common.print_page_options import PrintOptions

    page = tmp_path / "handout.html"
    page.write_text(handout_html(), encoding="utf-8")
    driver = open_chromium()
    try:
        driver.get(page.as_uri())
        options = PrintOptions()
        options.page_width, options.page_height = 21.0, 29.7
        pdf = base64.b64decode(driver.print_page(options))
    finally:
        close(driver)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 2, f"the handout prints on {pages} pages"
