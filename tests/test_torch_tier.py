"""The torch tier: scoring, the static scan, the harness's anti-cheat rules, the sandboxed path.

Most tests drive ``grader/perf.py`` in this process on the CPU with tiny time budgets; one grades
a whole submission through the sandbox and the command line.  Tests marked ``cuda`` run wherever
CUDA is present (and are skipped only where it is absent).
"""

from __future__ import annotations

import json
import math
import textwrap
import time

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from grader import catalog, perf
from grader.cli import cli
from grader.engine import Options, grade_locally
from grader.specs import torch_tier as spec
from tests.support import ROOT, load

SOLUTIONS = load("solutions", "torch_tier")
QUICK = perf.Budget(seconds=0.05, min_pairs=3, warmup=1)
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def function_spec(name):
    return catalog.exercise("torch_tier").functions[name]


def grade_here(name, impl, cpu_perf=False):
    return grade_locally(function_spec(name), impl, Options(cpu_perf=cpu_perf))


def timing(fn, task=perf.ATTENTION, device="cpu", budget=QUICK):
    return perf.measure(fn, task, 0, device, budget)


# -- catalog and scoring ---------------------------------------------------------------------------------------
def test_the_tier_is_listed_and_selected_with_its_tier():
    assert [e.name for e, _ in catalog.select((), "torch")] == ["torch_tier"]
    assert "torch_tier" in [e.name for e, _ in catalog.select((), "all")]
    assert "torch_tier" not in [e.name for e, _ in catalog.select((), "core")]
    listing = CliRunner().invoke(cli, ["list"]).output.splitlines()
    assert any("torch_tier" in line and "adam_step_" in line and line.rstrip().endswith("torch") for line in listing)


@pytest.mark.parametrize("ratio,share", [(3.0, 1.0), (1.0, 1.0), (0.99, 0.75), (0.5, 0.75), (0.3, 0.5),
                                         (0.1, 0.25), (0.09, 0.0)])
def test_speed_points_follow_the_thresholds(ratio, share):
    assert spec.speed_share(ratio) == share


def _timing_result(ratio):
    return {"ratio": ratio, "device_name": "cpu", "case": "a case", "pairs": 9, "t_student": 1e-3,
            "t_reference": ratio * 1e-3}


def test_speed_on_a_cpu_is_indicative_unless_asked_for():
    check = function_spec("attention").checks[-1]
    shown = spec._speed_points(check, _timing_result(0.6), counted=False)
    assert (shown.status, shown.points, shown.max_points) == ("skipped", 0.0, 0.0)
    assert shown.message.startswith("cpu, indicative") and "0.60x" in shown.message
    counted = spec._speed_points(check, _timing_result(0.6), counted=True)
    assert (counted.status, counted.points, counted.max_points) == ("passed", 1.5, 2.0)


def test_a_ratio_above_ten_is_flagged_for_review_not_rewarded():
    check = function_spec("attention").checks[-1]
    flagged = spec._speed_points(check, _timing_result(12.0), counted=True)
    assert (flagged.status, flagged.points, flagged.max_points) == ("skipped", 0.0, 2.0)
    assert "flagged for review" in flagged.message


def test_the_model_answers_score_every_counted_point_on_the_cpu_when_asked():
    result = grade_here("adam_step_", SOLUTIONS.adam_step_, cpu_perf=True)
    assert result.status == "passed" and result.max_score == 5.0
    assert spec.ratio_in(result.checks[-1].message) is not None


# -- the static scan ------------------------------------------------------------------------------------------
SCANNED = '''
import torch
import torch.nn.functional as F
from torch.nn.functional import scaled_dot_product_attention as fast
_sdpa = F.scaled_dot_product_attention

def helper(q, k, v):
    return _sdpa(q, k, v)

def attention(q, k, v, causal=False):
    """Not F.scaled_dot_product_attention, promised."""
    return helper(q, k, v)

def batchnorm_train(x, gamma, beta, eps=1e-5):
    return getattr(F, "batch_norm")(x, None, None, gamma, beta, True, 0.0, eps)

def adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    torch._foreach_add_(params, grads)

def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    return 0.0, 0.0
'''


