"""The results tree every output format renders: Submission -> Exercise -> Function -> Check.

Plain dataclasses with ``to_dict`` in the shape of the result document (INTERFACE.md), so the
JSON renderer is a one-liner and every other renderer reads the same fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

#: Function statuses, from the contract.
PASSED, FAILED, NOT_IMPLEMENTED, MISSING, ERROR, TIMEOUT, VIOLATION = (
    "passed", "failed", "not_implemented", "missing", "error", "timeout", "violation")
SKIPPED = "skipped"  # a check that was not run


@dataclass
class Diagnosis:
    id: str
    message: str


@dataclass
class CheckResult:
    id: str
    status: str
    points: float
    max_points: float
    message: str = ""
    counterexample: Optional[Any] = None
    diagnosis: Optional[Diagnosis] = None
    hidden: bool = False  # set by the course file: the message never shows the expected value


@dataclass
class FunctionResult:
    name: str
    status: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def first_problem(self) -> Optional[CheckResult]:
        return next((c for c in self.checks if c.status != PASSED), None)


@dataclass
class ExerciseResult:
    name: str
    functions: list[FunctionResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.functions), 6)

    @property
    def max_score(self) -> float:
        return round(sum(f.max_score for f in self.functions), 6)


@dataclass
class GradeResult:
    submission: str
    seed: int
    duration_s: float
    environment: dict[str, str]
    exercises: list[ExerciseResult] = field(default_factory=list)
    version: int = 1
    notes: list[str] = field(default_factory=list)  # how the submission was read (e.g. a notebook's cells)

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def functions(self):
        for exercise in self.exercises:
            for function in exercise.functions:
                yield exercise, function

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "seed": self.seed,
            "duration_s": round(self.duration_s, 3),
            "environment": dict(self.environment),
            "exercises": [
                {"name": e.name, "score": e.score, "max_score": e.max_score,
                 "functions": [
                     {"name": f.name, "status": f.status, "score": f.score,
                      "max_score": f.max_score, "checks": [_check_dict(c) for c in f.checks]}
                     for f in e.functions]}
                for e in self.exercises],
            **({"notes": list(self.notes)} if self.notes else {}),  # only a submission with notes
        }


def _check_dict(check: CheckResult) -> dict[str, Any]:
    out = asdict(check)
    out["diagnosis"] = asdict(check.diagnosis) if check.diagnosis else None
    if out.pop("hidden"):
        out["hidden"] = True  # only a hidden check carries the key (INTERFACE.md)
    return out
