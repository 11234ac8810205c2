"""The teacher's kit (docs/teaching.md) and the learner handout (docs/handout.md) agree with
the lessons and the checker.

The plan names every notebook once and its core fits three hours with a break; its minutes
add up and follow from the material (the page's rule applied to the notebooks' own counts,
with the cuts the page lists); the checker's words the page quotes are the checker's; the
handout names only exercises the checker knows, in the lessons that ask them, gives none of
their answers away and prints on two A4 pages.
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
from typing import Any, Callable, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "docs" / "teaching.md"
HANDOUT = ROOT / "docs" / "handout.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NOTEBOOK = re.compile(r"\b\d\d-[a-z0-9-]+\.ipynb\b")
CORE_LIMIT = 180  # minutes, the break included

# The page's rule ("How the minutes were estimated"): minutes per code cell run and talked
# through, per 100 words of prose, and per exercise of each workbook part.
PER_CELL, PER_100_WORDS = 2, 1
PER_EXERCISE = {"A": 5, "B": 4, "C": 15, "D": 5}
BEFORE = "9f72ecd"  # the commit whose notebooks the rule was calibrated on
MATERIAL = "<!-- table held by tests/test_teaching.py: counted from the notebooks -->"
CUTS = ("<!-- table held by tests/test_teaching.py: each lesson's plan = the rule + these "
        "changes -->")
QUOTES = ("<!-- quotes held by tests/test_teaching.py: each is what the checker says for "
          "that mistake -->")


def teaching() -> str:
    return TEACHING.read_text(encoding="utf-8")


def handout() -> str:
    return HANDOUT.read_text(encoding="utf-8")


def notebook_names() -> list[str]:
    return [p.name for p in NOTEBOOKS]


# ── reading Markdown tables ──────────────────────────────────────────────────────────────

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


def table_after(text: str, marker: str) -> list[list[str]]:
    """The first table after the line `marker`."""
    at = text.index(marker + "\n")
    return tables(text[at:])[0]


def _signed(text: str) -> float:
    return float(text.strip("*").replace("−", "-").replace("+", ""))


# ── the plan ─────────────────────────────────────────────────────────────────────────────

class Row(NamedTuple):
    start: str
    lesson: str
    teach: int
    practise: int
    minutes: int


def plan() -> tuple[list[Row], Row, list[Row]]:
    """The plan's rows: the core (before the total), the total row, and the rows after it."""
    rows = table_after(teaching(), "## The plan")
    header, body = rows[0], rows[1:]
    assert [h.lower() for h in header] == ["start", "lesson", "teach", "practise", "minutes"]
    parsed = [Row(r[0], r[1], *(int(c.strip("*")) for c in r[2:])) for r in body]
    totals = [i for i, r in enumerate(parsed) if "total" in r.lesson.lower()]
    assert len(totals) == 1, "the plan has one total row"
    i = totals[0]
    return parsed[:i], parsed[i], parsed[i + 1:]


def planned_minutes() -> dict[str, int]:
    """Each notebook's minutes in the plan."""
    core, _, after = plan()
    return {n: r.minutes for r in core + after for n in NOTEBOOK.findall(r.lesson)}


