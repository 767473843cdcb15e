"""The class report as one self-contained HTML page (``report.html``).

Inline CSS, plots drawn with matplotlib's Agg renderer and embedded as base64 PNG, no script
and no external resource, so the file opens offline and can be mailed around.  Every string
that reaches the page goes through :func:`html.escape`, whoever wrote it.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape

from grader.classroom import GRADED, INVALID, UNGRADABLE, ClassResult

TOP = 15
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 7px;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ungradable{background:#fff3cd}.invalid{background:#f8d7da}
pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:28em;font-size:12px;margin:0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.6em}.plot{max-width:100%}
code{background:#f2f2f2;padding:0 .2em}.muted{color:#777}
"""


def render_html(report: ClassResult) -> str:
    body = [f"<h1>Class report: {len(report.rows)} submissions</h1>", _overview(report),
            "<h2>Scores</h2>", _image(_score_histogram(report), "score histogram"),
            _modules(report), "<h2>Pass rate per function</h2>", _image(_pass_rate_plot(report), "pass rate per function"),
            _mistakes(report), _failing_inputs(report), _slowest(report), _similar(report), _gradebook(report)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>gradelab class report</title><style>" + STYLE + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


# -- sections --------------------------------------------------------------------------------------
def _overview(report: ClassResult) -> str:
    stats = report.score_stats()
    items = [f"graded: {report.count(GRADED)}", f"invalid (scored 0): {report.count(INVALID)}",
             f"ungradable (grader failure, not counted): {report.count(UNGRADABLE)}",
             f"maximum score: {report.max_score:g}"]
    if stats:
        items.append(f"mean {stats['mean']:.2f}, median {stats['median']:g}, min {stats['min']:g}, max {stats['max']:g}")
    s = report.settings
    items.append(f"seed {s.seed}, {s.max_examples} examples per check, {s.timeout:g} s per call, isolation "
                 f"{', '.join(report.isolation()) or 'n/a'}; graded in {report.duration_s:.1f} s "
                 f"({report.resumed} results reused)")
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _modules(report: ClassResult) -> str:
    return _table(["module", "mean", "max"], [[m, f"{mean:.2f}", f"{top:g}"] for m, mean, top in report.module_means()],
                  numeric={1, 2})


def _mistakes(report: ClassResult) -> str:
    mistakes = report.mistakes()
    rows = [[m.id, str(m.students), m.message, f"{m.example_student} — {m.example_check}", _short(m.example_input)]
            for m in mistakes[:TOP]]
    plot = _image(_bar_plot([m.id for m in mistakes[:TOP]], [m.students for m in mistakes[:TOP]], "students"),
                  "most frequent mistakes") if mistakes else ""
    return ("<h2>Most frequent diagnosed mistakes</h2>" + plot
            + _table(["mistake", "students", "what it means", "example", "its input"], rows, numeric={1}, code={4}))


def _failing_inputs(report: ClassResult) -> str:
    rows = [[i.check, str(len(i.students)), ", ".join(i.students[:5]) + (" …" if len(i.students) > 5 else ""),
             _short(i.counterexample)] for i in report.failing_inputs()[:TOP]]
    return "<h2>Minimal failing inputs seen most often</h2>" + _table(["check", "students", "who", "input"], rows,
                                                                       numeric={1}, code={3})


def _slowest(report: ClassResult) -> str:
    seconds = [row.seconds for row in report.rows if row.seconds > 0]
    plot = _image(_histogram(seconds, "seconds to grade", "submissions"), "grading time") if seconds else ""
    rows = [[r.student, r.status, f"{r.seconds:.1f}"] for r in report.slowest(10)]
    return "<h2>Slowest submissions</h2>" + plot + _table(["student", "status", "seconds"], rows, numeric={2})


def _similar(report: ClassResult) -> str:
    parts = ["<h2>Near-identical implementations</h2>",
             "<p class=\"muted\">Pairs whose implementation of a function is near-identical after names, "
             "comments and layout are normalised (copydetect fingerprints; the stub's text excluded). "
             "A reason to look, not a verdict.</p>"]
    if not report.similar:
        return "".join(parts) + "<p>None.</p>"
    if report.similar_total > len(report.similar):
        parts.append(f"<p>{report.similar_total} pairs in all; the {len(report.similar)} most similar are shown.</p>")
    parts.append(_table(["function", "student", "student", "score"],
                        [[s.function, s.first, s.second, f"{s.score:.0%}"] for s in report.similar], numeric={3}))
    for s in report.similar[:TOP * 2]:
        parts.append(f"<h3>{escape(s.function)}: {escape(s.first)} and {escape(s.second)} ({s.score:.0%})</h3>"
                     f"<div class=\"pair\"><pre>{escape(s.first_source)}</pre><pre>{escape(s.second_source)}</pre></div>")
    return "".join(parts)


def _gradebook(report: ClassResult) -> str:
    modules = [module for module, _ in report.columns]
    head = ["student", "status", "total", *modules, "reason"]
    rows = []
    for row in report.rows:
        cells = [row.student, row.status, _num(row.score), *(_num(row.module_score(m)) for m in modules), row.reason]
        rows.append((row.status, cells))
    body = "".join(f"<tr class=\"{escape(status)}\">" + "".join(
        f"<td class=\"n\">{escape(c)}</td>" if 2 <= i < len(cells) - 1 else f"<td>{escape(c)}</td>"
        for i, c in enumerate(cells)) + "</tr>" for status, cells in rows)
    return ("<h2>Gradebook</h2><table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + body + "</table>")


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), code: set[int] = frozenset()) -> str:
    if not rows:
        return "<p>None.</p>"

    def cell(i: int, value: str) -> str:
        inner = f"<code>{escape(value)}</code>" if i in code else escape(value)
        return f"<td class=\"n\">{inner}</td>" if i in numeric else f"<td>{inner}</td>"

    return ("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in rows) + "</table>")


def _num(value) -> str:
    return "" if value is None else f"{value:g}"


def _short(value, limit: int = 300) -> str:
    text = "" if value is None else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- plots ---------------------------------------------------------------------------------------
def _figure(height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(7.5, height), dpi=100, layout="constrained")


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _image(png: bytes, alt: str) -> str:
    return f"<img class=\"plot\" alt=\"{escape(alt)}\" src=\"data:image/png;base64,{base64.b64encode(png).decode()}\">"


def _score_histogram(report: ClassResult) -> bytes:
    figure = _figure(3.0)
    axes = figure.subplots()
    top = report.max_score or 1.0
    axes.hist(report.scores(), bins=20, range=(0, top), color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"score (of {top:g})")
    axes.set_ylabel("students")
    return _png(figure)


def _pass_rate_plot(report: ClassResult) -> bytes:
    rates = report.pass_rates()
    figure = _figure(max(2.0, 0.2 * len(rates) + 0.8))
    axes = figure.subplots()
    names = [name for name, _ in rates][::-1]
    axes.barh(names, [100 * rate for _, rate in rates][::-1], color="#55a868")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of students who passed every check")
    axes.tick_params(axis="y", labelsize=7)
    return _png(figure)


def _bar_plot(labels: list[str], values: list[int], xlabel: str) -> bytes:
    figure = _figure(max(2.0, 0.3 * len(labels) + 0.8))
    axes = figure.subplots()
    axes.barh(labels[::-1], values[::-1], color="#c44e52")
    axes.set_xlabel(xlabel)
    axes.tick_params(axis="y", labelsize=8)
    return _png(figure)


def _histogram(values: list[float], xlabel: str, ylabel: str) -> bytes:
    figure = _figure(2.6)
    axes = figure.subplots()
    axes.hist(values, bins=20, color="#8172b2", edgecolor="white")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    return _png(figure)
