"""How much a failure report helps when the mistake has no name in the catalogue.

    python benchmarks/feedback_quality.py [--max-examples 25] [--module optimizers ...]

Every catalogued mistake is graded with its own entry removed from its function's catalogue, as
if a student had written a bug nobody had seen before.  Printed: how many of those reports still
point at the cause -- which outputs matched, a clean factor or offset, a shifted trajectory, a
NaN/inf hint, a shape hint, or another catalogued mistake that earned its name -- and the median
length of a report (the text report's lines for that function's problem).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import catalog  # noqa: E402
from grader.engine import Options, grade_locally  # noqa: E402
from grader.render import RENDERERS  # noqa: E402
from grader.results import ExerciseResult, GradeResult  # noqa: E402

CUES = {
    "matched outputs": "what agrees:",
    "factor or offset": ("constant factor", "opposite sign", "off by the same amount", "times sqrt("),
    "optimizer step": "times the expected step",
    "shifted": ("ahead (", "behind ("),
    "NaN/inf hint": ("NaN usually comes", "inf usually comes"),
    "shape hint": ("transpose", "same number of elements", "kept axis", "expected ndarray of shape"),
    "input changed in place": "in place",
    "seeding named": "default_rng(seed)",
    "zeros": "all zeros",
    "per-feature pattern": "a per-feature",
    "zero where negative": "0 exactly where the expected ones are negative",
}


def cues(text: str) -> list[str]:
    found = []
    for name, needles in CUES.items():
        needles = (needles,) if isinstance(needles, str) else needles
        if any(needle in text for needle in needles):
            found.append(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--module", action="append", default=None)
    arguments = parser.parse_args()
    options = Options(max_examples=arguments.max_examples)
    pointed, lengths, kinds, total = 0, [], Counter(), 0
    for exercise in catalog.exercises():
        if exercise.tier != "core" or (arguments.module and exercise.name not in arguments.module):
            continue
        for function in exercise.functions.values():
            for mistake in function.mistakes:
                unnamed = replace(function, mistakes=[m for m in function.mistakes if m is not mistake])
                result = grade_locally(unnamed, mistake.impl, options)
                if result.status == "passed":
                    continue
                total += 1
                report = GradeResult("benchmark", 0, 0.0, {}, [ExerciseResult(exercise.name, [result])])
                text = RENDERERS["text"](report, width=100)
                problem = text.split("Problems", 1)[-1].split("Score:", 1)[0].strip().splitlines()
                lengths.append(len(problem))
                found = cues(text)
                named = any(c.diagnosis and not c.diagnosis.id.startswith(("consistent_with:", "error."))
                            for c in result.checks)
                if named:
                    found.append("another mistake's name")
                kinds.update(found)
                pointed += bool(found)
    print(f"unnamed mistakes graded            {total}")
    print(f"reports that point at the cause    {pointed} ({pointed / max(total, 1):.0%})")
    for kind, count in kinds.most_common():
        print(f"  {kind:32s} {count}")
    print(f"median report length               {statistics.median(lengths) if lengths else 0:.0f} lines")


if __name__ == "__main__":
    main()
