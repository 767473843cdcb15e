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


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    for command in SCENARIOS.values():  # warm the file cache
        seconds(command)
    times: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    for _ in range(repeats):  # round robin, so drift in the machine's load hits every scenario alike
        for name, command in SCENARIOS.items():
            times[name].append(seconds(command))
    floor = statistics.median(times["floor (import numpy, torch)"])
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"{name:34s} {median:7.2f} s   {median / floor:5.2f}x floor   (min {min(measured):.2f} s)")


if __name__ == "__main__":
    main()
