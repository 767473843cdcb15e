"""What one more submission costs in `grade report`, and how long a class of 100 takes.

    python benchmarks/class_report.py [--students 100] [--jobs 2] [--skip-class]

Builds a synthetic class from solutions/ (each student's copy made distinct by a comment, so
nothing is shared but what the report shares on purpose) and prints:

- a cold `grade run` of one full submission (a fresh process and an empty oracle cache);
- the marginal cost of one more full submission in `grade report --jobs N`: the difference
  between a class of 2 and a class of 6, divided by 4, and its ratio to the cold run
  (target: at most 40 %);
- the seconds a class of `--students` full submissions takes with `--jobs N` (target for 100
  on a 2-core machine: at most 5 minutes).

Every module of the core tier is graded with the default options.  The figures depend on
what else the machine is doing: run it on an idle one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARGINAL = (2, 6)


def grade_command() -> list[str]:
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


def make_class(folder: Path, students: int) -> Path:
    """``students`` full submissions, ``s000`` ..., each module ending in its own comment."""
    folder.mkdir(parents=True)
    for n in range(students):
        student = folder / f"s{n:03d}"
        shutil.copytree(ROOT / "solutions", student, ignore=shutil.ignore_patterns("__pycache__"))
        for module in student.glob("*.py"):
            with module.open("a") as handle:
                handle.write(f"\n# submission {n}\n")
    return folder


def seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def report_seconds(work: Path, students: int, jobs: int, env: dict[str, str]) -> float:
    folder = make_class(work / f"class-{students}", students)
    return seconds([*grade_command(), "report", str(folder), "--jobs", str(jobs), "--out", str(work / f"out-{students}")], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100, help="size of the class to time")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-class", action="store_true", help="only the cold run and the marginal cost")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradelab-class-bench-") as temporary:
        work = Path(temporary)
        env = {**os.environ, "GRADELAB_CACHE_DIR": str(work / "oracle-cache")}  # cold: an empty oracle cache
        one = make_class(work / "one", 1) / "s000"
        cold = seconds([*grade_command(), "run", "--submission", str(one)], env)
        print(f"cold `grade run` of one full submission       {cold:7.1f} s")
        small, large = (report_seconds(work, n, args.jobs, env) for n in MARGINAL)
        marginal = (large - small) / (MARGINAL[1] - MARGINAL[0])
        print(f"report of {MARGINAL[0]} / {MARGINAL[1]} submissions (--jobs {args.jobs})       "
              f"{small:7.1f} s / {large:.1f} s")
        print(f"marginal cost of one more submission          {marginal:7.1f} s   "
              f"{marginal / cold:5.0%} of the cold run (target <= 40%)")
        if not args.skip_class:
            total = report_seconds(work, args.students, args.jobs, env)
            print(f"class of {args.students} full submissions (--jobs {args.jobs})     {total:7.1f} s   "
                  f"{total / args.students:.1f} s each (target for 100: <= 300 s)")


if __name__ == "__main__":
    main()