def test_the_scan_follows_module_helpers_and_aliases_to_the_reference():
    found = spec.reference_calls(SCANNED, "attention", "attention")
    assert found and "scaled_dot_product_attention" in found[0] and "line 5" in found[0]
    assert spec.reference_calls(SCANNED, "batchnorm_train", "batchnorm_train")  # a string given to getattr


def test_the_scan_leaves_unrelated_functions_docstrings_and_foreach_alone():
    assert spec.reference_calls(SCANNED, "adam_step_", "adam_step_") == []
    assert spec.reference_calls(SCANNED, "gan_train_step", "gan_train_step") == []
    assert spec.reference_calls('def attention(q, k, v, causal=False):\n    """uses no F.batch_norm"""\n',
                                "attention", "batchnorm_train") == []


@pytest.mark.parametrize("source", [
    "import torch\ndef adam_step_(*a, **k):\n    torch.optim.Adam(a[0]).step()\n",
    "from torch.optim import Adam\ndef adam_step_(*a, **k):\n    Adam(a[0]).step()\n",
    "from torch.optim.adam import _multi_tensor_adam as m\ndef adam_step_(*a, **k):\n    m(*a)\n",
])
def test_the_scan_finds_torch_optim_in_adam(source):
    assert spec.reference_calls(source, "adam_step_", "adam_step_")


def test_a_reference_call_in_the_source_is_a_violation():
    result = grade_here("attention", spec.ref.attention)  # the oracle itself, graded as an answer
    assert result.status == "violation" and result.score == 0
    assert "scaled_dot_product_attention" in result.checks[0].message and "CURRICULUM 14" in result.checks[0].message


# -- correctness, judged in the grader ------------------------------------------------------------------------
def test_the_wrong_dtype_is_named():
    result = grade_here("attention", lambda q, k, v, causal=False: SOLUTIONS.attention(q.float(), k.float(),
                                                                                         v.float(), causal))
    bf16 = result.checks[1]
    assert result.checks[0].status == "passed" and bf16.status == "failed"
    assert "dtype float32, expected bfloat16" in bf16.message


def test_code_drawing_from_torchs_global_generator_grades_the_same_every_time():
    def noisy(x, gamma, beta, eps=1e-5):
        return SOLUTIONS.batchnorm_train(x, gamma, beta, eps) + torch.rand(()).to(x.dtype)
    runs = [[c.message for c in grade_here("batchnorm_train", noisy).checks[:2]] for _ in range(2)]
    assert runs[0] == runs[1] and "differs" in runs[0][0]


def test_nan_where_the_reference_is_finite_fails():
    def with_nan(x, gamma, beta, eps=1e-5):
        out = SOLUTIONS.batchnorm_train(x, gamma, beta, eps)
        out.view(-1)[3] = float("nan")
        return out
    result = grade_here("batchnorm_train", with_nan)
    assert result.status == "failed" and "is not finite where the reference is" in result.checks[0].message


def test_losses_returned_as_tensors_fail_with_the_reason():
    def tensors(**kwargs):
        d, g = SOLUTIONS.gan_train_step(**kwargs)
        return torch.tensor(d), torch.tensor(g)
    result = grade_here("gan_train_step", tensors)
    assert result.status == "failed" and "must be a Python float" in result.checks[0].message


def test_an_input_modified_in_place_fails_and_is_named():
    def scales_q(q, k, v, causal=False):
        q.mul_(1.0 / math.sqrt(q.shape[-1]))
        return SOLUTIONS.attention(q * math.sqrt(q.shape[-1]), k, v, causal)
    result = grade_here("attention", scales_q)
    assert result.status == "failed" and "modified its input `q` in place" in result.checks[0].message


