"""The mixture experiments' decision rules: the exact McNemar p and the choice of sources."""

import numpy as np
import pytest

from experiments.mixture_test import mcnemar_p
from experiments.select_mixture import choose


def test_mcnemar_p_is_the_two_sided_binomial_of_the_discordant_pairs():
    first = np.array([True, True, True, False, True])
    second = np.array([False, False, False, False, True])
    assert mcnemar_p(first, second) == pytest.approx(2 / 8)  # 3 discordant pairs, all one way: 2 * 0.5**3
    assert mcnemar_p(first, first) == 1.0
    assert mcnemar_p(np.array([True, False]), np.array([False, True])) == 1.0


def test_choose_takes_the_best_mean_then_fewer_sources_then_candidate_order():
    results = [{"mixtures": {"a": 0.75, "b": 0.5, "a+b": 1.0, "a+c": 1.0}},
               {"mixtures": {"a": 0.75, "b": 1.0, "a+b": 0.5, "a+c": 0.25}}]
    assert choose(results) == "a"  # a, b and a+b tie at 0.75: single sources first, then the first candidate
    results[1]["mixtures"]["a+c"] = 0.75
    assert choose(results) == "a+c"
