"""Every format's report of a withheld grade: which files, and why, instead of a score.

The paths are the student's own file names, so each format escapes them (markdown
punctuation and HTML in the summary, XML in JUnit, JSON in results.json).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Sequence

from grader.protocol import clean_text

if TYPE_CHECKING:  # read only for .path and .reason
    from grader.tamper import Violation

HEADLINE = "grade withheld"
ADVICE = ("Only `exercises/` is yours to change. Put each file listed back as it was released "
          "(`git checkout origin/main -- FILE`, or delete a file you added) and push again.")


def summary_line(violations: Sequence[Violation]) -> str:
    count = len(violations)
    return f"{HEADLINE}: {count} file{'s' * (count != 1)} changed where only exercises/ may change"


def render_markdown(violations: Sequence[Violation]) -> str:
    lines = [f"## gradelab: {HEADLINE}", "", f"This run is not graded: {len(violations)} protected "
             f"file{'s' * (len(violations) != 1)} changed. {ADVICE}", "", "| file | why |", "| --- | --- |"]
    lines += [f"| {code_span(v.path)} | {v.reason} |" for v in violations]  # reasons are the grader's words
    return "\n".join(lines) + "\n"


def code_span(text: str) -> str:
    """``text`` (a student's file name) as a literal markdown code span in a table cell: one
    line, fenced by more backticks than it holds, its pipes escaped."""
    flat = " ".join(clean_text(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}".replace("|", "\\|")


def render_junit(violations: Sequence[Violation]) -> str:
    suites = ET.Element("testsuites", name="gradelab", tests=str(len(violations)), failures=str(len(violations)),
                        errors="0")
    suite = ET.SubElement(suites, "testsuite", name="integrity", tests=str(len(violations)),
                          failures=str(len(violations)), errors="0", skipped="0")
    for violation in violations:
        case = ET.SubElement(suite, "testcase", classname="integrity", name=clean_text(violation.path))
        node = ET.SubElement(case, "failure", message=clean_text(violation.reason), type="withheld")
        node.text = ADVICE
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render_gradescope(violations: Sequence[Violation]) -> str:
    """Gradescope needs a score; it is 0 with the reason, and ``extra_data`` says withheld."""
    tests = [{"name": f"integrity: {clean_text(v.path)}", "score": 0.0, "max_score": 0.0, "status": "failed",
              "output": clean_text(v.reason), "visibility": "visible"} for v in violations]
    document = {"score": 0.0, "output": f"{summary_line(violations)}. {ADVICE}", "visibility": "visible",
                "extra_data": {"withheld": True}, "tests": tests}
    return json.dumps(document, indent=2) + "\n"
