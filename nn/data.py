"""Toy datasets made in code (no downloads, no scikit-learn), and a train/test split.

Every generator takes the number of points `n` and a `seed`, and returns a `Dataset`
``(X, y)`` that unpacks as ``X, y = moons(100)``: `X` is a list of points, each a list of
floats ready for ``model(x)``; `y` a list of labels (ints 0..k−1 for classifiers, or −1/+1
with ``signed=True`` for the two-class sets; floats for `regression_1d`).
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable, NamedTuple, Sequence, cast

from ._checks import as_count, finite_real, is_array, nonneg
from ._checks import count as _count


class Dataset(NamedTuple):
    """Inputs and labels: ``X[i]`` is a list of floats, ``y[i]`` its label or target."""

    X: list[list[float]]
    y: list[Any]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0, signed: bool = False) -> Dataset:
    """Two interleaving half circles (label 0: the upper moon, label 1: the lower one).

    Upper: (cos θ, sin θ); lower: (1 − cos θ, 0.5 − sin θ), θ evenly spaced in [0, π]; then
    Gaussian noise of standard deviation `noise` on each coordinate, and the points shuffled.
    """
    n, rng = _count(n, "moons n", 2), _rng(seed)
    noise = nonneg(noise, "moons noise")
    n_upper = n // 2
    points = []
    for theta in _linspace(0.0, math.pi, n_upper):
        points.append(([math.cos(theta), math.sin(theta)], 0))
    for theta in _linspace(0.0, math.pi, n - n_upper):
        points.append(([1.0 - math.cos(theta), 0.5 - math.sin(theta)], 1))
    return _finish(points, noise, rng, signed)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0,
            signed: bool = False) -> Dataset:
    """A small circle (label 1, radius `factor`) inside a unit circle (label 0), plus noise."""
    n, rng = _count(n, "circles n", 2), _rng(seed)
    noise = nonneg(noise, "circles noise")
    factor = finite_real(factor, "circles factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"circles factor must be between 0 and 1, got {factor!r}")
    n_outer = n // 2
    points = []
    for k, (count, radius) in enumerate(((n_outer, 1.0), (n - n_outer, factor))):
        for i in range(count):
            theta = 2.0 * math.pi * i / count
            points.append(([radius * math.cos(theta), radius * math.sin(theta)], k))
    return _finish(points, noise, rng, signed)


def spiral(n: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """`classes` interleaved spiral arms (CS231n's toy set), labels 0..classes−1.

    Arm j has radius r running evenly up to 1 (r = i/count for i = 1..count, so no point sits
    on the origin, where every arm starts) and angle t = 4j + 4r + noise·N(0, 1): the point is
    (r·sin t, r·cos t). The `n` points are shared out among the arms as evenly as possible.
    """
    n, rng = _count(n, "spiral n", 1), _rng(seed)
    classes = _count(classes, "spiral classes", 1)
    if n < classes:
        raise ValueError(f"spiral needs at least one point per class: n={n} < classes={classes}")
    noise = nonneg(noise, "spiral noise")
    points = []
    for j in range(classes):
        count = n // classes + (1 if j < n % classes else 0)
        for i in range(1, count + 1):
            r = i / count
            t = 4.0 * j + 4.0 * r + noise * rng.gauss(0.0, 1.0)
            points.append(([r * math.sin(t), r * math.cos(t)], j))
    return _finish(points, 0.0, rng, False)


def xor(n: int = 100, noise: float = 0.0, seed: int = 0, signed: bool = False) -> Dataset:
    """Points uniform in the square [−1, 1]²; label 1 where the signs of x₀ and x₁ differ.

    Labels are decided before `noise` (Gaussian, per coordinate) is added.
    """
    n, rng = _count(n, "xor n", 1), _rng(seed)
    noise = nonneg(noise, "xor noise")
    points = []
    for _ in range(n):
        x0, x1 = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        points.append(([x0, x1], 1 if x0 * x1 < 0.0 else 0))
    return _finish(points, noise, rng, signed)


def blobs(n: int = 100, centers: int | Sequence[Sequence[float]] = 3, std: float = 0.5,
          seed: int = 0) -> Dataset:
    """Gaussian blobs, one class per center (label = the center's index).

    `centers` is a count k (the centers then sit evenly on a circle of radius 2) or a list of
    2-D points. Each point is its center plus N(0, std²) noise on each coordinate.
    """
    n, rng = _count(n, "blobs n", 1), _rng(seed)
    std = nonneg(std, "blobs std")
    if as_count(centers) is not None:
        k = _count(centers, "blobs centers", 1)
        middles = [[2.0 * math.cos(2 * math.pi * j / k), 2.0 * math.sin(2 * math.pi * j / k)]
                   for j in range(k)]
    elif is_array(centers) and len(cast(Sequence[Any], centers)) > 0:
        middles = [[finite_real(c, "blobs center coordinate") for c in _point(m)]
                   for m in cast(Sequence[Any], centers)]
    else:
        raise TypeError(f"blobs centers must be a count or a list of points, got {centers!r}")
    if n < len(middles):
        raise ValueError(f"blobs needs at least one point per center: n={n} < {len(middles)}")
    points = []
    for j, middle in enumerate(middles):
        count = n // len(middles) + (1 if j < n % len(middles) else 0)
        points += [(list(middle), j) for _ in range(count)]
    return _finish(points, std, rng, False)


def regression_1d(n: int = 64, noise: float = 0.1, seed: int = 0, low: float = -3.0,
                  high: float = 3.0, fn: Callable[[float], float] = math.sin) -> Dataset:
    """A 1-D regression set: x evenly spaced in [low, high], y = fn(x) + N(0, noise²).

    Returns ``X`` as one-element lists ``[[x], ...]`` (so ``model(x)`` works) and ``y`` as floats.
    """
    n, rng = _count(n, "regression_1d n", 1), _rng(seed)
    noise = nonneg(noise, "regression_1d noise")
    low, high = finite_real(low, "low"), finite_real(high, "high")
    if not low < high:
        raise ValueError(f"regression_1d needs low < high, got low={low!r}, high={high!r}")
    xs = _linspace(low, high, n)
    return Dataset([[x] for x in xs], [fn(x) + noise * rng.gauss(0.0, 1.0) for x in xs])


def train_test_split(X: Sequence[Any], y: Sequence[Any], test_fraction: float = 0.25,
                     seed: int = 0, shuffle: bool = True) -> tuple[list, list, list, list]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    The test part has round(test_fraction·n) points (at least 1, and at least 1 left to train).
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} inputs but {len(y)} labels")
    frac = finite_real(test_fraction, "test_fraction")
    if not 0.0 < frac < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {frac!r}")
    n = len(X)
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 samples, got {n}")
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)
    n_test = min(max(1, round(frac * n)), n - 1)
    test, train = order[:n_test], order[n_test:]
    return ([X[i] for i in train], [X[i] for i in test], [y[i] for i in train],
            [y[i] for i in test])


# -- helpers -------------------------------------------------------------------------------

def _finish(points: list, noise: float, rng: random.Random, signed: bool) -> Dataset:
    if not isinstance(signed, bool):
        raise TypeError(f"signed must be True or False, got {signed!r}")
    rng.shuffle(points)
    X = [[c + noise * rng.gauss(0.0, 1.0) for c in x] if noise else x for x, _ in points]
    y = [(2 * label - 1) if signed else label for _, label in points]
    return Dataset(X, y)


def _linspace(a: float, b: float, count: int) -> list[float]:
    if count == 1:
        return [a]
    return [a + (b - a) * i / (count - 1) for i in range(count)]


def _rng(seed: Any) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if as_count(seed) is None:
        raise TypeError(f"seed must be an int or a random.Random, got {seed!r}")
    return random.Random(as_count(seed))




def _point(m: Any) -> Sequence[Any]:
    if not is_array(m) or len(m) != 2:
        raise TypeError(f"blobs centers must be 2-D points, got {m!r}")
    return m
