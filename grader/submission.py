"""Turning ``--submission PATH`` into module files: a directory, a ``.py``, a notebook or a zip.

Every form ends up as ``{module name: path of its .py file}``; notebooks and zips are unpacked
into a temporary directory that :meth:`Submission.close` removes.  The submission itself is
only ever read.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
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

    def close(self) -> None:
        if self._temporary:
            shutil.rmtree(self._temporary, ignore_errors=True)


def open_submission(path: str | Path) -> Submission:
    """Resolve PATH into module files, or raise :class:`SubmissionError`."""
    path = Path(path)
    label = str(path)
    if not path.exists():
        raise SubmissionError(f"submission path {label!r} does not exist; pass --submission PATH "
                              "(a directory like exercises/, a .py, an .ipynb or a .zip)")
    if path.is_dir():
        return Submission(label, _modules_in(path, label))
    suffix = path.suffix.lower()
    if suffix == ".py":
        if path.stem not in MODULES:
            raise SubmissionError(f"{label!r} is not named after an exercise module; rename it to one "
                                  f"of: {', '.join(m + '.py' for m in MODULES)}")
        _readable(path)
        return Submission(label, {path.stem: path})
    if suffix == ".zip":
        return _from_zip(path, label)
    if suffix == ".ipynb":
        return _from_notebook(path, label)
    raise SubmissionError(f"cannot grade {label!r}: expected a directory, a .py, an .ipynb or a .zip")


def _readable(path: Path) -> None:
    try:
        path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"cannot read {str(path)!r}: {exc.strerror}") from None


def _modules_in(folder: Path, label: str) -> dict[str, Path]:
    files = {m: folder / f"{m}.py" for m in MODULES if (folder / f"{m}.py").is_file()}
    if not files:
        raise SubmissionError(f"{label!r} holds no exercise modules (expected files such as "
                              f"{MODULES[0]}.py or {MODULES[1]}.py); point --submission at your exercises folder")
    root = folder.resolve()
    for name, file in files.items():
        if file.is_symlink() and root not in file.resolve().parents:
            raise SubmissionError(f"{file.name} in {label!r} is a link to a file outside the submission; "
                                  "hand in the file itself")
        _readable(file)
    return files


#: Limits on a zip archive: members, bytes once unpacked (all and each), compression ratio.
ZIP_MEMBERS = 10_000
ZIP_TOTAL_BYTES = 50 * 2**20
ZIP_MODULE_BYTES = 5 * 2**20
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
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
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


_MODULE_MARK = re.compile(r"^#\s*gradelab:\s*module\s+(\w+)", re.MULTILINE)


def _from_notebook(path: Path, label: str) -> Submission:
    """A notebook's code cells become one module, named by the file or a ``# gradelab: module X`` line."""
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise SubmissionError(f"cannot read {label!r} as a Jupyter notebook: {str(exc).splitlines()[0][:200]}") from None
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    source = "\n\n".join(_without_magics(cell) for cell in cells)
    mark = _MODULE_MARK.search(source)
    module = mark.group(1) if mark else path.stem
    if module not in MODULES:
        raise SubmissionError(f"cannot tell which exercise {label!r} is for: name it after the module "
                              f"(e.g. {MODULES[1]}.ipynb) or add a line '# gradelab: module {MODULES[1]}'")
    temporary = tempfile.mkdtemp(prefix="gradelab-submission-")
    target = Path(temporary, f"{module}.py")
    target.write_text(source + "\n", encoding="utf-8")
    return Submission(label, {module: target}, temporary)


def _without_magics(cell: str) -> str:
    """IPython magics and shell escapes are not Python; they are commented out."""
    return "\n".join(f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in cell.splitlines())
