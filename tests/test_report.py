"""`grade report`: a synthetic class graded into every output, resumed, and graded on Dask.

One class is graded once (module fixture) on the `gan` exercise with two examples per check:
full marks, the stubs, catalogued mistakes, a syntax error, an infinite loop, a hostile
submission with a hostile name, a notebook, a lone .py, and archives that must be refused.
"""

from __future__ import annotations

import base64
import csv
import fcntl
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from html.parser import HTMLParser

import nbformat
import pytest

from grader import classroom
from grader.classroom import ClassResult, Settings, Student, StudentRow
from grader.render.csv import render_gradebook
from grader.render.summary import render_summary
from grader.results import GradeResult
from tests.support import ROOT

SOLUTION = (ROOT / "solutions" / "gan.py").read_text()
HOSTILE_NAME = "=cmd|<img src=x onerror=alert(1)>"
SATURATING = ("\n\ndef generator_loss(fake_logits):\n"
              "    s = 1.0 / (1.0 + np.exp(-np.asarray(fake_logits)))\n"
              "    return float(np.mean(np.log(1.0 - s)))\n")
SUMMED = ("\n\ndef discriminator_loss(real_logits, fake_logits):\n"
          "    sig = lambda t: 1.0 / (1.0 + np.exp(-np.asarray(t)))\n"
          "    return float(-np.sum(np.log(sig(real_logits))) - np.sum(np.log(1.0 - sig(fake_logits))))\n")
LOOP = "\n\ndef generator_loss(fake_logits):\n    while True:\n        pass\n"
HOSTILE = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nopen('/etc/passwd').read()\n"
ARGS = ("gan", "--max-examples", "2", "--timeout", "2")


def grade(*args, timeout=240, env=None):
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def module_folder(parent, name, gan_source, extra=("backprop",)):
    folder = parent / name
    folder.mkdir()
    (folder / "gan.py").write_text(gan_source)
    for module in extra:
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder / f"{module}.py")
    return folder


def zip_with(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, *mode in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode:
                info.external_attr = mode[0] << 16
            archive.writestr(info, data)


def build_class(root):
    """One entry per student, each named after the student."""
    shutil.copytree(ROOT / "solutions", root / "full")
    shutil.copytree(ROOT / "exercises", root / "stubs")
    module_folder(root, "saturating1", SOLUTION + SATURATING)
    module_folder(root, "saturating2", SOLUTION.replace("fake", "fk") + SATURATING)
    module_folder(root, "summed", SOLUTION + SUMMED)
    module_folder(root, "syntax", "def generator_loss(fake_logits:\n")
    module_folder(root, "loop", SOLUTION + LOOP)
    module_folder(root, HOSTILE_NAME, HOSTILE + SOLUTION)
    (root / "alice.py").write_text(SOLUTION)
    cells = [nbformat.v4.new_markdown_cell("# my GAN"), nbformat.v4.new_code_cell("%matplotlib inline"),
             nbformat.v4.new_code_cell(SOLUTION)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(root / "bob.ipynb"))
    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not an archive")
    zip_with(root / "traversal.zip", [("../../gan.py", SOLUTION), ("work/../../backprop.py", "x = 1\n")])
    zip_with(root / "link.zip", [("gan.py", "/etc/passwd", stat.S_IFLNK | 0o777)])
    zip_with(root / "bomb.zip", [("gan.py", " " * (3 * 2**20))])
    zip_with(root / "crowd.zip", [(f"junk/{n}.txt", "") for n in range(10_001)] + [("gan.py", SOLUTION)])
    zip_with(root / "huge.zip", [("gan.py", SOLUTION), ("data.bin", bytes(51 * 2**20))])
    (root / ".DS_Store").write_text("not a student")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class and its report, made once per test session (pytest-xdist workers share it)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, out = shared / "report-class", shared / "report-out"
    with open(shared / "report-class.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.html").is_file():
            shutil.rmtree(root, ignore_errors=True), shutil.rmtree(out, ignore_errors=True)
            root.mkdir()
            build_class(root)
            done = grade("report", str(root), *ARGS, "--jobs", "2", "--out", str(out))
            assert done.returncode == 0, done.stderr
    return root, out


def gradebook(out):
    """Rows by student (a name a spreadsheet would run as a formula is written with a leading quote)."""
    rows = csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))
    return {row["student"].removeprefix("'"): row for row in rows}


def document(out, student):
    return json.loads((out / "students" / classroom.file_name(student)).read_text())


