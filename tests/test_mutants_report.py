"""What the class report's formats promise, on a hand-built class (a full-marks student, a
half-right one, an invalid archive, a failure of the grader): every row is there with its
numbers, an ungradable row is never a zero nor counted, the statistics are right, mistakes and
failing inputs are ranked by how many students share them, and a student's text stays text
(markdown, HTML, a spreadsheet formula)."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from grader.classroom import ClassResult, Settings, StudentRow
from grader.render.csv import render_gradebook
from grader.render.html import render_html
from grader.render.summary import md, render_summary
from grader.results import CheckResult, Diagnosis, ExerciseResult, FunctionResult, GradeResult
from grader.similarity import Similarity

HOSTILE = "=cmd|' <script>x</script> *[a](b)*"
COLUMNS = [("gan", [("generator_loss", 2.0), ("discriminator_loss", 2.0)]), ("schedules", [("step_decay", 1.0)])]
INPUT = {"fake_logits": [0.5, -1.0]}


def _function(name, points, passed, diagnosis=None, example=INPUT):
    if passed:
        return FunctionResult(name, "passed", [CheckResult(f"m.{name}.c", "passed", points, points)])
    return FunctionResult(name, "failed", [CheckResult(f"gan.{name}.matches_torch", "failed", 0.0, points, "off by 1",
                                                       example, diagnosis)])


def _row(student, functions, seconds, isolation="landlock-abi-4"):
    gan = ExerciseResult("gan", [_function(*f) for f in functions])
    return StudentRow(student, f"/class/{student}", "graded", result=GradeResult(student, 0, seconds, {"isolation": isolation},
                                                                                  [gan, ExerciseResult("schedules", [])]),
                      seconds=seconds)


SIGN = Diagnosis("generator_loss.sign_flipped", "The loss has the wrong sign.")
CLASS = ClassResult(
    rows=[_row("ada", [("generator_loss", 2.0, True), ("discriminator_loss", 2.0, True)], 4.0),
          _row(HOSTILE, [("generator_loss", 2.0, False, SIGN), ("discriminator_loss", 2.0, True)], 9.5),
          _row("cy", [("generator_loss", 2.0, False, SIGN), ("discriminator_loss", 2.0, False, None, {"z": 1})], 1.0,
               isolation="guard-only"),
          StudentRow("dee", "/class/dee.zip", "invalid", reason="not a zip archive"),
          StudentRow("eve", "/class/eve", "ungradable", reason="the grader failed: boom")],
    settings=Settings(seed=3, max_examples=9, timeout=2.5), columns=COLUMNS, duration_s=12.34, resumed=2,
    similar=[Similarity("gan.generator_loss", "ada", HOSTILE, 0.93, "def f(): <b>", "def g(): pass")], similar_total=3)


def test_the_class_numbers():
    assert CLASS.max_score == 5.0
    assert CLASS.scores() == [4.0, 2.0, 0.0, 0.0]  # eve, the grader's failure, is not counted
    assert CLASS.score_stats() == {"mean": 1.5, "median": 1.0, "min": 0.0, "max": 4.0}
    assert CLASS.pass_rates() == [("gan.generator_loss", 0.25), ("gan.discriminator_loss", 0.5), ("schedules.step_decay", 0.0)]


# -- the gradebook ------------------------------------------------------------------------------------
def test_the_gradebook_has_every_student_and_leaves_an_ungradable_row_empty():
    rows = list(csv.reader(io.StringIO(render_gradebook(CLASS))))
    assert rows[0] == ["student", "status", "total", "gan", "schedules", "gan.generator_loss", "gan.discriminator_loss",
                       "schedules.step_decay", "reason"]
    book = {row[0]: row[1:] for row in rows[1:]}
    assert book["ada"] == ["graded", "4", "4", "0", "2", "2", "0", ""]
    assert book["'" + " ".join(HOSTILE.split())] == ["graded", "2", "2", "0", "0", "2", "0", ""]  # not a formula
    assert book["dee"] == ["invalid", "0", "0", "0", "0", "0", "0", "not a zip archive"]
    assert book["eve"] == ["ungradable", "", "", "", "", "", "", "the grader failed: boom"]
    assert len(rows) == 6


# -- the summary ----------------------------------------------------------------------------------------
def test_the_summary_counts_the_class_and_ranks_what_students_share():
    text = render_summary(CLASS)
    assert text.startswith("# Class report: 5 submissions\n")
    assert "- graded: 3, invalid (scored 0): 1, ungradable (grader failure, not counted): 1" in text
    assert "- maximum score: 5" in text
    assert "- scores of the 4 counted: mean 1.50, median 1, min 0, max 4" in text
    assert ("- seed 3, 9 examples per check, 2.5 s per call, isolation guard-only, landlock-abi-4; 12.3 s "
            "(2 results reused)") in text
    assert "| module | mean | max |\n| --- | --- | --- |\n| gan | 1.50 | 4 |\n| schedules | 0.00 | 1 |" in text
    assert "| function | passed |" in text and "| check | students | input |" in text
    assert "| student | status | reason |" in text and "| student | seconds |" in text
    assert "| gan.generator_loss | 25% |" in text and "| gan.discriminator_loss | 50% |" in text
    assert f"| `generator_loss.sign_flipped` | 2 | {md(HOSTILE)} (gan.generator_loss.matches_torch) |" in text
    inputs = text.split("## Minimal failing inputs seen most often", 1)[1].split("##", 1)[0]
    assert '| gan.generator_loss.matches_torch | 2 | `{"fake_logits": [0.5, -1.0]}` |' in inputs
    assert "discriminator_loss" not in inputs  # seen once: not a shared input
    slowest = text.split("## Slowest submissions", 1)[1].split("##", 1)[0]
    assert slowest.index(md(HOSTILE)) < slowest.index("| ada | 4.0 |") < slowest.index("| cy | 1.0 |")
    assert "| dee | invalid | not a zip archive |" in text
    assert f"| eve | ungradable | {md('the grader failed: boom')} |" in text
    assert f"| ada | {md(HOSTILE)} | gan.generator_loss | 93% |" in text
    assert "2 more pairs in report.html's similarity table." in text


def test_student_text_is_literal_markdown():
    assert md("a  *b*\n[c](d) <i>&") == r"a \*b\* \[c\]\(d\) &lt;i&gt;&amp;"
    assert "<script>" not in render_summary(CLASS)


def test_an_empty_section_says_none():
    empty = ClassResult(rows=[], settings=Settings(), columns=COLUMNS)
    text = render_summary(empty)
    assert text.count("None.") == 5 and "scores of the" not in text and "isolation n/a" in text
    assert "| gan | 0.00 | 4 |" in text and "| gan.generator_loss | 0% |" in text


# -- the HTML page --------------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.images = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.images += tag == "img" and dict(attrs)["src"].startswith("data:image/png;base64,")

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_page_is_self_contained_and_escapes_student_text():
    page = render_html(CLASS)
    parsed = _Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "<b>" not in page
    assert parsed.images == 4  # scores, pass rates, mistakes, grading time
    text = " ".join(" ".join(parsed.text).split())
    assert "Class report: 5 submissions" in text
    assert "graded: 3" in text and "invalid (scored 0): 1" in text and "ungradable (grader failure, not counted): 1" in text
    assert "mean 1.50, median 1, min 0, max 4" in text and "graded in 12.3 s (2 results reused)" in text
    assert "generator_loss.sign_flipped 2 The loss has the wrong sign." in text
    assert '{"fake_logits": [0.5, -1.0]}' in text
    assert "3 pairs in all; the 1 most similar are shown." in text
    assert f"gan.generator_loss: ada and {HOSTILE} (93%)" in text and "def f(): <b>" in text
    gradebook = re.search(r"<h2>Gradebook</h2>(.*)</table>", page).group(1)
    assert '<tr class="ungradable"><td>eve</td><td>ungradable</td><td class="n"></td>' in gradebook
    assert '<tr class="graded"><td>ada</td><td>graded</td><td class="n">4</td><td class="n">4</td><td class="n">0</td><td></td></tr>' in gradebook
    assert ('<tr><th>module</th><th>mean</th><th>max</th></tr><tr><td>gan</td><td class="n">1.50</td>'
            '<td class="n">4</td></tr>') in page
    assert "Slowest submissions" in text and '<tr><td>ada</td><td>graded</td><td class="n">4.0</td></tr>' in page


def test_an_empty_class_page_says_none_and_draws_only_the_class_plots():
    page = render_html(ClassResult(rows=[], settings=Settings(), columns=COLUMNS))
    parsed = _Page()
    parsed.feed(page)
    assert parsed.images == 2  # scores and pass rates; no mistakes, no grading times
    assert page.count("<p>None.</p>") == 4
