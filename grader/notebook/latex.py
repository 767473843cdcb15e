"""The formulas of the stubs' docstrings, written in plain Python-like text, as LaTeX.

Only what reads well is converted: a formula block becomes an ``aligned`` display when every line
of it is an expression (or a chain of ``lhs = rhs``) built from names, numbers, arithmetic,
``@``, ``**``, ``.T`` and calls; the text after a run of spaces is a remark, set in ``\\text``.
Anything else (indexing, prose such as ``sum over c of``) returns ``None`` and the block stays a
code block, which is never wrong.  Pure functions of strings; nothing is evaluated.
"""

from __future__ import annotations

import ast
import re
from typing import Optional

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu",
          "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
          "Lambda", "Sigma", "Phi", "Psi", "Omega"}
_ALIASES = {"eps": r"\epsilon", "lam": r"\lambda", "inf": r"\infty"}
_SUBSCRIPTS = {"new", "prev", "next", "min", "max", "in", "out", "old"}
_OPERATORS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
              "tanh": r"\tanh", "max": r"\max", "min": r"\min"}
_MODULES = {"np", "numpy", "math"}
_COMPARE = {ast.Lt: "<", ast.LtE: r"\le", ast.Gt: ">", ast.GtE: r"\ge", ast.Eq: "=", ast.NotEq: r"\ne"}
_ATOM, _POWER, _UNARY, _PRODUCT, _SUM, _RELATION = 6, 5, 4, 3, 2, 1


class _Unsupported(Exception):
    pass


def block(lines: list[str]) -> Optional[str]:
    """A display-math ``aligned`` block for the formula lines, or ``None`` if one does not convert."""
    rows = []
    for line in lines:
        row = _row(line.strip())
        if row is None:
            return None
        rows.append(row)
    if not rows:
        return None
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def _row(line: str) -> Optional[str]:
    """``lhs = rhs  remark`` as ``lhs &= rhs \\qquad \\text{remark}``: the longest convertible prefix."""
    gaps = [m.start() for m in re.finditer(r"\s{2,}(?=\S)", line)]
    for cut in [len(line)] + gaps[::-1]:
        formula, remark = line[:cut], line[cut:].strip()
        converted = _formula(" ".join(formula.split()))
        if converted is not None and (not remark or (_remark(remark) and not converted.startswith("& "))):
            return converted + (rf" \qquad \text{{{_text(remark)}}}" if remark else "")
    return None


def _remark(text: str) -> bool:
    """Words or a parenthesis (``on the first step``, ``(B = rows)``), not a second formula: no
    ``=`` outside parentheses."""
    top_level_equals = (_split_equals(text) or [text, ""])[1:]
    return (text[0].isalpha() or text[0] == "(") and not top_level_equals


def _formula(text: str) -> Optional[str]:
    if "<-" in text:  # an assignment arrow, which Python would read as `< -`
        target, _, value = text.partition("<-")
        left, right = _formula(target), _formula(value)
        if left is None or right is None or "&=" in left + right:
            return None
        return left.removeprefix("& ") + r" &\leftarrow " + right.removeprefix("& ")
    parts = _split_equals(text)
    if parts is None or any(not p.strip() for p in parts):
        return None
    try:
        rendered = [tex(ast.parse(p.strip(), mode="eval").body) for p in parts]
    except (SyntaxError, ValueError, RecursionError, _Unsupported):
        return None
    if len(rendered) == 1:
        return "& " + rendered[0]
    return rendered[0] + " &= " + " = ".join(rendered[1:])


