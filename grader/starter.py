"""The student starter repository that ``grade release`` writes.

What goes in: the stubs of the assigned modules, a student README, a ``.gitignore``, the
course file, a GitHub Actions workflow and the manifest of protected files.  What never goes
in: anything of ``solutions/`` or ``reference/`` (checked after writing: no function body of
theirs may appear in any released file).

The workflow installs the grader from the course's grader repository at one commit (a pip
``gradelab @ git+URL@COMMIT`` requirement).  A wheel built into the release would carry
``reference/`` -- the oracles, which are the answers for most functions -- into every
student's repository, so the release pins a commit instead and ships no grader code.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional

from grader import catalog
from grader.course import FILENAME as COURSE_FILE, Course
from grader.manifest import PACKAGED_NAME, RELEASE_PATH, Manifest, for_tree

WORKFLOW = ".github/workflows/gradelab.yml"
SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the grader's checkout, when installed from one
_HEX40 = re.compile(r"[0-9a-f]{40}")


class ReleaseError(ValueError):
    """The release cannot be made as asked; the message says what to pass or fix."""


@dataclass(frozen=True)
class Pin:
    """Where the workflow installs the grader from: a git URL and a full commit."""

    url: str
    commit: str

    @property
    def requirement(self) -> str:
        return f"gradelab @ git+{self.url}@{self.commit}"


def pin_for(url: Optional[str], ref: Optional[str], source: Path = SOURCE_ROOT) -> Pin:
    """The pin from ``--grader-url``/``--grader-ref``, defaulting to this checkout's origin and HEAD."""
    if not url:
        url = _git(source, "remote", "get-url", "origin")
        if not url:
            raise ReleaseError("cannot tell where the grader's repository is (no git remote 'origin' here): "
                               "pass --grader-url URL")
    commit = ref if ref and _HEX40.fullmatch(ref) else _git(source, "rev-parse", "--verify", "--quiet",
                                                             f"{ref or 'HEAD'}^{{commit}}")
    if not commit or not _HEX40.fullmatch(commit):
        raise ReleaseError(f"cannot resolve the grader commit {ref or 'HEAD'!r} here: pass --grader-ref "
                           "with a full 40-character commit id")
    return Pin(public_url(url), commit)


