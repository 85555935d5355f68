"""The mixture experiments' decision rules: the exact McNemar p and the choice of sources."""

import numpy as np
import pytest

from experiments.mixture_test import mcnemar_p
from experiments.select_mixture import choose, set_cost


def test_mcnemar_p_is_the_two_sided_binomial_of_the_discordant_pairs():
    first = np.array([True, True, True, False, True])
    second = np.array([False, False, False, False, True])
    assert mcnemar_p(first, second) == pytest.approx(2 / 8)  # 3 discordant pairs, all one way: 2 * 0.5**3
    assert mcnemar_p(first, first) == 1.0
    assert mcnemar_p(np.array([True, False]), np.array([False, True])) == 1.0


def test_choose_takes_the_best_mean_then_fewer_sources_then_candidate_order():
    costs = {"a": 1.0, "b": 1.0, "c": 1.0}
    results = [{"mixtures": {"a": 0.75, "b": 0.5, "a+b": 1.0, "a+c": 1.0}, "costs": costs},
               {"mixtures": {"a": 0.75, "b": 1.0, "a+b": 0.5, "a+c": 0.25}, "costs": costs}]
    assert choose(results) == "a"  # a, b and a+b tie at 0.75: single sources first, then the first candidate
    results[1]["mixtures"]["a+c"] = 0.75
    assert choose(results) == "a+c"


def test_choose_keeps_within_the_cost_cap():
    results = [{"mixtures": {"a": 0.5, "b": 0.6, "a+b": 0.9}, "costs": {"a": 1.0, "b": 4.0}},
               {"mixtures": {"a": 0.5, "b": 0.6, "a+b": 0.9}, "costs": {"a": 1.0, "b": 2.0}}]
    assert set_cost(results, "a+b") == 4.0  # a: 1, b: mean of 4 and 2
    assert choose(results) == "a+b"
    assert choose(results, max_cost=3.5) == "b"
    assert choose(results, max_cost=1.0) == "a"
