"""experiments/bench_cluster.py: the projection's arithmetic and the committed report."""

import json
from pathlib import Path

import pytest

from experiments import bench_cluster
from experiments.report import record_text

RESULTS = Path(__file__).resolve().parent.parent / "results"


def test_projection_runs_the_default_chunks_in_rounds_of_one_per_worker():
    kernel = {"cost_model_us_per_pair": {spec: [{"bytes": 100, "us": 1.0}, {"bytes": 10_000, "us": 1.0}]
                                         for spec in ("gzip-9", "zstd-3")},
              "projection": [{"data": key, "test": 25_000, "train": 25_000, "mean_chars": 1_000, "pairs": 625_000_000}
                             for key in bench_cluster.FULL_JOBS.values()]}
    row = bench_cluster.projection(kernel, overhead_ms=0.0, efficiency=0.5)[0]
    assert row["chunks"] == 2_500 and row["pairs_per_chunk"] == 250_000
    assert row["gzip-9 s per chunk"] == 0.5  # 250,000 pairs at 1 µs, at half efficiency
    assert row["gzip-9 hours, 8 workers"] == round(313 * 0.5 / 3600, 3)  # ceil(2,500 / 8) rounds
    assert row["gzip-9 hours, 256 workers"] == round(10 * 0.5 / 3600, 3)


def test_committed_report_is_the_rendering_of_its_json():
    if not (RESULTS / "bench_cluster.json").exists():
        pytest.skip("results/bench_cluster.json not generated")
    measured = json.loads((RESULTS / "bench_cluster.json").read_text())
    assert record_text(measured, bench_cluster.markdown(measured)) == (RESULTS / "bench_cluster.md").read_text()
