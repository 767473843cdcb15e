"""The tamper check of ``grade ci``: a pull request may change ``exercises/`` and nothing else.

Three looks at the student's repository, each a list of :class:`Violation`:

- against the base commit (``--base``, by default the merge base with the default branch):
  any change outside ``exercises/``;
- against the trusted manifest (the one shipped with the installed grader): every protected
  file must be there with its released hash, no other file may sit outside ``exercises/``, and
  the repository's copy of the manifest must equal the trusted one; this catches a base commit
  that was itself tampered with;
- anywhere, ``exercises/`` included: files that Python or pytest run on their own
  (``conftest.py``, ``sitecustomize.py``, ``usercustomize.py``) and symbolic links.

Git runs with external diff drivers and text conversion off, so nothing the repository
configures is executed.  Paths keep their bytes (a name that is not UTF-8 is still found on
disk, so a link cannot hide behind an odd name); reports show them cleaned.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional

from grader.manifest import RELEASE_PATH, Manifest, digest, is_protected
from grader.protocol import clean_text

#: Files that run by themselves when Python starts or pytest collects.
AUTORUN = {"conftest.py": "pytest runs it before any test", "sitecustomize.py": "Python runs it at start-up",
           "usercustomize.py": "Python runs it at start-up",
           ".pth file": "Python runs its import lines at start-up from a site folder"}


class TamperError(ValueError):
    """The comparison cannot be made (no git repository, no base); the message says why."""


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    reason: str


def repository_root(folder: Path) -> Path:
    try:
        return Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    except TamperError:
        raise TamperError(f"{str(folder)!r} is not inside a git repository; run `grade ci` in the "
                          "student repository's checkout") from None


def resolve_base(root: Path, base: Optional[str]) -> str:
    """The commit to compare with: ``base`` itself, else the merge base with the default branch."""
    if base:
        try:
            return _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").strip()
        except TamperError:
            raise TamperError(f"--base {base!r} is not a commit of this repository (in GitHub Actions, "
                              "check out with fetch-depth: 0)") from None
    for branch in _default_branches(root):
        try:
            return _git(root, "merge-base", "HEAD", branch).strip()
        except TamperError:
            continue
    raise TamperError("cannot find the default branch to compare with (tried origin/HEAD, "
                      "$GITHUB_BASE_REF, main and master): pass --base REF, and in GitHub Actions check "
                      "out with fetch-depth: 0")


def _default_branches(root: Path) -> list[str]:
    candidates = []
    if os.environ.get("GITHUB_BASE_REF"):
        candidates.append(f"origin/{os.environ['GITHUB_BASE_REF']}")
    try:
        candidates.append(_git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip())
    except TamperError:
        pass
    return candidates + ["origin/main", "origin/master", "main", "master"]


def violations(root: Path, base: str, trusted: Manifest, trusted_text: str) -> list[Violation]:
    """Every reason to withhold the grade: one violation per file, sorted by path, its reasons
    joined (empty when the repository is clean)."""
    present = present_files(root)
    found = (against_base(root, base) + against_manifest(root, present, trusted, trusted_text)
             + autorun_files(present) + links(root, present))
    reasons: dict[str, list[str]] = {}
    for violation in found:
        bucket = reasons.setdefault(violation.path, [])
        bucket += [violation.reason] if violation.reason not in bucket else []
    return [Violation(path, f"{'; '.join(what)}: {why_protected(path)}") for path, what in sorted(reasons.items())]


def against_base(root: Path, base: str) -> list[Violation]:
    """Changes outside ``exercises/`` between ``base`` and the working tree (untracked included)."""
    out = _git(root, "diff", "--no-ext-diff", "--no-textconv", "--no-renames", "--name-status", "-z", base, "--")
    fields = out.split("\0")
    changed = {path: _CHANGE.get(status[:1], "changed") for status, path in zip(fields[::2], fields[1::2])}
    changed.update(dict.fromkeys(_untracked(root), "added"))
    return [Violation(path, f"{kind} since the base commit") for path, kind in changed.items() if is_protected(path)]


_CHANGE = {"A": "added", "D": "deleted", "M": "modified", "T": "changed type"}


def against_manifest(root: Path, present: set[str], trusted: Manifest, trusted_text: str) -> list[Violation]:
    """Protected files that differ from the release the trusted manifest describes (``present``:
    the repository's files)."""
    found = []
    for path, expected in trusted.files.items():
        file = root / path
        if path not in present or not file.is_file():
            found.append(Violation(path, "missing, though the manifest shipped with the grader lists it"))
        elif file.is_symlink() or digest(file.read_bytes()) != expected:
            found.append(Violation(path, "differs from the release (the manifest shipped with the grader)"))
    copy = root / RELEASE_PATH
    if not copy.is_file() or copy.is_symlink() or copy.read_bytes() != trusted_text.encode("utf-8"):
        found.append(Violation(RELEASE_PATH, "differs from the manifest shipped with the grader"))
    for path in sorted(present):
        if is_protected(path) and path not in trusted.files and path != RELEASE_PATH:
            found.append(Violation(path, "not in the release (the manifest shipped with the grader)"))
    return found


def autorun_files(paths: set[str]) -> list[Violation]:
    """``conftest.py``, ``sitecustomize.py`` and ``usercustomize.py`` (or such a package) and
    ``.pth`` files anywhere, ``exercises/`` included, in any case (a file system that ignores
    case finds ``Conftest.py`` as ``conftest.py``)."""
    found = []
    for path in sorted(paths):
        parts = [part.casefold() for part in PurePosixPath(path).parts]
        names = [part for part in parts if part in AUTORUN]
        names += [part + ".py" for part in parts[:-1] if part + ".py" in AUTORUN]
        if parts and parts[-1].endswith(".pth"):
            names.append(".pth file")
        if names:
            found.append(Violation(path, f"a {names[0]} is never allowed"))
    return found


def links(root: Path, paths: set[str]) -> list[Violation]:
    """Symbolic links anywhere: only regular files are released and graded."""
    return [Violation(path, "a symbolic link is never allowed (only regular files are graded)")
            for path in sorted(paths) if (root / path).is_symlink()]


def why_protected(path: str) -> str:
    """Why a file outside ``exercises/`` matters to grading, in a few words."""
    name = PurePosixPath(path)
    folded = [part.casefold() for part in name.parts]
    autorun = [part for part in folded if part in AUTORUN or part + ".py" in AUTORUN]
    if autorun:
        return AUTORUN[autorun[0].removesuffix(".py") + ".py"]
    if folded and folded[-1].endswith(".pth"):
        return AUTORUN[".pth file"]
    if not is_protected(path):
        return "inside exercises/, but not something a submission may hold"
    if path.startswith(".github/workflows/"):
        return "a workflow decides how CI grades"
    if path.startswith(".github/"):
        return "GitHub configuration"
    if path == RELEASE_PATH:
        return "the manifest of protected files"
    if name.name == "course.toml":
        return "the course file sets modules, points and hidden checks"
    if name.name in ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "tox.ini", "pytest.ini"):
        return "project configuration changes what is installed or run"
    if "test" in name.name.lower() or "tests" in name.parts:
        return "tests belong to the course"
    return "only exercises/ is yours to change"


def present_files(root: Path) -> set[str]:
    """Tracked files and untracked ones that are not ignored."""
    out = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return {path for path in out.split("\0") if path}


def _untracked(root: Path) -> list[str]:
    out = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    return [path for path in out.split("\0") if path]


def _git(root: Path, *args: str) -> str:
    """``git -C root ARGS``; its output, or :class:`TamperError` with git's own reason."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false", "-C", str(root), *args],
                              capture_output=True, encoding="utf-8", errors="surrogateescape",
                              env=env, timeout=60)
    except FileNotFoundError:
        raise TamperError("git is not installed; `grade ci` compares commits with git") from None
    except subprocess.TimeoutExpired:
        raise TamperError(f"git {args[0]} took longer than a minute") from None
    if done.returncode != 0:
        message = clean_text(done.stderr).strip()
        raise TamperError(message.splitlines()[-1] if message else f"git {args[0]} failed")
    return done.stdout
