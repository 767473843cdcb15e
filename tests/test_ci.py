"""`grade ci` on real git repositories made from `grade release`'s output.

The starter repository is released once, with a course file that assigns one small module
(derivatives, 2 examples per check, worth 10 points, gradient_descent hidden); each test
clones it, works on a branch as a student would, and runs `grade ci` there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from tests.test_release import grade, release

GIT_ENV = {"GIT_AUTHOR_NAME": "Student", "GIT_AUTHOR_EMAIL": "s@example.org", "GIT_COMMITTER_NAME": "Student",
           "GIT_COMMITTER_EMAIL": "s@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

#: A student's derivatives: one function right, one wrong (and printing a workflow command),
#: one still the stub, and the hidden one wrong.
SUBMISSION = '''"""My derivatives."""
import numpy as np


def partial_derivative(f, point, i, h=1e-5):
    up = np.array(point, dtype=float)
    down = np.array(point, dtype=float)
    up[i] += h
    down[i] -= h
    return float((f(*up) - f(*down)) / (2 * h))


def numerical_gradient(f, x, h=1e-5):
    print("::warning title=pwned::from the student")
    return np.zeros_like(np.asarray(x, dtype=float))


def gradient_check(f, grad_f, x, h=1e-5):
    raise NotImplementedError


def gradient_descent(grad_f, x0, lr=0.1, steps=100):
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x + lr * grad_f(x)
    return x
'''


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    """The released starter repository, committed on main (what the course pushes)."""
    repo = release(tmp_path_factory.mktemp("course"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Starter")
    return repo


def clone(starter: Path, folder: Path, branch: str = "work") -> Path:
    """A student's clone on a new branch (origin/HEAD names main, as on GitHub)."""
    git(folder.parent, "clone", "-q", str(starter), str(folder))
    git(folder, "switch", "-q", "-c", branch)
    return folder


