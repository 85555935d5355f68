"""score_predictions: values worked out by hand."""

import pytest

from npc.evaluation import mcnemar_test, score_predictions, wilson_interval


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


# Wilson intervals: Newcombe (1998), Table I, method 3, to 4 decimals; 0/n and n/n in closed form
# (the interval reaches z^2 / (n + z^2) from the boundary).
@pytest.mark.parametrize(("n_correct", "n", "expected"), [
    (81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)), (0, 20, (0.0, 0.1611)), (1, 29, (0.0061, 0.1718)),
])
def test_wilson_interval_matches_newcombe(n_correct, n, expected):
    assert tuple(round(bound, 4) for bound in wilson_interval(n_correct, n)) == expected


def test_wilson_interval_at_the_boundaries():
    z2 = 1.959963984540054 ** 2
    assert wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    with pytest.raises(ValueError, match="n_correct <= n"):
        wilson_interval(11, 10)


@pytest.mark.parametrize(("a_only", "b_only", "p_value"), [
    (5, 0, 2 / 2**5),                  # all five discordant rows one way
    (1, 9, 2 * (1 + 10) / 2**10),      # P(X <= 1) doubled, X ~ Bin(10, 1/2)
    (4, 4, 1.0),
    (0, 0, 1.0),                       # no discordant row: no evidence of a difference
])
def test_mcnemar_exact_p_by_hand(a_only, b_only, p_value):
    # both right on 3 rows and both wrong on 2: concordant rows do not count
    correct_a = [True] * a_only + [False] * b_only + [True] * 3 + [False] * 2
    correct_b = [False] * a_only + [True] * b_only + [True] * 3 + [False] * 2
    result = mcnemar_test(correct_a, correct_b)
    assert result == {"a_only": a_only, "b_only": b_only, "p_value": pytest.approx(p_value, rel=1e-12)}
    assert mcnemar_test(correct_b, correct_a)["p_value"] == pytest.approx(p_value, rel=1e-12)


def test_mcnemar_refuses_rows_of_different_lengths():
    with pytest.raises(ValueError, match="one length"):
        mcnemar_test([True, False], [True])


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
