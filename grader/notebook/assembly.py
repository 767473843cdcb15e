"""Cells in, one module's source out: the graded functions and what they use, read with ``ast``.

Nothing here runs a cell.  The rule is the same for a tagged notebook, an untagged one and the
cells a kernel has executed:

- the graded functions are the last definitions of the module's function names in the cells
  tagged for the module (in every cell when none is tagged, or when a function has no tagged
  definition);
- everything they use is added by name: the binding a name had when it was used, among the
  top-level imports, definitions and assignments of every cell (a name used inside a function
  body is looked up when the function is called, so its last binding counts; one used at the top
  level, in a default value or a decorator, its binding at that point);
- statements that change a kept container (``ACT["relu"] = relu``) are kept with it;
- everything else -- prints, plots, experiments, magics, shell escapes -- is left out, and so is
  a cell that is not Python (as in Jupyter, where it defines nothing and the others still run).

The statements keep their order (cell by cell) and their text; ``from __future__`` imports move
to the top.  ``notes`` tell the student what was taken from where and what was left out.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from dataclasses import dataclass, field
from typing import Optional

from grader.notebook.magics import strip_magics

_BUILTINS = frozenset(dir(builtins))
_END = float("inf")
_IMMEDIATE_SCOPES = {"listcomp", "setcomp", "dictcomp", "genexpr"}
_SHOWN = 3  # examples per note


@dataclass(frozen=True)
class Cell:
    label: str                               # how the student finds it: "cell 5", "In[7]"
    source: str
    modules: frozenset[str] = frozenset()    # the exercise modules it is tagged for


@dataclass
class Module:
    name: str
    source: str
    defined: tuple[str, ...]                 # the module's functions the source defines
    notes: list[str] = field(default_factory=list)


@dataclass
class _Statement:
    position: int
    cell: int
    node: ast.stmt
    text: str
    binds: frozenset[str]
    now: frozenset[str]      # names read while the statement runs
    later: frozenset[str]    # names read when functions it defines are called


def assemble(cells: list[Cell], module: str, functions: tuple[str, ...], explain_untagged: bool = True) -> Module:
    """The source of ``module`` from ``cells`` (see the module docstring)."""
    stripped = [strip_magics(cell.source) for cell in cells]
    trees = [_parse(s.source) for s in stripped]
    tagged = [module in cell.modules for cell in cells]
    statements = _statements(stripped, trees)
    graded = _graded(statements, functions, tagged)
    chosen = _closure(statements, graded)
    source = _emit(cells, statements, chosen)
    notes = _notes(cells, stripped, trees, statements, chosen, graded, tagged, explain_untagged)
    return Module(module, source, tuple(f for f in functions if f in graded), notes)


# -- reading the cells -----------------------------------------------------------------------

def _parse(source: str) -> Optional[ast.Module]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _statements(stripped, trees) -> list[_Statement]:
    found = []
    for cell, (s, tree) in enumerate(zip(stripped, trees)):
        if tree is None:
            continue
        lines = s.source.split("\n")
        for index, node in enumerate(tree.body):
            text = _text(lines, node, tree.body[index - 1] if index else None,
                         tree.body[index + 1] if index + 1 < len(tree.body) else None)
            now, later = _reads(text, node)
            found.append(_Statement(len(found), cell, node, text, _binds(node), now, later))
    return found


def _text(lines: list[str], node: ast.stmt, before: Optional[ast.stmt], after: Optional[ast.stmt]) -> str:
    """The statement as written: whole lines (comments included) unless it shares a line."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    shares = (before is not None and before.end_lineno == first) or (after is not None and after.lineno == node.end_lineno)
    if not shares:
        return "\n".join(lines[first - 1:node.end_lineno])
    chunk = [line.encode() for line in lines[first - 1:node.end_lineno]]
    chunk[-1] = chunk[-1][:node.end_col_offset]
    chunk[0] = chunk[0][node.col_offset:]
    return "\n".join(part.decode(errors="replace") for part in chunk)


