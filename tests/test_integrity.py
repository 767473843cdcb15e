"""Grader integrity: the same result every way, a parent no submission can crash or freeze, a
guard no submission can switch off, and checks that wrong code cannot slip through.

Each test here reproduces an attack or an accident that once changed a grade or stopped the
grader; it fails if that can happen again.
"""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import catalog
from grader.compare import Tolerance, compare
from grader.engine import Options
from grader.grading import grade
from grader.render import RENDERERS
from grader.submission import SubmissionError, open_submission
from tests.support import ROOT

FAST = Options(max_examples=3)


def write(folder: Path, module: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(textwrap.dedent(source))
    return path


def results(grade_result) -> dict[str, tuple]:
    """Per-function outcome: status, score and every check's status and message."""
    return {f"{e.name}.{f.name}": (f.status, f.score, [(c.status, c.message) for c in f.checks])
            for e, f in grade_result.functions()}


def run_cli(*args, cwd=ROOT, timeout=300):
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


# -- determinism: the same grade whatever the split and the selection ------------------------------
@pytest.fixture(scope="module")
def entangled(tmp_path_factory):
    """Model answers, with one module importing another and one trying a forbidden import."""
    folder = tmp_path_factory.mktemp("entangled")
    for module in catalog.MODULES:
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder)
    gan = (folder / "gan.py").read_text()
    (folder / "gan.py").write_text("from backprop import linear_forward  # the student's own module\n" + gan)
    backprop = (folder / "backprop.py").read_text()
    (folder / "backprop.py").write_text(backprop + "\ntry:\n    import scipy\nexcept ImportError:\n    scipy = None\n")
    return folder


@pytest.fixture(scope="module")
def everything(entangled):
    return results(grade(str(entangled), options=FAST, jobs=1, tier="core"))


def test_own_modules_import_each_other_and_violations_stay_with_their_module(everything):
    assert everything["gan.gan_step"][0] == "violation"  # gan imports backprop, which imports scipy
    assert everything["backprop.linear_forward"][0] == "violation"
    assert all(status == "passed" for name, (status, *_) in everything.items()
               if not name.startswith(("gan.", "backprop.")))


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.nested_given])
@given(data=st.data())
def test_any_selection_and_any_jobs_give_the_same_results(entangled, everything, data):
    names = data.draw(st.lists(st.sampled_from(sorted(everything)), min_size=1, max_size=6, unique=True))
    jobs = data.draw(st.sampled_from([1, 2, 4]))
    chosen = results(grade(str(entangled), tuple(names), options=FAST, jobs=jobs))
    assert chosen == {name: everything[name] for name in chosen}


def test_a_submission_module_imported_by_another_grades_alone(tmp_path):
    write(tmp_path, "backprop", (ROOT / "solutions" / "backprop.py").read_text())
    write(tmp_path, "gan", "from backprop import linear_forward\n" + (ROOT / "solutions" / "gan.py").read_text())
    alone = grade(str(tmp_path), ("gan",), options=FAST, jobs=1)
    together = grade(str(tmp_path), ("backprop", "gan"), options=FAST, jobs=2)
    assert alone.score == alone.max_score > 0
    assert results(alone) == {k: v for k, v in results(together).items() if k.startswith("gan.")}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_with_two_candidate_folders_is_refused_with_a_reason(tmp_path):
    stub, answer = (ROOT / "exercises" / "gan.py").read_bytes(), (ROOT / "solutions" / "gan.py").read_bytes()
    archive = _zip(tmp_path / "work.zip", {"draft/gan.py": stub, "final/gan.py": answer})
    with pytest.raises(SubmissionError, match="several folders.*draft/, final/"):
        open_submission(archive)
    done = run_cli("run", "gan", "--submission", str(archive))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_a_zip_says_which_folder_it_graded(tmp_path):
    stub, answer = (ROOT / "exercises" / "gan.py").read_bytes(), (ROOT / "solutions" / "gan.py").read_bytes()
    archive = _zip(tmp_path / "work.zip", {"old/gan.py": stub, "exercises/gan.py": answer, "x/y/gan.py": stub})
    submission = open_submission(archive)
    try:
        assert submission.label.endswith("(exercises/)")
        assert submission.files["gan"].read_bytes() == answer
    finally:
        submission.close()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    members = {f"copy{i}/gan.py": b"#" * (5 * 2**20 - 1) for i in range(100)}
    members["gan.py"] = b"#" * (5 * 2**20 - 1)
    archive = _zip(tmp_path / "bomb.zip", members)
    assert archive.stat().st_size < 2 * 2**20
    before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("gradelab-submission-*"))
    with pytest.raises(SubmissionError):
        open_submission(archive)
    assert set(Path(os.environ.get("TMPDIR", "/tmp")).glob("gradelab-submission-*")) == before


