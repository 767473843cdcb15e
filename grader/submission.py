"""Turning ``--submission PATH`` into module files: a directory, a ``.py``, a notebook or a zip.

Every form ends up as ``{module name: path of its .py file}``; notebooks and zips are unpacked
into a temporary directory that :meth:`Submission.close` removes.  The submission itself is
only ever read.

Notebooks (read by :mod:`grader.notebook`): a ``.ipynb`` given alone, or a ``<module>.ipynb`` in a
submission folder.  When a folder holds both ``<module>.py`` and ``<module>.ipynb``, the ``.py``
is graded and a note says the notebook was not; a folder's notebook that cannot be read costs only
its own module (a note says why), while a notebook given alone is a usage error.
"""

from __future__ import annotations

import lzma
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

from grader.catalog import MODULES


class SubmissionError(ValueError):
    """The path cannot be graded; the message says what to do instead."""


@dataclass
class Submission:
    label: str
    files: dict[str, Path]
    _temporary: Optional[str] = field(default=None, repr=False)
    path: Optional[Path] = None  # where it was opened from
    notes: list[str] = field(default_factory=list)  # how it was read, for the student (notebooks)

    def close(self) -> None:
        if self._temporary:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    def reopen(self) -> None:
        """Read the submission again from its path (after the student saved a file)."""
        fresh = open_submission(self.path)
        self.close()
        self.label, self.files, self._temporary, self.notes = fresh.label, fresh.files, fresh._temporary, fresh.notes


def open_submission(path: str | Path) -> Submission:
    """Resolve PATH into module files, or raise :class:`SubmissionError`."""
    submission = _open(path)
    submission.path = Path(path)
    return submission


def _open(path: str | Path) -> Submission:
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise SubmissionError(f"submission path {label!r} does not exist; pass --submission PATH "
                              "(a directory like exercises/, a .py, an .ipynb or a .zip)")
    if path.is_dir():
        return _from_folder(path, label)
    suffix = path.suffix.lower()
    if suffix == ".py":
        if path.stem not in MODULES:
            raise SubmissionError(f"{label!r} is not named after an exercise module; rename it to one "
                                  f"of: {', '.join(m + '.py' for m in MODULES)}")
        _readable(path, label)
        return Submission(label, {path.stem: path})
    if suffix == ".zip":
        return _from_zip(path, label)
    if suffix == ".ipynb":
        return _from_notebook(path, label)
    raise SubmissionError(f"cannot grade {label!r}: expected a directory, a .py, an .ipynb or a .zip")


#: The most a module's source may hold; a real exercise module is a few kilobytes.
MODULE_BYTES = 5 * 2**20


def _readable(path: Path, label: str, limit: Optional[int] = MODULE_BYTES) -> None:
    """Refuse a file that cannot be read, or a module far larger than any exercise module (it
    would be read whole, copied into the sandbox and parsed)."""
    try:
        if limit is not None and path.stat().st_size > limit:
            raise SubmissionError(f"{path.name} in {label!r} is larger than {MODULE_BYTES // 2**20} MB; "
                                  "an exercise module is a few kilobytes of code")
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise SubmissionError(f"cannot read {str(path)!r}: {exc.strerror}") from None


def _from_folder(folder: Path, label: str) -> Submission:
    """The folder's ``<module>.py`` files, and its ``<module>.ipynb`` notebooks where there is no .py."""
    files = _named(folder, label, ".py")
    notebooks = {m: p for m, p in _named(folder, label, ".ipynb").items() if m not in files}
    if not files and not notebooks:
        raise SubmissionError(f"{label!r} holds no exercise modules (expected files such as "
                              f"{MODULES[0]}.py or {MODULES[1]}.py, or notebooks such as {MODULES[1]}.ipynb); "
                              "point --submission at your exercises folder")
    notes = [f"{m}.ipynb was not graded: {m}.py is (when a folder holds both, the .py is graded; "
             "move one of them away to grade the other)" for m in _named(folder, label, ".ipynb") if m in files]
    modules, problems = [], []
    for name, path in notebooks.items():
        try:
            modules += _read_notebook(path, path.name, name)
        except SubmissionError as exc:
            problems.append(str(exc))
    if problems and not files and not modules:
        raise SubmissionError(problems[0])
    notes += [f"{m.name}.ipynb: {note}" for m in modules for note in m.notes]
    notes += [f"not graded: {problem}" for problem in problems]
    temporary, converted = _write_modules(modules)
    return Submission(label, {m: (files.get(m) or converted[m]) for m in MODULES if m in files or m in converted},
                      temporary, notes=notes)


def _named(folder: Path, label: str, suffix: str) -> dict[str, Path]:
    """``{module: path}`` of the readable files named ``<module><suffix>`` in the folder itself."""
    files = {m: folder / f"{m}{suffix}" for m in MODULES if (folder / f"{m}{suffix}").is_file()}
    root = folder.resolve()
    for file in files.values():
        if file.is_symlink() and root not in file.resolve().parents:
            raise SubmissionError(f"{file.name} in {label!r} is a link to a file outside the submission; "
                                  "hand in the file itself")
        _readable(file, label, MODULE_BYTES if suffix == ".py" else None)  # a notebook has its own limit
    return files