def _binds(node: ast.stmt) -> frozenset[str]:
    """Names the statement binds at the top level (not inside the functions it defines); only
    targets and nested statements are visited, never the expressions assigned."""
    names: set[str] = set()
    pending: list[ast.AST] = [node]
    while pending:
        child = pending.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            names.update(a.asname or a.name.partition(".")[0] for a in child.names if a.name != "*")
        elif isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, (ast.Tuple, ast.List, ast.Starred)):
            pending += child.elts if not isinstance(child, ast.Starred) else [child.value]
        elif isinstance(child, ast.Assign):
            pending += child.targets
        elif isinstance(child, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            pending.append(child.target)
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            pending += [item.optional_vars for item in child.items if item.optional_vars is not None]
        elif isinstance(child, ast.Delete):
            pending += child.targets
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        if isinstance(child, ast.stmt) or isinstance(child, ast.ExceptHandler):
            for block in ("body", "orelse", "finalbody", "handlers"):
                if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    pending += getattr(child, block, [])
    return frozenset(names)


def _reads(text: str, node: ast.stmt) -> tuple[frozenset[str], frozenset[str]]:
    """Global names read now and later, from Python's own symbol tables."""
    try:
        table = symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        return frozenset(loads), frozenset()
    now = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):  # `x += 1` reads x first
        now.add(node.target.id)
    later: set[str] = set()
    for child in table.get_children():
        _collect(child, now if _immediate(child) else later)
    return frozenset(now), frozenset(later)


def _immediate(table: symtable.SymbolTable) -> bool:
    return table.get_type() == "class" or table.get_name() in _IMMEDIATE_SCOPES


def _collect(table: symtable.SymbolTable, into: set[str]) -> None:
    into.update(s.get_name() for s in table.get_symbols()
                if s.is_global() and (s.is_referenced() or s.is_declared_global()))
    for child in table.get_children():
        _collect(child, into)


# -- choosing ----------------------------------------------------------------------------------

def _graded(statements: list[_Statement], functions: tuple[str, ...], tagged: list[bool]) -> dict[str, _Statement]:
    """Each function's last definition in tagged cells, else in any cell."""
    graded = {}
    for name in functions:
        binding = [s for s in statements if name in s.binds and not isinstance(s.node, ast.Expr)]
        preferred = [s for s in binding if tagged[s.cell]] or binding
        if preferred:
            graded[name] = preferred[-1]
    return graded


def _closure(statements: list[_Statement], graded: dict[str, _Statement]) -> set[int]:
    """Positions of the graded statements, what they use, and what changes what they use."""
    index = _Bindings(statements)
    changes = [(s, roots) for s in statements for roots in [_changed_roots(s.node)] if roots]
    chosen: set[int] = set()
    pending: list[tuple[str, float]] = []
    seen: set[tuple[str, float]] = set()

    def choose(statement: _Statement) -> None:
        if statement.position not in chosen:
            chosen.add(statement.position)
            pending.extend((n, statement.position) for n in statement.now)
            pending.extend((n, _END) for n in statement.later)

    for statement in graded.values():
        choose(statement)
    while True:
        while pending:
            item = pending.pop()
            if item not in seen:
                seen.add(item)
                provider = graded.get(item[0]) or index.provider(*item)
                if provider is not None:
                    choose(provider)
        extra = [s for s, roots in changes if s.position not in chosen and index.changes_kept(s, roots, chosen)]
        if not extra:
            return chosen
        for statement in extra:
            choose(statement)


class _Bindings:
    """Which statements bind each name, in order, to find the binding a name has at a point."""

    _DELIBERATE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)

    def __init__(self, statements: list[_Statement]):
        self.by_name: dict[str, list[_Statement]] = {}
        for statement in statements:
            if not isinstance(statement.node, ast.Expr):
                for name in statement.binds:
                    self.by_name.setdefault(name, []).append(statement)

    def provider(self, name: str, before: float) -> Optional[_Statement]:
        """The last statement before ``before`` that binds ``name`` (a builtin only by def or import)."""
        for statement in reversed(self.by_name.get(name, [])):
            if statement.position < before and (name not in _BUILTINS or isinstance(statement.node, self._DELIBERATE)):
                return statement
        return None

    def changes_kept(self, statement: _Statement, roots: list[str], chosen: set[int]) -> bool:
        """Whether the statement changes a container that is kept (bound by an assignment)."""
        for root in roots:
            binding = self.provider(root, statement.position)
            if binding is not None and binding.position in chosen and isinstance(binding.node, (ast.Assign, ast.AnnAssign)):
                return True
        return False


