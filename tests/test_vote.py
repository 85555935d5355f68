import numpy as np
import pytest

from npc.vote import TIE_MARGIN, vote

# Neighbours nearest first; class codes.
TIE_K2 = [[1, 0]]  # 1-1 tie at k=2, class 1 nearer
TIE_K3 = [[2, 0, 1]]  # three-way tie at k=3
NO_TIE_K3 = [[1, 0, 0]]  # class 0 wins 2-1 although class 1 is nearest
TIE_K4 = [[2, 1, 1, 2]]  # 2-2 tie, class 2 nearest; shrink -> k=3 -> class 1 wins 2-1


def predict(labels, n_classes=3, **options):
    return vote(labels, n_classes=n_classes, **options)[0].tolist()


@pytest.mark.parametrize(
    "rule, k2, k3, k4",
    [
        ("nearest", [1], [2], [2]),
        ("lowest", [0], [0], [1]),
        ("shrink", [1], [2], [1]),
    ],
)
def test_tie_rules_by_hand(rule, k2, k3, k4):
    assert predict(TIE_K2, tie_break=rule) == k2
    assert predict(TIE_K3, tie_break=rule) == k3
    assert predict(TIE_K4, tie_break=rule) == k4
    assert predict(NO_TIE_K3, tie_break=rule) == [0]


def test_random_rule_draws_among_tied_classes_only_and_is_seeded():
    # The draw is keyed by each row's neighbours: rows differing in their distances draw afresh.
    distances = np.linspace(0.1, 0.9, 300)[:, None] + np.zeros((1, 3))
    labels = np.array(TIE_K3 * 300)
    first = predict(labels, tie_break="random", random_state=0, neighbor_distances=distances)
    assert set(first) == {0, 1, 2}
    assert first == predict(labels, tie_break="random", random_state=0, neighbor_distances=distances)
    assert first != predict(labels, tie_break="random", random_state=1, neighbor_distances=distances)
    assert set(predict(np.array(TIE_K2 * 50), tie_break="random", random_state=1,
                       neighbor_distances=distances[:50, :2])) == {0, 1}
    assert predict(NO_TIE_K3 * 20, tie_break="random", random_state=2) == [0] * 20


def test_random_rule_does_not_depend_on_the_batch():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=(200, 4))
    distances = np.sort(rng.choice([0.2, 0.5, 0.7], size=(200, 4)), axis=1)
    batch = predict(labels, tie_break="random", random_state=3, neighbor_distances=distances)
    one_by_one = [predict(labels[[i]], tie_break="random", random_state=3, neighbor_distances=distances[[i]])[0]
                  for i in range(200)]
    reverse = predict(labels[::-1], tie_break="random", random_state=3, neighbor_distances=distances[::-1])[::-1]
    assert batch == one_by_one == reverse


@pytest.mark.parametrize("rule, winner", [("nearest", 1), ("lowest", 0), ("shrink", 1)])
def test_tie_winner_is_marked_in_the_shares(rule, winner):
    labels, proba = vote(TIE_K2, n_classes=2, tie_break=rule)
    assert labels.tolist() == [winner] and np.argmax(proba[0]) == winner
    assert proba[0, winner] == 0.5 + TIE_MARGIN and proba[0, 1 - winner] == 0.5 - TIE_MARGIN


def test_proba_is_vote_share():
    _, proba = vote([[1, 0, 0], [2, 2, 2]], n_classes=3)
    assert proba.tolist() == [[2 / 3, 1 / 3, 0.0], [0.0, 0.0, 1.0]]


def test_distance_weights():
    # class 1 at 0.1 outweighs two class-0 neighbours at 0.5 (10 > 2 + 2)
    predictions, proba = vote([[1, 0, 0]], [[0.1, 0.5, 0.5]], n_classes=2, weights="distance")
    assert predictions.tolist() == [1]
    assert proba[0].tolist() == pytest.approx([4 / 14, 10 / 14])


def test_zero_distance_takes_the_whole_vote():
    predictions, proba = vote([[0, 1, 1]], [[0.0, 0.2, 0.3]], n_classes=2, weights="distance")
    assert predictions.tolist() == [0] and proba.tolist() == [[1.0, 0.0]]


def test_errors():
    with pytest.raises(ValueError, match="Unknown tie_break 'first'"):
        vote(TIE_K2, n_classes=2, tie_break="first")
    with pytest.raises(ValueError, match="needs neighbor_distances"):
        vote(TIE_K2, n_classes=2, weights="distance")
    with pytest.raises(ValueError, match="shape"):
        vote([1, 0], n_classes=2)
