"""Checks for ``torch_tier`` (CURRICULUM 14): correct on the run's device, fast against PyTorch.

These functions are not searched with hypothesis.  Each is graded on fixed cases drawn from the
run's seed (``grader/perf.py`` lists them), in float32 and, where the operation supports it,
bfloat16, then timed against PyTorch's own kernel in the same sandboxed child:

1. the source is scanned for calls of the reference (a ``violation``, as the child's tripwires
   and kernel audit also report at run time);
2. the child runs every case and sends back what the function returned; this process, out of the
   student's reach, rebuilds the same inputs, runs the oracle (``reference/torch_tier.py``) and
   compares with the tolerance of the case's dtype (``perf.TOLERANCE``);
3. when the float32 cases pass, the child times the function against the reference and the
   ratio ``t_reference / t_student`` earns speed points by :data:`SPEED_STEPS`.  Speed measured
   on a CPU is shown as "cpu, indicative" and not counted unless ``--cpu-perf`` asks; a ratio
   above :data:`REVIEW_ABOVE` earns nothing until a person has looked at it.

Timing is a measurement: the reported times vary a little from run to run (see
``benchmarks/perf_tier_noise.py``), so the speed points of a ratio that lies close to a threshold
can differ between two runs; everything else is deterministic.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from hypothesis import strategies as st

from grader import perf
from grader.calls import StudentFault
from grader.compare import Tolerance
from grader.engine import NOT_IMPLEMENTED_PREFIX, explain_fault
from grader.protocol import clean_text
from grader.results import (ERROR, FAILED, MISSING, NOT_IMPLEMENTED, PASSED, SKIPPED, TIMEOUT, VIOLATION,
                            CheckResult, Diagnosis, FunctionResult)
from grader.spec import ModuleSpec
from reference import torch_tier as ref

spec = ModuleSpec("torch_tier", "PyTorch on the device: correct, then fast against PyTorch's own kernels",
                  reference=ref, tier="torch")

# -- scoring: every threshold in one place ------------------------------------------------------------
#: ``(ratio at least, share of the speed points)``, best first; ratio = t_reference / t_student.
SPEED_STEPS = ((1.0, 1.0), (0.5, 0.75), (0.25, 0.5), (0.1, 0.25))
#: Faster than this many times PyTorch's own kernel is more likely a hole in the harness than a
#: breakthrough: no points until a person has reviewed it.
REVIEW_ABOVE = 10.0
#: Seconds of timing per function (the harness may stop earlier once the ratio is stable).
BUDGET_S = 1.0
#: Grading trusted code in this process (the project's tests) times briefly, on the CPU.
LOCAL_BUDGET_S = 0.05

REFERENCE_NAMES = {"attention": "F.scaled_dot_product_attention", "batchnorm_train": "F.batch_norm",
                   "adam_step_": "torch.optim.Adam", "gan_train_step": "the reference step"}


def speed_share(ratio: float) -> float:
    """The share of the speed points a ratio earns (0 below the lowest step)."""
    return next((share for least, share in SPEED_STEPS if ratio >= least), 0.0)


# -- the checks, for `grade list` and the points ---------------------------------------------------------
def _tolerance(dtype: str) -> Tolerance:
    rtol, atol = perf.TOLERANCE[dtype]
    why = {"float32": "the oracle runs in float32 with TF32 off; correct float32 code agrees to ~1e-6 "
                      "on these inputs, and every catalogued mistake moves a value by far more",
           "bfloat16": "the oracle runs in float32 on the same rounded inputs; code computed entirely in "
                       "bfloat16 rounds four or five times (measured: up to 1.2e-2 off), a float32 result "
                       "or a wrong statistic is much further"}[dtype]
    return Tolerance(rtol, atol, why)


SPEED_TOL = Tolerance(0.0, 0.0, "not a comparison: speed points by t_reference/t_student at least "
                      + ", ".join(f"{least:g} ({share:g})" for least, share in SPEED_STEPS)
                      + f"; above {REVIEW_ABOVE:g} flagged for review; on a CPU indicative unless --cpu-perf")

DESCRIPTIONS = {
    "attention": "softmax(q k^T / sqrt(D)) v over (B, H, T, D) tensors, causal or not",
    "batchnorm_train": "training-mode batch norm of (N, C) and (N, C, H, W) inputs, biased variance",
    "adam_step_": "one Adam step in place over lists of tensors (parameters and both moments)",
    "gan_train_step": "one discriminator then one generator update (non-saturating), losses as floats",
}


def _register(function: str, dtypes: tuple[str, ...], points: dict[str, float]) -> None:
    oracle = getattr(ref, function)
    for dtype in dtypes:
        spec.check(function, f"matches_torch_{dtype}", points=points[dtype],
                   description=f"{DESCRIPTIONS[function]}: equals {REFERENCE_NAMES[function]} in {dtype} on "
                               f"every case, on the run's device; a plain torch.Tensor of the right shape, "
                               f"dtype and device; inputs unchanged",
                   inputs=st.nothing(), oracle=oracle, tol=_tolerance(dtype))
    spec.check(function, "speed", points=points["speed"],
               description=f"median time against {REFERENCE_NAMES[function]}, interleaved on fresh inputs in "
                           f"the same process, every timed output checked",
               inputs=st.nothing(), oracle=oracle, tol=SPEED_TOL)
    spec.function(function).grader = grade_torch_function


# -- what the child sends: checked field by field before anything is read --------------------------------
class Unreadable(ValueError):
    """A result from the child that does not have the harness's shape."""


