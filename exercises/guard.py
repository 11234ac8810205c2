"""What keeps a learner's code from taking the checker down with it.

- `time_limit(seconds)`: a workbook that loops forever or sleeps gets a verdict ("took longer
  than 10 s") instead of hanging. It uses SIGALRM, so it works in the main thread of a Unix
  process (the command line, a Jupyter kernel); elsewhere the code runs without a limit.
- `EngineSnapshot`: the engine's classes as the checker found them. A workbook that patches
  `Value.__mul__` (or adds to `Value`) would change the checker's own arithmetic; `restore()`
  puts every such attribute back and says which were changed.
- `SystemExit` from the learner's code (`sys.exit()`, `exit()`) is an error to report, never
  the checker's exit: `exit_text(e)` says what happened.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from scalargrad import Value

TIME_LIMIT = 10.0  # seconds for importing a workbook, and for checking each exercise


class TimeLimitError(Exception):
    """The learner's code ran past the time limit."""


@contextmanager
def time_limit(seconds: float | None = None, what: str = "your code") -> Iterator[None]:
    """Raise TimeLimitError in the block after `seconds` (TIME_LIMIT by default; main thread
    with SIGALRM only)."""
    seconds = TIME_LIMIT if seconds is None else seconds
    usable = (hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TimeLimitError(f"{what} took longer than {seconds:g} s (an endless loop, or a "
                             "long sleep?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def exit_text(error: SystemExit) -> str:
    code = "" if error.code is None else f"({error.code!r})"
    return (f"your code called sys.exit{code} or exit(): a workbook should only define "
            "functions and numbers, so nothing was checked after it")


class EngineSnapshot:
    """Every attribute of the engine's classes, to put back after the learner's code ran."""

    def __init__(self, *classes: type) -> None:
        self.saved = {cls: dict(vars(cls)) for cls in (classes or (Value,))}

    def restore(self) -> list[str]:
        """Undo any change to the classes; the names of what was changed, for a notice."""
        changed = []
        for cls, saved in self.saved.items():
            now = dict(vars(cls))
            for name in now.keys() - saved.keys():
                delattr(cls, name)
                changed.append(f"{cls.__name__}.{name}")
            for name, value in saved.items():
                if now.get(name, _MISSING) is not value:
                    setattr(cls, name, value)
                    changed.append(f"{cls.__name__}.{name}")
        return sorted(changed)


_MISSING = object()
