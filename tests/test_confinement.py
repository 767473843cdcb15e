"""The kernel confines graded code: through plain Python and through ctypes alike, student code
cannot read another process's secrets, a home directory or the course's solutions, cannot reach
the network, signal the grader or write outside its scratch directory -- and the rest of the
submission is graded normally.  Run through the real command, with a secret in its environment.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap

import pytest

from grader.confine import landlock_abi
from tests.support import ROOT

SECRET = "tok-3f9a1c77e2b54d0e"

ESCAPES = '''
import ctypes, os, signal, socket

libc = ctypes.CDLL(None, use_errno=True)


def _escaped(what):
    raise ValueError("ESCAPED " + repr(what)[:200])


def _c_read(path):
    fd = libc.open(path.encode(), os.O_RDONLY)
    if fd < 0:
        raise PermissionError(ctypes.get_errno(), "Permission denied", path)
    buffer = ctypes.create_string_buffer(4096)
    count = libc.read(fd, buffer, 4096)
    return buffer.raw[:count]


def sigmoid(x):
    _escaped(open("/proc/{ancestor}/environ", "rb").read())

def sigmoid_grad(x):
    _escaped(_c_read("/proc/{ancestor}/environ"))

def tanh(x):
    _escaped(open("{home}/.ssh/id_rsa").read())

def tanh_grad(x):
    _escaped(_c_read("{solutions}/gan.py"))

def relu(x):
    _escaped(open("{solutions}/gan.py").read())

def relu_grad(x):
    _escaped(socket.create_connection(("127.0.0.1", {port}), timeout=2))

def leaky_relu(x, alpha=0.01):
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    if fd < 0:
        raise PermissionError(ctypes.get_errno(), "Operation not permitted")
    address = bytes([2, 0]) + ({port}).to_bytes(2, "big") + bytes([127, 0, 0, 1]) + bytes(8)
    if libc.connect(fd, address, 16) == 0:
        _escaped("connected")
    raise PermissionError(ctypes.get_errno(), "Permission denied")

def leaky_relu_grad(x, alpha=0.01):
    with open("{outside}/planted.txt", "w") as handle:
        handle.write("x")
    _escaped("wrote outside")

def softmax(x, axis=-1):
    fd = libc.open(b"{outside}/planted-c.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    if fd >= 0:
        _escaped("wrote outside")
    raise PermissionError(ctypes.get_errno(), "Permission denied")

def log_softmax(x, axis=-1):
    if libc.kill({grader}, signal.SIGUSR1) == 0:
        _escaped("signalled the grader")
    raise PermissionError(ctypes.get_errno(), "Operation not permitted")
'''


@pytest.fixture()
def attack(tmp_path):
    """A submission whose every activation tries one escape, beside a correct backprop.py."""
    home, outside, submission = tmp_path / "home", tmp_path / "outside", tmp_path / "submission"
    for folder in (home / ".ssh", outside, submission):
        folder.mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY " + SECRET)
    ancestor = subprocess.Popen(["sleep", "120"], env={"CI_JOB_TOKEN": SECRET})
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    source = ESCAPES.format(ancestor=ancestor.pid, home=home, solutions=ROOT / "solutions",
                            port=listener.getsockname()[1], outside=outside, grader="{grader}")
    (submission / "activations.py").write_text(textwrap.dedent(source))
    shutil.copy(ROOT / "solutions" / "backprop.py", submission)
    try:
        yield submission, outside, listener
    finally:
        ancestor.kill()
        ancestor.wait()
        listener.close()


def _grade(submission, *args, env=None):
    """`grade run` in a child process whose environment holds the secret; the grader's pid is
    only known once it runs, so the submission asks for it through a placeholder."""
    environment = {**os.environ, "GITHUB_TOKEN": SECRET, **(env or {})}
    command = [sys.executable, "-c", "import os, sys, pathlib; "
               f"p = pathlib.Path({str(submission / 'activations.py')!r}); "
               "p.write_text(p.read_text().replace('{grader}', str(os.getpid()))); "
               "from grader.cli import main; sys.argv = ['grade', *sys.argv[1:]]; main()",
               "run", "activations", "backprop.linear_forward", "--submission", str(submission),
               "--max-examples", "2", "--timeout", "5", *args]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(landlock_abi() < 6, reason="needs Landlock with scoping (ABI 6)")
def test_every_escape_is_refused_and_nothing_leaks_into_any_format(attack):
    submission, outside, listener = attack
    done = _grade(submission, "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["environment"]["isolation"].startswith("landlock-abi-")
    activations, backprop = document["exercises"]
    assert backprop["score"] == backprop["max_score"] > 0  # the rest is graded normally
    for function in activations["functions"]:
        check = function["checks"][0]
        assert function["score"] == 0 and "ESCAPED" not in check["message"], check["message"]
        if function["name"] in ("tanh_grad", "relu"):  # the course's own files: an integrity violation
            assert function["status"] == "violation" and "solutions" in check["message"], function
        else:
            assert function["status"] == "error" and "PermissionError" in check["message"], function
            assert (check["diagnosis"] or {}).get("id") == "error.sandbox_refused", (function["name"], check)
    assert not any(outside.iterdir())
    with pytest.raises(BlockingIOError):
        listener.accept()
    for fmt in ("text", "junit", "gradescope", "markdown"):
        rendered = _grade(submission, "--format", fmt)
        assert rendered.returncode == 0 and SECRET not in rendered.stdout + rendered.stderr


def test_a_leaked_secret_is_masked_in_every_format(tmp_path):
    (tmp_path / "gan.py").write_text(textwrap.dedent("""
        import os

        def generator_loss(fake_logits):
            print("the token is", os.environ.get("X", "") or "%s")
            raise ValueError("token %s")
        """ % (SECRET, SECRET)))
    for fmt in ("text", "json", "junit", "gradescope", "markdown"):
        done = subprocess.run([sys.executable, "-m", "grader.cli", "run", "gan.generator_loss", "--submission",
                               str(tmp_path), "--format", fmt, "--max-examples", "2"], cwd=ROOT,
                              env={**os.environ, "DEPLOY_TOKEN": SECRET}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert SECRET not in done.stdout and "***" in done.stdout, fmt


def test_without_landlock_the_report_says_grading_was_not_confined(tmp_path):
    shutil.copy(ROOT / "solutions" / "gan.py", tmp_path)
    done = subprocess.run([sys.executable, "-m", "grader.cli", "run", "gan", "--submission", str(tmp_path),
                           "--max-examples", "2"], cwd=ROOT, env={**os.environ, "GRADELAB_NO_LANDLOCK": "1"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "not confined" in done.stdout
    done = subprocess.run([sys.executable, "-m", "grader.cli", "run", "gan", "--submission", str(tmp_path),
                           "--max-examples", "2", "--format", "json"], cwd=ROOT,
                          env={**os.environ, "GRADELAB_NO_LANDLOCK": "1"}, capture_output=True, text=True, timeout=300)
    assert json.loads(done.stdout)["environment"]["isolation"] == "guard-only"


def test_a_class_report_refuses_to_grade_unconfined(tmp_path):
    shutil.copy(ROOT / "solutions" / "gan.py", tmp_path)
    done = subprocess.run([sys.executable, "-m", "grader.cli", "report", str(tmp_path), "gan", "--out", str(tmp_path / "out")],
                          cwd=ROOT, env={**os.environ, "GRADELAB_NO_LANDLOCK": "1"}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2 and "Landlock" in done.stderr and len(done.stderr.strip().splitlines()) == 1
