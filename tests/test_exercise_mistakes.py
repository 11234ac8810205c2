"""A catalogue of wrong learner solutions: each must FAIL with its mistake named.

Each entry is written the way a learner gets it wrong (the wrong closure, the wrong number,
the wrong walk), and the test asserts the words the checker uses for that mistake, so a
checker that only said "wrong" would fail here.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest

from exercises.check import check
from scalargrad import Value
from scalargrad.graph import local_gradients


def op1(forward: Callable[[float], float],
        back: Callable[[float, float, float], Any]) -> Callable[[Value], Value]:
    """A one-input op whose closure is `back(upstream, x, out)`."""
    def fn(x: Value) -> Value:
        out = forward(x.data)
        return Value.from_op(out, (x,), op="mine", backward=lambda u: back(u, x.data, out))
    return fn


def op2(forward: Callable[[float, float], float],
        back: Callable[[float, float, float, float], Any]) -> Callable[[Value, Value], Value]:
    """A two-input op whose closure is `back(upstream, a, b, out)`."""
    def fn(a: Value, b: Value) -> Value:
        out = forward(a.data, b.data)
        return Value.from_op(out, (a, b), op="mine",
                             backward=lambda u: back(u, a.data, b.data, out))
    return fn


def neg(back: Callable[[float, float, float], Any]) -> Callable[[Value], Value]:
    return op1(lambda x: -x, back)


def mul(back: Callable[[float, float, float, float], Any]) -> Callable[..., Value]:
    return op2(lambda a, b: a * b, back)


def div(back: Callable[[float, float, float, float], Any]) -> Callable[..., Value]:
    return op2(lambda a, b: a / b, back)


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def sigmoid(back: Callable[[float, float, float], Any]) -> Callable[[Value], Value]:
    return op1(sig, back)


def softplus(back: Callable[[float, float, float], Any]) -> Callable[[Value], Value]:
    return op1(lambda x: math.log1p(math.exp(x)), back)


PART_A = [
    ("neg", neg(lambda u, x, o: (-1.0,)), ["the upstream is forgotten"]),
    ("neg", neg(lambda u, x, o: (-u * u,)), ["the upstream is applied twice"]),
    ("neg", neg(lambda u, x, o: (u,)), ["the sign is lost"]),
    ("neg", neg(lambda u, x, o: (u - 1.0,)), ["the upstream is added"]),
    ("neg", neg(lambda u, x, o: -u), ["not a tuple", "the number itself is right"]),
    ("neg", neg(lambda u, x, o: (-u, 0.0)), ["returns 2 downstreams but neg has 1 input"]),
    ("neg", neg(lambda u, x, o: None), ["your _backward returns NoneType"]),
    ("mul", mul(lambda u, a, b, o: (b, a)), ["the upstream is forgotten"]),
    ("mul", mul(lambda u, a, b, o: (u * a, u * b)), ["the factors are not swapped"]),
    ("mul", mul(lambda u, a, b, o: (a, b)), ["the factors are not swapped",
                                             "the upstream is forgotten"]),
    ("mul", mul(lambda u, a, b, o: (u, u)), ["the local gradient of a sum (1) used"]),
    ("mul", mul(lambda u, a, b, o: (u * b,)), ["returns 1 downstream but mul has 2 inputs"]),
    ("mul", mul(lambda u, a, b, o: (u * b, a)), ["for b: the upstream is forgotten",
                                                 "a's downstream is right"]),
    ("mul", mul(lambda u, a, b, o: u * b), ["not a tuple"]),
    ("exp", op1(math.exp, lambda u, x, o: (u * x,)), ["x used where the op's output eˣ"]),
    ("exp", op1(math.exp, lambda u, x, o: (o,)), ["the upstream is forgotten"]),
    ("exp", op1(math.exp, lambda u, x, o: (u * x * math.exp(x - 1),)), ["the power rule"]),
    ("exp", op1(math.exp, lambda u, x, o: (u * 2.0,)),
     ["upstream × local gradient is", "your _backward sends"]),
    ("reciprocal", op1(lambda x: 1 / x, lambda u, x, o: (-u / x,)),
     ["−1/x used instead of −1/x²"]),
    ("reciprocal", op1(lambda x: 1 / x, lambda u, x, o: (u / x ** 2,)), ["the sign is lost"]),
    ("reciprocal", op1(lambda x: 1 / x, lambda u, x, o: (-1 / x ** 2,)),
     ["the upstream is forgotten"]),
    ("reciprocal", op1(lambda x: 1 / x, lambda u, x, o: (u * o,)),
     ["1/x, the op's output, used as its local gradient"]),
    ("div", div(lambda u, a, b, o: (u / b, -u / b ** 2)), ["the a is missing"]),
    ("div", div(lambda u, a, b, o: (-u * a / b ** 2, u / b)),
     ["the order of the two downstreams is swapped"]),
    ("div", div(lambda u, a, b, o: (u / b, u * a / b ** 2)), ["for b: the sign is lost"]),
    ("div", div(lambda u, a, b, o: (u / b, -u * a / b)), ["the square of b dropped"]),
    ("div", div(lambda u, a, b, o: (1 / b, -a / b ** 2)), ["the upstream is forgotten"]),
    ("div", div(lambda u, a, b, o: (u / b, 0.0)), ["for b: no downstream",
                                                   "a's downstream is right"]),
    ("sigmoid", sigmoid(lambda u, x, o: (u * x * (1 - x),)),
     ["x used where the op's output σ(x) belongs"]),
    ("sigmoid", sigmoid(lambda u, x, o: (u * u * o * (1 - o),)),
     ["the upstream is applied twice"]),
    ("sigmoid", sigmoid(lambda u, x, o: (u * o,)), ["the factor (1 − σ(x)) is dropped"]),
    ("sigmoid", sigmoid(lambda u, x, o: (o * (1 - o),)), ["the upstream is forgotten"]),
    ("tanh", op1(math.tanh, lambda u, x, o: (u * (1 - x * x),)),
     ["x used where the op's output tanh x belongs"]),
    ("tanh", op1(math.tanh, lambda u, x, o: (u * (1 - o),)), ["the square is dropped"]),
    ("tanh", op1(math.tanh, lambda u, x, o: (1 - o * o,)), ["the upstream is forgotten"]),
    ("tanh", op1(math.tanh, lambda u, x, o: (-u * (1 - o * o),)), ["the sign is lost"]),
    ("softplus", softplus(lambda u, x, o: (u / (1 + math.exp(x)),)),
     ["an inner derivative dropped"]),
    ("softplus", softplus(lambda u, x, o: (u * math.exp(x),)), ["only the inner derivative"]),
    ("softplus", softplus(lambda u, x, o: (sig(x),)), ["the upstream is forgotten"]),
]


@pytest.mark.parametrize("name, fn, words", PART_A,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PART_A)])
def test_a_wrong_closure_fails_with_its_mistake_named(name: str, fn: Any,
                                                      words: list[str]) -> None:
    """Each classic wrong `_backward` is a FAIL whose text names the mistake."""
    report = check(name, fn)
    text = str(report)
    assert report[name].status == "fail", text
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"


PART_B = [
    ("P1", -0.25, "the neg's −1 is lost"),
    ("P1", 0.5, "a value, not a gradient"),
    ("P1", 4, "reciprocal's local gradient taken as −s²"),
    ("P2", 3, "only one contribution"),
    ("P2", 2, "only one contribution"),
    ("P2", 6, "multiplied"),
    ("P3", 1, "each use replaced the gradient instead of adding to it"),
    ("P3", 2, "one level accumulated"),
    ("P3", 12, "c's value"),
    ("P4", -2, "the sum's contribution is forgotten"),
    ("P4", 1, "the product's contribution is forgotten"),
    ("P4", 3, "the other input's gradient"),
    ("P5", 3, "the ReLU is treated as on"),
    ("P5", -5, "the pre-activation"),
    ("P5", 1, "when it is on"),
    ("P6", 2, "b = −1 is not multiplied in"),
    ("P6", 4, "× a (2) where a's local gradient in a·b is b"),
    ("P6", -4, "× both b and a"),
    ("P6", -1, "the square's 2 is dropped"),
    ("P7", 1, "u's two uses are not added"),
    ("P7", 0, "e⁰ = 1"),
    ("P8", 2, "σ′ is forgotten"),
    ("P8", 0.25, "σ′(0) alone"),
    ("P8", -0.75, "× w1 (−3)"),
    ("P8", 1, "σ(0) = 0.5 used where σ′(0) = 0.25 belongs"),
    ("D1", 2, "the gradient's components are added without the direction"),
    ("D1", -1, "only the direction's x component"),
    ("D1", 6, "only the direction's y component"),
    ("D1", math.sqrt(5), "normalised"),
    ("D1", [-1.0, 3.0], "that is the gradient"),
    ("D2", 2, "the tangent out is df/dx × ẋ"),
    ("D2", 3, "only one use of u"),
]


@pytest.mark.parametrize("name, answer, words", PART_B,
                         ids=[f"{n}={a}" for n, a, _ in PART_B])
def test_a_classic_wrong_number_fails_with_its_mistake_named(name: str, answer: Any,
                                                             words: str) -> None:
    """Each classic wrong prediction is a FAIL that names the mistake, not the answer."""
    report = check(name, answer)
    assert report[name].status == "fail"
    assert words in report[name].diagnosis, str(report)
    assert "the answer is" not in str(report)


def test_an_unknown_wrong_number_gets_a_first_hint_only() -> None:
    """A wrong number the checker does not know: FAIL, the first hint, and how to ask more."""
    text = str(check("P3", 7))
    assert "not a mistake the checker knows" in text
    assert "hint 1 of 3:" in text and "hint 2 of 3" not in text
    assert "check('P3', P3, hint=2)" in text


# ── Part C: the learner's own backward ────────────────────────────────────────────────


def topo_iterative(root: Value, visited_set: bool = True) -> list[Value]:
    order: list[Value] = []
    visited: set[Value] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if visited_set and node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._prev:
            stack.append((parent, False))
    return order


def topo_recursive(root: Value) -> list[Value]:
    order: list[Value] = []
    visited: set[Value] = set()

    def build(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for p in v._prev:
                build(p)
            order.append(v)

    build(root)
    return order


def walk(order: list[Value], root: Value, assign: bool = False, seed: bool = True,
         upstream: bool = True) -> None:
    if seed:
        root.grad = 1.0
    for node in order:
        for parent, local in zip(node._prev, local_gradients(node)):
            down = node.grad * local if upstream else local
            if assign:
                parent.grad = down
            else:
                parent.grad += down


def assign_bug(root: Value) -> None:
    walk(topo_iterative(root)[::-1], root, assign=True)


def no_seed(root: Value) -> None:
    walk(topo_iterative(root)[::-1], root, seed=False)


def no_upstream(root: Value) -> None:
    walk(topo_iterative(root)[::-1], root, upstream=False)


def leaves_first(root: Value) -> None:
    walk(topo_iterative(root), root)


def visited_twice(root: Value) -> None:
    walk(topo_iterative(root, visited_set=False)[::-1], root)


def breadth_first(root: Value) -> None:
    order, seen, i = [root], {root}, 0
    while i < len(order):
        for p in order[i]._prev:
            if p not in seen:
                seen.add(p)
                order.append(p)
        i += 1
    walk(order, root)


def pre_order(root: Value) -> None:
    order, stack, seen = [], [root], set()
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            order.append(v)
            stack.extend(v._prev)
    walk(order, root)


def pre_order_first_parent_first(root: Value) -> None:
    order, stack, seen = [], [root], set()
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            order.append(v)
            stack.extend(reversed(v._prev))
    walk(order, root)


def no_local(root: Value) -> None:
    order = topo_iterative(root)[::-1]
    root.grad = 1.0
    for node in order:
        for parent in node._prev:
            parent.grad += node.grad


def late_seed(root: Value) -> None:
    walk(topo_iterative(root)[::-1], root, seed=False)
    root.grad = 1.0


def stale(root: Value) -> None:
    order = topo_iterative(root)
    for node in order:
        node.grad = 1.0
    walk(order[::-1], root)


def recursive(root: Value) -> None:
    walk(topo_recursive(root)[::-1], root)


def engines(root: Value) -> None:
    root.backward()


PART_C = [
    (assign_bug, "fail", ["`=` instead of `+=`", "a.grad is 1.0, it should be 4.0"]),
    (no_seed, "fail", ["the root is never seeded"]),
    (no_upstream, "fail", ["the upstream is forgotten"]),
    (leaves_first, "fail", ["not in topological order", "from the leaves up"]),
    (breadth_first, "fail", ["not in topological order", "a breadth-first walk"]),
    (visited_twice, "fail", ["a node visited more than once"]),
    (pre_order, "fail", ["not in topological order", "before its parents"]),
    (pre_order_first_parent_first, "fail", ["not in topological order", "before its parents"]),
    (no_local, "fail", ["the local gradient is left out"]),
    (late_seed, "fail", ["the root is seeded after the walk"]),
    (stale, "fail", ["grads did not start from zero"]),
    (recursive, "fail", ["RecursionError on a chain 5,000 ops deep", "explicit stack",
                         "right on a value used twice; a diamond both ways; the sigmoid chain"]),
    (engines, "error", ["called the engine's root.backward()"]),
]


@pytest.mark.parametrize("fn, status, words", PART_C, ids=[f.__name__ for f, _, _ in PART_C])
def test_a_wrong_backward_is_told_which_classic_bug_it_has(fn: Any, status: str,
                                                           words: list[str]) -> None:
    """Each classic bug of a hand-written backward() is named."""
    report = check("backward", fn)
    text = str(report)
    assert report["backward"].status == status, text
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"


def test_the_checker_zeroes_the_grads_before_the_learners_backward() -> None:
    """A right walk that assumes fresh zero grads (as micrograd's does) passes."""
    def right(root: Value) -> None:
        walk(topo_iterative(root)[::-1], root)

    assert check("backward", right).passed


# ── Part D: the tangent rule ──────────────────────────────────────────────────────────

PART_D = [
    (lambda a, b, da, db: da / b, "b's term is dropped"),
    (lambda a, b, da, db: -a * db / b ** 2, "a's term is dropped"),
    (lambda a, b, da, db: da / b + a * db / b ** 2, "the sign of b's term is lost"),
    (lambda a, b, da, db: da / b - a * db / b, "the b² is forgotten"),
    (lambda a, b, da, db: da / b - db / b ** 2, "the a is missing"),
    (lambda a, b, da, db: 1 / b - a / b ** 2, "the tangents in are left out"),
    (lambda a, b, da, db: (b * da - a * db) * -1 / b ** 2, "the whole sign is flipped"),
    (lambda a, b, da, db: (da / b, -a * db / b ** 2), "ONE tangent out"),
]


@pytest.mark.parametrize("fn, words", PART_D, ids=[w.split()[1] for _, w in PART_D])
def test_a_wrong_tangent_rule_fails_with_its_mistake_named(fn: Any, words: str) -> None:
    """Each classic wrong tangent rule for a/b is named."""
    report = check("tangent_div", fn)
    assert report["tangent_div"].status == "fail"
    assert words in str(report), str(report)


# ── the chained sigmoid ───────────────────────────────────────────────────────────────


def test_the_chained_line_says_the_value_when_it_is_not_a_quarter() -> None:
    """With a wrong neg among the three, no ✓ line: the chained value and that it should be
    0.25."""
    from exercises import solutions
    from exercises.check import build_report, check_module

    class Mine:
        exp = solutions.exp
        reciprocal = solutions.reciprocal
        neg = staticmethod(neg(lambda u, x, o: (u,)))

    text = str(build_report(check_module(Mine, ["neg", "exp", "reciprocal"]), Mine))
    assert "✓ Your neg" not in text
    assert "give dy/dz = -0.25 at z = 0; it should be 0.25" in text


def test_the_chained_line_comes_in_a_notebook_once_all_three_were_checked() -> None:
    """check() remembers the notebook's neg, exp and reciprocal: after the third, the ✓."""
    from exercises import solutions

    check("neg", solutions.neg)
    check("exp", solutions.exp)
    assert "✓ Your neg, exp and reciprocal chained" in str(check("reciprocal",
                                                                 solutions.reciprocal))
