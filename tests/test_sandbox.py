"""Student code runs in the child: hangs, crashes, exits, tampering and imports are contained."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.engine import Options
from grader.grading import grade
from grader.sandbox import _descendants

SGD = """
import numpy as np

def sgd(w, dw, state, lr=0.01):
    return w - lr * dw, state
"""


def grade_source(tmp_path, source, exercise="optimizers.sgd", timeout=2.0, module="optimizers"):
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    result = grade(str(tmp_path), (exercise,), options=Options(max_examples=10), timeout=timeout)
    return result.exercises[0].functions[0]


def test_correct_code_passes(tmp_path):
    function = grade_source(tmp_path, SGD)
    assert function.status == "passed" and function.score == function.max_score


def test_infinite_loop_is_a_timeout(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            while True:
                pass
        """, timeout=0.5)
    assert function.status == "timeout" and function.score == 0
    assert "did not return within 0.5 s" in function.checks[0].message


def test_exception_is_an_error_with_its_message(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            raise ValueError("shapes do not line up")
        """)
    assert function.status == "error"
    assert "ValueError: shapes do not line up" in function.checks[0].message


def test_sys_exit_at_import_is_an_error_for_every_function(tmp_path):
    (tmp_path / "optimizers.py").write_text("import sys\nsys.exit(3)\n")
    result = grade(str(tmp_path), ("optimizers",), options=Options(max_examples=5))
    functions = result.exercises[0].functions
    assert functions and all(f.status == "error" for f in functions)
    assert "sys.exit(3)" in functions[0].checks[0].message


def test_process_exit_during_a_call_is_an_error_and_the_child_restarts(tmp_path):
    (tmp_path / "optimizers.py").write_text(textwrap.dedent("""
        import os
        import numpy as np

        def sgd(w, dw, state, lr=0.01):
            os._exit(7)

        def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
            raise NotImplementedError("later")
        """))
    result = grade(str(tmp_path), ("optimizers.sgd", "optimizers.sgd_momentum"), options=Options(max_examples=5))
    sgd, momentum = result.exercises[0].functions
    assert sgd.status == "error" and "exit status 7" in sgd.checks[0].message
    assert momentum.status == "not_implemented"


def test_patching_numpy_gains_nothing(tmp_path):
    function = grade_source(tmp_path, """
        import numpy as np
        import numpy.testing
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None

        def sgd(w, dw, state, lr=0.01):
            return w * 0 + 123.0, state
        """)
    assert function.status == "failed" and function.score == 0


def test_an_object_that_lies_about_equality_gains_nothing(tmp_path):
    function = grade_source(tmp_path, """
        import numpy as np

        class Anything(np.ndarray):
            def __eq__(self, other):
                return True

        def sgd(w, dw, state, lr=0.01):
            return (w - lr * dw).view(Anything), state
        """)
    assert function.status == "failed"
    assert "expected ndarray of shape" in function.checks[0].message


def test_modifying_an_input_in_place_fails_and_says_so(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            dw *= lr
            return w - dw, state
        """)
    assert function.status == "failed"
    assert "modified its input `dw` in place" in function.checks[0].message


def test_parameters_named_otherwise_are_passed_by_their_place_in_the_contract(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(params, grads, opt_state, learning_rate=0.01):
            return params - learning_rate * grads, opt_state
        """)
    assert function.status == "passed" and function.score == function.max_score
    function = grade_source(tmp_path, """
        def dropout(X, drop_p, train=True, rng_seed=0):
            if not train or drop_p == 0:
                return X
            X *= (__import__("numpy").random.default_rng(rng_seed).random(X.shape) >= drop_p) / (1 - drop_p)
            return X
        """, exercise="regularization.dropout", module="regularization")
    assert "modified its input `x` in place" in function.checks[0].message  # named as the contract names it


def test_a_missing_or_extra_parameter_still_names_itself(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01, *, clip):
            return w - lr * dw, state
        """)
    assert function.status == "error" and "clip" in function.checks[0].message
    function = grade_source(tmp_path, """
        def sgd(w, dw, state):
            return w - 0.01 * dw, state
        """)
    assert function.status == "error" and "'lr'" in function.checks[0].message


def test_a_stack_trace_through_the_graders_frames_is_not_an_import(tmp_path):
    """Formatting the stack reads the source of every frame, the grader's own included (torch's
    lazy CUDA calls do it on every torch.manual_seed)."""
    function = grade_source(tmp_path, """
        import traceback, warnings

        def sgd(w, dw, state, lr=0.01):
            traceback.format_stack()
            warnings.warn("from deep in the stack", stacklevel=4)
            return w - lr * dw, state
        """)
    assert function.status == "passed", function.checks[0].message


@pytest.mark.parametrize("kernel", ["landlock", "guard-only"])
def test_a_package_the_tier_does_not_allow_is_missing_alike_with_or_without_the_kernel(tmp_path, monkeypatch, kernel):
    """The kernel refuses to read it (a PermissionError); without the kernel it would import. The
    guard says it is missing first, so the grade is the same on every machine and an optional
    import behind `except ImportError` keeps working."""
    if kernel == "guard-only":
        monkeypatch.setenv("GRADELAB_NO_LANDLOCK", "1")
    plotting = grade_source(tmp_path, "import matplotlib.pyplot as plt\n" + SGD)
    assert plotting.status == "error"
    assert "No module named 'matplotlib' while grading" in plotting.checks[0].message
    assert plotting.checks[0].diagnosis.id == "error.import_not_allowed"
    optional = grade_source(tmp_path, "try:\n    import tqdm\nexcept ImportError:\n    tqdm = None\n" + SGD)
    assert optional.status == "passed"


