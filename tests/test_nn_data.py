"""Datasets made in code: shapes, labels, seeding, geometry; train/test split; bad arguments."""

from __future__ import annotations

import math
import random

import pytest

import nn

TWO_CLASS = [nn.moons, nn.circles, nn.xor]


@pytest.mark.parametrize("make", TWO_CLASS)
def test_two_class_sets_shape_labels_and_signed(make):
    X, y = make(51, seed=3)
    assert len(X) == len(y) == 51
    assert all(isinstance(x, list) and len(x) == 2 for x in X)
    assert all(isinstance(c, float) for x in X for c in x)
    assert set(y) == {0, 1}
    Xs, ys = make(51, seed=3, signed=True)
    assert Xs == X and ys == [2 * label - 1 for label in y]


@pytest.mark.parametrize("make", [nn.moons, nn.circles, nn.xor, nn.spiral, nn.blobs,
                                  nn.regression_1d])
def test_seeded_and_reproducible(make):
    assert make(30, seed=1) == make(30, seed=1)
    assert make(30, seed=1) != make(30, seed=2)
    assert make(30, seed=random.Random(4)) == make(30, seed=4)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = nn.moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert y.count(0) == y.count(1) == 20


def test_circles_radii():
    X, y = nn.circles(40, noise=0.0, factor=0.3, seed=0)
    radii = {label: {round(math.hypot(*x), 12) for x, lab in zip(X, y) if lab == label}
             for label in (0, 1)}
    assert radii == {0: {1.0}, 1: {0.3}}


def test_xor_labels_follow_the_signs():
    X, y = nn.xor(200, seed=0)
    assert all(label == (1 if a * b < 0 else 0) for (a, b), label in zip(X, y))
    assert all(-1.0 <= c <= 1.0 for x in X for c in x)


def test_spiral_classes_and_radius():
    X, y = nn.spiral(100, classes=4, noise=0.0, seed=0)
    assert [y.count(k) for k in range(4)] == [25, 25, 25, 25]
    assert max(math.hypot(*x) for x in X) == pytest.approx(1.0)
    assert min(math.hypot(*x) for x in X) > 0.0  # no point on the shared origin


def test_blobs_centers_and_counts():
    X, y = nn.blobs(90, centers=[[5.0, 5.0], [-5.0, 0.0]], std=0.0, seed=0)
    assert y.count(0) == 45 and y.count(1) == 45
    assert {tuple(x) for x, label in zip(X, y) if label == 0} == {(5.0, 5.0)}
    X3, y3 = nn.blobs(30, centers=3, seed=0)
    assert set(y3) == {0, 1, 2}


def test_regression_1d_inputs_are_one_element_lists():
    X, y = nn.regression_1d(11, noise=0.0, low=-1.0, high=1.0, fn=lambda x: 3 * x)
    assert X[0] == [-1.0] and X[-1] == [1.0]
    assert y == pytest.approx([3 * x[0] for x in X])


def test_train_test_split_partitions():
    X, y = nn.moons(40, seed=0)
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert len(X_test) == len(y_test) == 10 and len(X_train) == len(y_train) == 30
    pairs = sorted(zip(map(tuple, X_train + X_test), y_train + y_test))
    assert pairs == sorted(zip(map(tuple, X), y))
    assert nn.train_test_split(X, y, 0.25, seed=1) == (X_train, X_test, y_train, y_test)
    assert nn.train_test_split(X, y, 0.25, shuffle=False)[1] == X[:10]


@pytest.mark.parametrize("call, error", [
    (lambda: nn.moons(1), ValueError),
    (lambda: nn.moons(10.0), TypeError),
    (lambda: nn.moons(10, noise=-0.1), ValueError),
    (lambda: nn.moons(10, seed="a"), TypeError),
    (lambda: nn.moons(10, signed=1), TypeError),
    (lambda: nn.circles(10, factor=1.5), ValueError),
    (lambda: nn.spiral(2, classes=3), ValueError),
    (lambda: nn.blobs(10, centers=[[1.0, 2.0, 3.0]]), TypeError),
    (lambda: nn.blobs(10, centers="ab"), TypeError),
    (lambda: nn.regression_1d(10, low=1.0, high=1.0), ValueError),
    (lambda: nn.train_test_split([[1.0]] * 3, [0, 1]), ValueError),
    (lambda: nn.train_test_split([[1.0]] * 3, [0, 1, 0], test_fraction=1.0), ValueError),
    (lambda: nn.train_test_split([[1.0]], [0]), ValueError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()
