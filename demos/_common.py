"""What every demo shares: its command-line options, its output folder, and how it prints.

Options (each demo takes the ones that make sense for it):
  --out DIR     where pictures and files go (default ./out, created if needed)
  --no-plots    print the numbers only; write no images (no matplotlib or graphviz needed)
  --seed N      the random seed: the same seed gives the same numbers on every run
  --steps N     how many optimizer steps to train for

Pictures are made without a display (matplotlib's Agg canvas, graphviz's `dot` program), so
every demo runs headless, in CI, or over ssh.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, TextIO

import nn
from scalargrad import GraphvizMissingWarning, Value, dot_available, plot_history, render_graph
from scalargrad.see.text import format_number

DEFAULT_OUT = "out"
RULE = "─" * 78


def parser(module: str, description: str, *, seed: int | None = None,
           steps: int | None = None, plots: bool = True) -> argparse.ArgumentParser:
    """An argument parser for `python -m <module>` with the shared options; `seed`/`steps`
    give their defaults.

    A demo without randomness passes `seed=None` and gets no --seed; one that does not train
    passes `steps=None` and gets no --steps.
    """
    p = argparse.ArgumentParser(prog=f"python -m {module}", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                   help=f"folder for the pictures and files (default: ./{DEFAULT_OUT})")
    if plots:
        p.add_argument("--no-plots", dest="plots", action="store_false",
                       help="print the numbers only, write no images")
    if seed is not None:
        p.add_argument("--seed", type=int, default=seed,
                       help=f"random seed: same seed, same numbers (default: {seed})")
    if steps is not None:
        p.add_argument("--steps", type=_positive, default=steps,
                       help=f"optimizer steps to train for (default: {steps})")
    return p


def add_resolution(p: argparse.ArgumentParser, default: int = 100) -> None:
    """--resolution N: grid points per side of a decision-boundary plot."""
    p.add_argument("--resolution", type=_at_least_two, default=default, metavar="N",
                   help=f"grid points per side of the decision-boundary plot (default: {default};"
                        " lower is faster)")


def training_main(module: str, description: str, run: Callable[..., Any],
                  argv: list[str] | None, *, steps: int, resolution: bool = True) -> int:
    """The command line of a training demo: --seed, --steps, --out, --no-plots and, for the
    classifiers, --resolution; then `run(seed, steps, out=..., plots=...)`. Returns 0."""
    p = parser(module, description, seed=0, steps=steps)
    if resolution:
        add_resolution(p)
    args = p.parse_args(argv)
    extra = {"resolution": args.resolution} if resolution else {}
    run(args.seed, args.steps, out=args.out, plots=args.plots, **extra)
    return 0


def _at_least_two(text: str) -> int:
    n = int(text)
    if n < 2:
        raise argparse.ArgumentTypeError(f"expected at least 2, got {n}")
    return n


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of steps, got {n}")
    return n


def fmt(x: float, digits: int = 6) -> str:
    """A number as the lesson writes it: 0.25, -1.0, 5.0 (at most `digits` significant digits)."""
    return format_number(x, digits)


class Report:
    """Prints a demo's story and keeps track of the files it writes into the output folder."""

    def __init__(self, out: Path | str | None, *, plots: bool = True,
                 file: TextIO | None = None) -> None:
        self.out = Path(out) if out is not None else None
        self.pictures = plots and self.out is not None  # what was asked for
        self.plots = self.pictures and plots_available()  # matplotlib figures can be made
        self.file = sys.stdout if file is None else file
        self.written: list[Path] = []
        self.figures: dict[str, Any] = {}
        if self.pictures and not self.plots:
            self.say("(matplotlib is not installed, so no plots: pip install matplotlib)")

    # -- printing ------------------------------------------------------------------------

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.file, flush=True)

    def title(self, text: str) -> None:
        self.say(RULE, text, RULE)

    def section(self, text: str) -> None:
        self.say("", f"── {text} " + "─" * max(0, 74 - len(text)))

    # -- training -------------------------------------------------------------------------

    def fit(self, model: nn.Module, X: list, y: list, *, steps: int,
            **options: Any) -> nn.History:
        """`nn.fit` with a progress line every tenth of the run, printed to this report."""
        return nn.fit(model, X, y, steps=steps, print_every=max(1, steps // 10),
                      file=self.file, **options)

    # -- files ---------------------------------------------------------------------------

    def folder(self) -> Path:
        """The output folder, created on first use."""
        if self.out is None:
            raise RuntimeError("this demo was run without an output folder")
        self.out.mkdir(parents=True, exist_ok=True)
        return self.out

    def path(self, name: str) -> Path:
        return self.folder() / name

    def wrote(self, path: Path, what: str) -> Path:
        self.written.append(path)
        self.say(f"  wrote {path}  ({what})")
        return path

    def figure(self, name: str, make: Callable[[Path], Any], what: str) -> Path | None:
        """Make a matplotlib figure with `make(path)` (which saves it) unless plots are off."""
        if not self.plots:
            return None
        path = self.path(name)
        self.figures[Path(name).stem] = make(path)
        return self.wrote(path, what)

    def save_model(self, model: nn.Module, name: str, what: str) -> Path | None:
        """Save `model` as JSON to `name` in the output folder (nothing without a folder)."""
        if self.out is None:
            return None
        path = self.path(name)
        nn.save(model, path)
        return self.wrote(path, what)

    def curves(self, name: str, history: nn.History, title: str, what: str, *,
               accuracy: bool = True, log_loss: bool | None = None,
               loss_name: str = "loss") -> Path | None:
        """Plot the loss (and accuracy) per step, numbering the steps from 1; `loss_name` says
        what the loss includes; its axis is logarithmic when it spans decades."""
        data = {"step": [k + 1 for k in history.step], loss_name: history.loss}
        if accuracy:
            data["accuracy"] = history.accuracy
        return self.figure(name, lambda p: plot_history(data, path=p, log_loss=log_loss,
                                                        title=title), what)

    def no_pictures_note(self) -> None:
        """Say so at the end of the file list when pictures were switched off (in words that
        fit both the command line and a notebook; nothing when there is no output folder)."""
        if self.out is not None and not self.pictures:
            self.say("  (no pictures: plots are switched off)")

    def graph(self, root: Value, name: str, what: str, **options: Any) -> list[Path]:
        """Render the graph of `root` to `name`.svg and `name`.png: graphviz's `dot` if it is
        installed, else matplotlib (with a note saying how to get graphviz), else a text tree."""
        if not self.pictures:
            return []
        paths = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GraphvizMissingWarning)
            for suffix in (".svg", ".png"):
                paths.append(render_graph(root, self.path(name + suffix), **options))
        for path in dict.fromkeys(paths):
            self.wrote(path, what)
        if caught and not dot_available():
            self.say("  (graphviz's `dot` program is not installed, so matplotlib drew the graph;"
                     " apt-get install graphviz or brew install graphviz for the nicer layout)")
        return paths


def plots_available() -> bool:
    """True when matplotlib can be imported (the pictures need it; the numbers do not)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