class Lazy(torch.Tensor):
    """A tensor subclass, as code deferring its work past the timer would return."""


def test_a_tensor_subclass_is_refused():
    result = grade_here("attention", lambda q, k, v, causal=False: SOLUTIONS.attention(q, k, v, causal).as_subclass(Lazy))
    assert result.status == "failed" and "subclass of torch.Tensor" in result.checks[0].message


@pytest.mark.parametrize("name", sorted(perf.TASKS))
def test_the_oracle_and_the_timing_reference_agree(name):
    task = perf.TASKS[name]
    kwargs = perf.inputs(task, task.cases[1], "float32", 0, (1, 0))
    oracle = spec.oracle_outputs(task, getattr(spec.ref, name), kwargs)
    timed = spec.oracle_outputs(task, task.reference, kwargs)
    for (label, want), (_, got) in zip(oracle, timed):
        assert torch.allclose(torch.as_tensor(got), torch.as_tensor(want), rtol=1e-5, atol=1e-6), label


# -- timing and its anti-cheat rules (in this process) ---------------------------------------------------------
def test_every_timed_output_is_checked_so_a_cached_result_fails():
    cache = {}

    def memoised(q, k, v, causal=False):
        key = (tuple(q.shape), causal)
        if key not in cache:
            cache[key] = SOLUTIONS.attention(q, k, v, causal)
        return cache[key]
    result = timing(memoised)
    assert result["ratio"] is None and "returned a wrong out" in result["problem"]


@pytest.mark.parametrize("patch", ["sub", "tensor_methods", "function_mode"])
def test_the_timed_output_check_cannot_be_patched_from_student_code(patch, monkeypatch):
    """Student code runs in the same child as the check of its timed outputs: replacing torch.sub,
    tensor methods or leaving a TorchFunctionMode on must not make a wrong output pass."""
    from torch.overrides import TorchFunctionMode

    class Lenient(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in (torch.sub, torch.Tensor.sub, torch.le, torch.Tensor.__le__):
                return torch.zeros_like(args[0]) if func in (torch.sub, torch.Tensor.sub) else \
                    torch.ones_like(args[0], dtype=torch.bool)
            return func(*args, **(kwargs or {}))

    if patch == "sub":
        monkeypatch.setattr(torch, "sub", lambda a, b, *rest, **kw: torch.zeros_like(a))
    elif patch == "tensor_methods":
        for name, value in (("__bool__", lambda self: False), ("any", lambda self, *a, **k: torch.tensor(False)),
                            ("abs_", lambda self: self.zero_())):
            monkeypatch.setattr(torch.Tensor, name, value)
    mode = Lenient() if patch == "function_mode" else None

    def half_the_work(q, k, v, causal=False):
        return q * 0.5          # cheap and wrong at the timing size
    if mode is not None:
        mode.__enter__()
    try:
        result = timing(half_the_work)
    finally:
        if mode is not None:
            mode.__exit__(None, None, None)
    assert result["ratio"] is None and "returned a wrong out" in result["problem"]


def test_the_facts_of_a_correctness_call_cannot_be_patched(monkeypatch):
    """The child reads a returned tensor with methods taken at import: a Tensor.tolist (or .to,
    .reshape) replaced by student code, say one that reports the reference's values for a
    tensor of zeros, changes nothing in what the grader sees."""
    monkeypatch.setattr(torch.Tensor, "tolist", lambda self: [1.0] * self.numel())
    monkeypatch.setattr(torch.Tensor, "reshape", lambda self, *shape: torch.ones(self.numel(), dtype=torch.float64))
    fact = perf.describe_value(torch.zeros(2, 3))
    assert fact["shape"] == [2, 3] and fact["values"] == [0.0] * 6


def test_an_input_changed_only_at_timing_size_is_caught():
    def big_scale(x, gamma, beta, eps=1e-5):
        out = SOLUTIONS.batchnorm_train(x, gamma, beta, eps)
        if x.numel() > 10_000:
            x.zero_()
        return out
    result = timing(big_scale, perf.BATCHNORM)
    assert "changed its input `x` in place" in result["problem"]


def test_work_left_to_a_thread_earns_nothing():
    import threading

    def deferred(q, k, v, causal=False):
        out = torch.empty_like(q)
        threading.Thread(target=lambda: (time.sleep(0.02), out.copy_(SOLUTIONS.attention(q, k, v, causal)))).start()
        return out
    result = timing(deferred)
    assert result["ratio"] is None and result["problem"] or result["threads_left"]
    check = function_spec("attention").checks[-1]
    runner = spec.Runner(deferred, "attention")
    assert spec._speed(check, runner, Options(), counted=True).status == "failed"


@pytest.mark.parametrize("patch", [
    "time.perf_counter = lambda: 0.0",
    "torch.cuda.synchronize = lambda *a, **k: None",
    "torch.cuda.Event = object",
    "torch.cuda.Event.elapsed_time = lambda self, other: 0.0",
])
def test_patching_the_clock_has_no_effect_and_is_reported(patch):
    import time as time_module  # noqa: F401  (the patch's namespace)

    def patched(q, k, v, causal=False):
        exec(patch, {"time": time_module, "torch": torch})
        return SOLUTIONS.attention(q, k, v, causal)
    try:
        result = timing(patched)
        facts = perf.run_cases(patched, perf.ATTENTION, 0, "cpu")
    finally:
        perf.Watch(perf.ATTENTION)._check_clock()  # restore whatever is still patched
    assert time.perf_counter is perf.WATCHED["time.perf_counter"] and torch.cuda.Event is perf.WATCHED["torch.cuda.Event"]
    assert result["violations"] and "replaces" in result["violations"][0]
    assert facts["violations"] and facts["violations"][0] == result["violations"][0]


def test_the_harness_clock_ignores_a_patched_time_module(monkeypatch):
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)
    _, seconds, clean = perf.Clock("cpu").time(lambda: sum(range(100_000)))
    assert seconds > 0