def _need(value: Any, kind: type, what: str) -> Any:
    if kind is float and type(value) is int:
        return float(value)
    if type(value) is not kind:
        raise Unreadable(what)
    return value


def _number(value: Any) -> float:
    if type(value) is str and value in ("nan", "inf", "-inf"):
        return float(value)
    if type(value) in (int, float):
        return float(value)
    raise Unreadable("a value that is not a number")


def _fact(fact: Any) -> dict:
    fact = _need(fact, dict, "an output description")
    kind = _need(fact.get("kind"), str, "an output kind")
    if kind == "tensor":
        shape = [_need(n, int, "a shape") for n in _need(fact.get("shape"), list, "a shape")]
        values = [_number(v) for v in _need(fact.get("values"), list, "values")]
        if len(values) != math.prod(shape):
            raise Unreadable("values that do not fill the shape")
        return {"kind": kind, "shape": tuple(shape), "dtype": clean_text(_need(fact.get("dtype"), str, "dtype")),
                "device": clean_text(_need(fact.get("device"), str, "device")), "values": values}
    if kind == "number":
        return {"kind": kind, "value": _number(fact.get("value"))}
    return {"kind": kind, "type": clean_text(str(fact.get("type", "?")))[:80]}


def read_cases(raw: Any, task: perf.Task) -> dict:
    raw = _need(raw, dict, "a result")
    cases = []
    for case in _need(raw.get("cases"), list, "cases"):
        case = _need(case, dict, "a case")
        index, dtype = _need(case.get("case"), int, "a case index"), _need(case.get("dtype"), str, "a dtype")
        if not 0 <= index < len(task.cases) or dtype not in task.dtypes:
            raise Unreadable("a case the grader did not ask for")
        outputs = [(clean_text(_need(n, str, "a name")), _fact(f)) for n, f in
                   (_need(pair, list, "an output") for pair in _need(case.get("outputs"), list, "outputs"))]
        changed = [clean_text(_need(n, str, "a name")) for n in _need(case.get("changed"), list, "changed")]
        cases.append({"case": index, "dtype": dtype, "outputs": outputs, "changed": changed})
    return {"device": _device(raw), "cases": cases, "violations": _texts(raw.get("violations"))}


def read_timing(raw: Any) -> dict:
    raw = _need(raw, dict, "a result")
    read = {"device": _device(raw), "violations": _texts(raw.get("violations")),
            "threads_left": _need(raw.get("threads_left"), bool, "threads_left"),
            "pairs": _need(raw.get("pairs"), int, "pairs"), "set_aside": _need(raw.get("set_aside"), int, "set_aside"),
            "case": clean_text(_need(raw.get("case"), str, "case"))[:300],
            "device_name": clean_text(_need(raw.get("device_name"), str, "device_name"))[:100],
            "problem": None if raw.get("problem") is None else clean_text(_need(raw["problem"], str, "problem"))[:1000]}
    for name in ("t_student", "t_reference", "ratio", "rse"):
        value = raw.get(name)
        read[name] = None if value is None else _need(value, float, name)
        if read[name] is not None and not (math.isfinite(read[name]) and read[name] >= 0):
            raise Unreadable(f"a {name} that is not a time")
    return read


