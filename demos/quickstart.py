"""A first look at the engine: build an expression, run backward, read the gradients."""

from __future__ import annotations

import argparse

from scalargrad import Value, gradcheck


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m demos.quickstart", description=__doc__).parse_args(argv)
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b + a.tanh()
    c.backward()
    print(f"c = a*b + tanh(a) = {c.data:.6f}")
    print(f"dc/da = {a.grad:.6f}   dc/db = {b.grad:.6f}")
    print(gradcheck(lambda a, b: a * b + a.tanh(), 2.0, -3.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
