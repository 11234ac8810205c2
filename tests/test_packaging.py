"""The wheel: a plain `pip install` gives a workshop everything, from any folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _can_build_here() -> bool:
    """Whether this environment can build the wheel itself (else pip fetches the build tools)."""
    try:
        import setuptools
    except ImportError:
        return False
    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    if (major, minor) < (61, 0):
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The project built as a wheel and installed (without dependencies) into a fresh folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy, so the build leaves nothing (build/, egg-info) in the clone
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "out", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    isolation = ["--no-build-isolation"] if _can_build_here() else []
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation,
                            "-w", str(tmp / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp / "dist").glob("*.whl")
    target = tmp / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                              "--target", str(target), str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    return wheel, target


def _run(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_wheel_holds_license_type_markers_and_the_workshop(installed: tuple[Path, Path]) -> None:
    """The wheel carries LICENSE, py.typed for scalargrad and nn, demos, exercises, commands."""
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("/licenses/LICENSE") or n.endswith("/LICENSE") for n in names)
    for path in ("scalargrad/py.typed", "nn/py.typed", "demos/moons.py", "exercises/check.py",
                 "exercises/workbook.py", "exercises/solutions.py",
                 "scalargrad/see/display/cards.py", "scalargrad/see/pages/assets/page.html"):
        assert path in names, path
    assert not any(n.startswith("tests/") for n in names)
    (entry,) = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry).decode()
    assert "scalargrad-demo = demos.moons:main" in text
    assert "scalargrad-exercises = exercises.check:main" in text


def test_demo_and_exercises_run_outside_the_repository(installed: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    """`python -m demos.moons` and `python -m exercises` work from outside the clone."""
    _, target = installed
    demo = _run(target, tmp_path, "-m", "demos.moons", "--steps", "3", "--no-plots")
    assert demo.returncode == 0, demo.stderr
    assert "final accuracy" in demo.stdout
    assert str(target) in _run(target, tmp_path, "-c", "import demos; print(demos.__file__)").stdout
    ex = _run(target, tmp_path, "-m", "exercises", "--solutions")
    assert ex.returncode == 0, ex.stdout + ex.stderr
    assert "All done!" in ex.stdout


def test_console_commands_start(installed: tuple[Path, Path], tmp_path: Path) -> None:
    """The console scripts scalargrad-demo and scalargrad-exercises are installed and start."""
    _, target = installed
    for name, expect in (("scalargrad-demo", "--steps"), ("scalargrad-exercises", "--solutions")):
        script = target / "bin" / name
        assert script.exists(), name
        out = _run(target, tmp_path, str(script), "--help")
        assert out.returncode == 0 and expect in out.stdout, out.stderr
