"""Run every demo in the order of the workshop guide, writing all pictures to one folder.

sigmoid → multivariate → accumulation → neuron → moons → spiral → regression → second_order
→ graduate
(the last only where PyTorch is installed). With --quick the training demos take a few steps
only (a smoke test, not a result).
"""

from __future__ import annotations

import sys
import time

from . import (
    accumulation,
    graduate,
    moons,
    multivariate,
    neuron,
    regression,
    second_order,
    sigmoid,
    spiral,
)
from ._common import parser


def main(argv: list[str] | None = None) -> int:
    p = parser("demos.all", __doc__)
    p.add_argument("--quick", action="store_true",
                   help="train for a few steps only, with coarse decision-boundary plots")
    args = p.parse_args(argv)
    steps = {"moons": 5, "spiral": 5, "regression": 5, "graduate": 5} if args.quick else {}
    resolution = 20 if args.quick else 100
    start = time.perf_counter()
    common = {"out": args.out, "plots": args.plots}
    sigmoid.run(**common)
    multivariate.run(**common)
    accumulation.run(**common)
    neuron.run(**common)
    moons.run(steps=steps.get("moons", 100), resolution=resolution, **common)
    spiral.run(steps=steps.get("spiral", 100), resolution=resolution, **common)
    regression.run(steps=steps.get("regression", 150), **common)
    second_order.run(**common)
    agree = True
    try:
        import torch  # noqa: F401
    except ImportError:
        print("\n(demos.graduate skipped: it needs PyTorch, pip install torch==2.13.0)")
    else:
        agree = graduate.run(steps=steps.get("graduate", 100), out=args.out)["ok"]
    print(f"\nAll demos done in {time.perf_counter() - start:.0f} s; pictures and files are in "
          f"{args.out}/")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