# -- the parent survives anything the child does ----------------------------------------------------
FORGE = """
import os, stat, struct, time

def _channel():
    return [fd for fd in range(3, 64) if _is_socket(fd)]

def _is_socket(fd):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False

def _forge(payload):
    for fd in _channel():
        os.write(fd, struct.pack(">Q", len(payload)) + payload)
"""


@pytest.mark.parametrize("body", [
    '_forge(b\'{"status": "error"}\')',                         # a frame without a message, at import
    '_forge(b\'{"status": "ok", "seq": 1, "functions": [1]}\')',  # a frame of the wrong shape
    'for fd in _channel():\n    os.close(fd)\ntime.sleep(30)',  # close the channel and hang
    '_forge(b"[" + b"[],"*20_000_000 + b"[]]")',                # 60 MB of nested empty lists
])
def test_whatever_the_child_writes_it_costs_only_that_module(tmp_path, body):
    write(tmp_path, "gan", FORGE + body + "\n" + (ROOT / "solutions" / "gan.py").read_text())
    write(tmp_path, "backprop", (ROOT / "solutions" / "backprop.py").read_text())
    start = time.monotonic()
    result = grade(str(tmp_path), ("gan", "backprop.linear_forward"), options=FAST, timeout=3.0, jobs=1)
    assert time.monotonic() - start < 30
    backprop, gan = result.exercises
    assert gan.score == 0 and all(f.status == "error" for f in gan.functions)
    assert backprop.score == backprop.max_score > 0
    for render in RENDERERS.values():
        render(result)


def test_a_forged_reply_during_a_call_is_that_calls_error(tmp_path):
    write(tmp_path, "gan", FORGE + textwrap.dedent("""
        def generator_loss(fake_logits):
            _forge(b'{"status": "ok", "seq": 999, "value": 0.0, "changed": []}')
            return 0.0
        """))
    function = grade(str(tmp_path), ("gan.generator_loss",), options=FAST, timeout=3.0).exercises[0].functions[0]
    assert function.status == "error" and "cannot read" in function.checks[0].message


def test_a_child_that_dies_between_calls_is_restarted_with_its_module(tmp_path):
    write(tmp_path, "optimizers", """
        import os
        calls = []

        def sgd(w, dw, state, lr=0.01):
            calls.append(1)
            if len(calls) == 3:
                os._exit(1)  # the child dies on its third call
            return w - lr * dw, state

        def adagrad(w, dw, state, lr=0.01, eps=1e-10):
            return w, state
        """)
    result = grade(str(tmp_path), ("optimizers.sgd", "optimizers.adagrad"), options=FAST, timeout=3.0)
    sgd, adagrad = result.exercises[0].functions
    assert sgd.status == "error" and "ended during the call" in sgd.first_problem.message
    assert adagrad.status == "failed"  # graded in its own child, module imported again
    assert "KeyError" not in json.dumps(result.to_dict())


@pytest.mark.parametrize("message", ["[/]", "[bold red]x[/bold red] [link=http://x]y[/link]", "\x1b[2J\x00</failure>&"])
def test_student_text_reaches_every_format_intact_and_harmless(tmp_path, message):
    write(tmp_path, "gan", f"""
        def generator_loss(fake_logits):
            print({message!r})
            raise ValueError({message!r})
        """)
    result = grade(str(tmp_path), ("gan.generator_loss",), options=FAST, timeout=3.0)
    for name, render in RENDERERS.items():
        text = render(result)
        assert "\x1b" not in text and "\x00" not in text, name
        if name == "text":
            assert message.replace("\x1b", "\ufffd").replace("\x00", "\ufffd") in text
        if name == "junit":
            import xml.etree.ElementTree as ET
            ET.fromstring(text.split("\n", 1)[1])


# -- the guard, the kernel, and what the child can reach --------------------------------------------
def test_switching_the_guard_off_gains_nothing(tmp_path):
    write(tmp_path, "backprop", """
        import importlib, sys

        def linear_backward(dout, x, W):
            for hook in sys.meta_path:
                if hasattr(hook, "active"):
                    hook.active = False
            torch = importlib.import_module("tor" + "ch")
            x_t = torch.tensor(x, requires_grad=True)
            W_t = torch.tensor(W, requires_grad=True)
            b_t = torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)
            ((x_t @ W_t + b_t) * torch.tensor(dout)).sum().backward()
            return x_t.grad.numpy(), W_t.grad.numpy(), b_t.grad.numpy()
        """)
    result = grade(str(tmp_path), ("backprop.linear_backward",), options=FAST, timeout=5.0)
    function = result.exercises[0].functions[0]
    assert function.score == 0
    if result.environment["isolation"].startswith("landlock-abi-"):
        assert function.status == "violation", function.first_problem.message


