"""The class summary as markdown (``summary.md``): numbers an instructor reads first.

Every string a student controls (their name, a reason quoting their file) is escaped, so it
renders as the text it is and never as markup, a link or HTML.
"""

from __future__ import annotations

import json
import re

from grader.classroom import GRADED, INVALID, UNGRADABLE, ClassResult

TOP = 10


def render_summary(report: ClassResult) -> str:
    lines = [f"# Class report: {len(report.rows)} submissions", ""]
    lines += _overview(report)
    lines += _table("Modules", ["module", "mean", "max"],
                    [[m, f"{mean:.2f}", f"{top:g}"] for m, mean, top in report.module_means()])
    lines += _table("Pass rate per function", ["function", "passed"],
                    [[f, f"{rate:.0%}"] for f, rate in report.pass_rates()])
    lines += _table("Most frequent mistakes", ["mistake", "students", "example"],
                    [[f"`{m.id}`", str(m.students), f"{md(m.example_student)} ({m.example_check})"]
                     for m in report.mistakes()[:TOP]])
    lines += _table("Minimal failing inputs seen most often", ["check", "students", "input"],
                    [[i.check, str(len(i.students)), _code(json.dumps(i.counterexample))]
                     for i in report.failing_inputs()[:TOP] if len(i.students) > 1])
    lines += _table("Slowest submissions", ["student", "seconds"],
                    [[md(r.student), f"{r.seconds:.1f}"] for r in report.slowest(5)])
    lines += _table("Not graded", ["student", "status", "reason"],
                    [[md(r.student), r.status, md(r.reason)] for r in report.rows if r.status != GRADED])
    lines += _similar(report)
    return "\n".join(lines) + "\n"


def _overview(report: ClassResult) -> list[str]:
    stats = report.score_stats()
    lines = [f"- graded: {report.count(GRADED)}, invalid (scored 0): {report.count(INVALID)}, "
             f"ungradable (grader failure, not counted): {report.count(UNGRADABLE)}",
             f"- maximum score: {report.max_score:g}"]
    if stats:
        lines.append(f"- scores of the {len(report.counted)} counted: mean {stats['mean']:.2f}, median "
                     f"{stats['median']:g}, min {stats['min']:g}, max {stats['max']:g}")
    settings = report.settings
    lines.append(f"- seed {settings.seed}, {settings.max_examples} examples per check, {settings.timeout:g} s per call, "
                 f"isolation {', '.join(report.isolation()) or 'n/a'}; {report.duration_s:.1f} s "
                 f"({report.resumed} results reused)")
    return lines + [""]


def _similar(report: ClassResult) -> list[str]:
    rows = [[md(s.first), md(s.second), s.function, f"{s.score:.0%}"] for s in report.similar[:TOP * 2]]
    lines = _table("Near-identical implementations", ["student", "student", "function", "score"], rows)
    if report.similar_total > len(rows):
        lines.insert(-1, f"\n{report.similar_total - len(rows)} more pairs in report.html's similarity table.")
    return lines


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return [f"## {title}", "", "None.", ""]
    return [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def md(text: str) -> str:
    """``text`` as literal markdown on one line: markup characters and HTML escaped."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~:])", r"\\\1", text)


def _code(text: str) -> str:
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"`{text}`" if "`" not in text and "|" not in text else md(text)
