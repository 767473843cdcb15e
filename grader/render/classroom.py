"""GitHub Classroom's autograding result: what ``autograding-grading-reporter`` reads.

The reporter takes, per runner, a JSON document (base64-encoded by the workflow) with the
maximum score and one entry per test; Classroom shows the sum of the tests' scores.  A test
here is a function, with its fractional score as it is.
"""

from __future__ import annotations

import json

from grader.results import GradeResult


def render_classroom(result: GradeResult, color: bool = False) -> str:
    tests = []
    for exercise, function in result.functions():
        problem = function.first_problem
        tests.append({"name": f"{exercise.name}.{function.name}",
                      "status": "pass" if function.status == "passed" else "fail",
                      "score": function.score, "max_score": function.max_score,
                      "message": f"{function.status}: {problem.message.splitlines()[0]}" if problem and problem.message
                      else function.status,
                      "filename": f"exercises/{exercise.name}.py", "line_no": 0, "test_code": "", "execution_time": ""})
    passed = all(t["status"] == "pass" for t in tests)
    document = {"version": 1, "status": "pass" if passed else "fail", "max_score": result.max_score, "tests": tests}
    return json.dumps(document, indent=2) + "\n"


def render_classroom_withheld(reason: str) -> str:
    """No score for Classroom: with a maximum of zero the reporter posts nothing, so a withheld
    grade never reads as a zero."""
    document = {"version": 1, "status": "error", "max_score": 0,
                "tests": [{"name": "gradelab", "status": "error", "score": 0, "message": reason,
                           "filename": "", "line_no": 0, "test_code": "", "execution_time": ""}]}
    return json.dumps(document, indent=2) + "\n"