def test_signals_to_the_grader_are_refused(tmp_path):
    watchdog = subprocess.Popen(["sh", "-c", f"sleep 20; kill -CONT {os.getpid()}"])  # in case it did freeze
    try:
        write(tmp_path, "gan", f"""
            import os, signal

            def generator_loss(fake_logits):
                for pid in (os.getppid(), {os.getpid()}):
                    try:
                        os.kill(pid, signal.SIGSTOP)
                    except OSError:
                        pass
                return 0.0
            """)
        start = time.monotonic()
        grade(str(tmp_path), ("gan.generator_loss",), options=FAST, timeout=3.0)
        assert time.monotonic() - start < 15
    finally:
        watchdog.kill()
        watchdog.wait()


def test_bytecode_in_a_submission_is_never_run(tmp_path):
    shutil.copy(ROOT / "exercises" / "gan.py", tmp_path / "gan.py")
    compiled = tmp_path / "__pycache__" / f"gan.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(ROOT / "solutions" / "gan.py"), cfile=str(compiled), dfile="gan.py",
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    result = grade(str(tmp_path), ("gan",), options=FAST)
    assert result.score == 0
    assert all(f.status == "not_implemented" for f in result.exercises[0].functions)


def test_a_generator_without_a_seed_grades_the_same_every_time(tmp_path):
    """OS entropy would make the message (and for a borderline statistic, the score) differ per run."""
    write(tmp_path, "init", """
        import numpy as np

        def xavier_uniform(fan_in, fan_out, seed=0):
            raise ValueError(f"entropy {np.random.default_rng().integers(10**9)}")
        """)
    runs = [results(grade(str(tmp_path), ("init.xavier_uniform",), options=FAST)) for _ in range(2)]
    assert runs[0] == runs[1]
    assert "entropy" in str(runs[0])


# -- checks that let wrong code pass --------------------------------------------------------------
def test_ignoring_the_seed_fails(tmp_path):
    write(tmp_path, "optimizers", """
        import numpy as np

        def linear_regression_sgd(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
            theta = np.zeros(X.shape[1])
            for _ in range(epochs):
                order = np.random.permutation(len(X))  # the global generator: seed is ignored
                for start in range(0, len(X), batch_size):
                    rows = order[start:start + batch_size]
                    theta = theta - lr * 2 * X[rows].T @ (X[rows] @ theta - y[rows]) / len(rows)
            return theta
        """)
    function = grade(str(tmp_path), ("optimizers.linear_regression_sgd",), options=FAST).exercises[0].functions[0]
    seeded = next(c for c in function.checks if c.id.endswith("seeded"))
    assert seeded.status == "failed" and "ignores seed" in seeded.message
    assert seeded.diagnosis and seeded.diagnosis.id == "linear_regression_sgd.ignores_seed"


@pytest.mark.parametrize("got", [1.0, -np.inf, np.nan, 1e308])
def test_an_expected_infinity_is_matched_only_by_itself(got):
    tol = Tolerance(1e-3, 1e-6, "test")
    assert compare(np.array([got, 1.0]), np.array([np.inf, 1.0]), tol) is not None
    assert compare(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]), tol) is None
    assert compare(np.array([-np.inf]), np.array([-np.inf]), tol) is None


def test_what_student_code_prints_is_shown(tmp_path):
    write(tmp_path, "gan", """
        def generator_loss(fake_logits):
            print("debugging: the mean is", float(fake_logits.mean()))
            return 0.0

        def discriminator_loss(real_logits, fake_logits):
            print("about to fail")
            raise RuntimeError("oops")
        """)
    result = grade(str(tmp_path), ("gan.generator_loss", "gan.discriminator_loss"), options=FAST, timeout=3.0)
    discriminator, generator = result.exercises[0].functions
    assert "debugging: the mean is" in generator.first_problem.message
    assert "about to fail" in discriminator.first_problem.message


def test_an_optimizer_may_keep_any_state_it_likes(tmp_path):
    write(tmp_path, "optimizers", """
        from collections import namedtuple
        import numpy as np

        Velocity = namedtuple("Velocity", "v t")

        class Buffers:
            def __init__(self, v):
                self.v = v

        def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
            v = dw if state is None else momentum * state.v + dw
            step = dw + momentum * v if nesterov else v
            return w - lr * step, Velocity(v, 0 if state is None else state.t + 1)

        def adagrad(w, dw, state, lr=0.01, eps=1e-10):
            g = (state.v if state is not None else 0) + dw ** 2
            return w - lr * dw / (np.sqrt(g) + eps), Buffers(g)
        """)
    result = grade(str(tmp_path), ("optimizers.sgd_momentum", "optimizers.adagrad"), options=FAST)
    assert result.score == result.max_score > 0, [f.first_problem for _, f in result.functions()]
