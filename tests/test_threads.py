"""Grad mode and anomaly mode are per thread, as in PyTorch: a block in one thread never
changes what another thread records or checks, overlapping blocks never leak a mode, and a new
thread starts with recording on and anomaly detection off.

Blocks are made to overlap deterministically with barriers; the training reference is the
same training run alone, in one thread."""

from __future__ import annotations

import math
import random
import threading
from typing import Any, Callable

import nn
import scalargrad as sg
from scalargrad import Value


def run_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread; re-raise the first error any of them raised."""
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 (handed back to the test)
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]


def test_a_new_thread_starts_recording_with_anomaly_off() -> None:
    """Inside no_grad() and detect_anomaly() here, a new thread still records and does not
    check."""
    seen: dict[str, Any] = {}

    def other() -> None:
        x = Value(2.0)
        y = Value(1e300) * 1e300  # would raise if anomaly mode leaked in
        seen.update(grad=sg.is_grad_enabled(), anomaly=sg.is_anomaly_enabled(),
                    parents=len((x * 3.0)._prev), inf=y.data)

    with sg.no_grad(), sg.detect_anomaly():
        run_threads(other)
        assert not sg.is_grad_enabled() and sg.is_anomaly_enabled()
    assert seen == {"grad": True, "anomaly": False, "parents": 2, "inf": math.inf}


def test_overlapping_no_grad_blocks_in_two_threads_do_not_leak() -> None:
    """A enters no_grad, B enters, A leaves, B leaves (the order that left recording off for
    good when the mode was a process global): each thread sees only its own block, and
    recording is on everywhere afterwards."""
    barrier = threading.Barrier(2, timeout=30)
    seen: dict[str, list[bool]] = {"A": [], "B": []}

    def a() -> None:
        with sg.no_grad():
            barrier.wait()  # 1: both inside
            seen["A"].append(sg.is_grad_enabled())
            barrier.wait()  # 2
        seen["A"].append(sg.is_grad_enabled())
        barrier.wait()  # 3: A out, B still in
        seen["A"].append(len((Value(1.0) * 2.0)._prev) == 2)
        barrier.wait()  # 4

    def b_inside() -> None:
        barrier.wait()  # 1 (a is inside)
        with sg.no_grad():
            barrier.wait()  # 2
            barrier.wait()  # 3 (a has left)
            seen["B"].append(sg.is_grad_enabled())
            seen["B"].append((Value(1.0) * 2.0)._prev == ())
        barrier.wait()  # 4
        seen["B"].append(sg.is_grad_enabled())

    run_threads(a, b_inside)
    assert seen["A"] == [False, True, True]
    assert seen["B"] == [False, True, True]
    assert sg.is_grad_enabled() and sg.node._open_mode_blocks == 0


def test_detect_anomaly_in_one_thread_never_raises_in_another() -> None:
    """While A is inside detect_anomaly(), B makes an inf without an error; A's check still
    fires in A; both end with the mode off."""
    barrier = threading.Barrier(2, timeout=30)
    seen: dict[str, Any] = {}

    def a() -> None:
        with sg.detect_anomaly():
            barrier.wait()  # 1: A inside
            barrier.wait()  # 2: B has made its inf
            try:
                Value(1e300) * 1e300
            except sg.AnomalyError:
                seen["A raised"] = True
        seen["A after"] = sg.is_anomaly_enabled()

    def b() -> None:
        barrier.wait()  # 1
        seen["B inf"] = (Value(1e300) * 1e300).data
        seen["B mode"] = sg.is_anomaly_enabled()
        barrier.wait()  # 2

    run_threads(a, b)
    assert seen == {"A raised": True, "A after": False, "B inf": math.inf, "B mode": False}
    assert not sg.is_anomaly_enabled()


def test_many_threads_predicting_leave_recording_on() -> None:
    """Four threads each calling nn.predict (a no_grad block) 200 times: afterwards every
    thread, this one included, records again."""
    model = nn.MLP(2, [4, 1])
    X = [[0.1 * i, -0.2 * i] for i in range(5)]

    def predict() -> None:
        for _ in range(200):
            nn.predict(model, X)

    run_threads(*[predict] * 4)
    assert sg.is_grad_enabled() and sg.node._open_mode_blocks == 0
    assert len((Value(1.0) * 2.0)._prev) == 2


def _train(model: nn.MLP, X: list[list[float]], y: list[float], steps: int) -> list[list[float]]:
    """`steps` plain SGD steps on the MSE; every parameter gradient of every step."""
    grads = []
    params = model.parameters()
    for _ in range(steps):
        loss = nn.mse_loss([model(x) for x in X], y)
        model.zero_grad()
        loss.backward()
        grads.append([p.grad for p in params])
        for p in params:
            p.data -= 0.05 * p.grad
    return grads


def test_training_beside_an_evaluating_thread_gets_the_gradients_it_gets_alone() -> None:
    """A training thread and a thread evaluating under no_grad() in a loop: every gradient of
    every training step equals the same training run alone (no zeros, no mixing)."""
    rng = random.Random(7)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(16)]
    y = [math.sin(a) + b for a, b in X]

    def fresh_model() -> nn.MLP:
        random.seed(3)
        return nn.MLP(2, [8, 8, 1], activation="tanh")

    alone = _train(fresh_model(), X, y, 25)
    assert all(any(g != 0.0 for g in step) for step in alone)

    model = fresh_model()
    other = fresh_model()
    done = threading.Event()
    together: list[list[list[float]]] = []
    evaluations = [0]

    def train() -> None:
        try:
            together.append(_train(model, X, y, 25))
        finally:
            done.set()

    def evaluate() -> None:
        while not done.is_set():
            nn.predict(other, X)
            evaluations[0] += 1

    run_threads(train, evaluate)
    assert evaluations[0] > 0
    assert together[0] == alone


def test_overlapping_anomaly_blocks_in_two_threads_do_not_leak() -> None:
    """A enters detect_anomaly, B enters, A leaves, B leaves: each thread is checked only
    inside its own block, and afterwards nobody checks (an inf is made without an error)."""
    barrier = threading.Barrier(2, timeout=30)
    seen: dict[str, list[Any]] = {"A": [], "B": []}

    def raises() -> bool:
        try:
            Value(1e300) * 1e300
        except sg.AnomalyError:
            return True
        return False

    def a() -> None:
        with sg.detect_anomaly():
            barrier.wait()  # 1: A inside
            barrier.wait()  # 2: B inside
            seen["A"].append(raises())
        barrier.wait()  # 3: A out, B still in
        seen["A"].append(raises())
        barrier.wait()  # 4: B out

    def b() -> None:
        barrier.wait()  # 1
        with sg.detect_anomaly():
            barrier.wait()  # 2
            barrier.wait()  # 3
            seen["B"].append(raises())
        barrier.wait()  # 4
        seen["B"].append(raises())

    run_threads(a, b)
    assert seen == {"A": [True, False], "B": [True, False]}
    assert not sg.is_anomaly_enabled() and not raises()
    assert sg.node._open_mode_blocks == 0


def test_fit_beside_evaluate_in_another_thread_matches_fit_alone() -> None:
    """nn.fit in one thread while another thread runs nn.evaluate in a loop: the same losses
    and final weights as the same fit alone."""
    rng = random.Random(11)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(20)]
    y = [1 if a * b > 0 else -1 for a, b in X]

    def run_fit() -> tuple[list[float], list[float]]:
        model = nn.MLP(2, [8, 1], seed=5)
        history = nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=0.05),
                         steps=15, progress=False)
        return history.loss, [p.data for p in model.parameters()]

    alone = run_fit()
    other = nn.MLP(2, [8, 1], seed=6)
    done = threading.Event()
    together: list[Any] = []

    def train() -> None:
        try:
            together.append(run_fit())
        finally:
            done.set()

    def evaluate() -> None:
        while not done.is_set():
            nn.evaluate(other, X, y)

    run_threads(train, evaluate)
    assert together[0] == alone
