"""Mutation testing of the grader, one area at a time (a habit, not part of CI).

    python benchmarks/mutation.py --list                  the areas, their files and tests
    python benchmarks/mutation.py compare engine          some areas (default: every area)
    python benchmarks/mutation.py optimizers --sample 0   every mutant of an area, not a sample
    python benchmarks/mutation.py render --survivors      and name the mutants no test killed

An area is a few files to mutate and the fast tests that judge them.  mutmut runs it in a
snapshot of the working tree under ``build/mutation/<area>/`` (mutmut reads its ``[tool.mutmut]``
table from the current directory, and a snapshot keeps a long run apart from edits made
meanwhile).  For each mutant mutmut runs only the selected tests that reached the mutated
function, so a survivor costs the time of those tests.

The files hold about 13,000 mutants, far more than two cores test in a quarter of an hour, so
by default an area runs a sample: the ``--sample`` mutants whose names hash lowest (the same
sample every time, as long as the code does not change).  Printed per area: its mutants, the
sample's size, how many the tests killed, and the kill rate (killed or timed out, over the
sample; a mutant that no selected test reaches counts as a survivor); over all areas, the kill
rate weighted by each area's number of mutants.  ``--survivors`` lists the others by name: see
one with ``python -m mutmut show NAME`` in the area's folder.

The sandboxed child loads ``grader/codec.py`` (with ``protocol``, ``testfns`` and ``confine``)
by path, and so loads the mutated copy; the child's scrubbed environment does not carry the
mutant's name, so there the original function always runs.  A codec mutant is therefore judged
by what the grader's own side does with it, never by a child that changed under the tests.
The torch tier (``reference/torch_tier.py``, ``grader/specs/torch_tier.py``) is left out: its
checks run and time kernels in the child, and its tests take minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
COPIED = ("grader", "reference", "tests", "solutions", "exercises")
DEFAULT_SAMPLE = 100
MODULES = ("activations", "attention", "backprop", "batchnorm", "conv", "derivatives", "gan", "init",
           "losses", "optimizers", "regularization", "rnn", "schedules")
KILLED = ("killed", "timeout")
#: Where no folder can be made, so grading runs without the oracle cache: a cache shared by the
#: mutants' runs would carry one mutant's values (and its codec's encoding) into the next run.
NO_CACHE = "/dev/null/no-oracle-cache"

#: A few catalogue tests per kind of output: tuples and state (optimizers), several named
#: outputs (backprop), scalars (losses), masks (attention), integers (early stopping), and an
#: input changed in place (dropout).
CATALOGUE_SAMPLE = tuple(
    f"tests/test_catalog.py::{test}[{case}]" for test, case in (
        ("test_solution_scores_full_marks", "optimizers.adam"),
        ("test_solution_scores_full_marks", "backprop.linear_backward"),
        ("test_mistake_is_caught_and_named", "adam.no_bias_correction"),
        ("test_mistake_is_caught_and_named", "linear_backward.dW_transposed"),
        ("test_mistake_is_caught_and_named", "softmax_cross_entropy.no_max_subtraction"),
        ("test_mistake_is_caught_and_named", "scaled_dot_product_attention.mask_ignored"),
        ("test_mistake_is_caught_and_named", "early_stopping.counter_not_reset"),
        ("test_mistake_is_caught_and_named", "dropout.modified_input_in_place"),
        ("test_stub_is_not_implemented", "regularization.dropout"),
    ))
ENGINE_TESTS = ("tests/test_compare.py", "tests/test_engine.py", "tests/test_feedback.py", "tests/test_promises.py",
                "tests/test_mutants_compare.py", "tests/test_mutants_engine.py") + CATALOGUE_SAMPLE


@dataclass(frozen=True)
class Area:
    mutate: tuple[str, ...]   # files to mutate (glob patterns, relative to the project)
    tests: tuple[str, ...]    # the pytest arguments that select the tests judging them


AREAS: dict[str, Area] = {
    "compare": Area(("grader/compare.py",), ENGINE_TESTS),
    "engine": Area(("grader/engine.py",), ENGINE_TESTS),
    "hints": Area(("grader/hints.py",), ENGINE_TESTS + ("tests/test_mutants_hints.py",)),
    "codec": Area(("grader/codec.py",), ("tests/test_compare.py", "tests/test_mutants_codec.py",
                                         "tests/test_feedback.py")),
    "render": Area(("grader/render/*.py",), ("tests/test_promises.py::test_every_format_adds_up_to_the_json_score",
                                             "tests/test_feedback.py", "tests/test_mutants_render.py",
                                             "tests/test_mutants_report.py")),
}


def area(name: str) -> Area:
    """A named area, or a module's oracles, mistakes and spec helpers with that module's tests."""
    if name in AREAS:
        return AREAS[name]
    return Area((f"reference/{name}.py", f"grader/specs/{name}.py"),
                (f"tests/test_reference_{name}.py",) + catalogue_tests(name))


def catalogue_tests(module: str) -> tuple[str, ...]:
    """The catalogue's, the alternatives' and the recorded mistakes' tests of one module, by node id."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from grader import catalog
    from tests.test_alternatives import VARIANTS

    ids = []
    for fn in catalog.exercise(module).functions.values():
        ids += [f"test_catalog.py::test_solution_scores_full_marks[{module}.{fn.name}]",
                f"test_catalog.py::test_stub_is_not_implemented[{module}.{fn.name}]"]
        ids += [f"test_catalog.py::test_mistake_is_caught_and_named[{mistake.id}]" for mistake in fn.mistakes]
    ids += [f"test_alternatives.py::test_alternative_correct_code_scores_full_marks[{m}.{f}__{v}]"
            for m, f, v, _ in VARIANTS if m == module]
    ids += [f"test_mutants_reference.py::test_a_catalogued_mistake_keeps_its_recorded_values[{mistake.id}]"
            for fn in catalog.exercise(module).functions.values() for mistake in fn.mistakes]
    return tuple(f"tests/{i}" for i in ids)


