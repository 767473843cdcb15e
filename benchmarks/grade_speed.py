"""How fast grading is, as ratios to a floor measured in the same run.

    python benchmarks/grade_speed.py [--repeats 5]

The floor is `python -c "import numpy, torch"`: what any grader that computes its oracle values
with PyTorch pays before it checks anything.  Printed, with their targets:

- one function, cold (``--no-cache``): at most 1.5x the floor;
- one function with a warm oracle cache: at most 0.6x the floor (torch is never imported);
- all NumPy modules on the model answers, cold and warm: at most 5x the floor;
- the stubs (every function a to-do);
- watch mode: from a saved file to the updated result for one function, at most 0.3 s;
- a sandboxed child's start (fork, confinement, import of the module) with and without
  Landlock: the confinement may add at most 20 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def grade_command() -> list[str]:
    """The installed `grade` script beside this interpreter (not a shell shim), else `-m`."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader.cli"]


def scenarios(cache: str) -> dict[str, tuple[list[str], dict]]:
    grade = grade_command()
    warm = {"GRADELAB_CACHE_DIR": cache}
    return {
        "floor (import numpy, torch)": ([sys.executable, "-c", "import numpy, torch"], {}),
        "one function, cold (optimizers.adam)": ([*grade, "run", "optimizers.adam", "--submission", "solutions", "--no-cache"], {}),
        "one function, warm cache": ([*grade, "run", "optimizers.adam", "--submission", "solutions"], warm),
        "all modules (solutions), cold": ([*grade, "run", "--submission", "solutions", "--no-cache"], {}),
        "all modules (solutions), warm cache": ([*grade, "run", "--submission", "solutions"], warm),
        "all modules (stubs)": ([*grade, "run", "--submission", "exercises"], warm),
    }


def seconds(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, **env})
    return time.perf_counter() - start


def watch_latency(repeats: int) -> float:
    """Median seconds from saving optimizers.py to the re-graded result of one function."""
    from grader.engine import Options
    from grader.grading import Session
    from grader.render import RENDERERS
    from grader.submission import open_submission
    from grader.watch import watch

    folder = Path(tempfile.mkdtemp(prefix="gradelab-bench-"))
    source = (ROOT / "solutions" / "optimizers.py").read_text()
    path = folder / "optimizers.py"
    path.write_text(source)
    latencies, saved = [], []

    def saves():
        for i in range(repeats + 1):
            path.write_text(source + f"\n# edit {i}\n")
            saved.append(time.perf_counter())
            yield {("modified", str(path))}

    def shown(_text):
        if saved:
            latencies.append(time.perf_counter() - saved[-1])

    session = Session(open_submission(folder))
    try:
        watch(session, ("optimizers.adam",), "core", Options(), lambda r: RENDERERS["text"](r), shown, saves())
    finally:
        session.close()
        shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(latencies[1:])


def child_start(landlock: bool, repeats: int = 40) -> float:
    """Median seconds to fork a confined child and import one module in it."""
    os.environ["GRADELAB_NO_LANDLOCK"] = "" if landlock else "1"
    from grader.sandbox import Sandbox

    box = Sandbox({"gan": ROOT / "solutions" / "gan.py"})
    try:
        box.open("gan")
        times = []
        for _ in range(repeats):
            box.child.used = True  # ask for a fresh child each time
            start = time.perf_counter()
            box.open("gan")
            times.append(time.perf_counter() - start)
        return statistics.median(times), box.isolation
    finally:
        box.close()
        os.environ.pop("GRADELAB_NO_LANDLOCK", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    cache = tempfile.mkdtemp(prefix="gradelab-bench-cache-")
    runs = scenarios(cache)
    for command, env in runs.values():  # warm the file cache and the oracle cache
        seconds(command, env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):  # round robin, so drift in the machine's load hits every scenario alike
        for name, (command, env) in runs.items():
            times[name].append(seconds(command, env))
    floor = statistics.median(times["floor (import numpy, torch)"])
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"{name:40s} {median:7.2f} s   {median / floor:5.2f}x floor   (min {min(measured):.2f} s)")
    print(f"{'watch: save to updated result':40s} {watch_latency(repeats * 2):7.3f} s")
    confined, isolation = child_start(landlock=True)
    plain, _ = child_start(landlock=False)
    print(f"{'child start, ' + isolation:40s} {confined * 1000:7.1f} ms")
    print(f"{'child start, seccomp only':40s} {plain * 1000:7.1f} ms   (Landlock adds {1000 * (confined - plain):+.1f} ms)")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
