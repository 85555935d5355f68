import json

import pytest

bench = pytest.importorskip("experiments.bench_kernel")
from experiments.report import record_text  # noqa: E402


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


def test_committed_report_is_the_rendering_of_its_json():
    from pathlib import Path

    results = Path(__file__).resolve().parent.parent / "results"
    measured = json.loads((results / "bench_kernel.json").read_text())
    assert record_text(measured, bench.to_markdown(measured)) == (results / "bench_kernel.md").read_text()
