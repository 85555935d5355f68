import pytest

bench = pytest.importorskip("experiments.bench_kernel")


def test_cost_interpolates_between_measured_points_and_scales_outside():
    points = [(100, 1.0), (300, 5.0)]
    assert bench.cost_at(points, 200) == 3.0
    assert bench.cost_at(points, 50) == 0.5
    assert bench.cost_at(points, 600) == 10.0


def test_interleaved_runs_every_method_each_round():
    calls = []
    medians = bench.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=3)
    assert calls == ["a", "b"] * 3
    assert set(medians) == {"a", "b"}


def test_imdb_ledger_counts_finished_chunks(tmp_path):
    import numpy as np

    from experiments.imdb_full import chunk_status
    from npc.cache import ChunkCache

    job = {"kind": "nearest", "compressor": "npc.compressors.ZstdCompressor", "level": 3,
           "n_queries": 250, "chunk_rows": 100}
    cache = ChunkCache(tmp_path, job)
    cache.save(0, {"distances": np.zeros((100, 10)), "indices": np.zeros((100, 10), dtype=np.int64)})
    assert chunk_status(tmp_path) == {"zstd-3": (1, 3)}