def commit(repo: Path, changes: dict[str, str | None], message: str = "work") -> None:
    for name, text in changes.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def ci(starter: Path, repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`grade ci` in ``repo``, trusting the manifest the release wrote for the grader."""
    return grade("ci", "--manifest", str(starter.parent / "trusted.json"), *args, cwd=repo, env=env)


@pytest.fixture(scope="module")
def graded(starter, tmp_path_factory):
    """A pull request that edits only exercises/, graded as in GitHub Actions."""
    folder = tmp_path_factory.mktemp("graded")
    repo = clone(starter, folder / "repo")
    commit(repo, {"exercises/derivatives.py": SUBMISSION})
    summary = folder / "step-summary.md"
    done = grade("ci", "--manifest", str(starter.parent / "trusted.json"), "--junit", str(folder / "junit.xml"),
                 "--gradescope", str(folder / "results.json"), "--classroom", str(folder / "classroom.json"),
                 cwd=repo, env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"})
    return done, folder


def test_a_branch_that_edits_only_exercises_is_graded(graded):
    done, folder = graded
    assert done.returncode == 0, done.stderr
    document = json.loads((folder / "results.json").read_text())
    assert 0 < document["score"] < 10
    summary = (folder / "step-summary.md").read_text()
    assert summary.startswith("## gradelab: ") and "nothing outside `exercises/` changed" in summary


def test_junit_validates_with_one_test_case_per_check(graded):
    _, folder = graded
    xml = JUnitXml.fromfile(str(folder / "junit.xml"))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 11  # the checks of derivatives
    failed = {case.classname for case in cases if any(isinstance(r, Failure) for r in case.result)}
    assert failed == {"derivatives.numerical_gradient", "derivatives.gradient_descent"}
    assert all(case.is_passed for case in cases if case.classname == "derivatives.partial_derivative")


def test_annotations_point_at_each_failing_functions_def_line(graded):
    done, _ = graded
    lines = SUBMISSION.splitlines()
    at = {name: lines.index(next(l for l in lines if l.startswith(f"def {name}("))) + 1
          for name in ("numerical_gradient", "gradient_descent")}
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 2
    assert annotations[0].startswith(f"::error file=exercises/derivatives.py,line={at['numerical_gradient']},"
                                     "title=derivatives.numerical_gradient.")
    assert annotations[1].startswith(f"::error file=exercises/derivatives.py,line={at['gradient_descent']},"
                                     "title=derivatives.gradient_descent.")
    assert "%0A" in annotations[0]  # the printed output stays inside its annotation


def test_nothing_the_student_printed_acts_as_a_workflow_command(graded):
    done, _ = graded
    out = done.stdout.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("::stop-commands::"))
    token = out[start].split("::")[2]
    assert len(token) >= 32 and out[-1] == f"::{token}::"
    assert not any("pwned" in line for line in out[:start] if not line.startswith("::error "))


def test_results_json_follows_gradescopes_schema_and_keeps_fractions(graded):
    _, folder = graded
    document = json.loads((folder / "results.json").read_text())
    assert isinstance(document["score"], float) and isinstance(document["tests"], list)
    for test in document["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert test["status"] in ("passed", "failed") and test["visibility"] in ("visible", "hidden", "after_due_date",
                                                                                 "after_published")
        assert 0 <= test["score"] <= test["max_score"]
    scores = {test["name"]: test["score"] for test in document["tests"]}
    assert scores["derivatives.partial_derivative"] == pytest.approx(20 / 11)  # 2 of 11 checks of 10 points
    assert sum(test["max_score"] for test in document["tests"]) == pytest.approx(10)
    assert document["score"] == pytest.approx(sum(scores.values()))


def test_hidden_checks_count_and_show_the_input_but_never_the_expected_value(graded):
    _, folder = graded
    xml = JUnitXml.fromfile(str(folder / "junit.xml"))
    hidden = [case for suite in xml for case in suite if case.classname == "derivatives.gradient_descent"]
    assert len(hidden) == 3
    for case in hidden:
        [failure] = case.result
        assert "hidden check" in failure.message and "expected" not in failure.message
        assert "smallest failing input" in failure.text and "reference" not in failure.text
    shown = [case for suite in xml for case in suite if case.classname == "derivatives.numerical_gradient"]
    assert any("expected" in case.result[0].message for case in shown)  # a visible check keeps it


def test_classroom_result_carries_the_fractional_score(graded):
    _, folder = graded
    document = json.loads((folder / "classroom.json").read_text())
    assert document["max_score"] == pytest.approx(10) and document["status"] == "fail"
    assert sum(test["score"] for test in document["tests"]) == pytest.approx(20 / 11)


def test_grade_run_honours_the_course_file(graded):
    """A student grading locally in the repository gets the course's modules, points and hidden checks."""
    _, folder = graded
    done = grade("run", "--format", "json", cwd=folder / "repo")
    document = json.loads(done.stdout)
    assert [e["name"] for e in document["exercises"]] == ["derivatives"] and document["max_score"] == pytest.approx(10)
    checks = {c["id"]: c for e in document["exercises"] for f in e["functions"] for c in f["checks"]}
    descent = [c for i, c in checks.items() if ".gradient_descent." in i]
    assert all(c["hidden"] is True and c["counterexample"] is not None and "expected" not in c["message"]
               for c in descent)
    assert not any("hidden" in c for i, c in checks.items() if ".gradient_descent." not in i)


def _withheld(done: subprocess.CompletedProcess, summary: Path) -> dict[str, str]:
    """The files of a withheld grade's summary, with their reasons."""
    assert done.returncode == 1, done.stderr
    assert "grade withheld" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    text = summary.read_text()
    assert text.startswith("## gradelab: grade withheld")
    return dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", text, re.MULTILINE))


def test_editing_a_workflow_withholds_the_grade(starter, tmp_path):
    repo = clone(starter, tmp_path / "repo")
    flow = repo / ".github/workflows/gradelab.yml"
    commit(repo, {"exercises/derivatives.py": SUBMISSION,
                  ".github/workflows/gradelab.yml": flow.read_text().replace("grade ci ", "echo ")})
    done = ci(starter, repo, "--summary", str(tmp_path / "summary.md"), "--junit", str(tmp_path / "junit.xml"),
              "--gradescope", str(tmp_path / "results.json"), "--classroom", str(tmp_path / "classroom.json"))
    files = _withheld(done, tmp_path / "summary.md")
    assert list(files) == [".github/workflows/gradelab.yml"]
    assert "since the base commit" in files[".github/workflows/gradelab.yml"]
    assert "workflow" in files[".github/workflows/gradelab.yml"]
    assert "::error file=.github/workflows/gradelab.yml,title=grade withheld::" in done.stdout
    xml = JUnitXml.fromfile(str(tmp_path / "junit.xml"))
    assert [case.name for suite in xml for case in suite] == [".github/workflows/gradelab.yml"]
    assert json.loads((tmp_path / "results.json").read_text())["extra_data"] == {"withheld": True}
    assert json.loads((tmp_path / "classroom.json").read_text())["max_score"] == 0  # Classroom posts no score


def test_a_conftest_anywhere_withholds_the_grade_even_inside_exercises(starter, tmp_path):
    repo = clone(starter, tmp_path / "repo")
    (repo / "exercises/activations.py").symlink_to("../README.md")
    commit(repo, {"exercises/conftest.py": "import builtins\n", "tests/sitecustomize.py": "x = 1\n"})
    files = _withheld(ci(starter, repo, "--summary", str(tmp_path / "summary.md")), tmp_path / "summary.md")
    assert set(files) == {"exercises/conftest.py", "tests/sitecustomize.py", "exercises/activations.py"}
    assert "conftest.py is never allowed" in files["exercises/conftest.py"]
    assert "sitecustomize.py is never allowed" in files["tests/sitecustomize.py"]
    assert "symbolic link" in files["exercises/activations.py"]


def test_a_protected_file_changed_in_the_base_is_caught_by_the_graders_manifest(starter, tmp_path):
    """The base itself was tampered with, the repository's manifest copy made to agree: the
    manifest that comes with the grader still tells."""
    repo = clone(starter, tmp_path / "repo", branch="main-tampered")
    readme = (repo / "README.md").read_text() + "\nAnything goes.\n"
    copy = json.loads((repo / ".gradelab/manifest.json").read_text())
    from grader.manifest import digest

    copy["files"]["README.md"] = digest(readme.encode())
    commit(repo, {"README.md": readme, ".gradelab/manifest.json": json.dumps(copy, indent=2) + "\n",
                  "course.toml": "modules = [\"derivatives\"]\nmax_examples = 1\n"})
    git(repo, "switch", "-q", "-c", "work")
    commit(repo, {"exercises/derivatives.py": SUBMISSION})
    done = ci(starter, repo, "--base", "main-tampered", "--summary", str(tmp_path / "summary.md"))
    files = _withheld(done, tmp_path / "summary.md")
    assert set(files) == {"README.md", ".gradelab/manifest.json", "course.toml"}
    assert all("shipped with the grader" in reason for reason in files.values())
    assert "since the base commit" not in files["README.md"]


def test_the_default_base_is_the_merge_base_with_the_default_branch(starter, tmp_path):
    repo = clone(starter, tmp_path / "repo")
    nasty = "`<img src=x onerror=alert(1)>|x`.md"
    commit(repo, {"notes.md": "my notes\n", nasty: "hi\n"})
    files = _withheld(ci(starter, repo, "--summary", str(tmp_path / "summary.md")), tmp_path / "summary.md")
    assert "added since the base commit" in files["notes.md"]
    # a student's file name is shown literally: inside a code span, its pipe escaped
    rows = [line for line in (tmp_path / "summary.md").read_text().splitlines() if "<img" in line]
    assert rows == [r"| `` `<img src=x onerror=alert(1)>\|x`.md `` | added since the base commit; not in the release "
                    "(the manifest shipped with the grader): only exercises/ is yours to change |"]


def test_without_a_default_branch_the_error_says_to_pass_base(starter, tmp_path):
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "trunk", str(repo))
    commit(repo, {"README.md": "x\n"})
    done = ci(starter, repo)
    assert done.returncode == 2 and "--base" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert ci(starter, repo, "--base", "no-such-ref").returncode == 2


