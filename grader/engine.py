"""Running a function's checks: hypothesis draws, the student answers, the oracle judges.

Everything here runs in the trusted grader process.  For each check, ``hypothesis.find``
searches (derandomized from ``--seed`` and the check id, no example database) for an input on
which the student's output is wrong, shrinks it to a minimal one, and the failure is matched
against the function's catalogue of mistakes to name what went wrong.
"""

from __future__ import annotations

import inspect
import zlib
from dataclasses import dataclass
from random import Random
from typing import Any, Callable, Optional

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, NoSuchExample

from grader.cache import OracleCache
from grader.calls import LocalFunction, StudentFault, materialize
from grader import hints
from grader.compare import compare
from grader.explain import explain_error
from grader.results import (ERROR, FAILED, NOT_IMPLEMENTED, PASSED, SKIPPED, TIMEOUT, VIOLATION,
                            CheckResult, Diagnosis, FunctionResult)
from grader.spec import Check, FunctionSpec, Mistake
from grader.testfns import Fn

DEFAULT_MAX_EXAMPLES = 25
NOT_IMPLEMENTED_PREFIX = "not implemented yet (the stub raises NotImplementedError): "

#: A factory for the student's side of one check: ``(check, param_names) -> callable``.
StudentFactory = Callable[[Check, tuple[str, ...]], Callable[..., Any]]


@dataclass(frozen=True)
class Options:
    seed: int = 0
    max_examples: int = DEFAULT_MAX_EXAMPLES
    cpu_perf: bool = False  # the torch tier: count speed points measured on a CPU (``--cpu-perf``)


class _Abort(BaseException):
    """Stops hypothesis at once: retrying a timeout or a stub teaches nothing and costs time."""


#: Faults after which a check stops searching (no shrinking, no retries).
_FATAL = {"timeout", "not_implemented", "missing", "violation", "crashed"}


def warm_up() -> None:
    """Run hypothesis once, on nothing, before the oracles import PyTorch.

    Hypothesis's first run registers its random generator with a full garbage collection and a
    scan of the heap: milliseconds on a small heap, a tenth of a second once torch is loaded.
    """
    find(st.just(0), lambda _: True, settings=settings(database=None, max_examples=1, phases=(Phase.generate,)))


def param_names(check: Check) -> tuple[str, ...]:
    return tuple(inspect.signature(check.oracle).parameters)


def grade_function(spec: FunctionSpec, student_for: StudentFactory, options: Options = Options(),
                   cache: Optional[OracleCache] = None) -> FunctionResult:
    """Run every check of ``spec`` against the student's function and aggregate a status.

    Oracle values come from ``cache`` when it has them (and are stored there when not).
    """
    if spec.grader is not None:  # a function graded its own way (the torch tier's timing)
        return spec.grader(spec, student_for, options)
    results: list[CheckResult] = []
    faults: list[str] = []
    for check in spec.checks:
        if faults and faults[-1] in ("timeout", "crashed", "violation"):
            results.append(CheckResult(check.id, SKIPPED, 0.0, check.points, f"not run: {_STOPPED[faults[-1]]}"))
            continue
        result, fault = run_check(check, spec, student_for, options, cache)
        results.append(result)
        faults.append(fault.status if fault else result.status)
    return FunctionResult(spec.name, _function_status(results, faults), results)


_STOPPED = {"timeout": "an earlier check timed out", "crashed": "an earlier check crashed the process",
            "violation": "an earlier check broke an integrity rule"}


def _function_status(checks: list[CheckResult], faults: list[str]) -> str:
    """Passed, not implemented, or the most serious problem among the checks."""
    if all(c.status == PASSED for c in checks):
        return PASSED
    if all(f == "not_implemented" for f in faults):
        return NOT_IMPLEMENTED
    if "violation" in faults:
        return VIOLATION
    statuses = {c.status for c in checks}
    for status in (TIMEOUT, ERROR, FAILED):
        if status in statuses:
            return status
    return FAILED


def run_check(check: Check, spec: FunctionSpec, student_for: StudentFactory, options: Options,
              cache: Optional[OracleCache] = None) -> tuple[CheckResult, Optional[StudentFault]]:
    """One check: search for a failing input, shrink it, explain it."""
    student = student_for(check, param_names(check))
    last: dict[str, Any] = {}

    def wrong(args: dict, outcome: Any) -> bool:
        if isinstance(outcome, StudentFault) and outcome.status in _FATAL:
            last.update(args=args, outcome=outcome)
            raise _Abort()
        problem = _problem(check, outcome, args, cache)
        if problem is None:
            return False
        last.update(args=args, outcome=outcome, problem=problem)
        return True

    def fails(args: dict) -> bool:
        return wrong(args, _outcome(check, student, args))

    try:
        replay = drawn_inputs(check, options, cache)
        if replay is not None and not any(wrong(args, outcome) for args, outcome in _replayed(check, student, replay)):
            return CheckResult(check.id, PASSED, check.points, check.points), None
        if replay is not None and hasattr(student, "fresh"):
            student.fresh()  # the search starts in a fresh child, whatever the replay left behind
        find(check.inputs, fails, settings=_search(options, Phase.shrink), random=_random(check, options))
    except NoSuchExample:
        return CheckResult(check.id, PASSED, check.points, check.points), None
    except _Abort:
        pass
    except Flaky:
        return CheckResult(check.id, FAILED, 0.0, check.points, UNRELIABLE, plain(last["args"])), None
    args, outcome = last["args"], last["outcome"]
    example = plain(args)
    if isinstance(outcome, StudentFault):
        result = _fault_result(check, outcome, example)
        if outcome.status == "failed":
            result.diagnosis = diagnose(check, spec, outcome, args)
        elif outcome.status == "error":
            result.diagnosis = explain_fault(outcome, args)
        return result, outcome
    diagnosis = diagnose(check, spec, outcome, args, Confirmation(student_for, options, cache))
    message = last["problem"] + _hints(check, outcome, oracle_value(check, args, cache), args)
    message += _printed(check, student, args)
    return CheckResult(check.id, FAILED, 0.0, check.points, message, example, diagnosis), None