def _device(raw: dict) -> str:
    device = _need(raw.get("device"), str, "device")
    if device not in ("cpu", "cuda"):
        raise Unreadable("an unknown device")
    return device


def _texts(value: Any) -> list[str]:
    return [clean_text(_need(v, str, "a message"))[:300] for v in _need(value, list, "messages")][:10]


# -- running the student's function: in the sandbox, or trusted code here ---------------------------------
class Runner:
    """Sends the harness's two requests for one function and returns what came back, read."""

    def __init__(self, student: Any, function: str):
        self.student, self.function = student, function
        self.task = perf.TASKS[function]
        self.sandboxed = hasattr(student, "sandbox")

    def source(self) -> tuple[Optional[str], str]:
        """The module source the function lives in, and the function's name there."""
        if self.sandboxed:
            return Path(self.student.sandbox.files[self.student.module]).read_text("utf-8", "replace"), self.function
        impl = getattr(self.student, "impl", self.student)
        try:
            return Path(inspect.getsourcefile(impl)).read_text("utf-8", "replace"), impl.__name__
        except (TypeError, OSError):
            return None, self.function

    def check(self, seed: int) -> dict:
        request = {"task": self.function, "mode": "check", "seed": seed}
        return self._read(read_cases, self._send(request, seconds=self._slack()), self.task)

    def time(self, seed: int, budget: float) -> dict:
        request = {"task": self.function, "mode": "time", "seed": seed, "budget_s": budget}
        seconds = self._slack() + budget * (perf.Budget().hard + 1)
        return self._read(read_timing, self._send(request, seconds))

    def _send(self, request: dict, seconds: float) -> Any:
        if self.sandboxed:
            sandbox = self.student.sandbox
            return sandbox.perf(self.student.module, self.function, request, seconds + sandbox.timeout)
        return self._here(request)

    def _here(self, request: dict) -> Any:
        """Trusted code (the project's tests) through the same harness, on the CPU, with the
        faults a sandboxed call would report."""
        impl = getattr(self.student, "impl", self.student)
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)  # as in the child, whatever this process set
        try:
            if request["mode"] == "check":
                result = perf.run_cases(impl, self.task, request["seed"], "cpu")
            else:
                result = perf.measure(impl, self.task, request["seed"], "cpu", perf.Budget(seconds=request["budget_s"]))
        except NotImplementedError as exc:
            raise StudentFault("not_implemented", str(exc) or "NotImplementedError") from None
        except Exception as exc:
            raise StudentFault("error", f"raised {type(exc).__name__}: {exc}") from None
        finally:
            torch.set_default_dtype(default)
        return json.loads(json.dumps(result))  # what would have crossed the wire

    @staticmethod
    def _slack() -> float:
        return 15.0 if torch.cuda.is_available() else 3.0  # a child's first CUDA call starts a context

    @staticmethod
    def _read(reader: Callable[..., dict], raw: Any, *args: Any) -> dict:
        try:
            return reader(raw, *args)
        except Unreadable as exc:
            raise StudentFault("error", f"the process running your code sent results the grader cannot "
                                        f"read ({exc}); did something tamper with the harness?") from None


# -- grading one function -----------------------------------------------------------------------------------
def grade_torch_function(function_spec, student_for, options) -> FunctionResult:
    """Static scan, the correctness cases, then the timing (see the module docstring)."""
    checks = function_spec.checks
    runner = Runner(student_for(checks[0], tuple(inspect.signature(checks[0].oracle).parameters)),
                    function_spec.name)
    counted = _speed_counted(runner.sandboxed and torch.cuda.is_available(), options)  # until the child says
    source, name = runner.source()
    calls = reference_calls(source, name, function_spec.name) if source else []
    if calls:
        return _all(function_spec, VIOLATION, f"{calls[0]}; {RULE}", counted)
    try:
        facts = runner.check(options.seed)
    except StudentFault as fault:
        return _fault(function_spec, fault, counted)
    counted = _speed_counted(facts["device"] == "cuda", options)
    if facts["violations"]:
        return _all(function_spec, VIOLATION, f"{facts['violations'][0]}; {RULE}", counted)
    results = [_correctness(check, function_spec, facts, options.seed) for check in checks if check.name != "speed"]
    speed = next(c for c in checks if c.name == "speed")
    if results and results[0].status != PASSED:
        results.append(CheckResult(speed.id, SKIPPED, 0.0, speed.points if counted else 0.0,
                                   "not timed: the float32 results are wrong"))
    else:
        results.append(_speed(speed, runner, options, counted))
    if runner.sandboxed and facts["device"] != "cuda" and torch.cuda.is_available():
        results[-1].message = NO_GPU_IN_CHILD + results[-1].message
    return FunctionResult(function_spec.name, _status(results), results)


