"""What every per-submission format promises, on one hand-built result that holds each status:
the points add up, every problem is reported with its check, message, smallest input and likely
mistake, to-dos are listed apart, and student-controlled text stays text (rich markup, markdown,
XML, JSON, workflow commands)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from grader.render.annotations import definitions, escape_data, escape_property, render_annotations
from grader.render.classroom import render_classroom, render_classroom_withheld
from grader.render.gradescope import render_gradescope
from grader.render.json import render_json
from grader.render.junit import render_junit
from grader.render.markdown import render_markdown
from grader.render.text import render_text
from grader.render import withheld
from grader.results import CheckResult, Diagnosis, ExerciseResult, FunctionResult, GradeResult
from grader.tamper import Violation

HOSTILE = "[bold red]boom[/] <b>&amp;</b> ``` | ]]>"
STUB = "not implemented yet (the stub raises NotImplementedError): "


def _result(environment=None, notes=()) -> GradeResult:
    relu = FunctionResult("relu", "passed", [CheckResult("activations.relu.matches_torch", "passed", 1.0, 1.0),
                                             CheckResult("activations.relu.zero_at_zero", "passed", 0.5, 0.5)])
    softmax = FunctionResult("softmax", "failed", [
        CheckResult("activations.softmax.matches_torch", "passed", 1.0, 1.0),
        CheckResult("activations.softmax.every_axis", "failed", 0.0, 2.0,
                    f"return value differs at index (1,): got 2, expected 1\nhow it differs: {HOSTILE}",
                    {"x": [0.5, 1.25], "axis": -1}, Diagnosis("softmax.wrong_axis", f"You normalised over rows {HOSTILE}")),
    ])
    tanh = FunctionResult("tanh", "error", [CheckResult("activations.tanh.matches_torch", "error", 0.0, 1.0,
                                                        "ValueError: shapes do not align")])
    slow = FunctionResult("sigmoid", "timeout", [
        CheckResult("activations.sigmoid.matches_torch", "timeout", 0.0, 1.0, "took longer than 10 s"),
        CheckResult("activations.sigmoid.saturates", "skipped", 0.0, 1.0, "not run: an earlier check timed out"),
    ])
    stub = FunctionResult("log_softmax", "not_implemented", [
        CheckResult("activations.log_softmax.matches_torch", "error", 0.0, 1.0,
                    f"{STUB}activations.log_softmax: subtract the log of the sum")])
    missing = FunctionResult("mse", "missing", [CheckResult("losses.mse.matches_torch", "error", 0.0, 3.0,
                                                            "losses.mse: no function mse in your file")])
    return GradeResult(f"sub/{HOSTILE}", 7, 2.345, environment or {"isolation": "landlock-abi-4", "device": "cpu"},
                       [ExerciseResult("activations", [relu, softmax, tanh, slow, stub]), ExerciseResult("losses", [missing])],
                       notes=list(notes))


RESULT = _result()
SCORE, TOTAL = 2.5, 11.5


def test_the_result_adds_up():
    assert (RESULT.score, RESULT.max_score) == (SCORE, TOTAL)
    assert json.loads(render_json(RESULT))["score"] == SCORE


# -- text ---------------------------------------------------------------------------------------------
def test_text_has_a_table_per_exercise_and_the_score_line():
    text = render_text(RESULT)
    assert "activations  2.5/8.5" in text and "losses  0/1" not in text and "losses  0/3" in text
    assert "Score: 2.5/11.5  (seed 7, 2.3 s, cpu)" in text
    for row in ("relu", "✓ passed", "1.5/1.5", "softmax", "✗ failed", "1/3", "✗ error", "✗ timeout", "… not_implemented",
                "? missing"):
        assert row in text, row
    assert "Note: student code was not confined" not in text
    assert [w for w in text.splitlines()[1].split() if w.isalpha()] == ["function", "status", "points", "note"]


def test_text_reports_each_problem_with_its_input_and_likely_mistake_and_lists_to_dos_apart():
    text = render_text(RESULT)
    problems, todo = text.split("Problems", 1)[1].split("To do", 1)
    assert "activations.softmax  activations.softmax.every_axis (failed)" in problems
    assert "    return value differs at index (1,): got 2, expected 1" in problems
    assert f"    how it differs: {HOSTILE}" in problems  # markup shown as text
    assert "smallest failing input:" in problems and "x = [0.5, 1.25]" in problems and "axis = -1" in problems
    assert f"likely mistake (softmax.wrong_axis): You normalised over rows {HOSTILE}" in problems
    assert "activations.tanh  activations.tanh.matches_torch (error)" in problems
    assert "activations.sigmoid  activations.sigmoid.matches_torch (timeout)" in problems
    assert "log_softmax" not in problems and "mse" not in problems
    assert "activations.log_softmax: subtract the log of the sum" in todo and STUB not in todo
    assert "losses.mse: no function mse in your file" in todo and "losses.mse: losses.mse" not in todo


def test_text_shows_notes_as_text_and_says_when_nothing_confined_the_code():
    text = render_text(_result({"isolation": "guard-only", "device": "cuda:0"}, notes=[HOSTILE]))
    assert text.startswith(f"Note: {HOSTILE}")
    assert "Note: student code was not confined by the kernel here" in text
    assert "(seed 7, 2.3 s, cuda:0)" in text
    assert "(seed 7, 2.3 s, cpu)" in render_text(_result({"isolation": "landlock-abi-4"}))  # no device named: cpu
    empty = render_text(GradeResult("s", 0, 0.0, {}, []))
    assert "Nothing to grade" in empty and "Problems" not in empty and "To do" not in empty


def test_text_prints_inputs_in_four_digits_and_small_arrays_whole():
    check = CheckResult("m.f.c", "failed", 0.0, 1.0, "wrong", {"x": [[0.123456, 2.0]] * 3, "lr": 0.00123456,
                                                                  "ragged": [[1.0], [2.0, 3.0]], "opts": {"p": 0.5},
                                                                  "name": "adam"})
    text = render_text(GradeResult("s", 0, 0.0, {}, [ExerciseResult("m", [FunctionResult("f", "failed", [check])])]))
    assert "x = [[0.1235, 2     ]," in text or "x = [[0.1235, 2]," in text
    assert text.count("0.1235") == 3
    assert "lr = 0.001235" in text
    assert "ragged = [[1], [2, 3]]" in text
    assert "opts = {p: 0.5}" in text
    assert "name = 'adam'" in text


def test_text_indents_a_long_input_under_its_name_and_abbreviates_a_large_one():
    wide = CheckResult("m.f.c", "failed", 0.0, 1.0, "wrong", {"x": [[float(i) for i in range(30)]] * 3,
                                                               "big": list(range(300))})
    text = render_text(GradeResult("s", 0, 0.0, {}, [ExerciseResult("m", [FunctionResult("f", "failed", [wide])])]))
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("      x = [["))
    rest = lines[first + 1:next(i for i, line in enumerate(lines) if line.startswith("      big = "))]
    assert len(rest) > 2 and all(line.startswith(" " * len("      x = ")) for line in rest)
    big = next(line for line in lines if line.startswith("      big = "))
    assert "..." in big and "150" not in big  # more than 200 numbers: the ends only


# -- JUnit --------------------------------------------------------------------------------------------
def test_junit_counts_each_kind_of_case_and_gives_points_per_check():
    root = ET.fromstring(render_junit(RESULT).split("\n", 1)[1])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "1", "4")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert {k: suites["activations"].get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "8", "failures": "1", "errors": "3", "skipped": "1"}
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    failing = cases[("activations.softmax", "every_axis")]
    assert failing.find("properties/property").attrib == {"name": "points", "value": "0/2"}
    failure = failing.find("failure")
    assert failure.get("message") == "return value differs at index (1,): got 2, expected 1"
    assert failure.get("type") == "failed"
    assert failure.text.splitlines() == ["return value differs at index (1,): got 2, expected 1", f"how it differs: {HOSTILE}",
                                         'smallest failing input: {"x": [0.5, 1.25], "axis": -1}',
                                         f"likely mistake (softmax.wrong_axis): You normalised over rows {HOSTILE}"]
    assert cases[("activations.relu", "zero_at_zero")].find("properties/property").get("value") == "0.5/0.5"
    assert cases[("activations.tanh", "matches_torch")].find("error").get("type") == "error"
    assert cases[("activations.sigmoid", "matches_torch")].find("error") is not None
    assert cases[("activations.sigmoid", "saturates")].find("skipped").get("message") == "not run: an earlier check timed out"
    assert list(cases[("activations.relu", "matches_torch")]) == [cases[("activations.relu", "matches_torch")][0]]
    assert root.get("time") == "2.345"


# -- markdown ------------------------------------------------------------------------------------------
def test_markdown_has_a_row_per_function_and_fenced_problems():
    text = render_markdown(_result(notes=["a note with ``` inside"]))
    assert text.startswith("## gradelab: 2.5 / 11.5\n")
    assert "| activations | `softmax` | ❌ failed | 1/3 |" in text
    assert "| activations | `relu` | ✅ passed | 1.5/1.5 |" in text
    assert "| losses | `mse` | ❓ missing | 0/3 |" in text
    assert "| activations | `log_softmax` | 📝 not_implemented | 0/1 |" in text
    assert "### Notes" in text and "- a note with ''' inside" in text
    problems = text.split("### Problems", 1)[1]
    assert "**activations.softmax** — `activations.softmax.every_axis` (failed)" in problems
    assert "how it differs: [bold red]boom[/] <b>&amp;</b> ''' | ]]>" in problems  # cannot close the fence
    assert 'smallest failing input: {"x": [0.5, 1.25], "axis": -1}' in problems
    assert "Likely mistake `softmax.wrong_axis`: You normalised over rows" in problems
    assert "**activations.tanh**" in problems and "**activations.sigmoid**" in problems and "mse" not in problems
    assert text.rstrip().endswith("<sub>seed 7 · 2.3 s · cpu</sub>")
    assert "### Problems" not in render_markdown(GradeResult("s", 0, 0.0, {}, []))
    assert "### Notes" not in render_markdown(RESULT)
    assert "<sub>seed 7 · 2.3 s · cpu</sub>" in render_markdown(_result({}))


# -- Gradescope and Classroom ---------------------------------------------------------------------------
def test_gradescope_has_a_test_per_function_with_its_feedback():
    document = json.loads(render_gradescope(RESULT))
    assert (document["score"], document["max_score"], document["execution_time"]) == (SCORE, TOTAL, 2.345)
    assert document["output"] == "gradelab: 2.5/11.5 (seed 7)" and document["visibility"] == "visible"
    tests = {t["name"]: t for t in document["tests"]}
    assert tests["activations.relu"] == {"name": "activations.relu", "score": 1.5, "max_score": 1.5, "status": "passed",
                                         "output": "passed", "visibility": "visible"}
    softmax = tests["activations.softmax"]
    assert (softmax["score"], softmax["max_score"], softmax["status"]) == (1.0, 3.0, "failed")
    assert softmax["output"].startswith("failed\nreturn value differs at index (1,)")
    assert "likely mistake (softmax.wrong_axis)" in softmax["output"]
    assert tests["losses.mse"]["status"] == "failed" and tests["losses.mse"]["output"].startswith("missing\n")


def test_classroom_has_a_test_per_function_and_never_reads_a_withheld_grade_as_zero():
    document = json.loads(render_classroom(RESULT))
    assert (document["version"], document["status"], document["max_score"]) == (1, "fail", TOTAL)
    tests = {t["name"]: t for t in document["tests"]}
    assert tests["activations.relu"]["status"] == "pass" and tests["activations.relu"]["message"] == "passed"
    assert tests["activations.softmax"]["message"] == "failed: return value differs at index (1,): got 2, expected 1"
    assert tests["activations.softmax"]["filename"] == "exercises/activations.py"
    assert sum(t["score"] for t in document["tests"]) == SCORE
    passing = GradeResult("s", 0, 0.0, {}, [ExerciseResult("activations", [RESULT.exercises[0].functions[0]])])
    assert json.loads(render_classroom(passing))["status"] == "pass"
    withheld_document = json.loads(render_classroom_withheld("two files changed"))
    assert (withheld_document["version"], withheld_document["status"], withheld_document["max_score"]) == (1, "error", 0)
    assert withheld_document["tests"][0]["message"] == "two files changed"


# -- GitHub annotations -----------------------------------------------------------------------------------
def test_annotations_mark_each_failing_function_at_its_definition():
    text = render_annotations(RESULT, {"activations": {"softmax": 12, "tanh": 3}})
    lines = text.splitlines()
    assert len(lines) == 3 and text.endswith("\n")  # softmax, tanh, sigmoid: not the to-dos
    assert lines[0].startswith("::error file=exercises/activations.py,line=12,title=activations.softmax.every_axis::")
    assert "%0Ahow it differs:" in lines[0] and "%0Alikely mistake (softmax.wrong_axis): You normalised" in lines[0]
    assert lines[1].startswith("::error file=exercises/activations.py,line=3,title=activations.tanh.matches_torch::")
    assert ",line=1," in lines[2]  # no known line: the module's first
    assert render_annotations(RESULT, {}, folder="hw").count("file=hw/activations.py") == 3
    assert render_annotations(GradeResult("s", 0, 0.0, {}, []), {}) == ""


def test_annotation_text_cannot_end_its_line_or_start_a_command():
    assert escape_data("50%\r\n::warning::x") == "50%25%0D%0A::warning::x"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    long = CheckResult("m.f.c", "failed", 0.0, 1.0, "x" * 5000)
    line = render_annotations(GradeResult("s", 0, 0.0, {}, [ExerciseResult("m", [FunctionResult("f", "failed", [long])])]), {})
    assert line.rstrip("\n").endswith("x…") and len(line.split("::", 2)[2].rstrip("\n")) == 1000


def test_definitions_are_read_without_running_the_code():
    assert definitions("import os\n\ndef f():\n    pass\n\nasync def g():\n    pass\ndef f():\n    pass\n") == {"f": 8, "g": 6}
    assert definitions("def broken(:\n") == {}
    assert definitions("class A:\n    def method(self):\n        pass\n") == {}


# -- a withheld grade, in every format ----------------------------------------------------------------------
VIOLATIONS = [Violation("tests/`odd`|name.py", "changed since the release"), Violation("grader/x.py", "added")]


def test_a_withheld_grade_names_each_file_and_never_reads_as_a_score():
    assert withheld.summary_line(VIOLATIONS) == "grade withheld: 2 files changed where only exercises/ may change"
    assert withheld.summary_line(VIOLATIONS[:1]) == "grade withheld: 1 file changed where only exercises/ may change"
    markdown = withheld.render_markdown(VIOLATIONS)
    assert markdown.startswith("## gradelab: grade withheld\n")
    assert "2 protected files changed." in markdown and withheld.ADVICE in markdown
    assert "| ``tests/`odd`\\|name.py`` | changed since the release |" in markdown
    assert "1 protected file changed." in withheld.render_markdown(VIOLATIONS[:1])
    root = ET.fromstring(withheld.render_junit(VIOLATIONS).split("\n", 1)[1])
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "2", "0")
    case = next(root.iter("testcase"))
    assert case.get("name") == "tests/`odd`|name.py" and case.find("failure").get("message") == "changed since the release"
    assert case.find("failure").text == withheld.ADVICE
    document = json.loads(withheld.render_gradescope(VIOLATIONS))
    assert document["extra_data"] == {"withheld": True} and document["score"] == 0.0
    assert document["output"].startswith("grade withheld: 2 files changed")
    assert [t["name"] for t in document["tests"]] == ["integrity: tests/`odd`|name.py", "integrity: grader/x.py"]


@pytest.mark.parametrize("name,span", [("plain.py", "`plain.py`"), ("a`b.py", "``a`b.py``"), ("`x`", "`` `x` ``"),
                                       ("two\nlines", "`two lines`")])
def test_a_file_name_becomes_one_literal_code_span(name, span):
    assert withheld.code_span(name) == span