def test_fail_under_sets_exit_status_one(starter, tmp_path):
    repo = clone(starter, tmp_path / "repo")  # nothing done yet: every function is still the stub
    done = ci(starter, repo, "--fail-under", "5")
    assert done.returncode == 1 and "below --fail-under" in done.stderr


def test_require_isolation_refuses_without_landlock(starter, tmp_path):
    repo = clone(starter, tmp_path / "repo")
    done = ci(starter, repo, "--require-isolation", "--junit", str(tmp_path / "junit.xml"), env={"GRADELAB_NO_LANDLOCK": "1"})
    assert done.returncode == 2 and "guard-only" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "junit.xml").exists()


def test_a_failure_of_the_grader_exits_three_and_never_shows_a_score(starter, tmp_path, monkeypatch, capsys):
    import grader.grading
    from grader.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("the sandbox would not start")

    repo = clone(starter, tmp_path / "repo")
    stale = tmp_path / "results.json"
    stale.write_text('{"score": 0}')
    monkeypatch.setattr(grader.grading, "grade", broken)
    monkeypatch.chdir(repo)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_BASE_REF", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["grade", "ci", "--manifest", str(starter.parent / "trusted.json"),
                                      "--gradescope", str(stale), "--summary", str(tmp_path / "summary.md")])
    with pytest.raises(SystemExit) as exit:
        main()
    assert exit.value.code == 3 and "internal error" in capsys.readouterr().err
    assert not stale.exists()
    assert "the grader failed" in (tmp_path / "summary.md").read_text()


