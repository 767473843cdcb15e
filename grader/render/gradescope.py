"""Gradescope's autograder ``results.json``: a test per function, its score and its feedback."""

from __future__ import annotations

import json

from grader.render.junit import _details
from grader.results import GradeResult


def render_gradescope(result: GradeResult, color: bool = False) -> str:
    tests = []
    for exercise, function in result.functions():
        problem = function.first_problem
        tests.append({
            "name": f"{exercise.name}.{function.name}",
            "score": function.score,
            "max_score": function.max_score,
            "status": "passed" if function.status == "passed" else "failed",
            "output": f"{function.status}" + (f"\n{_details(problem)}" if problem else ""),
            "visibility": "visible",
        })
    document = {"score": result.score, "max_score": result.max_score, "execution_time": round(result.duration_s, 3),
                "output": f"gradelab: {result.score:g}/{result.max_score:g} (seed {result.seed})",
                "visibility": "visible", "tests": tests}
    return json.dumps(document, indent=2) + "\n"