def _changed_roots(node: ast.stmt) -> list[str]:
    """The names whose value ``box[k] = v``, ``box.attr += v`` or ``box.update(...)`` changes."""
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        roots = [_root(t) for t in targets if isinstance(t, (ast.Subscript, ast.Attribute))]
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        roots = [_root(node.value.func.value)]
    else:
        return []
    return [root for root in roots if root]


def _root(node: ast.AST) -> Optional[str]:
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


# -- writing -----------------------------------------------------------------------------------

def _emit(cells: list[Cell], statements: list[_Statement], chosen: set[int]) -> str:
    kept = [s for s in statements if s.position in chosen]
    used_cells = {s.cell for s in kept}
    future = sorted({alias.name for s in statements if s.cell in used_cells and _is_future(s.node)
                     for alias in s.node.names})
    parts = [f"from __future__ import {', '.join(future)}"] if future else []
    cell = None
    for statement in kept:
        if _is_future(statement.node):
            continue
        if statement.cell != cell:
            cell = statement.cell
            parts.append(f"\n# --- {cells[cell].label} ---")
        parts.append(statement.text)
    return "\n".join(parts).lstrip("\n") + "\n"


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _syntax_error(source: str) -> str:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}" if exc.lineno else exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return type(exc).__name__
    return "?"


def _notes(cells, stripped, trees, statements, chosen, graded, tagged, explain_untagged) -> list[str]:
    kept = [s for s in statements if s.position in chosen]
    used_cells = sorted({s.cell for s in kept})
    notes = []
    magics = [f"`{line}` ({cells[i].label})" for i in used_cells for line in stripped[i].removed]
    if magics:
        notes.append("IPython magics and shell commands are not Python and are not part of the graded module: "
                     + _some(magics))
    any_tagged = any(tagged)
    if any_tagged:
        untagged_defs = [f"{name} ({cells[s.cell].label})" for name, s in graded.items() if not tagged[s.cell]]
        if untagged_defs:
            notes.append("defined only in cells not tagged for this exercise, and graded from there: "
                         + _some(untagged_defs) + "; tag those cells (or move the code into the tagged cells)")
        helpers = sorted({(s.position, f"{', '.join(sorted(s.binds)) or 'a change'} ({cells[s.cell].label})")
                          for s in kept if not tagged[s.cell] and s not in graded.values()})
        if helpers:
            notes.append("your functions use what these untagged cells define, so it is graded with them: "
                         + _some([text for _, text in helpers]))
        dropped = [f"`{_first_line(s.text)}` ({cells[s.cell].label})" for s in statements
                   if tagged[s.cell] and s.position not in chosen and not s.binds and not _inert(s.node)]
        if dropped:
            notes.append("top-level code in tagged cells that defines nothing your functions use is not graded "
                         "(it does not run when grading): " + _some(dropped))
    elif explain_untagged and graded:
        where = sorted({graded[name].cell for name in graded})
        notes.append("no cell is tagged for this exercise, so the cells that define "
                      f"{', '.join(graded)} ({', '.join(cells[i].label for i in where)}) were graded, "
                      "with the imports and helpers they use; other cells were left out")
    if explain_untagged:  # (a kernel never defined anything from a cell that is not Python)
        skipped = [f"{cells[i].label} ({_syntax_error(stripped[i].source)})" for i, tree in enumerate(trees)
                   if tree is None and cells[i].source.strip() and (tagged[i] or not any_tagged)]
        if skipped:
            notes.append(f"not valid Python, so left out (what it defines is missing): {_some(skipped)}")
    return notes


def _inert(node: ast.stmt) -> bool:
    """``pass`` (where a magic was) or a bare string: nothing is lost by leaving it out."""
    return isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))


def _first_line(text: str) -> str:
    line = text.strip().split("\n")[0]
    return line if len(line) <= 60 else line[:57] + "..."


def _some(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")