def test_calling_the_reference_at_run_time_is_a_violation():
    hidden = getattr(torch.nn.functional, "scaled_dot_" + "product_attention")
    facts = perf.run_cases(lambda q, k, v, causal=False: torch.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=causal), perf.ATTENTION, 0, "cpu")
    assert "F.scaled_dot_product_attention" in facts["violations"][0]
    facts = perf.run_cases(lambda q, k, v, causal=False: hidden(q, k, v, is_causal=causal), perf.ATTENTION, 0, "cpu")
    assert "aten::" in facts["violations"][0] and "scaled_dot_product" in facts["violations"][0]


def test_the_kernel_audit_survives_student_code_that_disables_it(monkeypatch):
    """A captured reference called while TorchDispatchMode.__enter__/__exit__ are no-ops (replaced at
    import) still reaches the audit; replacing the audit's own methods, found through
    TorchDispatchMode.__subclasses__(), is itself a violation, and the methods are put back."""
    from torch.utils import _python_dispatch
    hidden = getattr(torch.nn.functional, "scaled_dot_" + "product_attention")
    call = lambda q, k, v, causal=False: hidden(q, k, v, is_causal=causal)  # noqa: E731
    with monkeypatch.context() as patched:
        patched.setattr(_python_dispatch.TorchDispatchMode, "__enter__", lambda self: self)
        patched.setattr(_python_dispatch.TorchDispatchMode, "__exit__", lambda self, *exc: None)
        facts = perf.run_cases(call, perf.ATTENTION, 0, "cpu")
    assert "aten::" in facts["violations"][0] and "scaled_dot_product" in facts["violations"][0]
    audit = perf._KernelAudit
    assert audit in _python_dispatch.TorchDispatchMode.__subclasses__()   # how student code finds it
    original = vars(audit)["__torch_dispatch__"]
    audit.__torch_dispatch__ = lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))
    facts = perf.run_cases(call, perf.ATTENTION, 0, "cpu")
    assert "kernel audit" in facts["violations"][0]
    assert vars(audit)["__torch_dispatch__"] is original
    assert torch._C._len_torch_dispatch_stack() == 0


