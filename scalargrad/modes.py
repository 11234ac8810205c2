"""Each thread's modes: is the graph being recorded, how deep in anomaly detection, and is a
forward-mode `dual_level()` open.

The modes are per thread, as in PyTorch: a new thread starts with recording on, anomaly
detection off and no dual level. `grad_mode.py`, `anomaly.py` and `dual.py` change them;
`node.py` reads them; `functional.py` counts how deep in `grad(...)` calls the thread is.
"""

from __future__ import annotations

import threading
from typing import Any


class _ThreadModes(threading.local):
    """This thread's modes; the class attributes are what a new thread starts with."""

    grad = True  # ops record their parents
    anomaly = 0  # depth of detect_anomaly() blocks
    forward: Any = None  # the open dual_level() (dual._Level), whose duals carry tangents
    special = False  # grad off, anomaly on or a dual level open: ops must look at the modes
    differentiating = 0  # depth of grad()/value_and_grad()/hessian() calls running


_modes = _ThreadModes()


def update_special() -> None:
    """Set `_modes.special` from the other modes (after one of them changed): an op takes
    the slow path (`node._make_in_mode`) only when it is true."""
    _modes.special = not _modes.grad or _modes.anomaly > 0 or _modes.forward is not None
