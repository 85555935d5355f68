"""The evaluation-only rules of experiments/scoring.py, on votes worked out by hand."""

import numpy as np
import pytest

from experiments.scoring import paper_counting_correct, random_tie_credit, wilson_interval


def test_paper_counting_counts_a_tie_when_either_label_is_right():
    neighbors = np.array([[1, 0], [1, 0], [2, 2], [0, 1]])
    truth = np.array([0, 1, 1, 2])
    assert paper_counting_correct(neighbors, truth, 2, 3).tolist() == [True, True, False, False]


def test_paper_counting_at_k3_needs_the_true_label_among_the_top_classes():
    neighbors = np.array([[1, 0, 0], [0, 1, 2], [1, 1, 0]])
    truth = np.array([0, 2, 0])
    assert paper_counting_correct(neighbors, truth, 3, 3).tolist() == [True, True, False]


def test_random_tie_credit_is_one_over_the_tie_size():
    neighbors = np.array([[1, 0], [1, 1], [0, 1], [2, 1]])
    truth = np.array([0, 1, 2, 0])
    assert random_tie_credit(neighbors, truth, 2, 3).tolist() == [0.5, 1.0, 0.0, 0.0]


def test_wilson_interval_matches_the_closed_form():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(50, 100)
    assert (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)
