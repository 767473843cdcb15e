"""The `grade` command as scripts and students drive it: formats, exit statuses, input forms."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import nbformat
import pytest

from tests.support import ROOT


def grade(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def as_json(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_json_document_follows_the_interface():
    doc = as_json(grade("run", "optimizers.sgd", "--submission", "solutions", "--format", "json"))
    assert set(doc) == {"version", "submission", "score", "max_score", "seed", "duration_s", "environment", "exercises"}
    assert doc["version"] == 1 and doc["seed"] == 0
    assert set(doc["environment"]) == {"python", "numpy", "torch", "device", "isolation"}
    assert doc["environment"]["isolation"] == "guard-only" or doc["environment"]["isolation"].startswith("landlock-abi-")
    (exercise,) = doc["exercises"]
    assert set(exercise) == {"name", "score", "max_score", "functions"}
    (function,) = exercise["functions"]
    assert set(function) == {"name", "status", "score", "max_score", "checks"}
    for check in function["checks"]:
        assert set(check) == {"id", "status", "points", "max_points", "message", "counterexample", "diagnosis"}
    assert doc["score"] == doc["max_score"] > 0


def test_stubs_score_zero_with_a_to_do_and_exit_zero():
    done = grade("run", "gan")
    assert done.returncode == 0, done.stderr
    assert "To do" in done.stdout and "gan.gan_step" in done.stdout
    assert "Score: 0/" in done.stdout


def test_fail_under_sets_exit_status_one():
    done = grade("run", "gan", "--fail-under", "1")
    assert done.returncode == 1
    assert "below --fail-under" in done.stderr


@pytest.mark.parametrize("args", [("run", "nonsense"), ("run", "optimizers.nonsense"),
                                  ("--submission", "no/such/path"), ("--max-examples", "0"),
                                  ("--timeout", "-1"), ("run", "--format", "yaml"),
                                  ("--submission", "README.md"),
                                  ("run", "gan.generator_loss", "--output", "/nonexistent/folder/report.txt")])
def test_usage_errors_are_one_line_and_exit_two(args):
    done = grade(*args)
    assert done.returncode == 2, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("grade: error: ")
    assert "Traceback" not in done.stderr


def test_empty_directory_is_a_usage_error(tmp_path):
    done = grade("--submission", str(tmp_path))
    assert done.returncode == 2 and "no exercise modules" in done.stderr


def test_list_shows_the_catalog():
    done = grade("list")
    assert done.returncode == 0
    for name in ("derivatives", "optimizers", "backprop", "batchnorm", "attention", "gan"):
        assert name in done.stdout


def test_same_options_give_the_same_document(tmp_path):
    source = (ROOT / "solutions" / "gan.py").read_text().replace("lr *", "0.9 * lr *")
    (tmp_path / "gan.py").write_text(source)
    first, second = (as_json(grade("run", "gan", "--submission", str(tmp_path), "--format", "json", "--seed", "3"))
                     for _ in range(2))
    first.pop("duration_s"), second.pop("duration_s")
    assert first == second


def test_parallel_jobs_give_the_same_document(tmp_path):
    for name in ("gan", "attention"):
        source = (ROOT / "solutions" / f"{name}.py").read_text().replace("math.sqrt(", "1.0001 * math.sqrt(").replace("lr *", "0.9 * lr *")
        (tmp_path / f"{name}.py").write_text(source)
    one, two = (as_json(grade("run", "gan", "attention", "--submission", str(tmp_path), "--format", "json",
                              "--jobs", jobs)) for jobs in ("1", "2"))
    one.pop("duration_s"), two.pop("duration_s")
    assert one == two
    assert one["score"] < one["max_score"]


def test_output_file(tmp_path):
    target = tmp_path / "report.json"
    done = grade("run", "gan.generator_loss", "--submission", "solutions", "--format", "json", "--output", str(target))
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(target.read_text())["exercises"][0]["name"] == "gan"


def test_single_module_zip_and_notebook_submissions(tmp_path):
    solution = ROOT / "solutions" / "gan.py"
    single = tmp_path / "gan.py"
    shutil.copy(solution, single)
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(solution, "my-work/gan.py")
    notebook = tmp_path / "homework.ipynb"
    cells = [nbformat.v4.new_markdown_cell("# GAN"), nbformat.v4.new_code_cell("# gradelab: module gan\n%matplotlib inline"),
             nbformat.v4.new_code_cell(solution.read_text())]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(notebook))
    for path in (single, archive, notebook):
        doc = as_json(grade("run", "gan", "--submission", str(path), "--format", "json"))
        assert doc["score"] == doc["max_score"] > 0, path


def test_unreadable_notebook_is_a_usage_error(tmp_path):
    broken = tmp_path / "gan.ipynb"
    broken.write_text("{ not json")
    done = grade("--submission", str(broken))
    assert done.returncode == 2 and "notebook" in done.stderr


@pytest.fixture(scope="module")
def half_right_gan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gan")
    source = (ROOT / "solutions" / "gan.py").read_text()
    (folder / "gan.py").write_text(source + "\n\ndef generator_loss(fake_logits):\n    return 0.0\n")
    return str(folder)


def test_junit_counts_checks_and_failures(half_right_gan):
    import xml.etree.ElementTree as ET

    done = grade("run", "gan", "--submission", half_right_gan, "--format", "junit")
    root = ET.fromstring(done.stdout)
    suite = root.find("testsuite")
    assert suite.get("name") == "gan"
    assert int(suite.get("tests")) == len(suite.findall("testcase")) > 0
    failures = suite.findall("testcase/failure")
    assert len(failures) == int(suite.get("failures")) > 0
    assert all(f.get("type") == "failed" for f in failures)


def test_gradescope_results_have_a_test_per_function(half_right_gan):
    doc = as_json(grade("run", "gan", "--submission", half_right_gan, "--format", "gradescope"))
    assert [t["name"] for t in doc["tests"]] == ["gan.discriminator_loss", "gan.generator_loss", "gan.gan_step"]
    assert [t["status"] for t in doc["tests"]][:2] == ["passed", "failed"]
    assert doc["score"] == sum(t["score"] for t in doc["tests"]) < doc["max_score"]


def test_markdown_summary(half_right_gan):
    done = grade("run", "gan", "--submission", half_right_gan, "--format", "markdown")
    assert done.stdout.startswith("## gradelab: ")
    assert "| gan | `generator_loss` | ❌ failed |" in done.stdout
    assert "### Problems" in done.stdout


def test_messages_do_not_depend_on_where_a_zip_is_unpacked(tmp_path):
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("gan.py", "def generator_loss(fake_logits):\n    return {}[1]\n")
    first, second = (as_json(grade("run", "gan.generator_loss", "--submission", str(archive), "--format", "json"))
                     for _ in range(2))
    message = first["exercises"][0]["functions"][0]["checks"][0]["message"]
    assert 'File "gan.py", line 2, in generator_loss' in message
    first.pop("duration_s"), second.pop("duration_s")
    assert first == second


def test_list_of_one_function_explains_its_checks_and_tolerances():
    done = grade("list", "optimizers.adam")
    assert done.returncode == 0
    assert "optimizers.adam.matches_torch" in done.stdout and "tolerance |got - want| <=" in done.stdout
    assert grade("list", "optimizers.nonsense").returncode == 2
