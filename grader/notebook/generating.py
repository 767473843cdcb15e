"""A stub module in, a student notebook out: the concept, and per function its stub and a check.

The notebook is a pure function of the stub's text: no timestamps, execution counts or outputs,
and cell ids made from the module and function names, so it is the same byte for byte every time
it is made.  Code cells of the module are tagged in their metadata
(``{"gradelab": {"module": "gan", "function": "gan_step"}}`` and the tag ``gradelab:gan.gan_step``);
the check cells are not part of the module.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any, Optional

from grader.notebook import latex

#: The notebook format written: 4.5, the first minor version with cell ids.
NBFORMAT, NBFORMAT_MINOR = 4, 5
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the course checkout, when installed from one

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields):\s*$")


class StubError(ValueError):
    """The stub module cannot be turned into a notebook; the message says why."""


def default_stubs() -> Path:
    """The course's ``exercises/`` folder, or ``./exercises`` where the grader is installed alone."""
    course = SOURCE_ROOT / "exercises"
    return course if course.is_dir() else Path("exercises")


def notebook_for(module: str, functions: tuple[str, ...], stubs: Path) -> Any:
    """The notebook for ``module`` with a stub and a check cell for each of ``functions``."""
    import nbformat

    tree, lines = _stub(module, stubs)
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = NBFORMAT, NBFORMAT_MINOR
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                   "gradelab": {"module": module}}
    nb.cells = [_markdown(f"{module}-concept", _concept(module, ast.get_docstring(tree) or "")),
                _markdown(f"{module}-how", _how_to(module)),
                _code(f"{module}-imports", _preamble(tree, lines), {"module": module}, [f"gradelab:{module}"])]
    for name in functions:
        node = _function(tree, name, module, stubs)
        nb.cells += [_markdown(f"{module}-{name}-about", _about(node)),
                     _code(f"{module}-{name}", _segment(lines, node), {"module": module, "function": name},
                           [f"gradelab:{module}.{name}"]),
                     _code(f"{module}-{name}-check", _check_line(f"{module}.{name}"), {"check": f"{module}.{name}"})]
    nb.cells += [_markdown(f"{module}-all", "## All of it\n\nThe whole module, as it will be graded when you hand "
                           "this notebook in:"),
                 _code(f"{module}-check", _check_line(module), {"check": module})]
    nbformat.validate(nb)
    return nb


def text_of(notebook: Any) -> str:
    """The file's text, as Jupyter itself writes it (sorted keys, one-space indent)."""
    import nbformat

    text = nbformat.writes(notebook, version=NBFORMAT)
    return text if text.endswith("\n") else text + "\n"


# -- reading the stub --------------------------------------------------------------------------

def _stub(module: str, stubs: Path) -> tuple[ast.Module, list[str]]:
    path = stubs / f"{module}.py"
    try:
        text = path.read_text(encoding="utf-8")
        return ast.parse(text), text.split("\n")
    except OSError as exc:
        raise StubError(f"cannot read the stub {str(path)!r}: {exc.strerror}; pass --stubs DIR "
                        "(the course's exercises/ folder)") from None
    except (SyntaxError, ValueError) as exc:
        raise StubError(f"the stub {str(path)!r} is not valid Python: {exc}") from None


def _function(tree: ast.Module, name: str, module: str, stubs: Path) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise StubError(f"the stub {str(stubs / (module + '.py'))!r} has no function {name}")


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[first - 1:node.end_lineno])


def _preamble(tree: ast.Module, lines: list[str]) -> str:
    """The stub's top-level statements other than its docstring and functions (its imports)."""
    kept = [node for node in tree.body if not isinstance(node, ast.FunctionDef)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    return "\n".join(_segment(lines, node) for node in kept)


# -- cells ---------------------------------------------------------------------------------------

def _markdown(cell_id: str, source: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = cell_id
    return cell


def _code(cell_id: str, source: str, gradelab: dict[str, str], tags: Optional[list[str]] = None) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    cell.metadata = {"gradelab": gradelab, **({"tags": tags} if tags else {})}
    return cell


def _check_line(name: str) -> str:
    return f'from grader.notebook import check; check("{name}")'


def _concept(module: str, doc: str) -> str:
    title, _, body = doc.strip().partition("\n")
    return (f"# {title.strip().rstrip('.')}\n\n*Exercise module `{module}`.*\n\n" + to_markdown(body)).rstrip() + "\n"


def _how_to(module: str) -> str:
    return (
        "**How to work here.** Write each function in its own cell (the cells tagged "
        f"`gradelab:{module}.<function>`), run that cell, then run the check below it: it grades the "
        "function as this kernel defines it now, in the same sandbox and with the same feedback as "
        "`grade run`. Add cells of your own for experiments and plots as you like: only your functions, "
        "and the imports and helpers they use, are graded.\n\n"
        f"**Hand it in** as a notebook: `grade run --submission {module}.ipynb`.")


def _about(node: ast.FunctionDef) -> str:
    params = ast.unparse(node.args)
    doc = ast.get_docstring(node) or ""
    return f"## `{node.name}({params})`\n\n" + to_markdown(_without_sections(doc)).rstrip() + "\n"


def _without_sections(doc: str) -> str:
    """The docstring without its Args/Returns/Raises sections (the code cell shows them)."""
    kept, skipping = [], False
    for line in doc.split("\n"):
        if _SECTION.match(line):
            skipping = True
        elif skipping and line.strip() and not line.startswith(" "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def to_markdown(text: str) -> str:
    """Docstring prose as markdown: indented blocks become LaTeX where they convert, else code."""
    lines = inspect.cleandoc(text).split("\n") if text.strip() else []
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or (not lines[i].strip() and i + 1 < len(lines)
                                                                         and lines[i + 1].startswith("    "))):
                block.append(lines[i])
                i += 1
            out += ["", _display(block), ""]
            continue
        out.append(_prose(lines[i]))
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _display(block: list[str]) -> str:
    body = inspect.cleandoc("\n".join(block)).split("\n")
    formulas = [line for line in body if line.strip()]
    if all(not line.startswith(" ") for line in body):  # continuation lines read better as code
        converted = latex.block(formulas)
        if converted:
            return converted
    return "```text\n" + "\n".join(body) + "\n```"


def _prose(line: str) -> str:
    line = line.replace("``", "`").replace("$", r"\$")
    return re.sub(r"^Pitfall:", "**Pitfall:**", line)