def test_every_student_has_a_row_with_the_right_numbers(graded):
    root, out = graded
    book = gradebook(out)
    assert set(book) == {"full", "stubs", "saturating1", "saturating2", "summed", "syntax", "loop", HOSTILE_NAME,
                         "alice", "bob", "corrupt", "traversal", "link", "bomb", "crowd", "huge"}
    assert list(book["full"]) == ["student", "status", "total", "gan", "gan.discriminator_loss",
                                  "gan.generator_loss", "gan.gan_step", "reason"]
    for full in ("full", "alice", "bob"):
        assert (book[full]["status"], book[full]["total"], book[full]["gan"]) == ("graded", "6", "6"), full
    assert (book["stubs"]["total"], book["syntax"]["total"], book[HOSTILE_NAME]["total"]) == ("0", "0", "0")
    # gan_step calls the student's own losses, so a wrong loss costs its points too
    for mistaken, right in (("saturating1", "discriminator_loss"), ("summed", "generator_loss")):
        assert (book[mistaken]["total"], book[mistaken][f"gan.{right}"], book[mistaken]["gan.gan_step"]) == ("2", "2", "0")
    assert (book["loop"]["total"], book["loop"]["gan.discriminator_loss"]) == ("2", "2")


def test_refused_archives_are_rows_with_their_reason(graded):
    root, out = graded
    book = gradebook(out)
    for name, words in (("corrupt", "zip archive"), ("traversal", "no exercise modules"),
                        ("link", "no exercise modules"), ("bomb", "compressed suspiciously well"),
                        ("crowd", "more than the 10000 allowed"), ("huge", "unpacks to more than 50 MB")):
        assert (book[name]["status"], book[name]["total"]) == ("invalid", "0"), name
        assert words in book[name]["reason"], (name, book[name]["reason"])
    assert not (root.parent / "gan.py").exists() and not (root / "gan.py").exists()  # nothing unpacked outside


def test_each_student_has_the_interface_result_document(graded):
    _, out = graded
    doc = document(out, "saturating1")
    assert {"version", "submission", "score", "max_score", "seed", "duration_s", "environment", "exercises"} <= set(doc)
    functions = {f["name"]: f for f in doc["exercises"][0]["functions"]}
    assert functions["generator_loss"]["status"] == "failed"
    diagnoses = {c["diagnosis"]["id"] for c in functions["generator_loss"]["checks"] if c["diagnosis"]}
    assert diagnoses == {"gan.generator_loss.saturating"} or diagnoses == {"generator_loss.saturating"}
    assert {f["status"] for f in document(out, "syntax")["exercises"][0]["functions"]} == {"error"}
    assert document(out, "loop")["exercises"][0]["functions"][1]["status"] == "timeout"
    assert {f["status"] for f in document(out, HOSTILE_NAME)["exercises"][0]["functions"]} <= {"error", "violation"}
    assert not (out / "students" / "corrupt.json").exists()


def test_a_report_document_is_what_grade_run_gives(graded):
    root, out = graded
    done = grade("run", *ARGS, "--submission", str(root / "summed"), "--format", "json")
    alone, in_report = json.loads(done.stdout), document(out, "summed")
    for doc in (alone, in_report):
        doc.pop("duration_s")
    assert in_report == alone


def test_summary_counts_the_class(graded):
    _, out = graded
    summary = (out / "summary.md").read_text()
    assert "graded: 10, invalid (scored 0): 6, ungradable (grader failure, not counted): 0" in summary
    assert "| `generator_loss.saturating` | 2 |" in summary or "| `gan.generator_loss.saturating` | 2 |" in summary
    assert HOSTILE_NAME not in summary and "<img" not in summary


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_self_contained_with_its_plots(graded):
    _, out = graded
    page = Page()
    page.feed((out / "report.html").read_text())
    assert "script" not in page.tags and "link" not in page.tags
    assert len(page.images) >= 4
    for image in page.images:
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = "".join(page.text)
    for heading in ("Scores", "Pass rate per function", "Most frequent diagnosed mistakes",
                    "Minimal failing inputs seen most often", "Slowest submissions", "Near-identical implementations"):
        assert heading in text
    assert HOSTILE_NAME in text  # shown as text, never as markup
    assert "generator_loss.saturating" in text


def test_similarity_pairs_copies_and_leaves_out_stubs(graded):
    _, out = graded
    page = Page()
    page.feed((out / "report.html").read_text())
    text = "".join(page.text)
    assert "gan.gan_step: alice and bob (100%)" in text
    assert "stubs" not in text.split("Near-identical implementations")[1].split("Gradebook")[0]


def test_gradebook_text_is_not_a_formula(graded):
    _, out = graded
    raw = (out / "gradebook.csv").read_text()
    assert "\n'=cmd|<img" in raw and "\n=cmd" not in raw