def test_taking_the_audit_off_the_dispatch_stack_is_a_violation():
    from torch.utils import _python_dispatch
    hidden = getattr(torch.nn.functional, "scaled_dot_" + "product_attention")
    modes_off = _python_dispatch._disable_current_modes   # taken before the call, as at import

    def unseen(q, k, v, causal=False):
        with modes_off():
            return hidden(q, k, v, is_causal=causal)
    facts = perf.run_cases(unseen, perf.ATTENTION, 0, "cpu")
    assert "off the dispatch stack" in facts["violations"][0]
    assert _python_dispatch._pop_mode.__name__ == "_pop_mode"   # the watch is gone after the call


def test_batch_norm_through_aten_or_a_module_is_a_violation():
    aten = getattr(torch.ops.aten, "native_" + "batch_norm")
    facts = perf.run_cases(lambda x, gamma, beta, eps=1e-5: aten(x, gamma, beta, None, None, True, 0.0, eps)[0],
                           perf.BATCHNORM, 0, "cpu")
    assert facts["violations"] and "batch_norm" in facts["violations"][0]

    def module(x, gamma, beta, eps=1e-5):
        layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps).to(x.dtype)
        return layer(x)
    assert perf.run_cases(module, perf.BATCHNORM, 0, "cpu")["violations"]


def _group_norm_per_channel(x, gamma, beta, eps=1e-5):
    """Batch norm through group norm: one group per channel of a (1, C, N*H*W) view."""
    channels = x.shape[1]
    flat = x.transpose(0, 1).reshape(1, channels, -1)
    out = F.group_norm(flat, channels, gamma, beta, eps)
    return out.reshape(channels, x.shape[0], *x.shape[2:]).transpose(0, 1)


def test_batch_norm_through_another_fused_normalisation_is_a_violation():
    facts = perf.run_cases(_group_norm_per_channel, perf.BATCHNORM, 0, "cpu")
    assert facts["violations"] and "group_norm" in facts["violations"][0]
    aten = getattr(torch.ops.aten, "native_" + "layer_norm")

    def layer_norm_per_channel(x, gamma, beta, eps=1e-5):  # the whole of each channel as one "row"
        rows = x.transpose(0, 1).reshape(x.shape[1], -1)
        out = aten(rows, rows.shape[1:], None, None, eps)[0] * gamma[:, None] + beta[:, None]
        return out.reshape(x.shape[1], x.shape[0], *x.shape[2:]).transpose(0, 1)
    facts = perf.run_cases(layer_norm_per_channel, perf.BATCHNORM, 0, "cpu")
    assert facts["violations"] and "layer_norm" in facts["violations"][0]
    source = "import torch.nn.functional as F\ndef batchnorm_train(x, gamma, beta, eps=1e-5):\n    return F.group_norm(x, 1)\n"
    assert spec.reference_calls(source, "batchnorm_train", "batchnorm_train")


def test_torch_optim_in_adam_is_a_violation_and_foreach_is_not():
    def with_optim(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        spec.ref.adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps)
    assert "torch.optim" in perf.run_cases(with_optim, perf.ADAM, 0, "cpu")["violations"][0]
    assert perf.run_cases(SOLUTIONS.adam_step_, perf.ADAM, 0, "cpu")["violations"] == []
    assert grade_here("adam_step_", with_optim).status == "violation"


def test_the_gan_step_may_use_its_optimizers_and_modules():
    assert perf.run_cases(SOLUTIONS.gan_train_step, perf.GAN, 0, "cpu")["violations"] == []