def _clock(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def test_the_plan_names_every_notebook_exactly_once() -> None:
    """Each notebooks/NN-*.ipynb has exactly one row in the plan."""
    core, _, after = plan()
    named = Counter(n for r in core + after for n in NOTEBOOK.findall(r.lesson))
    assert sorted(named) == notebook_names()
    assert [n for n, k in named.items() if k > 1] == []


def test_the_pages_name_no_notebook_that_does_not_exist() -> None:
    """Every NN-name.ipynb the teaching page or the handout mentions is a file in notebooks/."""
    named = set(NOTEBOOK.findall(teaching() + handout()))
    assert sorted(named - set(notebook_names())) == []


def test_the_core_fits_three_hours_and_adds_up() -> None:
    """The core rows (the break included) add up to the total the page states, at most 180;
    so do their teaching and practice minutes."""
    core, total, _ = plan()
    assert sum(r.minutes for r in core) == total.minutes <= CORE_LIMIT
    assert sum(r.teach for r in core) == total.teach
    assert sum(r.practise for r in core) == total.practise


def test_each_row_is_its_teaching_and_practice() -> None:
    """Every row but the break: teaching + practice minutes = its minutes."""
    core, _, after = plan()
    wrong = [r.lesson for r in core + after
             if "break" not in r.lesson.lower() and r.teach + r.practise != r.minutes]
    assert wrong == []


def test_the_start_times_follow_the_minutes() -> None:
    """Each core row starts when the one before it ends; the total row at the end."""
    core, total, _ = plan()
    clock = 0
    for r in core:
        assert _clock(r.start) == clock, f"{r.lesson} starts at {r.start}, not {clock} min"
        clock += r.minutes
    assert _clock(total.start) == clock


def test_the_core_has_one_break_between_lessons() -> None:
    """One core row is the break, with lessons before and after it."""
    core, _, _ = plan()
    breaks = [i for i, r in enumerate(core) if "break" in r.lesson.lower()]
    assert len(breaks) == 1
    before = [r for r in core[:breaks[0]] if NOTEBOOK.search(r.lesson)]
    after = [r for r in core[breaks[0] + 1:] if NOTEBOOK.search(r.lesson)]
    assert before and after


def test_the_lessons_beyond_the_core_are_marked_optional() -> None:
    """Rows after the core total say "optional", no core row does, and the core is the
    first lessons in their order."""
    core, _, after = plan()
    assert after and all("optional" in (r.start + r.lesson).lower() for r in after)
    assert not any("optional" in r.lesson.lower() for r in core)
    core_numbers = [int(n[:2]) for r in core for n in NOTEBOOK.findall(r.lesson)]
    later = [int(n[:2]) for r in after for n in NOTEBOOK.findall(r.lesson)]
    assert core_numbers == list(range(1, len(core_numbers) + 1))
    assert all(n > max(core_numbers) for n in later)


def test_the_lessons_minutes_are_what_the_page_says_they_hold() -> None:
    """"Three hours hold N minutes of lessons": N is the core's notebook rows added up."""
    core, _, _ = plan()
    quoted = re.search(r"hold\s+(\d+)\s+minutes\s+of\s+lessons", teaching())
    assert quoted is not None
    assert int(quoted.group(1)) == sum(r.minutes for r in core if NOTEBOOK.search(r.lesson))


SECTION_PARTS = ("**Objectives.**", "**Show live.**", "**Learners do.**",
                 "**Common mistakes.**", "**Step in when.**", "**If running late.**")


def _section(name: str) -> tuple[str, str]:
    """The `###` heading that names notebook `name`, and the section under it."""
    text = teaching()
    heads = [m.start() for m in re.finditer(r"^### ", text, re.M)]
    mine = [i for i in heads if name in text[i:text.index("\n", i)]]
    assert len(mine) == 1, f"one ### heading names {name}"
    later = [i for i in heads if i > mine[0]]
    section = text[mine[0]:(later[0] if later else len(text))]
    return section.splitlines()[0], section


@pytest.mark.parametrize("name", notebook_names())
def test_each_notebook_has_its_section(name: str) -> None:
    """Each notebook has a section with its objectives, what to show live, what the learners
    do, the common mistakes, when to step in and what to cut when late."""
    _, section = _section(name)
    assert [p for p in SECTION_PARTS if p not in section] == []


@pytest.mark.parametrize("name", notebook_names())
def test_each_sections_minutes_are_the_plans(name: str) -> None:
    """A lesson's heading gives the minutes its row in the plan gives."""
    heading, _ = _section(name)
    said = re.search(r"(\d+) minutes", heading)
    assert said is not None, heading
    assert int(said.group(1)) == planned_minutes()[name]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, - for spaces."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", [TEACHING, HANDOUT], ids=lambda p: p.name)
def test_every_link_leads_somewhere(page: Path) -> None:
    """Each relative link of the page names a file or folder of the repository, and each
    #anchor a heading of the page it points into."""
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # an outside address: none is expected, none is checked
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor:
            heads = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.M)
            if anchor not in {_slug(h) for h in heads}:
                broken.append(target)
    assert broken == []


