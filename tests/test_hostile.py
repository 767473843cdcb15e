"""Hostile and broken code in the sandbox: every case is contained and the child recovers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.calls import StudentFault
from grader.compare import EXACT, compare
from grader.sandbox import Sandbox, _descendants

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = '''
import ctypes, os, subprocess, sys, threading, time
import numpy as np

def fine(x):
    return x * 2

def spin():
    while True:
        pass

def ignore_sigterm():
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass

def sleep_long():
    time.sleep(60)

def hog_memory():
    return np.ones((10**7, 10**6))

def hog_memory_slowly():
    blocks = []
    while True:
        blocks.append(np.empty(10**7))

def exit_process():
    sys.exit(0)

def exit_hard():
    os._exit(0)

def raise_keyboard_interrupt():
    raise KeyboardInterrupt

def raise_base_exception():
    raise BaseException("bye")

def segfault():
    ctypes.string_at(0)

def recurse(n=0):
    return recurse(n + 1) + 1

def flood_output():
    chunk = "y" * 1_000_000
    for _ in range(200):
        sys.stdout.write(chunk)
    sys.stderr.write("tail")
    return 1

def spawn_sleepers():
    subprocess.Popen(["sleep", "1000"])
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
    return 1

def spawn_without_the_guard():
    sys.meta_path[0].active = False  # switch the in-process guard off; the kernel still refuses
    libc = ctypes.CDLL(None, use_errno=True)
    children = [libc.fork() for _ in range(50)]  # a bounded fork loop, through libc itself
    if 0 in children:
        time.sleep(1000)
    return sum(1 for pid in children if pid > 0)

def start_thread():
    threading.Thread(target=time.sleep, args=(1000,)).start()
    return 1

class Liar:
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        return np.zeros(3)
    def __float__(self):
        return 0.0

class Sub(np.ndarray):
    pass

def lie():
    return Liar()

def subclass():
    return np.zeros(3).view(Sub)

def huge():
    return [0.0] * 20_000_000

def nested():
    value = []
    for _ in range(10_000):
        value = [value]
    return value

def read_reference(path):
    namespace = {}
    exec(open(path).read(), namespace)
    return 1

def read_environment():
    return dict(os.environ)

def write_outside(path):
    with open(path, "w") as handle:
        handle.write("x")

def write_inside():
    with open("notes.txt", "w") as handle:
        handle.write("x")
    return os.getcwd()
'''


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "gan.py").write_text(HOSTILE)
    with Sandbox({"gan": folder / "gan.py"}, timeout=1.0, memory_mb=768) as box:
        yield box


def call(box, name, *args):
    return box.call("gan", name, args, {})[0]


def fault(box, name, *args):
    with pytest.raises(StudentFault) as caught:
        call(box, name, *args)
    return caught.value


def recovers(box):
    assert np.array_equal(call(box, "fine", np.arange(3.0)), [0.0, 2.0, 4.0])
    assert set(_descendants(box.zygote.pid)) == {box.child.pid}  # the zygote and one fresh child


@pytest.mark.parametrize("name", ["spin", "ignore_sigterm", "sleep_long"])
def test_hangs_time_out_within_the_limit(sandbox, name):
    start = time.monotonic()
    problem = fault(sandbox, name)
    assert problem.status == "timeout"
    # the limit plus a bounded reaping time; a machine busy with other tests may add a little
    assert time.monotonic() - start < sandbox.timeout + 3.0
    recovers(sandbox)


@pytest.mark.parametrize("name", ["hog_memory", "hog_memory_slowly"])
def test_memory_hogs_hit_the_limit(sandbox, name):
    problem = fault(sandbox, name)
    assert problem.status == "error" and "memory limit" in problem.message
    recovers(sandbox)


@pytest.mark.parametrize("name", ["exit_process", "exit_hard", "raise_keyboard_interrupt",
                                  "raise_base_exception", "segfault", "recurse"])
def test_exits_and_crashes_are_errors_and_the_child_restarts(sandbox, name):
    problem = fault(sandbox, name)
    assert problem.status in ("error", "crashed")
    recovers(sandbox)


def test_segfault_is_named(sandbox):
    assert "segmentation fault" in fault(sandbox, "segfault").message


def test_output_flood_is_captured_and_capped(sandbox):
    start = time.monotonic()
    assert call(sandbox, "flood_output") == 1
    output = sandbox.take_output()
    assert len(output) < 5000 and "more bytes of output not shown" in output
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("name", ["spawn_sleepers", "spawn_without_the_guard"])
def test_processes_are_refused_and_none_outlives_the_call(sandbox, name):
    try:
        started = call(sandbox, name)
    except StudentFault as problem:
        assert problem.status == "error" and "may not start processes" in problem.message
    else:  # the guard was switched off: the kernel refused every fork
        assert sandbox.confinement["seccomp"] and started == 0
    time.sleep(0.2)
    assert not any(b"GRADELAB_SANDBOX=1" in _environ(pid) and pid not in (sandbox_pid(sandbox), sandbox.zygote.pid)
                   for pid in _all_pids())
    recovers(sandbox)


def test_threads_may_start(sandbox):
    assert call(sandbox, "start_thread") == 1
    recovers(sandbox)


def sandbox_pid(box):
    return box.child.pid if box.child else None


def _all_pids():
    """This test process's descendants: the grader is a subreaper, so escaped orphans land here."""
    return _descendants(os.getpid())


def _environ(pid):
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


@pytest.mark.parametrize("name", ["lie", "subclass", "huge", "nested"])
def test_objects_that_lie_are_not_accepted(sandbox, name):
    try:
        value = call(sandbox, name)
    except StudentFault as problem:
        assert problem.status == "error"
        return
    message = compare(value, np.zeros(3), EXACT)
    assert message and "expected ndarray of shape (3,)" in message


def test_exec_of_reference_source_is_a_violation(sandbox):
    problem = fault(sandbox, "read_reference", str(ROOT / "reference" / "gan.py"))
    assert problem.status == "violation"


def test_environment_holds_no_secrets(sandbox, monkeypatch):
    environment = call(sandbox, "read_environment")
    assert not set(environment) & {"GITHUB_TOKEN", "CI_JOB_TOKEN", "AWS_SECRET_ACCESS_KEY"}
    assert set(environment) <= {"GRADELAB_SANDBOX", "PATH", "HOME", "TMPDIR", "LANG", "PYTHONHASHSEED",
                                "PYTHONDONTWRITEBYTECODE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                "MKL_NUM_THREADS", "LC_CTYPE"}


def test_writes_stay_in_the_scratch_directory(sandbox, tmp_path):
    outside = tmp_path / "escaped.txt"
    assert fault(sandbox, "write_outside", str(outside)).status == "error"
    assert not outside.exists()
    scratch = call(sandbox, "write_inside")
    assert Path(scratch).resolve() == Path(sandbox.scratch).resolve()


def test_scratch_directory_is_removed_on_close(tmp_path):
    (tmp_path / "gan.py").write_text(HOSTILE)
    box = Sandbox({"gan": tmp_path / "gan.py"})
    scratch = call(box, "write_inside")
    box.close()
    assert not Path(scratch).exists()
    assert sorted(os.listdir(tmp_path)) == ["gan.py"]
