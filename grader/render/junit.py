"""JUnit XML: a test suite per exercise, a test case per check (CI systems read this)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grader.results import GradeResult

_FAILURE = {"failed": "failure", "error": "error", "timeout": "error"}


def render_junit(result: GradeResult, color: bool = False) -> str:
    suites = ET.Element("testsuites", name="gradelab", tests="0", failures="0", errors="0",
                        time=f"{result.duration_s:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for exercise in result.exercises:
        suite = ET.SubElement(suites, "testsuite", name=exercise.name)
        counts = dict.fromkeys(totals, 0)
        for function in exercise.functions:
            for check in function.checks:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", classname=f"{exercise.name}.{function.name}",
                                     name=check.id.rsplit(".", 1)[-1])
                ET.SubElement(case, "properties")
                ET.SubElement(case[0], "property", name="points", value=f"{check.points:g}/{check.max_points:g}")
                if check.status == "skipped":
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=check.message)
                elif check.status in _FAILURE:
                    tag = _FAILURE[check.status]
                    counts["failures" if tag == "failure" else "errors"] += 1
                    node = ET.SubElement(case, tag, message=check.message.splitlines()[0] if check.message else "",
                                         type=function.status)
                    node.text = _details(check)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key in ("tests", "failures", "errors"):
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _details(check) -> str:
    lines = [check.message]
    if check.counterexample is not None:
        lines.append("smallest failing input: " + json.dumps(check.counterexample))
    if check.diagnosis is not None:
        lines.append(f"likely mistake ({check.diagnosis.id}): {check.diagnosis.message}")
    return "\n".join(lines)
