"""Shared fixtures: PyTorch as an optional oracle; hypothesis settings for CI."""

from __future__ import annotations

import os
from typing import Any

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
