"""End to end: a small R8 run file, the cells derived from it, and a table written from them."""

import json
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import data_dir

pytestmark = pytest.mark.skipif(
    data_dir() is None or not (data_dir() / "r8" / "train.parquet").exists(),
    reason="real data not available: set NPC_DATA_DIR to a folder with r8/{train,test}.parquet",
)

from experiments import plan, report, tables  # noqa: E402
from experiments.cells import fmt_tested, gzip_cells, model_cells, neighbours, verdict  # noqa: E402
from experiments.runs import (  # noqa: E402
    RunSpec,
    compute,
    compute_models,
    load_models,
    load_run,
    load_split,
    needs_fitting,
    recheck,
)
from npc import CompressorClassifier, NCDClassifier, PPMClassifier  # noqa: E402
from npc.baselines import make_baseline  # noqa: E402
from npc.datasets import stratified_rows  # noqa: E402
from npc.evaluation import mcnemar_test  # noqa: E402
from npc.mixture import default_sources  # noqa: E402

SPEC = RunSpec("r8", test_sample=40, train_sample=300)


@pytest.fixture(scope="module")
def run_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    return compute(SPEC, cache_dir=folder / "cache", path=folder / f"{SPEC.name}.npz")


def test_run_file_holds_the_documented_arrays(run_path):
    run = load_run(run_path)
    assert run["neighbors"].shape == run["distances"].shape == (40, 10)
    assert len(run["test_index"]) == 40 and len(run["train_index"]) == 300
    assert np.isin(run["neighbors"], run["train_index"]).all()
    assert (np.diff(run["distances"], axis=1) >= 0).all()
    assert {"dataset", "compressor", "level", "separator", "K", "commit"} <= set(run["config"])


def test_stored_rows_match_the_naive_formula(run_path):
    assert len(recheck(run_path, items=3)) == 3


def _classifier_predictions(run: dict, n_neighbors: int) -> np.ndarray:
    """``NCDClassifier`` fitted on the run's training rows, predicting its test rows."""
    train_texts, train_labels = load_split("r8", "train")
    test_texts, _ = load_split("r8", "test")
    clf = NCDClassifier(n_neighbors=n_neighbors).fit([train_texts[i] for i in run["train_index"]],
                                                     train_labels[run["train_index"]])
    return clf.predict([test_texts[i] for i in run["test_index"]])


def test_k1_from_the_run_file_equals_ncdclassifier_on_the_same_rows(run_path):
    nb = neighbours(SPEC, run_path)
    assert nb.accuracy(1) == np.mean(_classifier_predictions(load_run(run_path), 1) == nb.truth)


def test_cli_spot_check_counts_agreeing_predictions(run_path):
    nb = neighbours(SPEC, run_path)
    run = load_run(run_path)
    predicted = _classifier_predictions(run, 2)
    cli_run = {"config": {"argv": ["classify", "--train", "r8"], "train": {"n": 300},
                          "parameters": {"compressor": "gzip-9", "n_neighbors": 2, "tie_break": "nearest"}},
               "predictions": {"rows": run["test_index"].tolist(), "predicted": predicted.tolist()}}
    assert "agrees with this run file" in tables._cli_agreement(nb, cli_run)
    assert "for 40 of 40 reviews" in tables._cli_agreement(nb, cli_run)

    cli_run["predictions"]["predicted"][0] = (predicted[0] + 1) % 8
    assert "disagrees on 1 reviews" in tables._cli_agreement(nb, cli_run)
    cli_run["config"]["parameters"]["tie_break"] = "lowest"
    with pytest.raises(ValueError, match="not the default"):
        tables._cli_agreement(nb, cli_run)


def test_cells_respect_the_pipeline_invariants(run_path, tmp_path, monkeypatch):
    cells = gzip_cells(neighbours(SPEC, run_path), neighbours(SPEC, run_path))
    accuracies = {key: value for key, value in cells.items()
                  if isinstance(value, float) and key.startswith(("k", "paper", "best", "weighted"))}
    assert all(0.0 <= value <= 1.0 for value in accuracies.values())
    assert cells["paper_counting_k2"] >= max(cells["k2_nearest"], cells["k2_random_expected"], cells["k1"])
    assert cells["best_k"] in (3, 5, 7)

    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path)
    report.write_table("small", "Small R8", [("", ["k=1"], [[f"{cells['k1']:.3f}"]])], ["a note"], cells,
                       command="pytest", started=0.0, subsampled=["all"])
    stored = json.loads((tmp_path / "small.json").read_text())
    assert stored["rows"]["k1"] == cells["k1"] and stored["meta"]["command"] == "pytest"
    assert f"| {cells['k1']:.3f} |" in (tmp_path / "small.md").read_text()


def test_computing_a_stored_run_again_leaves_its_file_untouched(run_path, tmp_path):
    before = (run_path.read_bytes(), run_path.stat().st_mtime_ns)
    compute(SPEC, cache_dir=run_path.parent / "cache", path=run_path)
    assert (run_path.read_bytes(), run_path.stat().st_mtime_ns) == before
    # every pair again (a fresh cache), in other chunks: the same results, so the same file
    compute(replace(SPEC, chunk_rows=7), cache_dir=tmp_path, path=run_path)
    assert (run_path.read_bytes(), run_path.stat().st_mtime_ns) == before


