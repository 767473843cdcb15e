"""The class gradebook as CSV: one row per student, ready to import into an LMS gradebook.

Columns: ``student``, ``status`` (graded, invalid, ungradable), ``total``, then each module,
then each ``module.function``, then ``reason``.  Points are plain numbers; an ungradable row
has empty cells rather than a zero, so it is never mistaken for a score.  Text a student
controls (names, reasons) is kept from being read as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io

from grader.classroom import ClassResult, StudentRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_gradebook(report: ClassResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    modules = [module for module, _ in report.columns]
    functions = [(module, name) for module, names in report.columns for name, _ in names]
    writer.writerow(["student", "status", "total", *modules, *(f"{m}.{f}" for m, f in functions), "reason"])
    for row in report.rows:
        writer.writerow([_text(row.student), row.status, _points(row.score),
                         *(_points(row.module_score(m)) for m in modules),
                         *(_points(_function_score(row, m, f)) for m, f in functions), _text(row.reason)])
    return out.getvalue()


def _function_score(row: StudentRow, module: str, name: str):
    if not row.counted:
        return None
    function = row.function(module, name)
    return function.score if function else 0.0


def _points(value) -> str:
    return "" if value is None else f"{value:g}"


def _text(value: str) -> str:
    """``value`` on one line, with a leading quote when a spreadsheet would run it as a formula."""
    value = " ".join(value.split())
    return "'" + value if value.startswith(FORMULA_STARTS) else value