def test_an_interrupted_report_resumes_with_only_what_is_missing(graded, tmp_path, monkeypatch):
    """Interrupted after one row, run again, then one result deleted: only what is missing is graded."""
    root, _ = graded
    students = classroom.discover([str(root / name) for name in ("full", "stubs", "corrupt.zip")])
    settings = Settings(("gan",), max_examples=2, timeout=2)
    asked, stop_after = [], [1]

    def workers(todo, settings, jobs=None):
        for student in todo:
            if len(asked) == stop_after[0]:
                raise KeyboardInterrupt
            asked.append(student.id)
            yield StudentRow(student.id, student.path, "graded", "", GradeResult(student.path, 0, 0.5, {}, []), 0.5)

    monkeypatch.setattr(classroom, "grade_in_workers", workers)
    monkeypatch.setattr(classroom, "grader_fingerprint", lambda: "this grader")  # others may edit it meanwhile
    with pytest.raises(KeyboardInterrupt):
        classroom.grade_class(students, settings, tmp_path)
    assert asked == ["full"] and (tmp_path / "students" / "full.json").is_file()
    asked.clear(), stop_after.insert(0, 99)
    assert classroom.grade_class(students, settings, tmp_path).resumed == 1 and asked == ["stubs", "corrupt"]
    (tmp_path / "students" / "stubs.json").unlink()
    asked.clear()
    again = classroom.grade_class(students, settings, tmp_path)
    assert asked == ["stubs"] and again.resumed == 2 and [row.student for row in again.rows] == ["full", "stubs", "corrupt"]


def test_changed_options_grade_again(graded, tmp_path):
    root, out = graded
    key = classroom.result_key(Student("full", str(root / "full")), Settings(("gan",), max_examples=2, timeout=2))
    assert key != classroom.result_key(Student("full", str(root / "full")), Settings(("gan",), max_examples=2, timeout=2, seed=1))
    copy = tmp_path / "full"
    shutil.copytree(root / "full", copy)
    moved = classroom.result_key(Student("full", str(copy)), Settings(("gan",), max_examples=2, timeout=2))
    (copy / "gan.py").write_text(SOLUTION + "\n# edited\n")
    assert moved != classroom.result_key(Student("full", str(copy)), Settings(("gan",), max_examples=2, timeout=2))


def test_dask_cluster_gives_the_same_gradebook(graded, tmp_path):
    distributed = pytest.importorskip("distributed")
    root, out = graded
    chosen = ["saturating1", "corrupt.zip", "bob.ipynb"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                                  protocol="tcp://", host="127.0.0.1", scheduler_port=0) as cluster:
        done = grade("report", *(str(root / name) for name in chosen), *ARGS, "--scheduler",
                     cluster.scheduler_address, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    local, remote = gradebook(out), gradebook(tmp_path)
    assert list(remote) == ["saturating1", "corrupt", "bob"]
    assert all(remote[name] == local[name] for name in remote)


def test_unreachable_scheduler_is_a_usage_error(graded, tmp_path):
    root, _ = graded
    done = grade("report", str(root / "full"), *ARGS, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path),
                 timeout=60, env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"})
    assert done.returncode == 2 and "scheduler" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [("report", "--out", "x"), ("report", "no/such/class", "--out", "x"),
                                  ("report", "solutions", "nonsense.adam", "--out", "x")])
def test_usage_errors(args, tmp_path):
    done = grade(*args, timeout=60)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


# -- the class model, without grading --------------------------------------------------------------
def test_a_grader_failure_is_ungradable_and_not_counted(monkeypatch, tmp_path):
    from grader import grading, warm

    def broken(*args, **kwargs):
        raise RuntimeError("the sandbox could not start")

    monkeypatch.setattr(warm, "warm", lambda: None)
    monkeypatch.setattr(grading, "grade", broken)
    row = warm.grade_student(Student("carol", str(tmp_path)), Settings(("gan",)))
    assert (row.status, row.reason) == ("ungradable", "RuntimeError: the sandbox could not start")
    fine = StudentRow("dave", "dave", "invalid", "cannot read it")
    report = ClassResult([row, fine], Settings(("gan",)), [("gan", [("generator_loss", 2.0)])])
    assert report.scores() == [0.0] and [r.student for r in report.counted] == ["dave"]
    book = list(csv.reader(io.StringIO(render_gradebook(report))))
    assert book[1] == ["carol", "ungradable", "", "", "", "RuntimeError: the sandbox could not start"]
    assert "ungradable (grader failure, not counted): 1" in render_summary(report)


def test_result_documents_round_trip(graded):
    _, out = graded
    for path in (out / "students").iterdir():
        doc = json.loads(path.read_text())
        assert classroom.result_from_dict(doc).to_dict() == doc