def mutmut_table(tests: tuple[str, ...], mutate: tuple[str, ...]) -> str:
    """The ``[tool.mutmut]`` table for one area (JSON strings are TOML basic strings)."""
    present = [t for t in tests if t.startswith("-") or (ROOT / t.split("::")[0]).exists()]
    settings = {"source_paths": ["grader", "reference"], "only_mutate": list(mutate),
                "also_copy": ["solutions/", "exercises/"], "pytest_add_cli_args_test_selection": present}
    settings["pytest_add_cli_args"] = ["-n", "0"]  # in this process: mutmut sees which functions a test reaches
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    # forkserver: each mutant's tests start in a process that has run no test, so nothing a test
    # memoised (the inputs a check draws) carries the unmutated answer into a mutant's run
    return (f"\n[tool.mutmut]\n{body}process_isolation = \"forkserver\"\nuse_git_change_detection = false\n"
            "use_setproctitle = false\n")


def snapshot(name: str, without: tuple[str, ...] = (), work: Path = WORK) -> Path:
    """A fresh copy of the project's sources and tests, configured for the area ``name``; test
    files matching a pattern of ``without`` are left out (to measure what they add)."""
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", *without)
    for part in COPIED:
        shutil.copytree(ROOT / part, folder / part, ignore=ignore, symlinks=True)
    chosen = area(name)
    tests = tuple(t for t in chosen.tests if not any(fnmatch(Path(t.split("::")[0]).name, p) for p in without))
    (folder / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + mutmut_table(tests, chosen.mutate))
    return folder


#: mutmut's own first step (copy, then write every mutant), without running any test.
GENERATE = ("import os; from mutmut.__main__ import create_mutants; "
            "from mutmut.utils.file_utils import copy_src_dir, copy_also_copy_files; "
            "os.makedirs('mutants', exist_ok=True); copy_src_dir(); copy_also_copy_files(); create_mutants(2)")


