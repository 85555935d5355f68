"""score_predictions: values worked out by hand."""

import pytest

from npc.evaluation import score_predictions


def test_scores_by_hand():
    # class 0: 2 true, 1 predicted, 1 right (P 1, R 0.5, F1 2/3); class 1: 1 true, 2 predicted, 1 right
    # (P 0.5, R 1, F1 2/3)
    scores = score_predictions([0, 0, 1], [0, 1, 1], class_names=["neg", "pos"])
    assert scores["accuracy"] == pytest.approx(2 / 3)
    assert scores["macro_f1"] == pytest.approx(2 / 3)
    assert scores["per_class"] == [
        {"label": 0, "name": "neg", "support": 2, "predicted": 1, "correct": 1},
        {"label": 1, "name": "pos", "support": 1, "predicted": 2, "correct": 1},
    ]


def test_a_class_only_predicted_counts_in_macro_f1():
    scores = score_predictions(["a", "a"], ["a", "b"])
    # a: P 1, R 0.5, F1 2/3; b: never true, F1 0 -> macro 1/3
    assert scores["macro_f1"] == pytest.approx(1 / 3)
    assert [entry["name"] for entry in scores["per_class"]] == ["a", "b"]
    assert scores["per_class"][1] == {"label": "b", "name": "b", "support": 0, "predicted": 1, "correct": 0}