def test_timing_interleaves_fresh_draws_and_reports_medians():
    seen = []

    def recording(x, gamma, beta, eps=1e-5):
        seen.append(float(x.view(-1)[0]))
        return SOLUTIONS.batchnorm_train(x, gamma, beta, eps)
    result = timing(recording, perf.BATCHNORM, budget=perf.Budget(seconds=10.0, rse=1.0, min_pairs=4, warmup=1))
    assert result["problem"] is None and result["pairs"] == 4  # stops once four clean pairs are stable enough
    assert len(set(seen)) == len(seen)  # a new draw for every pair
    assert result["t_student"] > 0 and result["t_reference"] > 0 and result["ratio"] > 0


def test_the_stopping_rule():
    budget = perf.Budget(seconds=1.0, rse=0.01, min_pairs=3)
    assert not perf._done([], 10.0, budget)  # nothing measured yet
    assert not perf._done([1.0, 1.0], 0.1, budget)  # too few pairs
    assert perf._done([1.0, 1.0, 1.0], 0.1, budget)  # stable
    assert not perf._done([1.0, 2.0, 0.5], 0.1, budget)  # noisy, time left
    assert perf._done([1.0, 2.0, 0.5], 1.0, budget)  # noisy, time spent


# -- the whole path: sandbox and command line ------------------------------------------------------------------
MIXED = '''
import math, time
import torch
import torch.nn.functional as F

def attention(q, k, v, causal=False):
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        t = q.shape[-2]
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v

def batchnorm_train(x, gamma, beta, eps=1e-5):
    return getattr(F, "batch" + "_norm")(x, None, None, gamma, beta, True, 0.0, eps)

def adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    time.perf_counter = lambda: 0.0
    raise NotImplementedError("later")

def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    return F.scaled_dot_product_attention(real, real, real).sum().item(), 0.0
'''


def test_the_sandboxed_command_grades_the_tier(tmp_path, monkeypatch):
    monkeypatch.setattr(spec, "BUDGET_S", 0.05)
    (tmp_path / "torch_tier.py").write_text(textwrap.dedent(MIXED))
    run = CliRunner().invoke(cli, ["run", "--tier", "torch", "--submission", str(tmp_path), "--format", "json",
                                   "--cpu-perf", "--no-cache"])
    assert run.exit_code == 0, run.output
    functions = {f["name"]: f for f in json.loads(run.output)["exercises"][0]["functions"]}
    attention = functions["attention"]
    assert attention["status"] == "passed" and attention["max_score"] == 5.0
    assert spec.ratio_in(attention["checks"][-1]["message"]) is not None  # counted: --cpu-perf
    assert functions["batchnorm_train"]["status"] == "violation"  # found at run time, in the child
    assert functions["adam_step_"]["status"] == "violation"  # the clock, replaced before raising
    assert "time.perf_counter" in functions["adam_step_"]["checks"][0]["message"]
    assert functions["gan_train_step"]["status"] == "failed"  # sdpa is not gan's reference: allowed, wrong


def test_torch_compile_is_an_error_that_says_why_not_a_violation(tmp_path):
    """Dynamo reads the source of the frames around the call (the grader's own, which the kernel
    refuses) and inductor starts a compiler: neither is the student importing the grader."""
    (tmp_path / "torch_tier.py").write_text(textwrap.dedent('''
        import math, torch

        def _attention(q, k, v, causal: bool):
            return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v

        _compiled = torch.compile(_attention)

        def attention(q, k, v, causal=False):
            return _compiled(q, k, v, causal)
        '''))
    run = CliRunner().invoke(cli, ["run", "torch_tier.attention", "--submission", str(tmp_path), "--format", "json",
                                   "--no-cache", "--timeout", "120"])  # importing dynamo takes seconds
    attention = json.loads(run.output)["exercises"][0]["functions"][0]
    assert attention["status"] == "error", attention["checks"][0]["message"]
    assert attention["checks"][0]["diagnosis"]["id"] == "error.torch_compile"


