"""Running a script in a fresh Python where matplotlib and numpy cannot be imported, as in the
browser workshop (Pyodide without them): the plots must then come out as SVG figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BLOCK = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("matplotlib", "numpy"):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
"""


def run_without_matplotlib(script: str, timeout: float, cwd: Path | None = None) -> Any:
    """What `script` prints as JSON, run after BLOCK in a new interpreter (an error if it
    fails or runs past `timeout` seconds)."""
    done = subprocess.run([sys.executable, "-c", BLOCK + script], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, check=True)
    return json.loads(done.stdout)
