"""The zero-install workshop: the lessons as web pages running scalargrad on Pyodide.

`scalargrad-workshop build DIR` (or `python -m scalargrad.workshop build DIR`) writes a
static site (see `build`); `scalargrad-workshop serve DIR` serves it on this machine. The
engine never imports this package.
"""
