"""The vocabulary a module's checks are written in.

A *check* draws keyword arguments with a hypothesis strategy, runs the exercise function on
them three ways -- the student's code (through the sandbox), the trusted oracle, and every
catalogued mistake -- and compares the outputs with a tolerance justified in the check itself.
The same ``run`` recipe drives all three, so whatever the check does with the student's
function (one call, an optimizer trajectory, a second call with another seed) it does
identically with the oracle and with each mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from hypothesis import strategies as st

from grader.calls import StudentFault
from grader.compare import Tolerance, compare, describe


@dataclass(frozen=True)
class Mistake:
    """A wrong implementation students really write, and the words that name it.

    ``impl`` has the exercise function's signature; when a student's output matches the
    output of ``impl`` on a failing input, the feedback names the mistake.
    """

    id: str
    message: str
    impl: Callable[..., Any]


def single_call(recipe: Callable[[Callable[..., Any], dict], Any]) -> Callable[[Callable[..., Any], dict], Any]:
    """Mark a recipe whose first (and only) call is ``fn(**args)`` with the drawn arguments: the
    engine may then make that call for many inputs in one go before running the recipe."""
    recipe.single_call = True
    return recipe


@single_call
def call_once(fn: Callable[..., Any], args: dict) -> Any:
    """The default recipe: call the function once with the drawn keyword arguments."""
    return fn(**args)


def each(fn: Callable[..., Any], calls: list[tuple[tuple, dict]]) -> list[Any]:
    """``[fn(*args, **kwargs) for args, kwargs in calls]``, in one go where ``fn`` can take several
    calls at once (the sandbox's can); the first fault is raised, as the loop would raise it."""
    if not hasattr(fn, "many"):
        return [fn(*args, **kwargs) for args, kwargs in calls]
    outcomes = fn.many(list(calls))
    for outcome in outcomes:
        if isinstance(outcome, StudentFault):
            raise outcome
    return outcomes


def part(function: str, index: int, name: str, count: int) -> Callable[[Callable[..., Any], dict], Any]:
    """A recipe that grades element ``index`` (labelled ``name``) of the ``count`` values that
    ``function`` returns, so each gradient of a backward pass earns its own points."""
    @single_call
    def run(fn: Callable[..., Any], args: dict) -> Any:
        out = fn(**args)
        if not isinstance(out, (tuple, list)) or len(out) != count:
            raise StudentFault("failed", f"{function} must return a tuple of {count} values; "
                                         f"it returned {describe(out)}")
        return {name: out[index]}
    return run


@dataclass(frozen=True)
class Check:
    """One property of one function, worth ``points``.

    - ``inputs``: a strategy that draws a dict of keyword arguments (plain data: arrays,
      numbers, lists, dicts, :class:`grader.testfns.Fn` descriptions of callables).
    - ``oracle``: the trusted implementation with the exercise function's signature.
    - ``run(fn, args)``: calls ``fn`` (student, oracle or mistake) and returns what is graded.
      When it returns a dict, its keys label the outputs in messages ("w after step 2").
    - ``tol``: how close the student's output must be, with the reason for the numbers.
    - ``outputs``: names for the elements of a returned tuple, e.g. ``("dx", "dW", "db")``.
    - ``mutable``: argument names the function may legitimately change in place.
    - ``keep``: positions of the returned tuple that stay where the function runs (the
      student's own optimizer state): the recipe gets a reference to hand back, so any state
      the student chooses works, and only what the check compares ever crosses.
    - ``hints``: whether a failure gets plain-words hints (what matched, a factor, a shift);
      by default only when ``verify`` does not replace the comparison.
    - ``verify(got, want, args)``: replaces the default comparison; returns a message on
      failure, ``None`` on success.  Use it for properties that are not "equals the oracle".
      Naming a mistake always uses the default comparison (the student's output against the
      mistake's output, with ``tol``), whatever ``verify`` does.
    """

    module: str
    function: str
    name: str
    points: float
    description: str
    inputs: st.SearchStrategy
    oracle: Callable[..., Any]
    tol: Tolerance
    run: Callable[[Callable[..., Any], dict], Any] = call_once
    outputs: tuple[str, ...] = ()
    mutable: tuple[str, ...] = ()
    keep: tuple[int, ...] = ()
    hints: Optional[bool] = None
    verify: Optional[Callable[[Any, Any, dict], Optional[str]]] = None

    @property
    def id(self) -> str:
        return f"{self.module}.{self.function}.{self.name}"

    @property
    def hinted(self) -> bool:
        """Are plain-words hints (:mod:`grader.hints`) meaningful here?  By default, when the
        outputs are compared with the oracle's (no ``verify``)."""
        return self.verify is None if self.hints is None else self.hints

    def judge(self, got: Any, want: Any, args: dict) -> Optional[str]:
        """Why ``got`` is wrong, or ``None`` when it is acceptable."""
        if self.verify is not None:
            return self.verify(got, want, args)
        return compare(got, want, self.tol, self.outputs)


@dataclass
class FunctionSpec:
    """Everything graded about one exercise function.

    ``grader``, when set, grades the function instead of the hypothesis search:
    ``grader(spec, student_for, options) -> FunctionResult`` (the torch tier, which checks and
    times fixed cases in the child; its ``checks`` then describe what it scores).
    """

    module: str
    name: str
    checks: list[Check] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
    grader: Optional[Callable[..., Any]] = None

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))


@dataclass
class ExerciseSpec:
    """One curriculum module: its functions in contract order."""

    name: str
    title: str
    tier: str = "core"
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    allowed_imports: tuple[str, ...] = ()

    @property
    def max_score(self) -> float:
        return float(sum(f.max_score for f in self.functions.values()))


class ModuleSpec:
    """Builder used by ``grader/specs/<module>.py``: one short block per function.

    >>> spec = ModuleSpec("optimizers", "Optimizers", reference=ref)
    >>> spec.check("sgd", "matches_torch", points=1, inputs=..., oracle=ref.sgd, tol=...)
    >>> spec.mistakes("sgd", gradient_ascent="You added the gradient ...")

    ``mistakes`` names each mistake ``<function>.<name>`` and takes its implementation from the
    reference module's ``<function>__<name>``.
    """

    def __init__(self, name: str, title: str, reference: Any = None, tier: str = "core",
                 allowed_imports: tuple[str, ...] = ()):
        self.exercise = ExerciseSpec(name, title, tier, allowed_imports=allowed_imports)
        self.reference = reference

    def function(self, name: str) -> FunctionSpec:
        return self.exercise.functions.setdefault(name, FunctionSpec(self.exercise.name, name))

    def check(self, function: str, name: str, *, points: float, description: str,
              inputs: st.SearchStrategy, oracle: Callable[..., Any], tol: Tolerance,
              **options: Any) -> Check:
        made = Check(self.exercise.name, function, name, float(points), description, inputs,
                     oracle, tol, **options)
        self.function(function).checks.append(made)
        return made

    def mistake(self, function: str, id: str, message: str, impl: Callable[..., Any]) -> Mistake:
        made = Mistake(id, message, impl)
        self.function(function).mistakes.append(made)
        return made

    def mistakes(self, function: str, **messages: str) -> None:
        """Catalogue ``reference.<function>__<name>`` as mistake ``<function>.<name>``, in order."""
        for name, message in messages.items():
            self.mistake(function, f"{function}.{name}", message, getattr(self.reference, f"{function}__{name}"))