def mutmut(folder: Path, *args: str) -> int:
    """Run ``python ARGS`` in ``folder`` (one thread per BLAS), its output kept in ``mutmut.log``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "GRADELAB_CACHE_DIR": NO_CACHE}
    env.pop("PYTHONPATH", None)
    with open(folder / "mutmut.log", "a") as log:
        return subprocess.run([sys.executable, *args], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def log_tail(folder: Path) -> str:
    text = (folder / "mutmut.log").read_text(errors="replace")
    return "\n".join(text.splitlines()[-15:])


def sample(names: list[str], size: int) -> list[str]:
    """The ``size`` names that hash lowest: a stable sample (every name when ``size`` is 0)."""
    ranked = sorted(names, key=lambda name: (zlib.crc32(name.encode()), name))
    return sorted(ranked[:size] if size else ranked)


class AreaFailed(RuntimeError):
    """mutmut could not test an area (most often: a selected test fails without any mutant)."""


def run_area(name: str, size: int, max_children: int, without: tuple[str, ...] = (),
             work: Path = WORK) -> tuple[int, dict[str, str], float]:
    """Run mutmut over a sample of one area: its number of mutants, each sampled mutant's
    status, and the seconds it took."""
    started = time.perf_counter()
    folder = snapshot(name, without, work)
    if mutmut(folder, "-c", GENERATE) != 0:
        raise AreaFailed(f"mutmut could not write the mutants in {folder}:\n{log_tail(folder)}")
    everything = list(read_statuses(folder))
    chosen = set(sample(everything, size))
    code = mutmut(folder, "-m", "mutmut", "run", "--max-children", str(max_children), *sorted(chosen))
    statuses = {k: v for k, v in read_statuses(folder).items() if k in chosen}
    if code != 0 or "not checked" in statuses.values():
        raise AreaFailed(f"mutmut stopped (exit {code}); the end of {folder / 'mutmut.log'}:\n{log_tail(folder)}")
    return len(everything), statuses, time.perf_counter() - started


def read_statuses(folder: Path) -> dict[str, str]:
    """Every mutant's status, from the ``.meta`` files mutmut leaves beside the mutated copies."""
    from mutmut.stats import status_by_exit_code

    statuses = {}
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            statuses[mutant] = status_by_exit_code[code]
    return statuses


def rate(statuses: dict[str, str]) -> float:
    """Killed (a timeout counts as killed) over all, in percent."""
    return 100.0 * sum(s in KILLED for s in statuses.values()) / len(statuses) if statuses else 100.0


def main(argv: list[str] | None = None) -> None:
    names = (*AREAS, *MODULES)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("areas", nargs="*", help=f"areas to run (default: all): {', '.join(names)}")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="mutants per area (0: all of them)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--survivors", action="store_true", help="list every mutant the tests did not kill")
    parser.add_argument("--list", action="store_true", help="print each area's files and tests, and stop")
    parser.add_argument("--work", type=Path, default=WORK, help=f"where the areas' folders go (default {WORK})")
    parser.add_argument("--without", action="append", default=[], metavar="GLOB",
                        help="leave out test files whose name matches (e.g. 'test_mutants_*'), to see what they add")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.areas) - set(names))
    if unknown:
        parser.error(f"unknown area {', '.join(unknown)}; choose from {', '.join(names)}")
    if args.list:
        for name in args.areas or names:
            print(f"{name}: mutates {' '.join(area(name).mutate)}\n    tests {' '.join(area(name).tests)}")
        return
    weighted, everything = 0.0, 0
    for name in args.areas or names:
        try:
            total, statuses, seconds = run_area(name, args.sample, args.max_children, tuple(args.without), args.work)
        except AreaFailed as exc:
            print(f"{name:15} not measured: {exc}", flush=True)
            continue
        killed = sum(s in KILLED for s in statuses.values())
        print(f"{name:15} {total:5} mutants  sample {len(statuses):4}  killed {killed:4}  {rate(statuses):5.1f}%"
              f"  ({seconds / 60:.1f} min)", flush=True)
        if args.survivors:
            for mutant, status in sorted(statuses.items()):
                if status not in KILLED:
                    print(f"    {status:10} {mutant}", flush=True)
        weighted += rate(statuses) * total
        everything += total
    if everything:
        print(f"{'all':15} {everything:5} mutants  kill rate {weighted / everything:5.1f}% (areas weighted by size)")


if __name__ == "__main__":
    main()