STATUS = "<!-- quotes held by tests/test_teaching.py: each is what a lesson page says -->"


def test_the_status_lines_the_page_quotes_are_the_workshops() -> None:
    """Each status line the troubleshooting table quotes is written by the workshop's pages."""
    sources = "".join(p.read_text(encoding="utf-8") for p in
                      sorted((ROOT / "scalargrad" / "workshop").rglob("*"))
                      if p.suffix in (".py", ".js") and p.is_file())
    rows = table_after(teaching(), STATUS)[1:]
    quotes = [q for r in rows for q in re.findall(r'"([^"]+)"', r[0])]
    assert len(quotes) >= 4
    assert [q for q in quotes if q not in sources] == []


# ── the rule, applied to the notebooks ───────────────────────────────────────────────────

def _check_module() -> ModuleType:
    from exercises import check

    return check


def task_names() -> list[str]:
    """Every exercise the checker knows (Parts A to D), by name."""
    return list(_check_module().TASK_NAMES)


def task_part(name: str) -> str:
    """The workbook part, "A" to "D", of the exercise `name`."""
    check = _check_module()
    parts = getattr(check, "PARTS", None)
    if isinstance(parts, dict) and name in parts:
        return str(parts[name])
    raise KeyError(f"the checker knows no exercise {name!r}")


CHECK_CALL = re.compile(r"""check\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


class Count(NamedTuple):
    shown: int  # code cells that are not exercises
    words: int  # words of prose
    exercises: tuple[str, ...]  # the exercises' names, in order


def count(nb: dict[str, Any]) -> Count:
    """What a notebook holds: demonstration cells, words of prose, checked exercises."""
    shown, words, exercises = 0, 0, []
    for cell in nb["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            words += len(source.split())
        elif cell["cell_type"] == "code":
            called = CHECK_CALL.findall(source)
            if called:
                exercises += called
            else:
                shown += 1
    return Count(shown, words, tuple(exercises))


def counted(name: str) -> Count:
    return count(json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8")))


def by_the_rule(c: Count, part: Callable[[str], str] = task_part) -> float:
    """The page's estimate of the minutes a notebook takes."""
    return (PER_CELL * c.shown + PER_100_WORDS * c.words / 100
            + sum(PER_EXERCISE[part(n)] for n in c.exercises))


def _parts_text(names: tuple[str, ...]) -> str:
    if not names:
        return "–"
    counts = Counter(task_part(n) for n in names)
    return ", ".join(f"{counts[p]} {p}" for p in sorted(counts))


def material_rows() -> list[str]:
    """The estimate's table as it should read, one Markdown row per notebook (the words to
    the nearest ten)."""
    rows = []
    for name in notebook_names():
        c = counted(name)
        rows.append(f"| `{name}` | {c.shown} | {round(c.words, -1)} | "
                    f"{_parts_text(c.exercises)} | {round(by_the_rule(c))} |")
    return rows


def test_the_material_counts_are_the_notebooks() -> None:
    """The estimate's table gives each notebook's own cells shown and exercises by part
    exactly, its words within 5% and the rule's minutes within 1 (on failure, the message
    has the table as it should read)."""
    quoted = {NOTEBOOK.findall(r[0])[0]: r[1:] for r in table_after(teaching(), MATERIAL)[1:]}
    message = "the table should read:\n" + "\n".join(material_rows())
    assert sorted(quoted) == notebook_names(), message
    for name in notebook_names():
        c = counted(name)
        shown, words, exercises, rule = quoted[name]
        assert (int(shown), exercises) == (c.shown, _parts_text(c.exercises)), message
        assert abs(int(words) - c.words) <= max(10, 0.05 * c.words), message
        assert abs(int(rule) - by_the_rule(c)) <= 1, message


def cuts() -> list[tuple[str, str, float]]:
    """(notebook, what changes, minutes) for each row of the page's table of cuts."""
    rows = table_after(teaching(), CUTS)
    assert [h.lower() for h in rows[0]] == ["notebook", "change", "minutes"]
    return [(NOTEBOOK.findall(r[0])[0], r[1], _signed(r[2])) for r in rows[1:]]


@pytest.mark.parametrize("name", notebook_names())
def test_each_lessons_minutes_are_the_rule_with_the_cuts(name: str) -> None:
    """A lesson's minutes in the plan are the rule's, with the changes the page lists for it
    (within a minute: the rule is an estimate, rounded)."""
    changed = sum(m for n, _, m in cuts() if n == name)
    assert abs(planned_minutes()[name] - (by_the_rule(counted(name)) + changed)) <= 1


def test_the_cuts_name_only_real_exercises_of_their_lesson() -> None:
    """An exercise a cut names (in backticks, as `P4`) is asked in that lesson."""
    known = set(task_names())
    wrong = [(n, ex) for n, what, _ in cuts() for ex in re.findall(r"`([^`]+)`", what)
             if ex in known and ex not in counted(n).exercises]
    assert wrong == []


def homework_in_cuts() -> set[str]:
    known = set(task_names())
    return {ex for _, what, _ in cuts() if "homework" in what
            for ex in re.findall(r"`([^`]+)`", what) if ex in known}


WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10}


