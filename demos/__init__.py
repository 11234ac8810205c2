"""Runnable lessons: `python -m demos.NAME` from the repository root."""
