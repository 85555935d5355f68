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


def test_per_class_report_by_hand():
    from npc.evaluation import per_class_report

    report = per_class_report([0, 0, 1, 2], [0, 1, 1, 1], class_names=["neg", "pos", "mixed"])
    assert report["classes"] == ["neg", "pos", "mixed"]
    # neg: P 1/1, R 1/2; pos: P 1/3, R 1/1; mixed: never predicted, P 0 (no division), R 0/1
    assert report["per_class"] == [
        {"name": "neg", "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2},
        {"name": "pos", "precision": pytest.approx(1 / 3), "recall": 1.0, "f1": 0.5, "support": 1},
        {"name": "mixed", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
    ]
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]  # rows true, columns predicted


def test_per_class_report_of_string_labels_covers_predicted_only_classes():
    from npc.evaluation import per_class_report

    report = per_class_report(["a", "a"], ["a", "b"])
    assert report["classes"] == ["a", "b"] and report["confusion_matrix"] == [[1, 1], [0, 0]]
    assert report["per_class"][1] == {"name": "b", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_top_classes():
    import numpy as np

    from npc.evaluation import top_classes

    proba = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    assert top_classes(proba, ["a", "b", "c"], 2) == [[("b", 0.5), ("c", 0.3)], [("a", 0.6), ("c", 0.3)]]
    assert top_classes(proba, ["a", "b", "c"], 5)[0] == [("b", 0.5), ("c", 0.3), ("a", 0.2)]