def test_the_page_counts_the_homework_it_lists() -> None:
    """"N exercises are homework": N is the number of exercises the cuts make homework."""
    quoted = re.search(r"(\w+) exercises are homework", teaching())
    assert quoted is not None
    assert WORDS[quoted.group(1).lower()] == len(homework_in_cuts())


def test_the_core_material_is_as_long_as_the_page_says() -> None:
    """"the core's whole material, 01 to 08, takes N minutes": N is the rule over the core."""
    core, _, _ = plan()
    names = [n for r in core for n in NOTEBOOK.findall(r.lesson)]
    quoted = re.search(r"whole material, 01 to 08, takes (\d+) minutes", teaching())
    assert quoted is not None
    assert abs(int(quoted.group(1)) - sum(by_the_rule(counted(n)) for n in names)) <= 1


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)


def _old_notebooks() -> list[Count]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip(f"needs the git history (the notebooks of commit {BEFORE})")
    listed = _git("ls-tree", "--name-only", BEFORE, "notebooks/")
    if listed.returncode != 0:
        pytest.skip(f"commit {BEFORE} is not in this clone")
    names = sorted(n for n in listed.stdout.split() if n.endswith(".ipynb"))
    return [count(json.loads(_git("show", f"{BEFORE}:{n}").stdout)) for n in names]


def _old_part(name: str) -> str:
    return "B" if re.fullmatch(r"P\d+", name) else "A"  # (before Parts C and D existed)


def test_the_rule_gives_the_quoted_minutes_for_the_old_notebooks() -> None:
    """The rule, applied to the notebooks before the plan, gives the minutes the page quotes
    (the calibration against the 195 to 210 minutes measured)."""
    total = sum(by_the_rule(c, _old_part) for c in _old_notebooks())
    quoted = re.search(r"this\s+rule\s+gives\s+(\d+)\s+minutes", teaching())
    assert quoted is not None
    assert int(quoted.group(1)) == round(total)


def test_the_new_core_is_as_much_longer_as_the_page_says() -> None:
    """"about N minutes more than the old core": the rule over 01-08 now and before."""
    old = _old_notebooks()[:8]
    core, _, _ = plan()
    now = sum(by_the_rule(counted(n)) for r in core for n in NOTEBOOK.findall(r.lesson))
    quoted = re.search(r"about\s+(\d+)\s+minutes\s+more\s+than\s+the\s+old\s+core", teaching())
    assert quoted is not None
    assert abs(int(quoted.group(1)) - (now - sum(by_the_rule(c, _old_part) for c in old))) <= 2


# ── the lessons' numbers the page quotes, from a run ──────────────────────────────────────

def _nudge() -> str:
    from scalargrad import Value

    a, b = Value(2.0), Value(-3.0)
    c = a * b + a.tanh()
    c.backward()
    return f"∂c/∂a ≈ {a.grad:.2f} and ∂c/∂b ≈ {b.grad:g}".replace("-", "−")


def _quotient() -> str:
    import scalargrad as sg

    return f"{sg.forward_difference(lambda z: (1 + (-z).exp()).reciprocal(), 0.0, eps=0.01):.6f}"