def _search(options: Options, *phases: Phase) -> settings:
    return settings(max_examples=options.max_examples, database=None, deadline=None, verbosity=Verbosity.quiet,
                    suppress_health_check=list(HealthCheck), phases=(Phase.generate, *phases))
    # no "explain" phase: nothing reads it, and it is slow


def _random(check: Check, options: Options) -> Random:
    return Random(zlib.crc32(f"{options.seed}:{check.id}".encode()))


_DRAWN: dict[tuple, list] = {}


def drawn_inputs(check: Check, options: Options, cache: Optional[OracleCache] = None) -> list[dict]:
    """The inputs the search draws, in order, when no input fails: the same for every student.

    A check first replays them (without hypothesis's bookkeeping); only when one fails does the
    search run, from the start, and shrink -- so the result is what the search alone gives.
    """
    key = (check.id, options.seed, options.max_examples)
    if key not in _DRAWN:
        def draw() -> list[dict]:
            seen: list[dict] = []
            try:
                find(check.inputs, lambda args: seen.append(args) and False, settings=_search(options),
                     random=_random(check, options))
            except NoSuchExample:
                pass
            return seen
        _DRAWN[key] = cache.drawn_inputs(*key, draw) if cache is not None else draw()
    return _DRAWN[key]


def _replayed(check: Check, student: Callable[..., Any], inputs: list[dict]):
    """``(args, outcome)`` for each input, in order.  When the check's recipe makes one call with
    the drawn arguments and the function can take several calls (the sandbox's can), those calls
    are made for every input in one go first, and each recipe then runs on its call's result."""
    if getattr(check.run, "single_call", False) and hasattr(student, "many"):
        calls = student.many([((), fresh_copy(args)) for args in inputs])
        return ((args, _outcome(check, _Prefetched(call, student), args)) for args, call in zip(inputs, calls))
    return ((args, _outcome(check, student, args)) for args in inputs)


class _Prefetched:
    """The student's function whose first call was already made: its result (or fault) is
    returned once; any further call goes to the function itself."""

    def __init__(self, outcome: Any, student: Callable[..., Any]):
        self.outcome, self.student, self.used = outcome, student, False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.used:
            return self.student(*args, **kwargs)
        self.used = True
        if isinstance(self.outcome, StudentFault):
            raise self.outcome
        return self.outcome


def _hints(check: Check, got: Any, want: Any, args: dict) -> str:
    """What agrees and how the rest differs, in plain words (see :mod:`grader.hints`)."""
    if not check.hinted:
        return ""
    lines = []
    matched = hints.matched_outputs(got, want, check.tol, check.outputs)
    if matched:
        lines.append(f"what agrees: {matched}")
    lines += [f"how it differs: {note}" for note in hints.observations(got, want, check.tol, args, check.outputs)]
    return "".join(f"\n{line}" for line in lines)


def _printed(check: Check, student: Callable[..., Any], args: dict) -> str:
    """What the student's code printed on the failing input (run once more to capture it)."""
    if not hasattr(student, "printed"):
        return ""
    student.printed = ""
    _outcome(check, student, args)
    text = student.printed.strip()
    return f"\nyour code printed:\n{text[:2000]}" if text else ""


UNRELIABLE = ("gave different results for the same input, so it cannot be graded reliably: does it "
              "depend on the time, os.urandom or state kept between calls? Use only the seed argument.")


def _outcome(check: Check, student: Callable[..., Any], args: dict) -> Any:
    """What the student's code produced for ``args``: a value, or the fault that prevented one."""
    try:
        return check.run(student, fresh_copy(args))
    except StudentFault as fault:
        return fault
    except Exception as exc:  # the recipe choked on a returned value that the oracle's shape never has
        return StudentFault("failed", f"the check could not use what your function returned "
                                      f"({type(exc).__name__}: {exc}); see the expected return value in the stub")


