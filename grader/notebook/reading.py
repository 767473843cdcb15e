"""A notebook file in, the exercise modules it holds out -- or a one-line reason it cannot be read.

Which exercise a notebook is for, first rule that applies: the modules its cells are tagged for
(cell metadata ``{"gradelab": {"module": ...}}`` or a tag ``gradelab:<module>[.<function>]``);
the notebook's own ``gradelab.module`` metadata; a ``# gradelab: module <name>`` line in a code
cell; a file named after the module; the module most of whose functions it defines.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, Optional

from grader.notebook.assembly import Cell, Module, assemble
from grader.notebook.magics import strip_magics

#: Versions of the notebook format that are read (3 is converted to 4 first).
SUPPORTED_VERSIONS = (3, 4)
#: A notebook's size limit; outputs (plots) make notebooks large, code never does.
NOTEBOOK_BYTES = 64 * 2**20
#: Limits on what is read as code: a course notebook has tens of code cells and kilobytes of code.
CODE_CELLS = 5_000
CODE_CHARACTERS = 5 * 2**20

_MARK = re.compile(r"^#\s*gradelab:\s*module\s+(\w+)", re.MULTILINE)


class NotebookError(ValueError):
    """The notebook cannot be graded; the message is one line that says why."""


def read_modules(path: Path, label: str, module: Optional[str] = None) -> list[Module]:
    """The exercise modules of the notebook at ``path`` (only ``module`` when it is given)."""
    notebook = load(path, label)
    cells = code_cells(notebook)
    modules = [module] if module else which_modules(notebook, cells, path.stem, label)
    return [_assembled(cells, name, label) for name in modules]


def load(path: Path, label: str) -> dict:
    """The notebook in the version 4 layout, checked enough to be read safely."""
    import nbformat

    try:
        if path.stat().st_size > NOTEBOOK_BYTES:
            raise NotebookError(f"{label!r} is larger than {NOTEBOOK_BYTES // 2**20} MB; clear its outputs "
                                "(Jupyter: Edit > Clear Outputs of All Cells) and save it again")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise NotebookError(f"cannot read {label!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise NotebookError(f"cannot read {label!r} as a Jupyter notebook: it is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"cannot read {label!r} as a Jupyter notebook: it is not valid JSON "
                            f"({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError):
        raise NotebookError(f"cannot read {label!r} as a Jupyter notebook: it is not valid JSON") from None
    notebook = data  # version 4 is read as plain JSON: only its cells' type, text and metadata are used
    if _version(data, label) == 3:
        try:
            notebook = nbformat.convert(nbformat.from_dict(data), 4)
        except (Exception, RecursionError) as exc:  # nbformat's converters raise many types on bad input
            raise NotebookError(f"cannot read {label!r} as a version 3 notebook: {_line(exc)}") from None
    _check_cells(notebook, label)
    return notebook


def _version(data: Any, label: str) -> int:
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data or "nbformat" in data):
        raise NotebookError(f"{label!r} is JSON but not a Jupyter notebook (it has no cells)")
    version = data.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise NotebookError(f"{label!r} is not a Jupyter notebook: its 'nbformat' version is missing or not a number")
    if version not in SUPPORTED_VERSIONS:
        raise NotebookError(f"{label!r} is a version {version} notebook; gradelab reads notebook versions "
                            f"{' and '.join(map(str, SUPPORTED_VERSIONS))} (open it in a current Jupyter and save it again)")
    return version


def _check_cells(notebook: Any, label: str) -> None:
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{label!r} is not a Jupyter notebook: it has no list of cells")
    for number, cell in enumerate(cells, 1):
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str) or not (
                isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise NotebookError(f"{label!r} is not a valid Jupyter notebook: cell {number} has no type or no text")
    code = [cell["source"] for cell in cells if cell["cell_type"] == "code"]
    if len(code) > CODE_CELLS:
        raise NotebookError(f"{label!r} has {len(code)} code cells, more than the {CODE_CELLS} read; "
                            "keep the exercise's cells and delete the rest")
    if sum(len(s) if isinstance(s, str) else sum(map(len, s)) for s in code) > CODE_CHARACTERS:
        raise NotebookError(f"{label!r} holds more than {CODE_CHARACTERS // 2**20} MB of code; "
                            "keep the exercise's cells and delete the rest")


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def code_cells(notebook: Any) -> list[Cell]:
    """The code cells, labelled by their place among all cells (as the student counts them)."""
    found = []
    for number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            metadata = cell.get("metadata")
            found.append(Cell(f"cell {number}", source, tagged_modules(metadata if isinstance(metadata, dict) else {})))
    return found


def tagged_modules(metadata: dict) -> frozenset[str]:
    """The exercise modules a cell's metadata tags it for."""
    from grader.catalog import MODULES

    names = set()
    info = metadata.get("gradelab")
    if isinstance(info, dict) and isinstance(info.get("module"), str):
        names.add(info["module"])
    tags = metadata.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, str) and tag.startswith("gradelab:"):
            names.add(tag.removeprefix("gradelab:").partition(".")[0])
    return frozenset(name for name in names if name in MODULES)


def which_modules(notebook: Any, cells: list[Cell], stem: str, label: str) -> list[str]:
    """The modules a notebook is for, by the rules of the module docstring."""
    from grader.catalog import MODULES

    tagged = [m for m in MODULES if any(m in cell.modules for cell in cells)]
    if tagged:
        return tagged
    metadata = notebook.get("metadata")
    info = metadata.get("gradelab") if isinstance(metadata, dict) else None
    if isinstance(info, dict) and info.get("module") in MODULES:
        return [info["module"]]
    mark = next((m.group(1) for cell in cells for m in [_MARK.search(cell.source)] if m), None)
    for name in (mark, stem):
        if name in MODULES:
            return [name]
    guess = _by_definitions(cells)
    if guess:
        return [guess]
    raise NotebookError(f"cannot tell which exercise {label!r} is for: name it after the module "
                        f"(e.g. {MODULES[1]}.ipynb) or add a line '# gradelab: module {MODULES[1]}'")


def _by_definitions(cells: list[Cell]) -> Optional[str]:
    """The one module that has the most of its functions defined in the cells, if there is one."""
    from grader import catalog

    defined = set()
    for cell in cells:
        try:
            tree = ast.parse(strip_magics(cell.source).source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        defined |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    counts = {m: len(defined & set(catalog.exercise(m).functions)) for m in catalog.MODULES}
    best = max(counts.values(), default=0)
    winners = [m for m, count in counts.items() if count == best]
    return winners[0] if best and len(winners) == 1 else None


def _assembled(cells: list[Cell], module: str, label: str) -> Module:
    from grader import catalog

    functions = tuple(catalog.exercise(module).functions)
    assembled = assemble(cells, module, functions)
    if not assembled.defined:
        raise NotebookError(f"{label!r} defines none of {module}'s functions ({', '.join(functions)}); "
                            "write them in the notebook's code cells (`grade notebook` makes a notebook to start from)")
    return assembled
