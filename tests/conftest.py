"""Shared fixtures: PyTorch as an optional oracle; a headless Chromium per browser-test module;
the workshop site served for the browser tests; hypothesis settings for CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import settings

# In CI (CI=true) every property test draws the same examples on every run, so a run's verdict
# is the code's, not the random draw's; a developer's runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def torch() -> Any:
    """The torch module; a test that asks for it is skipped, with the reason shown, without it.

    Session-scoped so hypothesis tests can use it (function-scoped fixtures are not reset
    between examples). Install it with `pip install torch==2.13.0` (the `torch` extra).
    """
    return pytest.importorskip("torch", reason="PyTorch is the gradient oracle: "
                               "pip install torch==2.13.0 (the [torch] extra) to run this test")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (tests/browser.py) for all the tests of one module, closed after;
    the module is skipped, saying what to install, without it."""
    from browser import close, open_chromium

    driver = open_chromium()
    yield driver
    close(driver)


@pytest.fixture(scope="session")
def workshop_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workshop site (`scalargrad-workshop build`), built once for every browser's tests;
    the pinned downloads are cached in ~/.cache/scalargrad-workshop."""
    from scalargrad.workshop.build import build

    out = tmp_path_factory.mktemp("workshop") / "site"
    build(out)
    return out


@pytest.fixture(scope="session")
def workshop_url(workshop_site: Path) -> Iterator[str]:
    """The workshop site served on 127.0.0.1 by `scalargrad-workshop serve`'s server."""
    from served import served

    with served(workshop_site) as url:
        yield url
