"""How much the torch tier's speed ratios move between runs of the same grading.

    python benchmarks/perf_tier_noise.py [--runs 5] [--seed 0]

Grades ``solutions/torch_tier.py`` through the real path (sandbox, zygote, confined child, the
timing harness) ``--runs`` times with the speed points counted (``--cpu-perf``), reads the ratio
``t_reference / t_student`` each run measured for each function, and prints, per function, the
ratios and their coefficient of variation (standard deviation over mean).  Targets: at most 10 %
on a CPU shared with other work, at most 2 % on a GPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"cpu": 0.10, "cuda": 0.02}


def measure(runs: int, seed: int) -> tuple[dict[str, list[float]], str, float]:
    """The ratio of every function in every run, the device and the seconds per run."""
    from grader.engine import Options
    from grader.grading import grade
    from grader.specs.torch_tier import ratio_in

    ratios: dict[str, list[float]] = {}
    device, started = "cpu", time.perf_counter()
    for _ in range(runs):
        result = grade(str(ROOT / "solutions"), ("torch_tier",), options=Options(seed=seed, cpu_perf=True), jobs=1,
                       cache=False)
        device = result.environment.get("device", "cpu")
        for _, function in result.functions():
            ratio = ratio_in(function.checks[-1].message)
            ratios.setdefault(function.name, []).append(ratio if ratio is not None else float("nan"))
    return ratios, device, (time.perf_counter() - started) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ratios, device, seconds = measure(args.runs, args.seed)
    target = TARGETS.get(device, TARGETS["cpu"])
    print(f"torch tier, solutions/ graded {args.runs} times on {device} ({seconds:.1f} s a run); "
          f"target: coefficient of variation <= {target:.0%}")
    print(f"{'function':<16} {'mean ratio':>10} {'cv':>7}  verdict  ratios")
    for name, values in ratios.items():
        mean = statistics.fmean(values)
        cv = statistics.stdev(values) / mean if len(values) > 1 and mean > 0 else float("nan")
        verdict = "ok" if cv <= target else "NOISY"
        print(f"{name:<16} {mean:>10.3f} {cv:>7.1%}  {verdict:<7}  " + ", ".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
