"""A markdown summary (pull-request comments, CI job summaries)."""

from __future__ import annotations

import json

from grader.results import GradeResult

_ICON = {"passed": "✅", "failed": "❌", "error": "💥", "timeout": "⏱️", "violation": "🚫",
         "not_implemented": "📝", "missing": "❓"}


def render_markdown(result: GradeResult, color: bool = False) -> str:
    lines = [f"## gradelab: {result.score:g} / {result.max_score:g}", "",
             "| exercise | function | status | points |", "| --- | --- | --- | --- |"]
    for exercise, function in result.functions():
        lines.append(f"| {exercise.name} | `{function.name}` | {_ICON.get(function.status, '')} {function.status} "
                     f"| {function.score:g}/{function.max_score:g} |")
    if result.notes:  # fenced: notes quote the submission's own text
        lines += ["", "### Notes", "", "```"] + [f"- {note}".replace("```", "'''") for note in result.notes] + ["```"]
    problems = [(e, f) for e, f in result.functions() if f.status in ("failed", "error", "timeout", "violation")]
    if problems:
        lines += ["", "### Problems"]
    for exercise, function in problems:
        check = function.first_problem
        lines += ["", f"**{exercise.name}.{function.name}** — `{check.id}` ({check.status})", "", "```",
                  check.message.replace("```", "'''")]
        if check.counterexample is not None:
            lines.append(f"smallest failing input: {json.dumps(check.counterexample)}")
        lines.append("```")
        if check.diagnosis is not None:
            lines.append(f"Likely mistake `{check.diagnosis.id}`: {check.diagnosis.message}")
    lines += ["", f"<sub>seed {result.seed} · {result.duration_s:.1f} s · {result.environment.get('device', 'cpu')}</sub>"]
    return "\n".join(lines) + "\n"