def _sum_at_x() -> str:
    import scalargrad as sg
    from scalargrad import Value

    x = Value(0.0, label="x")
    return f"`{sg.explain(Value(2.0) * x + Value(3.0) * x).gradient(x)}`"


def _accumulation() -> str:
    from demos import accumulation

    result = accumulation.run(out=None)  # (prints its story: pytest keeps it)
    return (f"`a` gets 2 + 2 = {result['right']:g}), then the demo with the wrong `=` beside "
            f"the right `+=` (`a` ends with {result['wrong']:g})")


def _network() -> str:
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    model([2.0, -1.0]).backward()
    nonzero = sum(p.grad != 0 for p in model.parameters())
    return f"The MLP of {model.num_parameters()} parameters, of which {nonzero} get a non-zero"


def _moons_parameters() -> str:
    import nn

    return f"train a {nn.MLP(2, [16, 16, 1], seed=0).num_parameters()}-parameter network"


def _deep_chain() -> str:
    from exercises import walk

    deep = [g.title for g in walk.GRAPHS if "deep" in g.title]
    return "a chain " + re.search(r"([\d,]+) ops deep", deep[0]).group(1) + " ops deep"


def _learning_rate() -> str:
    """Lesson 8's one-number descent: lr 0.05 closes in, lr 0.2 runs away."""
    def distance(lr: float) -> float:
        w = 0.0
        for _ in range(6):
            w -= lr * 2 * (w * 3 - 6) * 3
        return abs(w - 2)
    return "set `lr = 0.2` and watch w run away" if distance(0.2) > 2 > distance(0.05) else ""


FACTS: dict[str, Callable[[], str]] = {
    "the nudge of lesson 01": _nudge,
    "lesson 03's first quotient": _quotient,
    "the sum at x in lesson 04": _sum_at_x,
    "the accumulation demo of lesson 05": _accumulation,
    "the network of lesson 06": _network,
    "the moons network of lesson 08": _moons_parameters,
    "the deep chain of Part C": _deep_chain,
    "the learning rates of lesson 08": _learning_rate,
}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_the_lessons_numbers_the_page_quotes_come_from_a_run(fact: str) -> None:
    """The page says what the engine, the demos and the checker compute."""
    said = FACTS[fact]()
    assert said and said in " ".join(teaching().split()), said


# ── the checker's words the page quotes ──────────────────────────────────────────────────

def _op(name: str, forward: Callable[..., float],
        back: Callable[..., tuple[float, ...]]) -> Callable[..., Any]:
    """A learner's op: `back(upstream, *inputs' data, out)` is the closure's return."""
    from scalargrad import Value

    def fn(*xs: Any) -> Any:
        out = forward(*[x.data for x in xs])
        return Value.from_op(out, tuple(xs), op=name,
                             backward=lambda u: back(u, *[x.data for x in xs], out))
    return fn


def _walk(assign: bool = False, seed: bool = True, visited: bool = True,
          reverse: bool = True, recursive: bool = False) -> Callable[[Any], None]:
    """A learner's backward(root), with the bugs asked for."""
    from scalargrad.graph import local_gradients

    def backward(root: Any) -> None:
        order: list[Any] = []
        seen: set[int] = set()
        if recursive:
            def visit(v: Any) -> None:
                if id(v) not in seen:
                    seen.add(id(v))
                    for p in v._prev:
                        visit(p)
                    order.append(v)
            visit(root)
        else:
            stack = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                elif id(node) not in seen or not visited:
                    seen.add(id(node))
                    stack.append((node, True))
                    stack.extend((p, False) for p in node._prev)
        if seed:
            root.grad = 1.0
        for node in (reversed(order) if reverse else order):
            for parent, local in zip(node._prev, local_gradients(node)):
                if assign:
                    parent.grad = node.grad * local
                else:
                    parent.grad += node.grad * local
    return backward


