"""Each thread's modes: is the graph being recorded, and how deep in anomaly detection.

The modes are per thread, as in PyTorch: a new thread starts with recording on and anomaly
detection off. `grad_mode.py` and `anomaly.py` change them; `node.py` reads them;
`functional.py` counts how deep in `grad(...)` calls the thread is.
"""

from __future__ import annotations

import threading


class _ThreadModes(threading.local):
    """This thread's modes; the class attributes are what a new thread starts with."""

    grad = True  # ops record their parents
    anomaly = 0  # depth of detect_anomaly() blocks
    special = False  # grad off or anomaly on: ops must look at the modes
    differentiating = 0  # depth of grad()/value_and_grad()/hessian() calls running


_modes = _ThreadModes()