def test_student_code_sees_no_command_line(tmp_path):
    """The zygote's command line carries the grader's configuration; a script-style module that
    parses its arguments at import sees none."""
    function = grade_source(tmp_path, """
        import argparse, sys

        options = argparse.ArgumentParser().parse_args()
        assert "control_fd" not in str(sys.argv) + str(sys.orig_argv)

        def sgd(w, dw, state, lr=0.01):
            return w - lr * dw, state
        """)
    assert function.status == "passed", function.checks[0].message


def test_stub_is_not_implemented(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            raise NotImplementedError("optimizers.sgd: one step of gradient descent")
        """)
    assert function.status == "not_implemented" and function.score == 0


@pytest.mark.parametrize("line", ["import torch", "from scipy import linalg", "import reference.optimizers",
                                  "__import__('solutions')", "import importlib; importlib.import_module('to' + 'rch')"])
def test_forbidden_imports_are_violations(tmp_path, line):
    function = grade_source(tmp_path, line + "\n" + SGD)
    assert function.status == "violation" and function.score == 0


def test_forbidden_import_inside_a_call_is_a_violation(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            m = __import__("importlib").import_module("sc" + "ipy")
            return w - lr * dw, state
        """)
    assert function.status == "violation"


def test_syntax_error_is_an_error_naming_the_line(tmp_path):
    function = grade_source(tmp_path, "def sgd(w, dw, state, lr=0.01):\n    return w -\n")
    assert function.status == "error"
    assert "line 2" in function.checks[0].message


def test_missing_function_is_missing(tmp_path):
    function = grade_source(tmp_path, "import numpy as np\n")
    assert function.status == "missing"


def test_the_grader_environment_does_not_reach_student_code(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADELAB_TEST_SECRET", "hunter2")
    function = grade_source(tmp_path, """
        import os

        def sgd(w, dw, state, lr=0.01):
            if any("hunter2" in v for v in os.environ.values()):
                raise RuntimeError("found the secret")
            return w - lr * dw, state
        """)
    assert function.status == "passed"


def test_files_written_by_student_code_stay_out_of_the_submission(tmp_path):
    function = grade_source(tmp_path, """
        def sgd(w, dw, state, lr=0.01):
            with open("scribble.txt", "w") as handle:
                handle.write("x")
            return w - lr * dw, state
        """)
    assert function.status == "passed"
    assert sorted(os.listdir(tmp_path)) == ["optimizers.py"]


def test_patching_builtins_and_math_gains_nothing(tmp_path):
    function = grade_source(tmp_path, """
        import builtins, math
        builtins.abs = lambda x: 0
        builtins.isinstance = lambda *a: True
        math.isclose = lambda *a, **k: True
        math.isfinite = lambda x: True

        def sgd(w, dw, state, lr=0.01):
            return w, state
        """)
    assert function.status == "failed" and function.score == 0


@pytest.mark.parametrize("body,words", [
    ("return w - lr * dw + np.nan, state", "contains nan"),
    ("return w - lr * dw + np.inf, state", "contains inf"),
    ("return (w - lr * dw).reshape(1, -1), state", "returned ndarray of shape (1, "),
    ("return (w - lr * dw).astype(str), state", "expected ndarray of shape"),
    ("return float((w - lr * dw).sum()), state", "returned float"),
    ("return w - lr * dw", "returned "),
])
def test_bad_outputs_fail_and_name_the_problem(tmp_path, body, words):
    function = grade_source(tmp_path, f"""
        import numpy as np

        def sgd(w, dw, state, lr=0.01):
            {body}
        """)
    assert function.status == "failed"
    assert words in function.checks[0].message


def test_a_broken_module_does_not_affect_the_others(tmp_path):
    (tmp_path / "optimizers.py").write_text("import numpy as np\nfrom nowhere import something\n")
    (tmp_path / "gan.py").write_text((Path(__file__).parent.parent / "solutions" / "gan.py").read_text())
    result = grade(str(tmp_path), ("optimizers", "gan"), options=Options(max_examples=5))
    optimizers, gan = result.exercises
    assert all(f.status == "error" for f in optimizers.functions)
    assert "ModuleNotFoundError" in optimizers.functions[0].checks[0].message
    assert gan.score == gan.max_score > 0


def test_student_code_cannot_start_processes_and_nothing_is_left_running(tmp_path):
    function = grade_source(tmp_path, """
        import os, subprocess, threading, time

        def sgd(w, dw, state, lr=0.01):
            threading.Thread(target=time.sleep, args=(600,)).start()  # threads are allowed
            subprocess.Popen(["sleep", "600"])
            return w - lr * dw, state
        """)
    assert function.status == "error"
    assert "may not start processes" in function.checks[0].message
    leftovers = []
    for pid in _descendants(os.getpid()):  # the grader is a subreaper: escaped orphans would land here
        try:
            if b"GRADELAB_SANDBOX=1" in Path(f"/proc/{pid}/environ").read_bytes():
                leftovers.append(pid)
        except OSError:
            pass
    assert leftovers == []


def test_non_deterministic_code_fails_with_an_explanation(tmp_path):
    function = grade_source(tmp_path, """
        calls = []

        def sgd(w, dw, state, lr=0.01):
            calls.append(1)
            return (w if len(calls) == 1 else w - lr * dw), state
        """)
    assert function.status == "failed"
    assert "gave different results for the same input" in function.checks[0].message


def test_a_return_value_the_check_cannot_unpack_fails_cleanly(tmp_path):
    (tmp_path / "backprop.py").write_text("def linear_backward(dout, x, W):\n    return 1\n")
    result = grade(str(tmp_path), ("backprop.linear_backward",), options=Options(max_examples=5))
    function = result.exercises[0].functions[0]
    assert function.status == "failed"
    assert "tuple of 3 values" in function.checks[0].message