def test_points_rescale_a_function_then_its_module_and_fractions_stay():
    from grader.course import apply, parse
    from grader.results import CheckResult, ExerciseResult, FunctionResult, GradeResult

    def function(name, passed, total):
        return FunctionResult(name, "failed", [CheckResult(f"derivatives.{name}.c{i}", "passed" if i < passed else "failed",
                                                           1.0 if i < passed else 0.0, 1.0) for i in range(total)])

    result = GradeResult("exercises", 0, 0.0, {}, [ExerciseResult("derivatives", [
        function("partial_derivative", 1, 2), function("numerical_gradient", 3, 3)])])
    course = parse('[points]\nderivatives = 10\n"derivatives.partial_derivative" = 4\n')
    apply(course, result)
    [exercise] = result.exercises
    assert exercise.max_score == pytest.approx(10)  # 4 + 3 points scaled by 10/7: ratios kept
    assert [f.max_score for f in exercise.functions] == pytest.approx([40 / 7, 30 / 7])
    assert [f.score for f in exercise.functions] == pytest.approx([20 / 7, 30 / 7])
    assert result.to_dict()["exercises"][0]["functions"][0]["checks"][0].get("hidden") is None


def test_annotation_text_cannot_break_out_of_its_line():
    from grader.render.annotations import definitions, escape_data, escape_property

    assert escape_data("50%\n::error::x\r") == "50%25%0A::error::x%0D"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert definitions("def f():\n    pass\n\n\ndef f():\n    return 1\n") == {"f": 5}
    assert definitions("(" * 100_000) == {}


def test_autorun_files_in_any_case_and_pth_files_withhold_the_grade(starter, tmp_path):
    """A file system that ignores case finds `Conftest.py` as `conftest.py`; a `.pth` file runs
    its import lines when Python starts with its folder as a site folder."""
    repo = clone(starter, tmp_path / "repo")
    commit(repo, {"exercises/Conftest.py": "x = 1\n", "exercises/SiteCustomize.py": "x = 1\n",
                  "exercises/evil.pth": "import os\n", "exercises/notes.PTH": "import os\n"})
    files = _withheld(ci(starter, repo, "--summary", str(tmp_path / "summary.md")), tmp_path / "summary.md")
    assert set(files) == {"exercises/Conftest.py", "exercises/SiteCustomize.py", "exercises/evil.pth",
                          "exercises/notes.PTH"}
    assert "pytest runs it" in files["exercises/Conftest.py"] and "start-up" in files["exercises/evil.pth"]


def test_a_link_whose_name_is_not_utf8_is_still_found(starter, tmp_path):
    """git prints the name's raw bytes; read as text with replacement, the name no longer
    matched the file on disk and the link went unseen."""
    repo = clone(starter, tmp_path / "repo")
    os.symlink("/etc", os.fsdecode(bytes(repo / "exercises") + b"/\xffdata"))
    os.symlink("../README.md", os.fsdecode(bytes(repo / "exercises") + b"/odd\xfe.py"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    done = ci(starter, repo, "--summary", str(tmp_path / "summary.md"), "--junit", str(tmp_path / "junit.xml"))
    files = _withheld(done, tmp_path / "summary.md")
    assert set(files) == {"exercises/?data", "exercises/odd?.py"}  # shown cleaned: a ? where a byte was
    assert all("symbolic link" in reason for reason in files.values())
    assert "::error file=exercises/?data,title=grade withheld::" in done.stdout
    JUnitXml.fromfile(str(tmp_path / "junit.xml"))  # still valid XML
