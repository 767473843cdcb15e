"""Jupyter notebooks as a way to do and hand in the course.

- :func:`check` -- one line in a notebook cell, ``check("optimizers.adam")``: grades the function as
  the kernel defines it now, with the same sandbox and report as ``grade run``;
- :func:`read_modules` -- a handed-in notebook as exercise modules (``--submission work.ipynb``,
  a ``<module>.ipynb`` in a submission folder), or :class:`NotebookError` with a one-line reason;
- :func:`notebook_for` / :func:`text_of` -- the student notebook of a stub module (``grade notebook``).

Submodules: ``magics`` (IPython syntax out), ``assembly`` (cells to a module, by ``ast``),
``reading`` (files), ``generating`` (stubs to notebooks), ``latex`` (formulas), ``kernel`` (check).
Nothing here imports the grading machinery until it is used, so reading a notebook stays light.
"""

from __future__ import annotations

from typing import Optional

from grader.notebook.assembly import Cell, Module, assemble
from grader.notebook.generating import StubError, default_stubs, notebook_for, text_of
from grader.notebook.reading import NotebookError, read_modules

__all__ = ["check", "read_modules", "NotebookError", "notebook_for", "text_of", "default_stubs",
           "StubError", "assemble", "Cell", "Module"]


def check(name: str, *, max_examples: Optional[int] = None, seed: int = 0, timeout: float = 10.0) -> None:
    """Grade ``name`` (``"optimizers.adam"``, or a whole module) as this kernel defines it, and print
    the report ``grade run`` would print."""
    from grader.notebook.kernel import check as run_check

    run_check(name, max_examples=max_examples, seed=seed, timeout=timeout)
