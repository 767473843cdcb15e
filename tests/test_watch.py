"""``grade run --watch``: re-grades what a save changed, survives broken code, exits cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from grader.engine import Options
from grader.grading import Session
from grader.render import RENDERERS
from grader.submission import open_submission
from grader.watch import affected_modules, watch
from tests.support import ROOT

GOOD_SGD = "def sgd(w, dw, state, lr=0.01):\n    return w - lr * dw, state\n"
WRONG_SGD = "def sgd(w, dw, state, lr=0.01):\n    return w + lr * dw, state\n"


def test_each_save_regrades_and_says_what_changed(tmp_path):
    path = tmp_path / "optimizers.py"
    path.write_text(GOOD_SGD)
    (tmp_path / "gan.py").write_text((ROOT / "solutions" / "gan.py").read_text())
    edits = [WRONG_SGD, "def sgd(w, dw, state, lr=0.01):\n    while True:\n        pass\n",
             "def sgd(w, dw, state, lr=0.01:\n", "import os\ndef sgd(w, dw, state, lr=0.01):\n    os._exit(3)\n",
             GOOD_SGD]
    shown: list[str] = []

    def saves():
        for source in edits:
            path.write_text(source)
            yield {("modified", str(path))}

    session = Session(open_submission(tmp_path), timeout=1.0)
    try:
        watch(session, ("optimizers.sgd", "gan.generator_loss"), "core", Options(max_examples=3),
              lambda result: RENDERERS["text"](result), shown.append, changes=saves())
    finally:
        session.close()
    first, wrong, loop, syntax, crash, fixed = shown
    assert "Score: 4/4" in first
    assert "newly failing: optimizers.sgd (passed -> failed)" in wrong and "sgd.gradient_ascent" in wrong
    assert "timeout" in loop and "syntax error" in syntax and "ended during the call" in crash
    assert "newly passing: optimizers.sgd (error -> passed)" in fixed and "Score: 4/4" in fixed
    assert all("saved: optimizers re-graded" in text for text in shown[1:])  # gan untouched, not re-graded


def test_a_module_that_imports_a_saved_one_is_affected_too(tmp_path):
    (tmp_path / "backprop.py").write_text("def linear_forward(x, W, b):\n    return x @ W + b\n")
    (tmp_path / "gan.py").write_text("from backprop import linear_forward\n")
    (tmp_path / "optimizers.py").write_text(GOOD_SGD)
    session = Session(open_submission(tmp_path))
    try:
        assert affected_modules(session, {"backprop"}) == {"backprop", "gan"}
    finally:
        session.close()


def test_watch_from_the_command_line_follows_a_saved_file_and_stops_on_ctrl_c(tmp_path):
    path = tmp_path / "optimizers.py"
    path.write_text(GOOD_SGD)
    process = subprocess.Popen([sys.executable, "-m", "grader.cli", "run", "optimizers.sgd", "--submission",
                                str(tmp_path), "--watch", "--max-examples", "3"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True).start()

    def wait_for(text):
        deadline = time.monotonic() + 120
        while not any(text in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "".join(lines)

    try:
        wait_for("Score: 2/2")
        path.write_text(WRONG_SGD)
        output = wait_for("newly failing")
        assert "newly failing: optimizers.sgd (passed -> failed)" in output
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "stopped watching" in process.stderr.read()
    finally:
        process.kill()
        process.wait()