# -- CUDA -----------------------------------------------------------------------------------------------------
@cuda
def test_cuda_cases_match_the_oracle_on_the_device():
    for name, task in perf.TASKS.items():
        facts = spec.read_cases(json.loads(json.dumps(perf.run_cases(getattr(SOLUTIONS, name), task, 0, "cuda"))), task)
        assert facts["device"] == "cuda" and not facts["violations"]
        for case in facts["cases"]:
            kwargs = perf.inputs(task, task.cases[case["case"]], case["dtype"], 0, perf.case_path(case["case"], case["dtype"]))
            want = spec.oracle_outputs(task, getattr(spec.ref, name), kwargs)
            assert spec.judge(case, want, case["dtype"], "cuda", task) is None, (name, case["case"], case["dtype"])


@cuda
def test_cuda_work_on_another_stream_is_timed():
    def honest(q, k, v, causal=False):
        return SOLUTIONS.attention(q, k, v, causal)

    def side_stream(q, k, v, causal=False):
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            out = SOLUTIONS.attention(q, k, v, causal)
        return out  # returned before the side stream finishes
    budget = perf.Budget(seconds=0.3)
    plain, hidden = timing(honest, device="cuda", budget=budget), timing(side_stream, device="cuda", budget=budget)
    assert hidden["problem"] is None
    assert hidden["t_student"] > 0.8 * plain["t_student"]


@cuda
def test_cuda_clock_ignores_patched_events_and_synchronize(monkeypatch):
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a, **k: None)
    monkeypatch.setattr(torch.cuda.Event, "elapsed_time", lambda self, other: 0.0)
    clock = perf.Clock("cuda")
    x = torch.randn(4096, 4096, device="cuda")
    _, seconds, _ = clock.time(lambda: x @ x)
    assert seconds > 1e-5
    assert clock.flush_buffer.numel() * 4 >= torch.cuda.get_device_properties(0).L2_cache_size


@cuda
def test_cuda_sandboxed_grading_times_on_the_gpu(tmp_path, monkeypatch):
    monkeypatch.setattr(spec, "BUDGET_S", 0.2)
    (tmp_path / "torch_tier.py").write_text((ROOT / "solutions" / "torch_tier.py").read_text())
    run = CliRunner().invoke(cli, ["run", "torch_tier.attention", "--submission", str(tmp_path), "--format", "json"])
    speed = json.loads(run.output)["exercises"][0]["functions"][0]["checks"][-1]
    assert "on cpu" not in speed["message"] and speed["max_points"] == 2.0, speed["message"]


@pytest.mark.parametrize("source", [
    "import torch\n_pop = torch._C._pop_torch_dispatch_stack\ndef gan_train_step(*a):\n    _pop()\n",
    "from torch.utils._python_dispatch import _disable_current_modes\ndef attention(q, k, v, causal=False):\n"
    "    return q\n\ndef helper():\n    return _disable_current_modes\n\ndef gan_train_step(*a):\n    return helper()\n",
    "import torch\ndef gan_train_step(*a):\n    with torch._C.DisableTorchFunction():\n        pass\n",
])
def test_the_scan_finds_code_that_reaches_the_dispatch_machinery(source):
    """Popping the kernel audit by hand needs PyTorch's dispatch internals: named in the source,
    that is a violation in every function of the tier, gan_train_step included."""
    found = spec.reference_calls(source, "gan_train_step", "gan_train_step")
    assert found and "dispatch machinery" in found[0]


def test_the_model_answers_do_not_reach_the_dispatch_machinery():
    source = (ROOT / "solutions" / "torch_tier.py").read_text()
    assert all(spec.reference_calls(source, f, f) == [] for f in spec.REFERENCE_PATTERNS)
