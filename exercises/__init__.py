"""Exercises with a checker that diagnoses: write local gradients (Part A), predict gradients
(Part B), write backward() yourself (Part C), forward-mode tangents (Part D).

Edit `exercises/workbook.py`, then run `python -m exercises` from the repository root
(`--only NAME`, `--hint 2`, `--reveal`; `--help` lists them). docs/exercises.md explains each
task, docs/answers.md is the answer key (`python -m exercises.answers`).
In a notebook: `from exercises.check import check`, then `check("reciprocal", my_function)`,
`check("P1", 0.25, hint=2)` or `check("P1", 0.25, reveal=True)`: it returns a report that
the notebook shows.
"""