NO_GPU_IN_CHILD = "this machine has CUDA but the sandboxed child could not use it, so it ran on the CPU: "


RULE = ("write the operation from tensor primitives: calling the reference itself is an integrity "
        "violation (CURRICULUM 14)")


def _speed_counted(on_gpu: bool, options) -> bool:
    """Speed points count when measured on a GPU, or on a CPU when ``--cpu-perf`` asks."""
    return on_gpu or bool(getattr(options, "cpu_perf", False))


def _all(function_spec, status: str, message: str, counted: bool) -> FunctionResult:
    checks = [CheckResult(c.id, ERROR, 0.0, _max(c, counted), message) for c in function_spec.checks]
    return FunctionResult(function_spec.name, status, checks)


def _max(check, counted: bool) -> float:
    return check.points if check.name != "speed" or counted else 0.0


def _fault(function_spec, fault: StudentFault, counted: bool) -> FunctionResult:
    if fault.status == "not_implemented":
        return _all(function_spec, NOT_IMPLEMENTED, NOT_IMPLEMENTED_PREFIX + fault.message, counted)
    status = {"timeout": TIMEOUT, "violation": VIOLATION, "missing": MISSING}.get(fault.status, ERROR)
    result = _all(function_spec, status, fault.message, counted)
    if status == ERROR:
        result.checks[0].diagnosis = explain_fault(fault, {})
    if status == TIMEOUT:
        for check in result.checks:
            check.status = TIMEOUT
    return result


def _status(results: list[CheckResult]) -> str:
    """Passed when every check that counts passed (skipped ones are notes); else the worst."""
    statuses = {r.status for r in results if r.status != SKIPPED}
    if statuses <= {PASSED}:
        return PASSED
    for status in (TIMEOUT, ERROR, FAILED):
        if status in statuses:
            return status
    return FAILED


# -- correctness: the child's facts against the oracle, here ----------------------------------------------
def _correctness(check, function_spec, facts: dict, seed: int) -> CheckResult:
    dtype = check.name.rsplit("_", 1)[1]
    task = perf.TASKS[function_spec.name]
    expected = len(task.cases)
    ran = [case for case in facts["cases"] if case["dtype"] == dtype]
    for case in ran:
        kwargs = perf.inputs(task, task.cases[case["case"]], dtype, seed, perf.case_path(case["case"], dtype))
        want = oracle_outputs(task, getattr(ref, function_spec.name), kwargs)
        problem = judge(case, want, dtype, facts["device"], task)
        if problem:
            where = f"{dtype} on {facts['device']}, {task.describe(task.cases[case['case']])}"
            example = {"case": task.describe(task.cases[case["case"]]), "dtype": dtype,
                       "device": facts["device"], "seed": seed}
            return CheckResult(check.id, FAILED, 0.0, check.points, f"{where}: {problem}", example,
                               _diagnose(function_spec, task, kwargs, case, dtype))
    if len(ran) < expected:
        return CheckResult(check.id, ERROR, 0.0, check.points, "the harness did not run every case")
    return CheckResult(check.id, PASSED, check.points, check.points)


def oracle_outputs(task: perf.Task, oracle: Callable[..., Any], kwargs: dict) -> list:
    """The oracle's graded outputs on float32 copies of ``kwargs``, here on the CPU."""
    mine = _float32(task.copy(kwargs))
    handed = {k: (list(v) if isinstance(v, list) else v) for k, v in mine.items()}
    with torch.no_grad() if task is not perf.GAN else _nothing():
        returned = oracle(**mine)
    return [(name, value.detach().to(torch.float64) if isinstance(value, torch.Tensor) else value)
            for name, value in task.outputs(handed, returned)]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _float32(kwargs: dict) -> dict:
    def one(value):
        if isinstance(value, torch.Tensor):
            return value.to(torch.float32)
        if isinstance(value, list):
            return [one(v) for v in value]
        return value
    return {k: one(v) for k, v in kwargs.items()}


