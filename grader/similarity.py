"""Near-identical implementations of the same function in different submissions.

Fingerprinting is copydetect's (the winnowing of MOSS): each function's source is tokenised
with Pygments, names become ``V``/``F``, strings ``S``, comments and layout vanish, and the
k-grams of what is left are winnowed into fingerprints.  Fingerprints of the stub handed to
everyone (``exercises/``) are boilerplate and removed, so an untouched stub or a copied
docstring matches nothing.  A pair's score is copydetect's token overlap, the smaller of the two
sides' fractions, so a short function hidden inside a long one does not count as a copy.

What it catches: renamed variables, changed comments, docstrings and spacing, reordered
whitespace.  What it misses: functions too short to fingerprint (under about 25 normalised
characters after the stub's text is removed -- one-liners such as ``sigmoid``, which every
correct answer writes alike anyway), code reordered at a finer grain than the k-gram, a
different decomposition (a helper function) and translations into other constructs.  A match
is a reason to look, not a verdict.

copydetect hashes k-grams with Python's ``hash``, which is salted per process; the search runs
in a process with ``PYTHONHASHSEED=0`` so the same class gives the same scores every time.
"""

from __future__ import annotations

import ast
import io
import itertools
import os
import sys
from dataclasses import dataclass
from typing import Optional

from grader.classroom import ROOT, Settings, Student

NOISE = 25         # copydetect's default noise threshold: k-grams of 25 normalised characters
GUARANTEE = 30     # copydetect's default guarantee threshold: window = GUARANTEE - NOISE + 1
MIN_FINGERPRINTS = 3
MAX_SOURCE = 20_000


@dataclass(frozen=True)
class Similarity:
    function: str   # module.function
    first: str      # student ids, first < second
    second: str
    score: float    # 0..1
    first_source: str
    second_source: str


def find_similar(students: list[Student], settings: Settings, threshold: float = 0.8,
                 limit: int = 200) -> tuple[list[Similarity], int]:
    """The ``limit`` most similar pairs at or above ``threshold`` (best first) and how many there
    are in all."""
    if sys.flags.hash_randomization == 0:
        return _find_similar(students, settings, threshold, limit)
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    saved = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"
    try:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            future = pool.submit(_find_similar, students, settings, threshold, limit)
    finally:
        if saved is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = saved
    return future.result()


def _find_similar(students: list[Student], settings: Settings, threshold: float,
                  limit: int) -> tuple[list[Similarity], int]:
    sources = {student.id: read_modules(student, settings) for student in students}
    found: list[Similarity] = []
    for module, functions in settings.columns():
        stub = _stub_functions(module)
        for name, _ in functions:
            texts = {sid: text for sid, modules in sources.items()
                     if (text := function_source(modules.get(module, ""), name)) is not None}
            found += _similar_function(f"{module}.{name}", texts, stub.get(name), threshold)
    # equally similar: the longer function first (a long copy tells more than a short one)
    found.sort(key=lambda s: (-s.score, -min(len(s.first_source), len(s.second_source)), s.function, s.first, s.second))
    return found[:limit], len(found)


def read_modules(student: Student, settings: Settings) -> dict[str, str]:
    """A student's exercise modules as text (empty when the submission cannot be opened)."""
    from grader.classroom import staged
    from grader.submission import SubmissionError, open_submission

    with staged(student, settings) as path:
        try:
            submission = open_submission(path)
        except SubmissionError:
            return {}
        try:
            return {module: file.read_text(encoding="utf-8", errors="replace")[: 50 * MAX_SOURCE]
                    for module, file in submission.files.items()}
        except OSError:
            return {}
        finally:
            submission.close()


def function_source(module_text: str, name: str) -> Optional[str]:
    """The top-level function ``name`` of a module's text, without its docstring, or ``None``."""
    try:
        tree = ast.parse(module_text)
    except (SyntaxError, ValueError):
        return None
    lines = module_text.splitlines()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            keep = range(node.lineno - 1, node.end_lineno)
            body = node.body[0] if node.body else None
            if (isinstance(body, ast.Expr) and isinstance(body.value, ast.Constant)
                    and isinstance(body.value.value, str) and body.lineno > node.lineno and len(node.body) > 1):
                doc = range(body.lineno - 1, body.end_lineno)
                keep = [i for i in keep if i not in doc]
            return "\n".join(lines[i] for i in keep)[:MAX_SOURCE]
    return None


def _stub_functions(module: str) -> dict[str, str]:
    path = ROOT / "exercises" / f"{module}.py"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    names = [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
    return {name: function_source(text, name) for name in names}


def _fingerprint(text: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"function.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate,
                           language="python", fp=io.StringIO(text))


def _similar_function(function: str, texts: dict[str, str], stub: Optional[str],
                      threshold: float) -> list[Similarity]:
    """Pairs of students whose ``function`` scores at least ``threshold``."""
    from copydetect import compare_files

    boilerplate = sorted(_fingerprint(stub).hashes) if stub else None
    prints, by_text = {}, {}
    for sid, text in texts.items():
        if text not in by_text:
            by_text[text] = _fingerprint(text, boilerplate)
        if len(by_text[text].hashes) >= MIN_FINGERPRINTS:
            prints[sid] = by_text[text]
    found, scores = [], {}
    for first, second in itertools.combinations(sorted(prints), 2):
        a, b = prints[first], prints[second]
        if len(a.hashes & b.hashes) < threshold / 2 * min(len(a.hashes), len(b.hashes)):
            continue  # cannot reach the threshold: not worth copydetect's full comparison
        pair = (id(a), id(b))
        if pair not in scores:
            scores[pair] = 1.0 if a is b else float(min(compare_files(a, b)[1]))
        if scores[pair] >= threshold:
            found.append(Similarity(function, first, second, round(scores[pair], 3), texts[first], texts[second]))
    return found
