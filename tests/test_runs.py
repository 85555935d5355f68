"""The experiments' runner and table driver without real data: samplers, cache folder,
summary lines, skipped tables, headers."""

import ast
from pathlib import Path

import numpy as np
import pytest

from experiments import plan, report, runs, tables
from experiments.runs import RunSpec
from npc.cache import ChunkCache, user_cache_dir
from npc.datasets import DatasetNotFoundError, load_dataset, per_class_rows


def test_per_class_rows_keeps_every_item_of_a_smaller_class():
    labels = np.array([1, 0, 1, 1, 2, 1, 0, 1])
    rows = per_class_rows(labels, 3, seed=0)
    assert np.bincount(labels[rows]).tolist() == [2, 3, 1]
    assert rows.tolist() == sorted(rows.tolist())
    assert rows.tolist() == per_class_rows(labels, 3, seed=0).tolist()


def test_load_dataset_draws_shots_with_the_same_rule():
    full = load_dataset("imdb-sample", "test")
    assert load_dataset("imdb-sample", "test", n_per_class=7, seed=1).rows.tolist() == \
        per_class_rows(full.labels, 7, seed=1).tolist()


@pytest.mark.parametrize("value", [None, ""])
def test_user_cache_dir_defaults_when_unset_or_empty(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("NPC_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("NPC_CACHE_DIR", value)
    assert user_cache_dir() == Path.home() / ".cache" / "npc"


def test_user_cache_dir_follows_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path))
    assert user_cache_dir() == tmp_path
    assert runs.kernel_cache_dir() == tmp_path / "kernel"


def test_runs_summary_names_the_runs_not_run(monkeypatch, capsys):
    spec = RunSpec("no_such_set_anywhere")
    monkeypatch.setitem(plan.PLANS, "missing", lambda: [spec])
    assert runs.main(["--plan", "missing"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "0 of 1 runs done; 1 not run, their data not available here: no_such_set_anywhere__gzip-9"


def test_tables_skip_a_table_whose_data_are_missing(monkeypatch, capsys):
    def missing(command):
        raise DatasetNotFoundError("Unknown data set 'nothing': looked in NPC_DATA_DIR")

    def written(command):
        return {"wall_seconds": 0.0}

    monkeypatch.setattr(tables, "TABLES", {"a": written, "b": missing})
    monkeypatch.setattr(tables, "has_split", lambda *args: True)
    monkeypatch.setattr(tables, "write_index", lambda: None)
    monkeypatch.setattr(tables, "write_ledger", lambda plans: None)
    assert tables.main([]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "1 of 2 tables regenerated; skipped for want of data: b: Unknown data set 'nothing'"


def test_only_the_header_line_depends_on_commit_machine_and_time(monkeypatch, tmp_path):
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path)
    texts = []
    for commit, cores in (("a" * 40, 2), ("b" * 40, 64)):
        monkeypatch.setattr(report, "git_commit", lambda commit=commit: commit)
        monkeypatch.setattr(report, "machine", lambda cores=cores: {"cpu": "x", "cores": cores, "memory_gib": 1.0,
                                                                    "os": "os", "python": "3"})
        report.write_table("t", "T", [("", ["k"], [["0.5"]])], ["note"], {"k": 0.5}, command="c",
                           started=0.0, subsampled=[])
        texts.append((tmp_path / "t.md").read_text().splitlines())
    differing = [i for i, (a, b) in enumerate(zip(*texts)) if a != b]
    assert len(texts[0]) == len(texts[1]) and differing == [3]
    assert texts[0][3].startswith("Command: `c` · commit `aaaa")


def test_ledger_counts_cached_chunks_of_a_job(tmp_path):
    job = {"queries": "q", "references": "r", "level": 3, "compressor": "npc.compressors.ZstdCompressor",
           "n_queries": 250, "chunk_rows": 100}
    cache = ChunkCache(tmp_path, job)
    cache.save(0, {"distances": np.zeros((100, 10)), "indices": np.zeros((100, 10), dtype=np.int64)})
    assert report._cached_chunks(tmp_path) == {("q", "r", 3, "npc.compressors.ZstdCompressor"): 1}


def test_the_plan_is_the_same_without_any_data(monkeypatch, tmp_path):
    names = [spec.name for make_specs in plan.PLANS.values() for spec in make_specs()]
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    runs.load_split.cache_clear()
    assert [spec.name for make_specs in plan.PLANS.values() for spec in make_specs()] == names
    assert "ag_news__gzip-9__test-rest__shots5-seed0__test3800" in names


def test_the_plan_imports_neither_the_runner_nor_npc():
    tree = ast.parse(Path(plan.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "dataclasses", "pathlib"}


def test_a_run_files_bytes_depend_only_on_its_content(tmp_path):
    arrays = {"test_index": np.arange(3), "distances": np.linspace(0, 1, 6).reshape(3, 2)}
    config = {"b": 1, "a": "x"}
    first = runs.write_run(tmp_path / "first.npz", arrays, config).read_bytes()
    again = runs.write_run(tmp_path / "again.npz", dict(reversed(arrays.items())), dict(reversed(config.items())))
    assert again.read_bytes() == first
    run = runs.load_run(again)
    assert run["config"] == config and np.array_equal(run["distances"], arrays["distances"])
    runs.rewrite(again)
    assert again.read_bytes() == first
