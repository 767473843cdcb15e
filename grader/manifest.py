"""The release manifest: every protected file of a student repository with its hash.

``grade release`` writes it twice: into the student repository (``.gradelab/manifest.json``)
and into the grader's own package (``grader/release_manifest.json``), which the course commits
so that the grader the workflow installs carries it.  ``grade ci`` trusts only the second.

Protected means everything outside ``exercises/``.  One thing in a protected file legitimately
depends on the release: the commit the workflow pins the grader to.  Hashes are taken with
that commit replaced by a fixed word, so the manifest does not depend on the commit that holds
it (the course commits the manifest, then pins that very commit).  The grader's URL stays in
the hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional

VERSION = 1
RELEASE_PATH = ".gradelab/manifest.json"  # the student's copy, inside the release
PACKAGED_NAME = "release_manifest.json"   # the trusted copy, package data of ``grader``
EXERCISES = "exercises/"

#: ``gradelab @ git+URL@COMMIT`` as written into the workflow and the README.
PIN = re.compile(r"(gradelab @ git\+\S+?@)([0-9a-f]{40})\b")
PIN_WORD = "PINNED-COMMIT"


class ManifestError(ValueError):
    """The manifest is missing or unreadable; the message says what to do."""


@dataclass
class Manifest:
    files: dict[str, str]                     # path -> sha256 of its normalised bytes
    modules: list[str] = field(default_factory=list)
    course: Optional[str] = None              # the course file's text, when the release had one
    gradelab: str = ""
    version: int = VERSION

    def to_json(self) -> str:
        document = {"version": self.version, "gradelab": self.gradelab, "modules": self.modules,
                    "course": self.course, "files": dict(sorted(self.files.items()))}
        return json.dumps(document, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, label: str) -> "Manifest":
        try:
            data = json.loads(text)
            manifest = cls(files=dict(data["files"]), modules=list(data["modules"]), course=data["course"],
                           gradelab=str(data["gradelab"]), version=int(data["version"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"{label} is not a gradelab release manifest ({type(exc).__name__}: {exc})") from None
        if manifest.version != VERSION:
            raise ManifestError(f"{label} is a manifest of version {manifest.version}; this grader reads {VERSION}")
        return manifest


def is_protected(path: str) -> bool:
    """Everything outside ``exercises/`` is protected."""
    return not path.startswith(EXERCISES)


def digest(data: bytes) -> str:
    """The hash recorded for a file: its bytes with the pinned commit replaced by a fixed word."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "sha256:" + hashlib.sha256(data).hexdigest()
    normalised = PIN.sub(lambda m: m.group(1) + PIN_WORD, text)
    return "sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def for_tree(root: Path, modules: list[str], course: Optional[str], gradelab: str) -> Manifest:
    """The manifest of a release laid out under ``root``: every file outside ``exercises/``."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts):
        name = path.relative_to(root).as_posix()
        if is_protected(name) and name != RELEASE_PATH:
            files[name] = digest(path.read_bytes())
    return Manifest(files, sorted(modules), course, gradelab)


def packaged_path() -> Path:
    """Where the trusted copy lives in the installed grader (it may not exist)."""
    return Path(str(resources.files("grader").joinpath(PACKAGED_NAME)))


def load_trusted(explicit: Optional[str] = None) -> tuple[Manifest, str]:
    """The trusted manifest and its exact text: ``--manifest FILE``, else the packaged copy."""
    path = Path(explicit) if explicit else packaged_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        if explicit:
            raise ManifestError(f"cannot read --manifest {explicit!r}") from None
        raise ManifestError("the installed grader carries no release manifest: run `grade release` in the "
                            f"grader's repository, commit grader/{PACKAGED_NAME} and pin that commit "
                            "(or pass --manifest FILE)") from None
    return Manifest.from_json(text, str(path)), text
