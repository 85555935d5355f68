"""compare_models: every figure equals the one computed directly; the NCD budget skips with a note."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

import npc
from npc.baselines import make_baseline
from npc.comparison import compare_models, estimate_search_seconds, format_comparison
from npc.evaluation import mcnemar_test, wilson_interval
from npc.model_files import save_model

TRAIN = ["the cat sat on the mat", "a cat ran after the dog", "cats nap in the sun all day", "my dog barks at cats",
         "the puppy chased a ball", "stocks fell sharply today", "shares fell as markets slid",
         "bond yields rose again", "the market rallied", "investors sold their shares"]
Y_TRAIN = ["pets"] * 5 + ["finance"] * 5
TEST = ["a cat sat on a mat", "markets fell today", "the dog ran", "yields slid", "the cat sold shares",
        "dogs and cats", "stocks rallied", "a ball"]
Y_TEST = np.array(["pets", "finance", "pets", "finance", "finance", "pets", "finance", "pets"])
MODELS = {"ncd": npc.NCDClassifier(1, n_jobs=1), "ppm": npc.PPMClassifier(order=2),
          "tfidf-lr": make_baseline("tfidf-lr")}


@pytest.fixture(scope="module")
def result():
    return compare_models(MODELS, TRAIN, Y_TRAIN, TEST, Y_TEST)


def test_figures_equal_those_of_each_model_fitted_alone(result, tmp_path):
    by_name = {row["name"]: row for row in result["models"]}
    assert list(by_name) == list(MODELS)
    best_predicted = None
    for name, estimator in MODELS.items():
        model = clone(estimator).fit(TRAIN, Y_TRAIN)
        predicted = model.predict(TEST)
        row = by_name[name]
        assert row["predicted"].tolist() == predicted.tolist()
        assert row["accuracy"] == accuracy_score(Y_TEST, predicted)
        assert row["macro_f1"] == f1_score(Y_TEST, predicted, average="macro")
        assert (row["accuracy_low"], row["accuracy_high"]) == wilson_interval(int((predicted == Y_TEST).sum()), 8)
        save_model(model, tmp_path / name)
        assert row["model_bytes"] == (tmp_path / name).stat().st_size
        assert row["fit_seconds"] > 0 and row["ms_per_prediction"] > 0
        if name == result["best"]:
            best_predicted = predicted
    assert by_name[result["best"]]["accuracy"] == max(row["accuracy"] for row in result["models"])
    for row in result["models"]:
        if row["name"] == result["best"]:
            assert row["p_value"] is None
        else:
            test = mcnemar_test(row["predicted"] == Y_TEST, best_predicted == Y_TEST)
            assert (row["a_only"], row["b_only"], row["p_value"]) == (test["a_only"], test["b_only"],
                                                                        test["p_value"])
    assert not hasattr(MODELS["ppm"], "classes_")  # the caller's estimators stay unfitted


def test_estimated_seconds_are_pairs_times_the_timed_rate_over_workers(monkeypatch):
    monkeypatch.setattr(npc.NCDClassifier, "seconds_per_pair", lambda self, X, **sample: 1e-3)
    assert estimate_search_seconds(npc.NCDClassifier(1, n_jobs=1), TRAIN, TEST) == pytest.approx(8 * 10 * 1e-3)
    assert estimate_search_seconds(npc.NCDClassifier(1, n_jobs=2), TRAIN, TEST) == pytest.approx(8 * 10 * 1e-3 / 2)
    # the cross-validation first searches the training set against itself
    cv = npc.NCDClassifierCV(n_jobs=1)
    assert estimate_search_seconds(cv, TRAIN, TEST) == pytest.approx((8 * 10 + 10 * 10) * 1e-3)
    assert estimate_search_seconds(npc.PPMClassifier(), TRAIN, TEST) is None


def test_ncd_over_the_budget_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr(npc.NCDClassifier, "seconds_per_pair", lambda self, X, **sample: 2.0)
    result = compare_models(MODELS, TRAIN, Y_TRAIN, TEST, Y_TEST, budget=60)
    ncd = result["models"][0]
    assert ncd["status"] == "skipped" and ncd["estimated_seconds"] == pytest.approx(160)
    assert ncd["note"] == "skipped: its NCD search would take about 3 min, over the budget of 60 s"
    assert "accuracy" not in ncd
    assert result["best"] in ("ppm", "tfidf-lr")
    table = format_comparison(result)
    assert table.splitlines()[-1] == "ncd: " + ncd["note"]
    assert len(table.splitlines()) == 1 + 2 + 1


def test_table_lists_run_models_by_accuracy(result):
    lines = format_comparison(result).splitlines()
    assert lines[0].split()[:2] == ["model", "accuracy"]
    accuracies = [float(line.split()[1]) for line in lines[1:]]
    assert accuracies == sorted(accuracies, reverse=True) and len(accuracies) == 3
    assert lines[1].split()[0] == result["best"] and lines[1].endswith("best")


def test_a_model_that_refuses_the_rows_is_skipped_and_the_others_run():
    # ten training texts cannot make 20 folds: the mixer refuses, the comparison goes on
    result = compare_models({"mix": npc.CodeLengthMixer(cv=20), "ppm": npc.PPMClassifier(order=2)},
                            TRAIN, Y_TRAIN, TEST, Y_TEST)
    mix, ppm = result["models"]
    assert mix["status"] == "skipped" and mix["note"].startswith("skipped: CodeLengthMixer with 20 folds needs")
    assert ppm["status"] == "ok" and result["best"] == "ppm"
