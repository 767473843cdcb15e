"""gradelab's grader: property-based checks of student code against trusted oracles.

The public API is small: :func:`grade` a submission with :class:`Options`, and read the
:class:`GradeResult` tree (or render it with :data:`RENDERERS`).  Student code only ever runs
in the sandboxed child process (:mod:`grader.sandbox`).
"""

from grader.engine import Options
from grader.grading import grade
from grader.render import RENDERERS
from grader.results import CheckResult, Diagnosis, ExerciseResult, FunctionResult, GradeResult

__all__ = ["grade", "Options", "RENDERERS", "GradeResult", "ExerciseResult", "FunctionResult",
           "CheckResult", "Diagnosis"]
