"""Median wall time of grading, as a ratio to the floor of importing numpy and torch.

    python benchmarks/grade_speed.py [--repeats 5]

Prints one line per scenario: median seconds, and the ratio to the floor
(`python -c "import numpy, torch"`).  Targets: one function <= 1.5x, the six modules <= 4x.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def grade_command() -> list[str]:
    """The installed `grade` script beside this interpreter (not a shell shim), else `-m`."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


SCENARIOS = {
    "floor (import numpy, torch)": [sys.executable, "-c", "import numpy, torch"],
    "one function (optimizers.adam)": [*grade_command(), "run", "optimizers.adam", "--submission", "solutions"],
    "six modules (solutions)": [*grade_command(), "run", "--submission", "solutions"],
    "six modules (stubs)": [*grade_command(), "run"],
}


def median_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    median_seconds(SCENARIOS["floor (import numpy, torch)"], 1)  # warm the file cache
    floor = None
    for name, command in SCENARIOS.items():
        seconds = median_seconds(command, repeats)
        floor = floor or seconds
        print(f"{name:34s} {seconds:7.2f} s   {seconds / floor:5.2f}x floor")


if __name__ == "__main__":
    main()
