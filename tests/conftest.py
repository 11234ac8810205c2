"""Shared fixtures: PyTorch as an optional oracle."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def torch() -> Any:
    """The torch module; a test that asks for it is skipped, with the reason shown, without it.

    Session-scoped so hypothesis tests can use it (function-scoped fixtures are not reset
    between examples). Install it with `pip install torch==2.13.0` (the `torch` extra).
    """
    return pytest.importorskip("torch", reason="PyTorch is the gradient oracle: "
                               "pip install torch==2.13.0 (the [torch] extra) to run this test")