def public_url(url: str) -> str:
    """A URL CI can fetch without secrets: ``git@host:org/repo`` becomes ``https://host/org/repo``,
    and any user name or token written into the URL (``https://user:TOKEN@host/...``, as a
    credential-carrying ``origin`` often is) is dropped, since every student's workflow and
    README show it.  A URL that would not stay one word in the workflow is refused."""
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(?!//)(.+)", url)
    if scp:
        url = f"https://{scp.group(1)}/{scp.group(2)}"
    url = re.sub(r"^ssh://", "https://", url)
    url = re.sub(r"^([A-Za-z][\w+.-]*://)[^/@]*@", r"\1", url)  # userinfo: a user, a token, or both
    if not re.fullmatch(r"[\w.~:/%+@=-]+", url) or "@" in url:
        raise ReleaseError(f"the grader URL {url!r} cannot be written into the workflow (spaces, quotes or "
                           "'@' in it); pass --grader-url with a plain https URL")
    return url


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def build(out: Path, stubs: Path, course: Optional[Course], pin: Pin, torch_version: str,
          classroom: bool = False, gradelab: str = "") -> tuple[Manifest, str]:
    """Write the release into the empty folder ``out``; return its manifest and the manifest's text."""
    modules = list(course.modules) if course and course.modules else list(catalog.MODULES)
    missing = [m for m in modules if not (stubs / f"{m}.py").is_file()]
    if missing:
        raise ReleaseError(f"no stub {missing[0]}.py in {str(stubs)!r}; pass --stubs DIR (the exercises/ folder)")
    (out / "exercises").mkdir(parents=True)
    for module in modules:
        shutil.copyfile(stubs / f"{module}.py", out / "exercises" / f"{module}.py")
    if course is not None:
        (out / COURSE_FILE).write_text(course.text, encoding="utf-8")
    words = {"requirement": pin.requirement, "torch": torch_version, "title": "Deep learning from scratch",
             "modules": ", ".join(f"`{m}`" for m in modules), "first": modules[0],
             "first_function": first_function(stubs / f"{modules[0]}.py"),
             "grade_all": "grade" if course and course.modules else "grade run --tier all"}
    _write(out / "README.md", render(template("README.md"), words))
    _write(out / ".gitignore", template("gitignore"))
    _write(out / WORKFLOW, render(select_blocks(template("workflow.yml"), classroom), words))
    manifest = for_tree(out, modules, course.text if course else None, gradelab)
    text = manifest.to_json()
    _write(out / RELEASE_PATH, text)
    return manifest, text


def first_function(stub: Path) -> str:
    """The first function a stub defines (read with ``ast``; the README's example)."""
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    return next((node.name for node in tree.body if isinstance(node, ast.FunctionDef)), "function")


def template(name: str) -> str:
    return resources.files("grader").joinpath("release_template", name).read_text(encoding="utf-8")


def render(text: str, words: dict[str, str]) -> str:
    """``{{name}}`` replaced by ``words[name]``; a name without a word is a bug, so it raises."""
    def word(match: re.Match) -> str:
        return words[match.group(1)]
    return re.sub(r"\{\{(\w+)\}\}", word, text)


def select_blocks(text: str, classroom: bool) -> str:
    """Keep the ``# classroom-begin/end`` blocks or the ``# plain-begin/end`` ones, never both."""
    drop = "plain" if classroom else "classroom"
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker in (f"# {drop}-begin", f"# {drop}-end"):
            skipping = marker.endswith("begin")
        elif not skipping and not re.fullmatch(r"# (plain|classroom)-(begin|end)", marker):
            kept.append(line)
    return "".join(kept)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def function_bodies(folder: Path) -> dict[str, str]:
    """``{"folder/file.py:function": body}`` for every function in ``folder``'s modules, docstrings left
    out and whitespace collapsed (the form :func:`leaks` searches for)."""
    bodies = {}
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if _has_docstring(node) else node.body
                if body:
                    bodies[f"{folder.name}/{path.name}:{node.name}"] = squash(_segment(lines, body[0], body[-1]))
    return bodies


def _segment(lines: list[bytes], first: ast.stmt, last: ast.stmt) -> str:
    """The source from ``first``'s start to ``last``'s end (``ast`` columns count UTF-8 bytes)."""
    chunk = b"".join(lines[first.lineno - 1:last.end_lineno])
    end = len(chunk) - len(lines[last.end_lineno - 1]) + last.end_col_offset
    return chunk[first.col_offset:end].decode("utf-8", errors="replace")


def _has_docstring(node: ast.AST) -> bool:
    first = node.body[0] if node.body else None
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def squash(text: str) -> str:
    return " ".join(text.split())


#: Bodies shorter than this are formulas a stub's docstring states anyway (``return x @ W + b``)
#: or words too common to mean a leak (``pass``, ``return x``).
MIN_LEAK = 30


def leaks(out: Path, folders: list[Path]) -> list[str]:
    """``"released/file: source.py:function"`` for each function body of ``folders`` found in the
    release; empty when nothing leaked."""
    bodies = {name: body for folder in folders if folder.is_dir()
              for name, body in function_bodies(folder).items() if len(body) >= MIN_LEAK}
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        text = squash(path.read_text(encoding="utf-8", errors="replace"))
        found += [f"{path.relative_to(out).as_posix()}: {name}" for name, body in bodies.items() if body in text]
    return found


def in_checkout(path: Path) -> bool:
    """Whether ``path`` lies in the grader's own git checkout (an editable install)."""
    return SOURCE_ROOT in path.resolve().parents and bool(_git(SOURCE_ROOT, "rev-parse", "--show-toplevel"))


def pinned_commit_has(commit: str, manifest_text: str) -> bool:
    """Whether the grader at ``commit`` already carries this manifest as its package data."""
    return _git(SOURCE_ROOT, "show", f"{commit}:grader/{PACKAGED_NAME}") == manifest_text.strip()