def test_discovery_names_students_after_their_entries(tmp_path):
    for name in ("ann", "bo.zip", "bo.py", "cy.ipynb", ".hidden"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_text("")
    students = classroom.discover([str(tmp_path)])
    assert [s.id for s in students] == ["ann", "bo.py", "bo.zip", "cy"]
    assert classroom.discover([str(tmp_path / "ann"), str(tmp_path / "cy.ipynb")])[1].id == "cy"
    assert classroom.file_name("../x") != "../x.json" and "/" not in classroom.file_name("../x")


def test_the_course_file_weighs_the_gradebook_as_grade_run_does(graded):
    _, out = graded
    settings = Settings(("gan",), course='modules = ["gan"]\n[points]\ngan = 12\n"gan.gan_step" = 6\n')
    # the function first (gan_step 2 -> 6), then the module (10 -> 12)
    assert settings.columns() == [("gan", [("discriminator_loss", 2.4), ("generator_loss", 2.4), ("gan_step", 7.2)])]
    result = settings.apply_course(classroom.result_from_dict(document(out, "saturating1")))
    assert (result.score, result.max_score) == (2.4, 12.0)


def test_the_oracle_memo_answers_a_repeated_question_from_memory():
    import numpy as np

    from grader.cache import MemoryCache
    from grader.testfns import Fn

    memo = MemoryCache()
    compute = lambda: np.array([1.0])
    question = {"fake_logits": np.array([0.5, -1.0])}
    first = memo.get_or_compute("gan.generator_loss.c", question, compute)
    second = memo.get_or_compute("gan.generator_loss.c", {"fake_logits": np.array([0.5, -1.0])}, compute)
    assert (memo.misses, memo.hits) == (1, 1) and np.array_equal(first, second) and first is not second
    memo.get_or_compute("gan.generator_loss.c", {"fake_logits": np.array([0.5, -2.0])}, compute)
    assert (memo.misses, memo.hits) == (2, 1)
    quadratic = lambda b: {"f": Fn("quadratic", A=np.eye(2), b=np.array(b))}
    memo.get_or_compute("x", quadratic([1.0, 2.0]), compute)
    memo.get_or_compute("x", quadratic([1.0, 2.0]), compute)
    memo.get_or_compute("x", quadratic([1.0, 3.0]), compute)
    assert (memo.misses, memo.hits) == (4, 2)


def _corrupted(path, compression):
    """A zip whose one module's compressed bytes are damaged (its CRC is never reached)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("exercises/derivatives.py", SOLUTION * 4)
    data = bytearray(path.read_bytes())
    start = data.index(b"exercises/derivatives.py") + len("exercises/derivatives.py")
    for k in range(start + 12, start + 60):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA])
def test_damaged_compressed_data_in_a_zip_is_a_submission_error(tmp_path, compression):
    """zlib and lzma raise their own errors on damaged data; those escaped as a grader failure."""
    from grader.submission import SubmissionError, open_submission

    with pytest.raises(SubmissionError, match="as a zip archive"):
        open_submission(_corrupted(tmp_path / "damaged.zip", compression))


def test_a_module_far_larger_than_code_is_refused_without_reading_it(tmp_path):
    from grader.submission import SubmissionError, open_submission

    (tmp_path / "sub").mkdir()
    with open(tmp_path / "sub" / "derivatives.py", "wb") as handle:
        handle.truncate(8 * 2**30)  # sparse: 8 GB that would be read whole, copied and parsed
    (tmp_path / "derivatives.py").symlink_to(tmp_path / "sub" / "derivatives.py")
    for path in (tmp_path / "sub", tmp_path / "derivatives.py"):
        with pytest.raises(SubmissionError, match="larger than 5 MB"):
            open_submission(path)


def test_names_that_are_not_utf8_or_differ_only_in_case_still_get_their_own_rows(tmp_path):
    """A name that is not UTF-8 stopped the whole report (hashing and writing it); two names
    that differ only in case would share one result file on a file system that ignores case."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "Dana.py").write_text("x = 1\n")
    (folder / "dana").mkdir()
    (folder / "dana" / "derivatives.py").write_text("x = 1\n")
    (folder / os.fsdecode(b"\xffodd.py")).write_text("x = 1\n")
    _corrupted(tmp_path / "class" / "eve.zip", zipfile.ZIP_DEFLATED)
    students = classroom.discover([str(folder)])
    assert len({s.id.casefold() for s in students}) == 4
    assert all(s.id.encode("utf-8") for s in students)
    done = grade("report", str(folder), "derivatives", "--max-examples", "1", "--jobs", "1",
                 "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    rows = gradebook(tmp_path / "out")
    assert len(rows) == 4 and rows["eve"]["status"] == "invalid" and "zip archive" in rows["eve"]["reason"]
    assert {row["status"] for name, row in rows.items() if name != "eve"} == {"graded"}
    assert len({p.name.casefold() for p in (tmp_path / "out" / "students").iterdir()}) == 3