# The doc's mistake (its table's first column) -> (exercise, a learner's wrong answer).
WRONG: dict[str, tuple[str, Callable[[], Any]]] = {
    "the upstream forgotten": ("neg", lambda: _op("neg", lambda x: -x, lambda u, x, o: (-1.0,))),
    "the upstream applied twice": ("exp", lambda: _op("exp", math.exp,
                                                      lambda u, x, o: (u * u * o,))),
    "a sign lost": ("reciprocal", lambda: _op("reciprocal", lambda x: 1 / x,
                                              lambda u, x, o: (u * o * o,))),
    "the factors of `mul` not swapped": ("mul", lambda: _op("mul", lambda a, b: a * b,
                                                            lambda u, a, b, o: (u * a, u * b))),
    "x where the op's output belongs": ("exp", lambda: _op("exp", math.exp,
                                                           lambda u, x, o: (u * x,))),
    "an inner derivative dropped": ("softplus", lambda: _op(
        "softplus", lambda x: math.log1p(math.exp(x)),
        lambda u, x, o: (u / (1 + math.exp(x)),))),
    "the neg's −1 lost": ("P1", lambda: -0.25),
    "one contribution only": ("P2", lambda: 3.0),
    "replaced instead of added": ("P3", lambda: 1.0),
    "a consumer forgotten": ("P4", lambda: -2.0),
    "an off ReLU taken as on": ("P5", lambda: 3.0),
    "`=` instead of `+=`": ("backward", lambda: _walk(assign=True)),
    "the root never seeded": ("backward", lambda: _walk(seed=False)),
    "a node visited twice": ("backward", lambda: _walk(visited=False)),
    "the wrong order": ("backward", lambda: _walk(reverse=False)),
    "a recursive walk": ("backward", lambda: _walk(recursive=True)),
    "the tangents in left out": ("tangent_div", lambda: lambda a, b, da, db: 1 / b - a / b**2),
}


def quoted_mistakes() -> list[tuple[str, str]]:
    """(mistake, the checker's words quoted) for each row of the page's table that quotes."""
    rows = table_after(teaching(), QUOTES)
    assert [h.lower() for h in rows[0]][:3] == ["mistake", "where", "what the checker says"]
    found = []
    for r in rows[1:]:
        said = re.fullmatch(r'"(.+)"', r[2])
        if said:
            found.append((r[0], said.group(1)))
        else:
            assert "not the checker's" in r[2], f"{r[0]}: a quote, or not the checker's"
    return found


def test_every_quoted_mistake_has_a_wrong_answer_here() -> None:
    """Each mistake whose checker words the page quotes has a wrong answer in WRONG."""
    assert [m for m, _ in quoted_mistakes() if m not in WRONG] == []


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_the_checker_says_what_the_page_quotes(mistake: str) -> None:
    """The learner's wrong answer for this mistake FAILs, and the checker's words contain
    the page's quote."""
    quotes = dict(quoted_mistakes())
    assert mistake in quotes, f"the page's table has no row {mistake!r}"
    name, wrong = WRONG[mistake]
    module = ModuleType("learner")
    setattr(module, name, wrong())
    (outcome,) = _check_module().check_module(module, [name])
    assert outcome.status == "fail"
    assert quotes[mistake] in " ".join(outcome.details)


# ── the handout ──────────────────────────────────────────────────────────────────────────

class Listed(NamedTuple):
    name: str
    part: str
    where: str
    when: str


def handout_exercises() -> list[Listed]:
    """One entry per exercise name (in backticks) in the handout's table of exercises."""
    rows = table_after(handout(), "## The exercises")
    assert [h.lower() for h in rows[0]] == ["exercise", "part", "where", "when"]
    return [Listed(name, *r[1:4]) for r in rows[1:]
            for name in re.findall(r"`([^`]+)`", r[0])]


def test_every_exercise_in_the_handout_is_one_the_checker_knows() -> None:
    """Each exercise name in the handout is an exercise of the workbook's Parts A to D."""
    known = set(task_names())
    assert [e.name for e in handout_exercises() if e.name not in known] == []


def test_the_handout_lists_every_exercise_once() -> None:
    """Every exercise the checker knows is in the handout's table, once."""
    listed = Counter(e.name for e in handout_exercises())
    assert sorted(set(task_names()) - set(listed)) == []
    assert [n for n, k in listed.items() if k > 1] == []