def fresh_copy(value: Any) -> Any:
    """A copy of drawn arguments; :class:`Fn` descriptions stay descriptions (the student's side)."""
    if isinstance(value, Fn):
        return value
    if isinstance(value, dict):
        return {k: fresh_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(fresh_copy(v) for v in value)
    return value.copy() if isinstance(value, np.ndarray) else value


def _problem(check: Check, outcome: Any, args: dict, cache: Optional[OracleCache] = None) -> Optional[str]:
    if isinstance(outcome, StudentFault):
        return outcome.message
    want = oracle_value(check, args, cache)
    return check.judge(outcome, want, args)


def oracle_value(check: Check, args: dict, cache: Optional[OracleCache] = None) -> Any:
    """What the oracle says ``check`` should produce on ``args`` (from ``cache`` when it knows)."""
    compute = lambda: check.run(check.oracle, materialize(args))
    return cache.get_or_compute(check.id, args, compute) if cache is not None else compute()


def _fault_result(check: Check, fault: StudentFault, example: Any) -> CheckResult:
    if fault.status == "not_implemented":
        return CheckResult(check.id, ERROR, 0.0, check.points, f"{NOT_IMPLEMENTED_PREFIX}{fault.message}")
    status = {"timeout": TIMEOUT, "failed": FAILED}.get(fault.status, ERROR)
    return CheckResult(check.id, status, 0.0, check.points, fault.message, example)


@dataclass
class Confirmation:
    """What :func:`diagnose` needs to confirm a name on inputs other than the failing one."""

    student_for: StudentFactory
    options: Options
    cache: Optional[OracleCache] = None


CONFIRM_DRAWS = 4  # extra inputs per check of the function on which a candidate name must hold


def diagnose(check: Check, spec: FunctionSpec, got: Any, args: dict,
             confirm: Optional[Confirmation] = None) -> Optional[Diagnosis]:
    """The catalogued mistake that behaves like the student's code, or None.

    ``got`` is the student's output on ``args``, or the fault (an input modified in place) their
    call raised.  A name must be earned: with ``confirm``, a mistake that matches on ``args`` is
    named only if it also matches the student's code on extra inputs drawn from every check of
    the function (other sizes, other shapes) wherever that code is wrong; a mistake that matches
    only here is reported as merely consistent with the failure.
    """
    candidates = [m for m in spec.mistakes if _imitates(m, check, got, args)]
    if not candidates:
        return None
    if confirm is None or isinstance(got, StudentFault):
        return Diagnosis(candidates[0].id, candidates[0].message)
    for mistake in candidates:
        if _confirmed(mistake, spec, confirm):
            return Diagnosis(mistake.id, mistake.message)
    first = candidates[0]
    return Diagnosis(f"consistent_with:{first.id}", "Not confirmed on other inputs, but consistent with this "
                     f"failure: {first.message}")


def _imitates(mistake: Mistake, check: Check, got: Any, args: dict) -> bool:
    """Does ``mistake`` produce what the student produced (the same output, or the same fault)?"""
    imitation = LocalFunction(mistake.impl, param_names(check), check.mutable)
    try:
        theirs = check.run(imitation, fresh_copy(args))
    except StudentFault as fault:
        return isinstance(got, StudentFault) and (fault.status, fault.message) == (got.status, got.message)
    except Exception:  # the recipe choked on what the mistake returned
        return False
    return not isinstance(got, StudentFault) and compare(got, theirs, check.tol, check.outputs) is None


def _confirmed(mistake: Mistake, spec: FunctionSpec, confirm: Confirmation) -> bool:
    """Wherever the student's code is wrong on the extra inputs, ``mistake`` matches it."""
    for check in spec.checks:
        student = confirm.student_for(check, param_names(check))
        for args in extra_inputs(check, confirm.options):
            got = _outcome(check, student, args)
            if isinstance(got, StudentFault):
                if got.status in _FATAL:
                    return True  # nothing more can be learnt from this code
                continue
            if check.judge(got, oracle_value(check, args, confirm.cache), args) is None:
                continue  # right here: says nothing about which mistake it is
            if not _imitates(mistake, check, got, args):
                return False
    return True


def extra_inputs(check: Check, options: Options, count: int = CONFIRM_DRAWS) -> list[dict]:
    """``count`` inputs drawn from ``check``'s strategy, deterministically, besides the search's."""
    drawn: list[dict] = []

    def keep(args: dict) -> bool:
        drawn.append(args)
        return False

    try:
        find(check.inputs, keep, settings=_search(Options(options.seed, count)),
             random=Random(zlib.crc32(f"{options.seed}:{check.id}:confirm".encode())))
    except NoSuchExample:
        pass
    return drawn


def explain_fault(fault: StudentFault, args: dict) -> Optional[Diagnosis]:
    """The likely cause of an exception the student's code raised, from its message and the inputs."""
    explained = explain_error(fault.message, args)
    return Diagnosis(*explained) if explained else None


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data for the report (arrays as nested lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Fn):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def grade_locally(spec: FunctionSpec, impl: Callable[..., Any], options: Options = Options()) -> FunctionResult:
    """Grade trusted code in this process (the project's tests; never student code)."""
    return grade_function(spec, lambda check, names: LocalFunction(impl, names, check.mutable), options)
