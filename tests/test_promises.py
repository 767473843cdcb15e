"""What the grader promises, pinned: each test fails if a realistic bug is planted in the
grader (a tolerance that no longer scales, a seed that depends on the hash seed, a format that
miscounts points, a strategy that stops drawing an edge its check promises, a shared helper of
the oracles that changes a mistake's formula)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zlib
from random import Random

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.errors import NoSuchExample

from grader import catalog
from grader.compare import Tolerance, compare
from grader.engine import DEFAULT_MAX_EXAMPLES, Options
from grader.grading import grade
from grader.render import RENDERERS
from tests.support import ROOT, grade_impl


# -- the comparison ---------------------------------------------------------------------------------
def test_the_tolerance_scales_with_the_expected_value():
    tol = Tolerance(1e-7, 1e-10, "test")
    assert compare(1e4 + 5e-4, 1e4, tol) is None          # 5e-8 relative: inside atol + rtol*|want|
    assert compare(1e4 + 2e-3, 1e4, tol) is not None      # 2e-7 relative: outside
    assert compare(np.array([1e-12 + 5e-11]), np.array([1e-12]), tol) is None  # atol governs near 0
    assert compare(np.array([1e-3 + 2e-10]), np.array([1e-3]), tol) is not None


# -- determinism across processes ---------------------------------------------------------------------
def test_counterexamples_do_not_depend_on_the_hash_seed(tmp_path):
    (tmp_path / "backprop.py").write_text("def linear_forward(x, W, b):\n    return x @ W + (x.sum() > 0) * b\n")
    code = ("import json, grader; r = grader.grade(%r, ('backprop.linear_forward',), jobs=1, cache=False); "
            "d = r.to_dict(); d.pop('duration_s'); print(json.dumps(d, sort_keys=True))" % str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")]
    assert runs[0] and runs[0] == runs[1]
    assert json.loads(runs[0])["exercises"][0]["functions"][0]["checks"][0]["counterexample"] is not None


# -- every format counts the same points ---------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "backprop.py").write_text(textwrap.dedent("""
        def linear_forward(x, W, b):
            return x @ W + b

        def linear_backward(dout, x, W):
            return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)
        """))
    return grade(str(folder), ("backprop.linear_forward", "backprop.linear_backward"),
                 options=Options(max_examples=5), jobs=1)


def test_every_format_adds_up_to_the_json_score(mixed):
    score, total = mixed.score, mixed.max_score
    assert 0 < score < total
    document = json.loads(RENDERERS["json"](mixed))
    assert (document["score"], document["max_score"]) == (score, total)
    assert sum(c["points"] for e in document["exercises"] for f in e["functions"] for c in f["checks"]) == score
    text = RENDERERS["text"](mixed)
    assert f"Score: {score:g}/{total:g}" in text
    junit = ET.fromstring(RENDERERS["junit"](mixed).split("\n", 1)[1])
    points = [p.get("value").split("/") for p in junit.iter("property") if p.get("name") == "points"]
    assert sum(float(a) for a, _ in points) == score and sum(float(b) for _, b in points) == total
    for case in junit.iter("testcase"):
        got, _ = next(p.get("value") for p in case.iter("property") if p.get("name") == "points").split("/")
        assert (float(got) == 0) == (case.find("failure") is not None or case.find("error") is not None)
    gradescope = json.loads(RENDERERS["gradescope"](mixed))
    assert gradescope["score"] == score and sum(t["score"] for t in gradescope["tests"]) == score
    assert sum(t["max_score"] for t in gradescope["tests"]) == total
    markdown = RENDERERS["markdown"](mixed)
    assert f"{score:g} / {total:g}" in markdown
    rows = re.findall(r"\| (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) \|", markdown)
    assert sum(float(a) for a, _ in rows) == score


# -- mistakes written by students, not by the catalogue --------------------------------------------------
STUDENT_MISTAKES = {
    # id: (module, function, source written independently of reference/)
    "rmsprop.alpha_swapped": ("optimizers", "rmsprop", """
        import numpy as np
        def rmsprop(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
            sq = np.zeros_like(w) if state is None else state
            sq = (1 - alpha) * sq + alpha * dw * dw
            w -= lr * dw / (np.sqrt(sq) + eps)
            return w, sq
        """),
    "adam.eps_inside_sqrt": ("optimizers", "adam", """
        import numpy as np
        def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            m, v, t = state if state else (0.0, 0.0, 0)
            t += 1
            m = beta1 * m + (1 - beta1) * dw
            v = beta2 * v + (1 - beta2) * dw ** 2
            return w - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps), (m, v, t)
        """),
    "adamw.decay_after_update": ("optimizers", "adamw", """
        import numpy as np
        def adamw(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
            m, v, t = state if state else (0.0, 0.0, 0)
            t += 1
            m = beta1 * m + (1 - beta1) * dw
            v = beta2 * v + (1 - beta2) * dw ** 2
            w = w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
            return w - lr * weight_decay * w, (m, v, t)
        """),
    "adamw.l2_in_gradient": ("optimizers", "adamw", """
        import numpy as np
        def adamw(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
            m, v, t = state if state else (0.0, 0.0, 0)
            g = dw + weight_decay * w
            t += 1
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g ** 2
            return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), (m, v, t)
        """),
}


@pytest.mark.parametrize("mistake", sorted(STUDENT_MISTAKES))
def test_a_mistake_written_by_a_student_is_named_and_fails_every_check(mistake):
    module, function, source = STUDENT_MISTAKES[mistake]
    namespace: dict = {}
    exec(textwrap.dedent(source), namespace)
    result = grade_impl(module, function, namespace[function])
    assert all(c.status == "failed" for c in result.checks), [(c.id, c.status) for c in result.checks]
    assert mistake in {c.diagnosis.id for c in result.checks if c.diagnosis}, [c.message for c in result.checks]


# -- strategies draw what their checks promise --------------------------------------------------------------
def drawn(module: str, function: str, check: str, count: int = DEFAULT_MAX_EXAMPLES) -> list[dict]:
    """The inputs a default grading run draws for a check (the engine's own seeding)."""
    spec = next(c for c in catalog.exercise(module).functions[function].checks if c.name == check)
    seen: list[dict] = []
    rules = settings(max_examples=count, database=None, deadline=None, verbosity=Verbosity.quiet,
                     suppress_health_check=list(HealthCheck), phases=(Phase.generate,))
    try:
        find(spec.inputs, lambda args: seen.append(args) and False, settings=rules,
             random=Random(zlib.crc32(f"0:{spec.id}".encode())))
    except NoSuchExample:
        pass
    return seen


def test_attention_masks_of_every_promised_rank_are_drawn():
    ranks = {np.ndim(a["mask"]) for a in drawn("attention", "scaled_dot_product_attention", "mask_batched_broadcast")}
    assert {1, 2, 3} <= ranks
    assert all(np.ndim(a["mask"]) == 2 for a in drawn("attention", "scaled_dot_product_attention", "mask"))


def test_convolutions_draw_strides_paddings_and_partial_windows():
    both = drawn("conv", "conv2d", "matches_torch") + drawn("conv", "conv2d", "strided")
    assert {a.get("padding", 0) == 0 for a in both} == {True, False}
    assert {a.get("stride", 1) > 1 for a in both} == {True, False}
    for args in drawn("conv", "conv2d", "partial_windows"):
        (_, _, h, w), (_, _, kh, kw) = args["x"].shape, args["w"].shape
        s, p = args.get("stride", 1), args.get("padding", 0)
        assert (h + 2 * p - kh) % s and (w + 2 * p - kw) % s


def test_sequences_and_trajectories_have_more_than_one_step():
    assert all(a["x"].shape[1] >= 2 for a in drawn("rnn", "rnn_backward", "dx_matches_autograd"))
    assert all(len(a["grads"]) >= 2 for a in drawn("optimizers", "adam", "matches_torch"))


def test_gan_batches_of_different_sizes_are_drawn():
    sizes = [(len(a["real"]), len(a["z"])) for a in drawn("gan", "gan_step", "different_batch_sizes")]
    assert sizes and all(r != z for r, z in sizes)


def test_edges_the_checks_promise_are_drawn():
    assert all((a["x"] == 0).any() for a in drawn("activations", "relu_grad", "zero_at_zero"))
    softmax = drawn("activations", "softmax", "every_axis")
    assert {(np.ndim(a["x"]), a["axis"] % np.ndim(a["x"])) for a in softmax} >= {(1, 0), (2, 0), (2, 1)}


# -- notebooks --------------------------------------------------------------------------------------------
def test_a_notebook_module_mark_counts_on_any_line_of_any_cell(tmp_path):
    import nbformat

    from grader.submission import open_submission

    solution = (ROOT / "solutions" / "gan.py").read_text()
    cells = [nbformat.v4.new_code_cell("import numpy as np\nx = 1"),
             nbformat.v4.new_code_cell("print('setup')\n\n# gradelab: module gan\n" + solution)]
    path = tmp_path / "homework.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    submission = open_submission(path)
    try:
        assert list(submission.files) == ["gan"]
    finally:
        submission.close()
