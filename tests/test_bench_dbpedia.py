"""experiments/bench_dbpedia.py: the windows a job is assembled from, and the projection's arithmetic."""

import numpy as np
import pytest

from experiments.bench_dbpedia import LENGTHS, project, windows


def test_windows_are_pieces_of_their_sources_of_the_drawn_lengths():
    sources = ["a" * 50, "".join(chr(ord("b") + i % 20) for i in range(2000))]
    found = windows(sources, 400, np.random.default_rng(0))
    assert len(found) == 400
    for text in found:
        assert text == sources[0] or (text in sources[1] and LENGTHS[0] <= len(text) <= LENGTHS[1])
    # A source is drawn with probability proportional to its length: 50 / 2050 of the time.
    assert 2 <= sum(text == sources[0] for text in found) <= 25


def test_projection():
    measured = {"queries": 10_000, "predict_queries_1": 2_000, "predict_seconds_1": 4.0, "predict_seconds_2": 11.0,
                "fit_seconds": 30.0, "model_bytes": 50_000_000}
    found = project(measured, workers=10, bandwidth_mb=100.0, chunk_rows=3_000, task_overhead_ms=2.0)
    # 500 queries per second per worker; the model sent 10 times at 100 MB/s; 4 tasks.
    assert found["one_machine_seconds"] == pytest.approx(41.0)
    assert found["cluster_model_transfer_seconds"] == pytest.approx(5.0)
    assert found["cluster_tasks"] == 4
    assert found["cluster_predict_seconds"] == pytest.approx(5.0 + 2.0 + 0.008)
    assert found["cluster_seconds"] == pytest.approx(37.008)
