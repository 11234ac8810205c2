"""Exercises with a checker: write local gradients, predict gradients, get pass/fail.

Edit `exercises/workbook.py`, then run `python -m exercises` from the repository root.
`python -m exercises --help` lists the options; docs/exercises.md explains each task.
In a notebook: `from exercises.check import check`, then `check("reciprocal", my_function)`.
"""
