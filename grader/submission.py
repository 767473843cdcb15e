"""Turning ``--submission PATH`` into module files: a directory, a ``.py``, a notebook or a zip.

Every form ends up as ``{module name: path of its .py file}``; notebooks and zips are unpacked
into a temporary directory that :meth:`Submission.close` removes.  The submission itself is
only ever read.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
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
    for file in files.values():
        _readable(file)
    return files


def _from_zip(path: Path, label: str) -> Submission:
    temporary = tempfile.mkdtemp(prefix="gradelab-submission-")
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if member.is_dir() or name.suffix != ".py" or name.is_absolute() or ".." in name.parts:
                    continue
                if member.file_size > 5 * 2**20:
                    raise SubmissionError(f"{member.filename} in {label!r} is larger than 5 MB")
                target = Path(temporary, *name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        folders = sorted({p.parent for p in Path(temporary).rglob("*.py") if p.stem in MODULES},
                         key=lambda p: len(p.parts))
        if not folders:
            raise SubmissionError(f"{label!r} holds no exercise modules")
        return Submission(label, _modules_in(folders[0], label), temporary)
    except (zipfile.BadZipFile, OSError) as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise SubmissionError(f"cannot read {label!r} as a zip archive: {exc}") from None
    except SubmissionError:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


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
