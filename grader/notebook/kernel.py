"""``check("optimizers.adam")`` in a notebook: grade a function as the kernel defines it now.

The kernel's own record of the cells it has executed (IPython's input history, in the order they
ran) is read -- never run -- and assembled into the module by the same rule as a handed-in
notebook (:mod:`grader.notebook.assembly`): the last definition of each function and what it
uses.  That module is written to a temporary submission folder and graded by the normal path,
:func:`grader.grading.grade`, in the same sandbox and with the same report as ``grade run``.  The
exercise modules beside the notebook (``backprop.py``, which the kernel could import too) go
into the folder with it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

from grader.notebook.assembly import Cell, assemble


class CheckError(ValueError):
    """The check cannot run; the message is one line that says why."""


def check(name: str, *, max_examples: Optional[int] = None, seed: int = 0, timeout: float = 10.0) -> None:
    """Grade ``name`` (``"optimizers.adam"`` or ``"optimizers"``) as the kernel defines it; print the report."""
    from grader.render import render_text

    try:
        result = grade_cells(name, kernel_cells(), max_examples=max_examples, seed=seed, timeout=timeout)
    except CheckError as exc:
        print(f"check: {exc}")
        return
    print(render_text(result, color=_ipython() is not None), end="")  # Jupyter shows terminal colours


def kernel_cells() -> list[Cell]:
    """The cells this kernel has executed, oldest first (or the running script, outside IPython)."""
    shell = _ipython()
    if shell is not None:
        history = list(getattr(shell.history_manager, "input_hist_raw", []) or [])
        return [Cell(f"In[{i}]", source) for i, source in enumerate(history) if i and source.strip()]
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if script and Path(script).is_file():
        return [Cell(Path(script).name, Path(script).read_text(encoding="utf-8", errors="replace"))]
    raise CheckError("run it in a Jupyter notebook (an IPython kernel) or a Python script")


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "history_manager", None) is not None else None


def grade_cells(name: str, cells: list[Cell], *, max_examples: Optional[int] = None, seed: int = 0,
                timeout: float = 10.0, beside: Optional[Path] = None):
    """The :class:`GradeResult` of ``name`` for the module that ``cells`` define."""
    from grader import catalog
    from grader.engine import DEFAULT_MAX_EXAMPLES, Options
    from grader.grading import grade

    module, _, function = name.partition(".")
    try:
        catalog.select((name,), "all")
    except catalog.UnknownExercise as exc:
        raise CheckError(str(exc)) from None
    functions = tuple(catalog.exercise(module).functions)
    assembled = assemble(cells, module, functions, explain_untagged=False)
    if not assembled.defined:
        raise CheckError(f"none of {module}'s functions ({', '.join(functions)}) is defined in a cell this "
                         "kernel has run; run the cells with your functions first")
    notes = list(assembled.notes)
    if function and function not in assembled.defined:
        notes.append(f"{function} is not defined in any cell this kernel has run; run its cell first")
    folder = Path(tempfile.mkdtemp(prefix="gradelab-notebook-"))
    try:
        _siblings(beside or Path.cwd(), module, folder)
        (folder / f"{module}.py").write_text(assembled.source, encoding="utf-8")
        options = Options(seed=seed, max_examples=max_examples or DEFAULT_MAX_EXAMPLES)
        result = grade(str(folder), (name,), "all", options, timeout, None, 1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.submission = f"{module} as this kernel defines it"
    result.notes = notes + list(getattr(result, "notes", []))
    return result


def _siblings(where: Path, module: str, folder: Path) -> None:
    """The other exercise modules the kernel could import from its working directory."""
    from grader.catalog import MODULES

    for other in MODULES:
        source = where / f"{other}.py"
        if other != module and source.is_file():
            try:
                shutil.copyfile(source, folder / source.name)
            except OSError:
                pass