def _split_equals(text: str) -> Optional[list[str]]:
    """Split at the ``=`` signs outside brackets (not ``==``, ``<=``, ``>=``, ``!=``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "=" and depth == 0 and text[i - 1:i] not in ("=", "<", ">", "!") and text[i + 1:i + 2] != "=":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts if depth == 0 else None


def _text(remark: str) -> str:
    remark = remark.replace("``", "").replace("`", "")
    remark = re.sub(r"([_%&#${}])", r"\\\1", remark)
    return remark.replace("^", r"\^{}").replace("~", r"\~{}")


def tex(node: ast.AST) -> str:
    """LaTeX for an expression node; raises ``_Unsupported`` for anything that would not read well."""
    return _tex(node)[0]


def _tex(node: ast.AST) -> tuple[str, int]:
    if isinstance(node, ast.Name):
        return name(node.id), _ATOM
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return _number(node.value), _ATOM
    if isinstance(node, ast.Tuple):
        return ", ".join(tex(e) for e in node.elts), _RELATION
    if isinstance(node, ast.Attribute):
        return _attribute(node)
    if isinstance(node, ast.Call):
        return _call(node), _ATOM
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return ("-" if isinstance(node.op, ast.USub) else "+") + _wrap(node.operand, _UNARY), _UNARY
    if isinstance(node, ast.BinOp):
        return _binary(node)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        items = [_wrap(node.left, _SUM)]
        for op, right in zip(node.ops, node.comparators):
            items += [_COMPARE[type(op)], _wrap(right, _SUM)]
        return " ".join(items), _RELATION
    raise _Unsupported(type(node).__name__)


def _wrap(node: ast.AST, at_least: int) -> str:
    text, precedence = _tex(node)
    return text if precedence >= at_least else rf"\left({text}\right)"


def _binary(node: ast.BinOp) -> tuple[str, int]:
    op = node.op
    if isinstance(op, (ast.Add, ast.Sub)):
        sign = "+" if isinstance(op, ast.Add) else "-"
        return f"{_wrap(node.left, _SUM)} {sign} {_wrap(node.right, _SUM + isinstance(op, ast.Sub))}", _SUM
    if isinstance(op, ast.Div):
        return rf"\frac{{{tex(node.left)}}}{{{tex(node.right)}}}", _POWER  # grouped, but a power's base wraps it
    if isinstance(op, ast.FloorDiv):
        return rf"\left\lfloor \frac{{{tex(node.left)}}}{{{tex(node.right)}}} \right\rfloor", _ATOM
    if isinstance(op, (ast.Mult, ast.MatMult, ast.Mod)):
        joint = {ast.Mult: r" \cdot ", ast.MatMult: r" \, ", ast.Mod: r" \bmod "}[type(op)]
        return _wrap(node.left, _PRODUCT) + joint + _wrap(node.right, _PRODUCT + 1), _PRODUCT
    if isinstance(op, ast.Pow):
        return f"{_wrap(node.left, _ATOM)}^{{{tex(node.right)}}}", _POWER
    raise _Unsupported(type(op).__name__)


def _attribute(node: ast.Attribute) -> tuple[str, int]:
    if node.attr == "T":
        return _wrap(node.value, _ATOM) + r"^\top", _POWER
    if isinstance(node.value, ast.Name) and node.value.id in _MODULES and node.attr in ("pi", "e", "inf"):
        return name(node.attr) if node.attr != "e" else "e", _ATOM
    raise _Unsupported("attribute")


def _call(node: ast.Call) -> str:
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise _Unsupported("keywords")
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in _MODULES:
        func = ast.Name(func.attr)
    if not isinstance(func, ast.Name):
        raise _Unsupported("call")
    args = ", ".join(tex(a) for a in node.args)
    if func.id == "sqrt" and len(node.args) == 1:
        return rf"\sqrt{{{args}}}"
    if func.id == "abs" and len(node.args) == 1:
        return rf"\left|{args}\right|"
    head = _OPERATORS.get(func.id) or (name(func.id) if len(func.id) == 1 or func.id in _GREEK
                                       else rf"\operatorname{{{_escape(func.id)}}}")
    return rf"{head}\left({args}\right)"


def name(identifier: str) -> str:
    """``beta1`` -> ``\\beta_1``, ``m_hat`` -> ``\\hat{m}``, ``w_new`` -> ``w_{\\text{new}}``, ``lr`` -> ``\\mathrm{lr}``."""
    numbered = re.fullmatch(r"([A-Za-z]+?)(\d+)", identifier)
    if numbered:
        return f"{_word(numbered.group(1))}_{{{numbered.group(2)}}}"
    base, _, sub = identifier.partition("_")
    if base and sub == "hat":
        return rf"\hat{{{_word(base)}}}"
    if base and (sub in _SUBSCRIPTS or (len(sub) == 1 and sub.isalnum())):
        script = sub if len(sub) == 1 else rf"\text{{{sub}}}"
        return f"{_word(base)}_{{{script}}}"
    return _word(identifier)


def _word(word: str) -> str:
    if word in _ALIASES:
        return _ALIASES[word]
    if word in _GREEK:
        return "\\" + word
    return word if len(word) == 1 else rf"\mathrm{{{_escape(word)}}}"


def _escape(word: str) -> str:
    return word.replace("_", r"\_")


def _number(value: float) -> str:
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if float(mantissa) == 1 else rf"{mantissa} \times {power}"
    return text