def test_model_runs_are_fitted_by_the_runner_and_only_read_by_the_tables(run_path, monkeypatch):
    monkeypatch.setattr(plan, "RUNS_DIR", run_path.parent)
    model_run = plan.ModelRun(SPEC, ("compressor-classifier-1", "tfidf-knn"))
    monkeypatch.setattr(plan, "model_runs", lambda: {SPEC.name: model_run})
    run = load_run(run_path)
    _, test_labels = load_split("r8", "test")
    truth = test_labels[run["test_index"]]
    assert model_cells(SPEC, truth) == {"compressor-classifier-1": None, "tfidf-knn": None}

    compute_models(model_run)
    train_texts, train_labels = load_split("r8", "train")
    test_texts, test_labels = load_split("r8", "test")
    expected = CompressorClassifier(1).fit([train_texts[i] for i in run["train_index"]],
                                           train_labels[run["train_index"]])
    accuracy = np.mean(expected.predict([test_texts[i] for i in run["test_index"]]) == test_labels[run["test_index"]])
    cells = model_cells(SPEC, truth)
    assert cells["compressor-classifier-1"] == accuracy and 0 <= cells["tfidf-knn"] <= 1
    assert {"tfidf-knn-k2", "tfidf-knn-commit"} <= set(cells)
    assert not any(key.endswith(("ms_per_prediction", "fit_seconds", "predictions")) for key in cells)

    stored = model_run.path.read_bytes()
    compute_models(model_run)  # everything stored: nothing is fitted or written again
    assert model_run.path.read_bytes() == stored


# The mixer's 5 folds on a small R8 sample: scikit-learn warns that a class has 2 texts.
@pytest.mark.filterwarnings("ignore:The least populated class")
def test_class_models_store_predictions_and_get_a_mcnemar_p_against_tfidf_lr(run_path, monkeypatch):
    monkeypatch.setattr(plan, "RUNS_DIR", run_path.parent)
    model_run = plan.ModelRun(SPEC, ("tfidf-lr", "ppm", "mix"), ppm_test_sample=20)
    monkeypatch.setattr(plan, "model_runs", lambda: {SPEC.name: model_run})
    compute_models(model_run)
    run = load_run(run_path)
    train_texts, train_labels = load_split("r8", "train")
    test_texts, test_labels = load_split("r8", "test")
    X, y = [train_texts[i] for i in run["train_index"]], train_labels[run["train_index"]]
    queries, truth = [test_texts[i] for i in run["test_index"]], test_labels[run["test_index"]]
    stored = load_models(model_run)
    lr = make_baseline("tfidf-lr").fit(X, y).predict(queries)
    assert stored["tfidf-lr"]["predictions"] == lr.tolist() and "n_test" not in stored["tfidf-lr"]
    sample = stratified_rows(truth, 20, 0, SPEC.name, "queries")
    ppm = PPMClassifier().fit(X, y).predict([queries[i] for i in sample])
    assert stored["ppm"]["predictions"] == ppm.tolist() and stored["ppm"]["n_test"] == 20
    mix = stored["mix"]
    assert len(mix["predictions"]) == 20 and len(mix["folds"]) == 300 and len(mix["weights"]) == len(default_sources())
    assert len(mix["class_bias"]) == len(mix["classes"]) == len(np.unique(y))
    assert mix["source_accuracy"][mix["sources"].index("PPMClassifier()")] == stored["ppm"]["accuracy"]

    cells = model_cells(SPEC, truth)
    assert cells["ppm-mcnemar"] == mcnemar_test(ppm == truth[sample], lr[sample] == truth[sample])
    assert set(cells) >= {"mix-mcnemar", "mix-weights"} and "tfidf-lr-mcnemar" not in cells
    assert fmt_tested(cells, "ppm").startswith(f"{cells['ppm']:.3f} (p ")

    # A PPM entry stored before predictions were kept: read off the mixture's order-3 source.
    del stored["ppm"]["predictions"], stored["mix"]
    model_run.path.write_text(json.dumps(stored))
    assert needs_fitting(model_run, stored) == ["mix"]
    assert needs_fitting(model_run, {**stored, "mix": {**mix, "sources": ["PPMClassifier(order=2)"]}}) == ["mix"]
    assert "mix" not in needs_fitting(model_run, {**stored, "mix": mix})
    del stored["tfidf-lr"]["predictions"]
    assert needs_fitting(plan.ModelRun(SPEC, ("tfidf-lr", "bow-knn")), stored) == ["bow-knn"]
    compute_models(model_run)
    assert load_models(model_run)["ppm"]["predictions"] == ppm.tolist()


@pytest.mark.parametrize(("a_only", "b_only", "p_value", "expected"), [
    (9, 1, 0.02, "wins"), (1, 9, 0.02, "loses"), (9, 1, 0.05, "ties"), (5, 5, 1.0, "ties")])
def test_verdict_against_tfidf_lr(a_only, b_only, p_value, expected):
    assert verdict({"a_only": a_only, "b_only": b_only, "p_value": p_value}) == expected
    assert verdict(None) is None
