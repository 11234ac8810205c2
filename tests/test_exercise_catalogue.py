"""The checker's own tables hold: each op's true local gradient agrees with finite
differences, and each catalogued mistake can be told apart from the right answer and from
every other mistake (else a diagnosis could name the wrong one)."""

from __future__ import annotations

import itertools
import math

import pytest

from exercises import local, predict, tangent, walk
from exercises.local_tasks import LOCAL_TASKS, LocalTask
from exercises.predict_tasks import DIRECTION_TASKS, PREDICT_TASKS


@pytest.mark.parametrize("task", LOCAL_TASKS, ids=lambda t: t.name)
def test_each_local_gradient_agrees_with_finite_differences(task: LocalTask) -> None:
    """The formula the checker trusts is the forward's central difference at every point."""
    for point in task.points:
        for i, g in enumerate(task.local(*point)):
            h = 1e-6
            up, down = list(point), list(point)
            up[i] += h
            down[i] -= h
            numeric = (task.forward(*up) - task.forward(*down)) / (2 * h)
            assert math.isclose(g, numeric, rel_tol=1e-6, abs_tol=1e-8), (task.name, point)


@pytest.mark.parametrize("task", LOCAL_TASKS, ids=lambda t: t.name)
def test_each_ops_wrong_local_gradients_differ_from_the_right_one(task: LocalTask) -> None:
    """Every wrong variant of an op, with the upstream used right, differs from the truth at
    some point, and the upstream modes differ from each other at some upstream."""
    for v in task.variants:
        assert any(not math.isclose(v.local(*p), task.local(*p)[v.which], rel_tol=1e-6)
                   for p in task.points), (task.name, v.key)
    for (_, _, m1), (_, _, m2) in itertools.combinations(local.MODES, 2):
        assert any(not math.isclose(m1(u, 0.7), m2(u, 0.7)) for u in local.UPSTREAMS)


@pytest.mark.parametrize("task", PREDICT_TASKS + DIRECTION_TASKS, ids=lambda t: t.name)
def test_each_catalogued_wrong_number_is_wrong_and_unique(task) -> None:
    """No catalogued wrong number is within the pass tolerance of the answer or of another."""
    truth = predict.true_gradient(task)
    numbers = [w for w, _ in task.wrongs]
    for w in numbers:
        assert not math.isclose(w, truth, rel_tol=1e-3, abs_tol=1e-3), (task.name, w)
    for a, b in itertools.combinations(numbers, 2):
        assert not math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-3), (task.name, a, b)


def test_the_tangent_rules_mistakes_are_told_apart() -> None:
    """Each wrong tangent rule differs from the truth and from each other at some point."""
    rules = [rule for _, rule in tangent.MISTAKES]
    for rule in rules:
        assert any(not math.isclose(rule(*p), tangent.truth(*p), rel_tol=1e-5)
                   for p in tangent.POINTS)
    for r1, r2 in itertools.combinations(rules, 2):
        assert any(not math.isclose(r1(*p), r2(*p), rel_tol=1e-5) for p in tangent.POINTS)


def test_each_backward_bug_shows_on_some_graph() -> None:
    """Each simulated bug of a hand-written walk gives a wrong grad on one of the graphs."""
    for says, knobs in walk.BUGS:
        wrong = False
        for graph in walk.GRAPHS:
            if not graph.small:
                continue
            root, _ = graph.make()
            right, bug = walk.simulate(root), walk.simulate(root, **knobs)
            wrong |= any(not math.isclose(right[n], bug[n], abs_tol=1e-12) for n in right)
        assert wrong, says


def test_the_simulated_walk_agrees_with_finite_differences() -> None:
    """The right simulation on every small graph matches central differences at the leaves."""
    for graph in walk.GRAPHS:
        if not graph.small:
            continue
        root, leaves = graph.make()
        grads = walk.simulate(root)
        for i, leaf in enumerate(leaves):
            xs = list(graph.at)
            h = 1e-6
            up = graph.build(*[walk.Value(x + (h if j == i else 0)) for j, x in enumerate(xs)])
            down = graph.build(*[walk.Value(x - (h if j == i else 0)) for j, x in enumerate(xs)])
            assert math.isclose(grads[leaf], (up.data - down.data) / (2 * h), rel_tol=1e-6)


def test_the_backward_graphs_truth_agrees_with_pytorch() -> None:
    """The grads a right walk gives on the small graphs are PyTorch's (float64)."""
    torch = pytest.importorskip("torch")
    expected = {}
    a = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    b = a + a
    (b + b).backward()
    expected["a"] = a.grad.item()
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    e, g = x.exp(), x * x
    ((e + e * 3.0) + (g * 2.0 + g)).backward()
    expected["x"] = x.grad.item()
    z = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (1.0 / (1.0 + (-z).exp())).backward()
    expected["z"] = z.grad.item()
    for graph in walk.GRAPHS:
        if graph.small:
            root, leaves = graph.make()
            grads = walk.simulate(root)
            assert math.isclose(grads[leaves[0]], expected[graph.names[0]], rel_tol=1e-12)


def test_the_exercise_modules_are_small_and_the_engine_never_imports_them() -> None:
    """Each exercises module is at most 400 lines; scalargrad imports nothing of exercises."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in (root / "exercises").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name
    for path in (root / "scalargrad").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import exercises" not in text and "from exercises" not in text, path