def test_the_handout_gives_each_exercises_part() -> None:
    """The part column is the exercise's workbook part (A to D)."""
    assert [(e.name, e.part) for e in handout_exercises() if e.part != task_part(e.name)] == []


def test_each_exercise_is_in_the_lesson_the_handout_names() -> None:
    """The lesson the handout gives for an exercise asks it (an exercise cell checking it)."""
    by_number = {name[:2]: name for name in notebook_names()}
    wrong = [(e.name, e.where) for e in handout_exercises()
             if e.where not in by_number or e.name not in counted(by_number[e.where]).exercises]
    assert wrong == []


def test_the_handout_and_the_plan_agree_on_the_homework() -> None:
    """The exercises the handout marks "at home" are those the page's cuts make homework."""
    at_home = {e.name for e in handout_exercises() if e.when == "at home"}
    assert at_home == homework_in_cuts()


def test_the_handout_marks_the_optional_lessons_exercises_optional() -> None:
    """An exercise asked in a lesson beyond the core is marked optional in the handout."""
    _, _, after = plan()
    optional = {n[:2] for r in after for n in NOTEBOOK.findall(r.lesson)}
    wrong = [e.name for e in handout_exercises()
             if (e.where in optional) != (e.when == "optional")]
    assert wrong == []


NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:/\d+)?")


def _numbers(text: str) -> list[float]:
    """The numbers written in `text` (fractions too), leaving out lesson numbers like 04."""
    out = []
    for token in NUMBER.findall(text):
        token = token.replace("−", "-")
        if re.fullmatch(r"-?0\d", token):
            continue  # a lesson's number
        top, _, bottom = token.partition("/")
        out.append(float(top) / float(bottom) if bottom else float(top))
    return out


def test_the_handout_gives_no_predicted_number_next_to_its_exercise() -> None:
    """No line of the handout that names a prediction exercise holds its reference answer."""
    check = _check_module()
    solutions = check.load(check.SOLUTIONS)
    lines = handout().splitlines()
    leaks = []
    for name in task_names():
        answer = getattr(solutions, name, None)
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            continue
        for line in lines:
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", line) and any(
                    math.isclose(x, answer, abs_tol=1e-9) for x in _numbers(line)):
                leaks.append((name, line))
    assert leaks == []


def _returns(source: str, function: str) -> list[str]:
    """The tuples the reference `function`'s closures return, as source text."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [ast.unparse(n.value) for n in ast.walk(node)
                    if isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple)]
    return []


def test_the_handout_gives_no_reference_closure() -> None:
    """No reference closure's return value is written in the handout."""
    source = (ROOT / "exercises" / "solutions.py").read_text(encoding="utf-8")
    text = re.sub(r"\s+", "", handout())
    leaks = [expr for name in task_names() for expr in _returns(source, name)
             if re.sub(r"\s+", "", expr) in text]
    assert leaks == []


def test_the_handouts_commands_are_the_checkers() -> None:
    """Every `python -m exercises` line of the handout parses with the checker's options."""
    check = _check_module()
    for line in re.findall(r"^python -m exercises(.*?)(?:\s+#.*)?$", handout(), re.M):
        # the options parse (argparse would exit), then main() stops at the missing file
        missing = str(ROOT / "no-such-file.py")
        assert check.main([*line.split(), "--file", missing], file=_Sink()) == 2, line


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


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
    body = markdown_it.MarkdownIt("commonmark").enable("table").render(handout())
    return ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Handout</title>"
            f"<style>{PRINT_CSS}</style><body>{body}</body></html>")


def test_the_handout_prints_on_two_pages(tmp_path: Path) -> None:
    """Printed on A4 in Chromium at 10 pt, the handout fills at most two pages."""
    from browser import close, open_chromium

    page = tmp_path / "handout.html"
    page.write_text(handout_html(), encoding="utf-8")
    driver = open_chromium()
    try:
        from selenium.webdriver.common.print_page_options import PrintOptions

        driver.get(page.as_uri())
        options = PrintOptions()
        options.page_width, options.page_height = 21.0, 29.7
        pdf = base64.b64decode(driver.print_page(options))
    finally:
        close(driver)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 2, f"the handout prints on {pages} pages"