def judge(case: dict, want: list, dtype: str, device: str, task: perf.Task) -> Optional[str]:
    """Why the student's outputs on one case are wrong, or ``None``."""
    if case["changed"]:
        name = case["changed"][0]
        return (f"modified its input `{name}` in place; work on new tensors (the inputs are "
                f"checked after every call)")
    if len(case["outputs"]) != len(want):
        return "returned the wrong number of values"
    for (name, fact), (_, expected) in zip(case["outputs"], want):
        problem = _judge_one(name, fact, expected, dtype, device, task)
        if problem:
            return problem
    return None


def _judge_one(name: str, fact: dict, expected: Any, dtype: str, device: str, task: perf.Task) -> Optional[str]:
    reference = REFERENCE_NAMES[task.name]
    if not isinstance(expected, torch.Tensor):
        if fact["kind"] != "number":
            what = "a tensor (call .item())" if fact["kind"] == "tensor" else f"a {fact.get('type', fact['kind'])}"
            return f"{name} must be a Python float, not {what}: a returned tensor would skip the synchronisation"
        return _compare([fact["value"]], [float(expected)], (), name, dtype, reference)
    if fact["kind"] == "subclass":
        return (f"{name} is a {fact['type']}, a subclass of torch.Tensor: return a plain torch.Tensor "
                "(a subclass could defer its work past the timer)")
    if fact["kind"] != "tensor":
        return f"{name} must be a torch.Tensor, not a {fact.get('type', fact['kind'])}"
    if fact["shape"] != tuple(expected.shape):
        return f"{name} has shape {fact['shape']}, expected {tuple(expected.shape)}"
    if fact["dtype"] != dtype:
        return f"{name} has dtype {fact['dtype']}, expected {dtype} (the dtype of the inputs)"
    if fact["device"] != device:
        return f"{name} is on {fact['device']}, expected {device} (the device of the inputs)"
    return _compare(fact["values"], expected.reshape(-1).tolist(), tuple(expected.shape), name, dtype, reference)


def _compare(got: list, want: list, shape: tuple, name: str, dtype: str, reference: str) -> Optional[str]:
    rtol, atol = perf.TOLERANCE[dtype]
    for i, (g, w) in enumerate(zip(got, want)):
        if math.isfinite(w):
            ok = math.isfinite(g) and abs(g - w) <= atol + rtol * abs(w)
        else:
            ok = g == w or (math.isnan(g) and math.isnan(w))
        if not ok:
            where = f" at index {tuple(int(j) for j in _unravel(i, shape))}" if shape else ""
            how = "is not finite where the reference is" if math.isfinite(w) and not math.isfinite(g) else (
                f"(|diff| {abs(g - w):.2e} > {atol:g} + {rtol:g}*|expected|)")
            return f"{name} differs from {reference}{where}: got {g!r}, expected {w!r} {how}"
    return None


def _unravel(index: int, shape: tuple) -> list[int]:
    place = []
    for size in reversed(shape):
        place.append(index % size)
        index //= size
    return list(reversed(place))


def _diagnose(function_spec, task: perf.Task, kwargs: dict, case: dict, dtype: str) -> Optional[Diagnosis]:
    """The first catalogued mistake whose outputs on this case match the student's."""
    if case["changed"]:
        return None
    for mistake in function_spec.mistakes:
        try:
            theirs = oracle_outputs(task, mistake.impl, kwargs)
        except Exception:
            continue
        if judge(case, theirs, dtype, case_device(case), task) is None:
            return Diagnosis(mistake.id, mistake.message)
    return None


def case_device(case: dict) -> str:
    devices = [fact["device"] for _, fact in case["outputs"] if fact["kind"] == "tensor"]
    return devices[0] if devices else "cpu"


# -- speed -----------------------------------------------------------------------------------------------------
def _speed(check, runner: Runner, options, counted: bool) -> CheckResult:
    top = check.points if counted else 0.0
    budget = BUDGET_S if runner.sandboxed else LOCAL_BUDGET_S
    try:
        timing = runner.time(options.seed, budget)
    except StudentFault as fault:
        status = {"timeout": TIMEOUT, "failed": FAILED}.get(fault.status, ERROR)
        return CheckResult(check.id, status, 0.0, top, f"while timing: {fault.message}")
    if timing["violations"]:
        return CheckResult(check.id, ERROR, 0.0, top, f"while timing, your code {timing['violations'][0]}; {RULE}")
    if timing["problem"]:
        return CheckResult(check.id, FAILED, 0.0, top, timing["problem"])
    if timing["threads_left"]:
        return CheckResult(check.id, FAILED, 0.0, top, "left a thread running after returning: work that "
                                                       "continues after the call cannot be timed")
    if timing["ratio"] is None:
        return CheckResult(check.id, ERROR, 0.0, top, "the harness measured nothing")
    return _speed_points(check, timing, counted)


