"""The persistent oracle cache: identical results, no torch when warm, never trusts a bad entry."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from grader.cache import OracleCache
from grader.engine import Options
from grader.grading import grade
from tests.support import ROOT

SELECTION = ("optimizers.adam", "batchnorm.layernorm_forward", "losses.mse")


def document(path, seed, cache=True, **kwargs):
    result = grade(str(path), SELECTION, options=Options(seed=seed, max_examples=5), jobs=1, cache=cache, **kwargs)
    data = result.to_dict()
    data.pop("duration_s")
    return json.dumps(data, sort_keys=True)


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRADELAB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def wrong(tmp_path_factory):
    """Model answers with one wrong function, so shrinking asks the oracle for new inputs."""
    folder = tmp_path_factory.mktemp("wrong")
    for module in ("optimizers", "batchnorm", "losses"):
        (folder / f"{module}.py").write_text((ROOT / "solutions" / f"{module}.py").read_text())
    text = (folder / "losses.py").read_text()
    (folder / "losses.py").write_text(text + "\n\ndef mse(y_true, y_pred):\n    return float(((y_true - y_pred) ** 2).sum())\n")
    return folder


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_cached_and_uncached_runs_give_identical_documents(cache_dir, wrong, seed):
    uncached = document(wrong, seed, cache=False)
    assert not cache_dir.exists()  # --no-cache reads and writes nothing
    cold = document(wrong, seed)
    warm = document(wrong, seed)
    assert uncached == cold == warm
    cache = OracleCache()
    assert cache.path.parent == cache_dir and cache_dir.joinpath("oracles.sqlite3").is_file()


def test_a_warm_run_does_not_import_torch(cache_dir):
    code = ("import sys, grader; r = grader.grade('solutions', ('optimizers.adam', 'losses.mse'), jobs=1); "
            "print(r.score == r.max_score, 'torch' in sys.modules)")
    run = lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                 env={**os.environ, "GRADELAB_CACHE_DIR": str(cache_dir)}, timeout=300).stdout.split()
    assert run() == ["True", "True"]    # cold: the oracles need torch
    assert run() == ["True", "False"]   # warm: every oracle value comes from the cache


def _entries(cache_dir):
    return sqlite3.connect(cache_dir / "oracles.sqlite3")


def test_a_corrupt_or_foreign_entry_is_recomputed_never_trusted(cache_dir, wrong):
    expected = document(wrong, 0)
    db = _entries(cache_dir)
    keys = [k for (k,) in db.execute("SELECT key FROM oracle")]
    assert keys
    # a tampered value (checksum no longer matches), and a foreign one with a matching checksum of other data
    db.execute("UPDATE oracle SET value = ? WHERE key = ?", (b'{"__nd__":"<f8","shape":[1],"data":"AAAAAAAA8D8="}', keys[0]))
    db.execute("UPDATE oracle SET value = ?, checksum = ? WHERE key = ?", (b"[1, 2", "0" * 64, keys[1]))
    db.commit()
    db.close()
    assert document(wrong, 0) == expected
    db = _entries(cache_dir)
    checksums = dict(db.execute("SELECT key, checksum FROM oracle"))
    assert checksums[keys[1]] != "0" * 64  # recomputed and stored again


def test_a_cache_file_that_is_not_a_database_is_replaced(cache_dir, wrong):
    cache_dir.mkdir(parents=True)
    (cache_dir / "oracles.sqlite3").write_bytes(b"this is not SQLite" * 100)
    expected = document(wrong, 1, cache=False)
    assert document(wrong, 1) == expected
    assert document(wrong, 1) == expected


def test_concurrent_runs_share_the_cache_without_corrupting_it(cache_dir, wrong):
    expected = document(wrong, 2, cache=False)
    code = ("import json, sys, grader; from grader.engine import Options; "
            f"r = grader.grade({str(wrong)!r}, {SELECTION!r}, options=Options(seed=2, max_examples=5), jobs=1); "
            "d = r.to_dict(); d.pop('duration_s'); print(json.dumps(d, sort_keys=True))")
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "GRADELAB_CACHE_DIR": str(cache_dir)}) for _ in range(3)]
    assert [run.communicate(timeout=300)[0].strip() for run in runs] == [expected] * 3
    assert _entries(cache_dir).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_cache_stays_within_its_size_bound(tmp_path):
    cache = OracleCache(tmp_path / "c.sqlite3", max_bytes=20_000)
    for i in range(400):
        cache.get_or_compute("check", {"i": i}, lambda: list(range(100)))
    cache.trim()
    total = cache._connect().execute("SELECT SUM(LENGTH(value)) FROM oracle").fetchone()[0]
    assert total <= 20_000 * 1.5
    assert cache.get_or_compute("check", {"i": 399}, lambda: "recomputed") == list(range(100))  # newest kept


def test_grade_cache_clear_empties_it(cache_dir, wrong):
    document(wrong, 0)
    done = subprocess.run([sys.executable, "-m", "grader.cli", "cache", "clear"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "GRADELAB_CACHE_DIR": str(cache_dir)}, timeout=120)
    assert done.returncode == 0 and "removed" in done.stdout
    assert _entries(cache_dir).execute("SELECT COUNT(*) FROM oracle").fetchone() == (0,)


def test_replaying_the_drawn_inputs_gives_what_the_search_alone_gives(wrong, monkeypatch):
    """A check replays the inputs its search would draw (the same for every student) before it
    searches; results (passing, failing, shrunk counterexamples, names) must not change."""
    from grader import engine

    replayed = [document(folder, 5, cache=False) for folder in (wrong, ROOT / "exercises")]
    monkeypatch.setattr(engine, "drawn_inputs", lambda check, options, cache=None: None)  # search only
    assert [document(folder, 5, cache=False) for folder in (wrong, ROOT / "exercises")] == replayed


def test_the_memory_cache_keys_each_drawn_input_once_and_by_content(monkeypatch):
    """A report worker asks about the same drawn arguments for every student: their key is
    computed once per object, while equal arguments in another object still find the value and
    another check's question about the same object does not."""
    import numpy as np

    from grader.cache import MemoryCache

    computed = []
    real_key = OracleCache.key
    monkeypatch.setattr(OracleCache, "key", staticmethod(lambda c, a: computed.append(c) or real_key(c, a)))
    memo, args = MemoryCache(), {"x": np.arange(3.0)}
    assert memo.get_or_compute("m.f.a", args, lambda: 1.0) == 1.0
    assert memo.get_or_compute("m.f.a", args, lambda: 2.0) == 1.0
    assert computed == ["m.f.a"]
    assert memo.get_or_compute("m.f.a", {"x": np.arange(3.0)}, lambda: 3.0) == 1.0  # same content
    assert memo.get_or_compute("m.f.b", args, lambda: 4.0) == 4.0                   # another check
    assert memo.get_or_compute("m.f.a", {"x": np.arange(4.0)}, lambda: 5.0) == 5.0  # other content
