"""Never fail a correct answer: the model answers (and the alternative correct answers) graded
at many seeds with many examples.

    python benchmarks/false_failures.py [--seeds 1 2 3 4 5] [--max-examples 200] [--alternatives]

Prints, per module, the number of generated inputs and the checks that failed (there should be
none), graded in this process with the same engine the sandbox uses.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import catalog  # noqa: E402
from grader.engine import Options, grade_locally  # noqa: E402
from tests.support import load  # noqa: E402


def implementations(module: str, alternatives: bool):
    answers = load("solutions", module)
    for function in catalog.exercise(module).functions:
        yield function, "solution", getattr(answers, function)
    if alternatives:
        try:
            variants = importlib.import_module(f"tests.alternatives.{module}")
        except ModuleNotFoundError:
            return
        for name, impl in list(vars(variants).items()):  # a warning adds __warningregistry__
            function, _, variant = name.rpartition("__")
            if variant and callable(impl) and function in catalog.exercise(module).functions:
                yield function, variant, impl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--alternatives", action="store_true")
    parser.add_argument("--module", action="append")
    arguments = parser.parse_args()
    total_inputs, failures = 0, []
    for exercise in catalog.exercises("core"):
        if arguments.module and exercise.name not in arguments.module:
            continue
        started, inputs = time.perf_counter(), 0
        for function, variant, impl in implementations(exercise.name, arguments.alternatives):
            spec = exercise.functions[function]
            for seed in arguments.seeds:
                result = grade_locally(spec, impl, Options(seed=seed, max_examples=arguments.max_examples))
                inputs += len(spec.checks) * arguments.max_examples
                failures += [(f"{exercise.name}.{function} ({variant}, seed {seed})", c.id, c.message.splitlines()[0])
                             for c in result.checks if c.status != "passed"]
        total_inputs += inputs
        print(f"{exercise.name:15s} {inputs:8d} inputs  {time.perf_counter() - started:6.1f} s", flush=True)
    print(f"{'all':15s} {total_inputs:8d} inputs, {len(failures)} failed checks")
    for where, check, message in failures:
        print(f"  FAILED {where}: {check}: {message}")


if __name__ == "__main__":
    main()