def _speed_points(check, timing: dict, counted: bool) -> CheckResult:
    ratio = timing["ratio"]
    detail = (f"{format_ratio(ratio)} {REFERENCE_NAMES[check.function]} on {timing['device_name']} "
              f"({timing['case']}; median of {timing['pairs']} interleaved pairs{_set_aside(timing)}: you "
              f"{_seconds(timing['t_student'])}, reference {_seconds(timing['t_reference'])})")
    if not counted:
        return CheckResult(check.id, SKIPPED, 0.0, 0.0, f"cpu, indicative (not counted without --cpu-perf): {detail}")
    if ratio > REVIEW_ABOVE:
        return CheckResult(check.id, SKIPPED, 0.0, check.points,
                           f"flagged for review, no speed points until a person has looked: {detail}")
    points = round(speed_share(ratio) * check.points, 6)
    full = SPEED_STEPS[0][0]
    status = PASSED if points > 0 else FAILED
    return CheckResult(check.id, status, points, check.points,
                       f"{detail}: {points:g} of {check.points:g} speed points (all of them from {full:g}x)")


def _set_aside(timing: dict) -> str:
    count = timing.get("set_aside", 0)
    return f", {count} more set aside as disturbed by other programs" if count else ""


def format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}x"


RATIO = re.compile(r"(\d+\.\d+)x ")


def ratio_in(message: str) -> Optional[float]:
    """The speed ratio a speed check's message reports (for benchmarks)."""
    found = RATIO.search(message)
    return float(found.group(1)) if found else None


def _seconds(value: float) -> str:
    return f"{value * 1e3:.3g} ms" if value >= 1e-3 else f"{value * 1e6:.3g} µs"


# -- the static scan: calls of the reference in the source ------------------------------------------------------
#: Per function, what reaching the reference looks like in source: attribute names, imported names
#: and identifier-like strings matching the pattern (the child's tripwires and kernel audit catch
#: what is written some other way).
REFERENCE_PATTERNS = {
    "attention": re.compile(r"scaled_dot_product|^_(flash|efficient)_attention|MultiheadAttention|"
                            r"multi_head_attention_forward"),
    "batchnorm_train": re.compile(r"batch_norm|BatchNorm|group_norm|GroupNorm|layer_norm|LayerNorm|"
                                  r"instance_norm|InstanceNorm"),
    "adam_step_": re.compile(r"^optim$|^torch\.optim|_fused_adam|_multi_tensor_adam|_single_tensor_adam"),
    "gan_train_step": None,
}


#: PyTorch's dispatch-mode machinery, where the child's kernel audit runs: none of the four
#: operations needs it, and reaching it is the way to take the audit off the stack by hand.
DISPATCH_INTERNALS = re.compile(r"_python_dispatch|dispatch_stack|TorchDispatchMode|TorchFunctionMode|"
                                r"DisableTorch(Function|Dispatch)|_disable_current_modes|_(pop|push)_mode|"
                                r"torch_function_mode")


def reference_calls(source: str, name: str, function: str) -> list[str]:
    """Where the code that ``name`` can reach in ``source`` names the reference of ``function``
    (or PyTorch's dispatch machinery, where the kernel audit runs)."""
    pattern = REFERENCE_PATTERNS[function]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in _reachable(tree, name):
        for token in _tokens(node):
            where = f"{function} uses {token} (line {getattr(node, 'lineno', '?')})"
            if pattern is not None and pattern.search(token):
                found.append(f"{where}, the reference itself")
            elif DISPATCH_INTERNALS.search(token):
                found.append(f"{where}: PyTorch's dispatch machinery, where the grader's kernel audit runs")
    return found