#: Limits on a zip archive: members, bytes once unpacked (all and each), compression ratio.
ZIP_MEMBERS = 10_000
ZIP_TOTAL_BYTES = 50 * 2**20
ZIP_MODULE_BYTES = MODULE_BYTES
ZIP_RATIO = 100


def _from_zip(path: Path, label: str) -> Submission:
    """The exercise modules of the one folder that holds them (the shallowest; ``exercises/`` if
    several are equally shallow, else a usage error), unpacked with limits and nothing else."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _zip_members(archive, label)
            folder = _zip_folder(members, label)
            temporary = tempfile.mkdtemp(prefix="gradelab-submission-")
            try:
                for member in members[folder]:
                    Path(temporary, PurePosixPath(member.filename).name).write_bytes(_read_member(archive, member, label))
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError,
            NotImplementedError, zlib.error, lzma.LZMAError) as exc:  # corrupt or unsupported compressed data
        if isinstance(exc, SubmissionError):
            raise
        raise SubmissionError(f"cannot read {label!r} as a zip archive: {exc}") from None
    where = f"{label} ({folder}/)" if folder else label
    return Submission(where, {m: Path(temporary, f"{m}.py") for m in MODULES
                              if Path(temporary, f"{m}.py").is_file()}, temporary)


def _zip_members(archive: zipfile.ZipFile, label: str) -> dict[str, list[zipfile.ZipInfo]]:
    """Exercise modules by folder, after checking the archive's size limits."""
    infos = archive.infolist()
    if len(infos) > ZIP_MEMBERS:
        raise SubmissionError(f"{label!r} has {len(infos)} entries, more than the {ZIP_MEMBERS} allowed")
    if sum(info.file_size for info in infos) > ZIP_TOTAL_BYTES:
        raise SubmissionError(f"{label!r} unpacks to more than {ZIP_TOTAL_BYTES // 2**20} MB")
    folders: dict[str, list[zipfile.ZipInfo]] = {}
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if (info.is_dir() or name.suffix != ".py" or name.stem not in MODULES or name.is_absolute()
                or ".." in name.parts or "__MACOSX" in name.parts or _is_link(info)):
            continue
        folders.setdefault(str(name.parent).removeprefix("."), []).append(info)
    return folders


def _zip_folder(folders: dict[str, list[zipfile.ZipInfo]], label: str) -> str:
    if not folders:
        raise SubmissionError(f"{label!r} holds no exercise modules")
    depth = min(len(PurePosixPath(f).parts) for f in folders)
    shallowest = sorted(f for f in folders if len(PurePosixPath(f).parts) == depth)
    if len(shallowest) == 1:
        return shallowest[0]
    named = [f for f in shallowest if PurePosixPath(f).name == "exercises"]
    if len(named) == 1:
        return named[0]
    raise SubmissionError(f"{label!r} holds exercise modules in several folders ({', '.join(f + '/' for f in shallowest)}); "
                          "keep only the one to grade, or name it exercises/")


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    """A module's bytes, refusing zip bombs by declared and by actual size."""
    if info.file_size > ZIP_MODULE_BYTES or info.file_size > ZIP_RATIO * max(info.compress_size, 1) + 4096:
        raise SubmissionError(f"{info.filename} in {label!r} is larger than {ZIP_MODULE_BYTES // 2**20} MB "
                              "or compressed suspiciously well")
    with archive.open(info) as handle:
        data = handle.read(ZIP_MODULE_BYTES + 1)
    if len(data) > ZIP_MODULE_BYTES:
        raise SubmissionError(f"{info.filename} in {label!r} is larger than {ZIP_MODULE_BYTES // 2**20} MB")
    return data


def _from_notebook(path: Path, label: str) -> Submission:
    """A notebook's exercise modules (see :mod:`grader.notebook`): the tagged cells, or the cells
    that define the module's functions, with the imports and helpers they use."""
    modules = _read_notebook(path, label)
    temporary, files = _write_modules(modules)
    return Submission(label, files, temporary, notes=[note for m in modules for note in m.notes])


def _read_notebook(path: Path, label: str, module: Optional[str] = None) -> list:
    from grader.notebook import NotebookError, read_modules

    try:
        return read_modules(path, label, module)
    except NotebookError as exc:
        raise SubmissionError(str(exc)) from None


def _write_modules(modules: list) -> tuple[Optional[str], dict[str, Path]]:
    """Each assembled module as ``<name>.py`` in a new temporary folder (none when there are none)."""
    if not modules:
        return None, {}
    temporary = tempfile.mkdtemp(prefix="gradelab-submission-")
    files = {}
    for module in modules:
        files[module.name] = Path(temporary, f"{module.name}.py")
        files[module.name].write_text(module.source, encoding="utf-8")
    return temporary, files
