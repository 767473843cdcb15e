"""`grade release`: the student starter repository, its workflow, its manifest, and no solutions."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.manifest import digest

ROOT = Path(__file__).resolve().parent.parent
GRADE = [sys.executable, "-P", "-m", "grader.cli"]  # -P: never import from the working directory
GRADER_URL = "https://example.org/course/grader.git"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
WORKFLOW = ".github/workflows/gradelab.yml"
COURSE = """modules = ["derivatives"]
max_examples = 2
hidden = ["derivatives.gradient_descent"]

[points]
derivatives = 10
"""


def grade(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}  # as outside Actions
    environment.update(env or {})
    return subprocess.run([*GRADE, *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=300)


def release(folder: Path, *extra: str, course: str | None = COURSE, commit: str = COMMIT) -> Path:
    """Run `grade release` into ``folder/release``; the trusted manifest goes to ``folder/trusted.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    options = []
    if course is not None:
        (folder / "course.toml").write_text(course)
        options = ["--course", str(folder / "course.toml")]
    done = grade("release", "--out", str(folder / "release"), *options, "--grader-url", GRADER_URL,
                 "--grader-ref", commit, "--trusted-manifest", str(folder / "trusted.json"), *extra, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "release"


@pytest.fixture(scope="module")
def course_release(tmp_path_factory) -> Path:
    return release(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def full_release(tmp_path_factory) -> Path:
    return release(tmp_path_factory.mktemp("full"), "--classroom", course=None)


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_release_holds_the_assigned_stubs_readme_gitignore_course_workflow_and_manifest(course_release):
    assert files(course_release) == [".github/workflows/gradelab.yml", ".gitignore", ".gradelab/manifest.json",
                                     "README.md", "course.toml", "exercises/derivatives.py"]
    assert (course_release / "exercises/derivatives.py").read_text() == (ROOT / "exercises/derivatives.py").read_text()
    assert (course_release / "course.toml").read_text() == COURSE


def test_manifest_lists_every_protected_file_with_its_hash_and_the_grader_gets_the_same_copy(course_release):
    text = (course_release / ".gradelab/manifest.json").read_text()
    manifest = json.loads(text)
    protected = [f for f in files(course_release) if not f.startswith("exercises/") and f != ".gradelab/manifest.json"]
    assert sorted(manifest["files"]) == protected
    for name in protected:
        assert manifest["files"][name] == digest((course_release / name).read_bytes())
    assert manifest["modules"] == ["derivatives"] and manifest["course"] == COURSE
    assert (course_release.parent / "trusted.json").read_text() == text


def test_manifest_does_not_depend_on_the_pinned_commit(course_release, tmp_path):
    """The course commits the manifest, then pins that very commit: the manifest must not change."""
    other = release(tmp_path, commit="f" * 40)
    assert COMMIT not in (other / WORKFLOW).read_text() and "f" * 40 in (other / WORKFLOW).read_text()
    assert (other / ".gradelab/manifest.json").read_text() == (course_release / ".gradelab/manifest.json").read_text()


def _bodies(folder: Path) -> dict[str, str]:
    """Every function body (docstring left out, whitespace collapsed) of the modules in ``folder``."""
    found = {}
    for path in folder.glob("*.py"):
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                    body = body[1:]
                if body:  # whole lines: a body starts on a line of its own in these modules
                    text = " ".join(" ".join(lines[body[0].lineno - 1:body[-1].end_lineno]).split())
                    found[f"{path.parent.name}/{path.name}:{node.name}"] = text
    return found


def test_no_function_body_from_solutions_or_reference_appears_anywhere_in_the_release(full_release):
    bodies = {**_bodies(ROOT / "solutions"), **_bodies(ROOT / "reference")}
    assert len([body for body in bodies.values() if len(body) >= 30]) > 100
    released = {name: " ".join((full_release / name).read_text(errors="replace").split()) for name in files(full_release)}
    # the shortest bodies are formulas a stub's docstring states ("return x @ W + b", or a pitfall
    # such as "return 2 * (y_pred - y_true)"); every body of 30 characters or more is checked
    leaks = [(name, where) for name, body in bodies.items() if len(body) >= 30
             for where, text in released.items() if body in text]
    assert leaks == []
    assert not any(name.endswith((".whl", ".zip", ".tar.gz")) or name.split("/")[0] in ("grader", "reference", "solutions")
                   for name in released)
    assert sorted(f for f in released if f.startswith("exercises/")) == sorted(
        f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.py"))


def test_release_refuses_stubs_that_hold_a_solution_and_leaves_nothing(tmp_path):
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "derivatives.py").write_text((ROOT / "solutions/derivatives.py").read_text())
    (tmp_path / "course.toml").write_text(COURSE)
    done = grade("release", "--out", str(tmp_path / "out"), "--course", "course.toml", "--stubs", str(stubs),
                 "--grader-url", GRADER_URL, "--grader-ref", COMMIT, "--trusted-manifest", "t.json", cwd=tmp_path)
    assert done.returncode == 2 and "solution" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "t.json").exists()


def _workflow(root: Path) -> dict:
    return yaml.safe_load((root / WORKFLOW).read_text())


def test_workflow_installs_the_pinned_grader_runs_grade_ci_and_uploads_the_reports(course_release):
    text = (course_release / WORKFLOW).read_text()
    flow = _workflow(course_release)
    assert set(flow["on"]) == {"push", "pull_request"} and "pull_request_target" not in text
    assert flow["permissions"] == {"contents": "read"} and "secrets." not in text
    steps = flow["jobs"]["grade"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses == ["actions/checkout", "actions/setup-python", "", "", "actions/upload-artifact"]
    checkout, _, install, run, upload = steps
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    assert install["env"]["GRADELAB_REQUIREMENT"] == f"gradelab @ git+{GRADER_URL}@{COMMIT}"
    assert install["working-directory"] == "${{ runner.temp }}"  # never the pull request's own tree
    assert 'pip install "$GRADELAB_REQUIREMENT"' in install["run"]
    assert "pip install ." not in install["run"] and "-e " not in install["run"]
    assert run["run"].count("grade ci ") == 1 and "--junit" in run["run"] and "--gradescope" in run["run"]
    assert upload["if"] == "always()"
    assert "junit.xml" in upload["with"]["path"] and "results.json" in upload["with"]["path"]
    assert list(flow["jobs"]) == ["grade"]  # Classroom's reporter job only when asked for


def test_classroom_release_adds_a_reporter_job_that_runs_no_student_code(full_release):
    flow = _workflow(full_release)
    assert flow["permissions"] == {"contents": "read"}
    grade_job, reporter = flow["jobs"]["grade"], flow["jobs"]["classroom"]
    script = grade_job["steps"][3]["run"]
    assert "--classroom" in script and "GITHUB_OUTPUT" in script and "classroom-begin" not in script
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    assert grade_job["outputs"]["classroom"] == "${{ steps.grade.outputs.classroom }}"
    assert reporter["name"] == "Autograding Tests" and reporter["needs"] == "grade"
    assert "github.event_name == 'push'" in reporter["if"]
    assert reporter["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    [step] = reporter["steps"]
    assert step["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    assert step["with"]["runners"] == "gradelab" and "GRADELAB_RESULTS" in step["env"]


def test_student_readme_says_how_to_set_up_grade_and_submit(course_release):
    readme = (course_release / "README.md").read_text()
    for heading in ("## Set up", "## Grade your work locally", "## Submit", "## What you may change"):
        assert heading in readme
    assert f'pip install "gradelab @ git+{GRADER_URL}@{COMMIT}"' in readme
    assert "grade run derivatives" in readme and "{{" not in readme


@pytest.mark.parametrize("course, words", [
    ('modules = ["nope"]\n', "unknown exercise 'nope'"),
    ('[points]\n"derivatives.nope" = 3\n', "no function 'nope'"),
    ('hidden = ["derivatives.nothing_like_this"]\n', "matches no check"),
    ("max_examples = 0\n", "max_examples must be positive"),
    ('timeout = "slow"\n', "timeout must be a number"),
    ("colour = 1\n", "unknown key 'colour'"),
    ("modules = [\n", "not valid TOML"),
])
def test_bad_course_files_are_refused_with_the_reason(course, words):
    from grader.course import CourseError, parse

    with pytest.raises(CourseError, match=re.escape(words)):
        parse(course)


def test_a_bad_course_file_is_a_one_line_usage_error_and_nothing_is_released(tmp_path):
    (tmp_path / "course.toml").write_text('modules = ["nope"]\n')
    done = grade("release", "--out", "out", "--grader-url", GRADER_URL, "--grader-ref", COMMIT,
                 "--trusted-manifest", "t.json", cwd=tmp_path)
    assert done.returncode == 2 and "unknown exercise 'nope'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_release_into_a_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    done = grade("release", "--out", "out", "--grader-url", GRADER_URL, "--grader-ref", COMMIT,
                 "--trusted-manifest", "t.json", cwd=tmp_path)
    assert done.returncode == 2 and "not empty" in done.stderr
    assert files(tmp_path / "out") == ["keep.txt"]


def test_the_pinned_url_is_one_ci_can_fetch_without_secrets():
    from grader.starter import public_url

    assert public_url("git@github.com:my-course/grader.git") == "https://github.com/my-course/grader.git"
    assert public_url("ssh://git@github.com/my-course/grader") == "https://github.com/my-course/grader"
    assert public_url(GRADER_URL) == GRADER_URL


def test_the_workflow_refuses_to_grade_unconfined(course_release, full_release):
    """Without Landlock a student's code can write where the runner can (the grader's own
    modules, the step summary), so the released workflow grades only where it holds."""
    for release_ in (course_release, full_release):
        script = _workflow(release_)["jobs"]["grade"]["steps"][3]["run"]
        assert script.count("grade ci ") == 1 and "grade ci --require-isolation " in script


def test_a_token_in_the_grader_url_never_reaches_the_release(tmp_path):
    """An `origin` such as https://user:TOKEN@host/... would be shown to every student."""
    from grader.starter import ReleaseError, public_url

    assert public_url("https://x-access-token:ghp_secret@github.com/c/grader.git") == "https://github.com/c/grader.git"
    assert public_url("https://ghp_secret@github.com/c/grader") == "https://github.com/c/grader"
    assert public_url("ssh://git@github.com:22/c/grader") == "https://github.com:22/c/grader"
    for bad in ('https://h/a"b', "https://h/a b", "https://h/a\nb"):
        with pytest.raises(ReleaseError):
            public_url(bad)
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "course.toml").write_text(COURSE)
    done = grade("release", "--out", "out", "--course", "course.toml", "--grader-ref", COMMIT, "--grader-url",
                 "https://teacher:ghp_secret@example.org/course/grader.git", "--trusted-manifest", "t.json", cwd=folder)
    assert done.returncode == 0, done.stderr
    released = " ".join(p.read_text() for p in (folder / "out").rglob("*") if p.is_file())
    assert "ghp_secret" not in released and "teacher" not in released
    assert "git+https://example.org/course/grader.git@" in released
