"""A static look at a submission's source, before any of it runs.

The child's audit hook catches forbidden imports however they are written; this scan catches
the plain ones (and syntax errors) without starting anything, and cannot be fooled by code that
tampers with the child.
"""

from __future__ import annotations

import ast
from typing import Optional


def syntax_error(source: str, filename: str) -> Optional[str]:
    """A one-line description of the first syntax error, or ``None``."""
    try:
        ast.parse(source, filename=filename)
    except SyntaxError as exc:
        where = f" line {exc.lineno}" if exc.lineno else ""
        return f"syntax error in {filename}{where}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return f"{filename} is not valid Python source: {exc}"
    return None


def forbidden_imports(source: str, forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden top-level modules that ``source`` imports by name (``import``, ``from``,
    ``__import__("...")``, ``importlib.import_module("...")``)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _call_name(node.func) in ("__import__", "import_module")):
            names = [node.args[0].value]
        for name in names:
            top = name.partition(".")[0]
            if top in forbidden and top not in found:
                found.append(top)
    return found


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