def _bindings(body: list[ast.stmt], into: dict) -> dict:
    """Module-level statements by the names they bind (looking into if/try/with blocks)."""
    for stmt in body:
        names: list[str] = []
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [stmt.name]
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).partition(".")[0] for a in stmt.names]
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for block in ("body", "orelse", "finalbody", "handlers"):
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = getattr(stmt, block, None)
                if isinstance(inner, list):
                    _bindings([s for s in inner if isinstance(s, ast.stmt)] + [
                        s for h in inner if isinstance(h, ast.ExceptHandler) for s in h.body], into)
        for bound in names:
            into.setdefault(bound, []).append(stmt)
    return into


def _reachable(tree: ast.Module, name: str) -> list[ast.AST]:
    """Every node of the statements ``name`` depends on at module level, transitively."""
    bindings = _bindings(tree.body, {})
    todo, seen, nodes = list(bindings.get(name, [])), set(), []
    while todo:
        stmt = todo.pop()
        if id(stmt) in seen:
            continue
        seen.add(id(stmt))
        for node in ast.walk(stmt):
            nodes.append(node)
            if isinstance(node, ast.Name) and node.id in bindings:
                todo += bindings[node.id]
    return nodes


def _tokens(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.alias):
        return [node.name, *node.name.split(".")] + ([node.asname] if node.asname else [])
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module, *node.module.split(".")]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[\w.]+", node.value):
        return [node.value]
    return []


# -- the four functions ------------------------------------------------------------------------------------------
_register("attention", ("float32", "bfloat16"), {"float32": 2, "bfloat16": 1, "speed": 2})
spec.mistakes(
    "attention",
    no_scale="Your scores are q k^T without the 1/sqrt(D) scaling: divide by sqrt(D) (the last dimension) "
             "before the softmax, or the softmax saturates as D grows.",
    scale_by_d="You divided the scores by D instead of sqrt(D).",
    softmax_over_queries="Your softmax normalises over the queries (dim=-2): each query's weights over the "
                         "keys must sum to 1, so take the softmax over the last dimension.",
    mask_ignored="With causal=True a query at position i may attend only to keys 0..i: mask the scores "
                 "above the diagonal with -inf before the softmax.",
)

_register("batchnorm_train", ("float32", "bfloat16"), {"float32": 2, "bfloat16": 1, "speed": 2})
spec.mistakes(
    "batchnorm_train",
    unbiased_variance="You normalised with the unbiased variance (dividing by n-1): training-mode batch norm "
                      "uses the biased variance (correction=0).",
    eps_outside_sqrt="You added eps after the square root: normalise by sqrt(var + eps).",
    per_sample_statistics="Your statistics are per sample (over the features), which is layer norm: batch "
                          "norm averages each channel over the batch (and the spatial axes).",
    batch_axis_only="For (N, C, H, W) inputs each channel's mean and variance run over N, H and W, not over "
                    "the batch axis alone.",
)

_register("adam_step_", ("float32", "bfloat16"), {"float32": 2, "bfloat16": 1, "speed": 2})
spec.mistakes(
    "adam_step_",
    no_bias_correction="Your update skips Adam's bias correction: divide the first moment by 1 - beta1**step "
                       "and the second by 1 - beta2**step.",
    eps_inside_sqrt="You added eps inside the square root: Adam divides by sqrt(v_hat) + eps.",
    step_counted_twice="Your bias correction uses step + 1: `step` is already the 1-based number of this update.",
    moments_not_in_place="Your moments are new tensors put into the lists: update exp_avgs and exp_avg_sqs in "
                         "place (mul_, add_, lerp_, torch._foreach_*), since the caller keeps the tensors.",
)

_register("gan_train_step", ("float32",), {"float32": 2, "speed": 2})
spec.mistakes(
    "gan_train_step",
    gradients_not_zeroed="Gradients accumulate: call d_opt.zero_grad() before the discriminator's backward "
                         "pass and g_opt.zero_grad() before the generator's.",
    old_discriminator_for_generator="Your generator loss goes through the discriminator from before its "
                                    "update: step the discriminator first, then compute the generator's loss.",
    saturating_generator_loss="Your generator minimises log(1 - D(G(z))), the saturating loss: use "
                              "BCE-with-logits of D(G(z)) against 1 (the non-saturating loss).",
    losses_after_update="Return each loss as computed before its update (d_loss.item() before d_opt.step() "
                        "changes anything), not recomputed afterwards.",
    averaged_discriminator_terms="Your d_loss is (real term + fake term) / 2, which also halves the "
                                 "discriminator's gradient: the contract's d_loss is the sum of the two "
                                 "mean-reduced BCE terms.",
)
