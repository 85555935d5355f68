"""k-NN voting with explicit tie-break rules."""

from __future__ import annotations

import hashlib
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

# VotingMixin is the estimators' shared predict/predict_proba, not public API.
__all__ = ["vote", "class_scores", "TIE_BREAKS", "WEIGHTS", "TIE_MARGIN"]

TIE_BREAKS = ("nearest", "random", "lowest", "shrink")
WEIGHTS = ("uniform", "distance")
# How far the tie rule moves a share: the winner of a tie gains this much from each class
# tied with it, so argmax(proba) is the prediction while shares stay within 1e-9 of the votes.
TIE_MARGIN = 1e-9


def _neighbor_weights(distances: np.ndarray, weights: str) -> np.ndarray:
    if weights == "uniform":
        return np.ones(distances.shape, dtype=np.float64)
    # As scikit-learn: a neighbour at distance 0 takes the whole vote of its row.
    with np.errstate(divide="ignore"):
        inverse = 1.0 / distances
    exact = distances == 0
    has_exact = exact.any(axis=1)
    inverse[has_exact] = exact[has_exact]
    return inverse


def class_scores(labels, weights, n_classes: int) -> np.ndarray:
    """Each class's summed neighbour weights: what :func:`vote` compares.

    Parameters
    ----------
    labels : ndarray of int, shape (n_queries, k)
        Class codes of each query's neighbours.
    weights : ndarray of float, shape (n_queries, k)
        Each neighbour's vote (ones for a plain count).
    n_classes : int

    Returns
    -------
    ndarray of float64, shape (n_queries, n_classes)

    Examples
    --------
    >>> class_scores(np.array([[1, 0, 1]]), np.ones((1, 3)), 3).tolist()
    [[1.0, 2.0, 0.0]]
    """
    labels = np.asarray(labels)
    scores = np.zeros((labels.shape[0], n_classes), dtype=np.float64)
    rows = np.arange(labels.shape[0])
    for column in range(labels.shape[1]):
        scores[rows, labels[:, column]] += weights[:, column]
    return scores


def _seed(random_state) -> bytes:
    """The key of the ``"random"`` rule: an int seed as given, else one draw from the generator."""
    if isinstance(random_state, Integral):
        check_random_state(random_state)  # refuses seeds scikit-learn refuses
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    return seed.to_bytes(8, "little")


def _random_keys(labels: np.ndarray, distances: np.ndarray, rows: np.ndarray, n_classes: int, seed: bytes):
    """One uniform key per class for each row in ``rows``, drawn from a hash of that row's
    neighbours (labels and distances) and the seed, so a query's draw never depends on the
    other queries of the batch."""
    keys = np.empty((len(rows), n_classes), dtype=np.float64)
    for out, row in enumerate(rows):
        digest = hashlib.blake2b(labels[row].tobytes() + distances[row].tobytes(), key=seed, digest_size=16)
        keys[out] = np.random.default_rng(int.from_bytes(digest.digest(), "little")).random(n_classes)
    return keys


def _mark_winner(proba: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Move ``TIE_MARGIN`` of share from each class tied with the winner to the winner."""
    rows = np.arange(len(predictions))
    winner = proba[rows, predictions]
    losers = proba >= winner[:, None]
    losers[rows, predictions] = False
    marked = proba - TIE_MARGIN * losers
    marked[rows, predictions] += TIE_MARGIN * losers.sum(axis=1)
    return marked


def vote(neighbor_labels, neighbor_distances=None, *, n_classes: int, tie_break: str = "nearest",
         weights: str = "uniform", random_state=None):
    """Vote a class from the labels of the nearest neighbours.

    Parameters
    ----------
    neighbor_labels : array_like of int, shape (n_queries, k)
        Class codes in ``[0, n_classes)`` of each query's neighbours, nearest first.
    neighbor_distances : array_like of float, shape (n_queries, k), optional
        Their distances; needed for ``weights="distance"``.
    n_classes : int
        Number of classes.
    tie_break : {"nearest", "random", "lowest", "shrink"}, default "nearest"
        How to choose among classes with the same top score (see Notes).
    weights : {"uniform", "distance"}, default "uniform"
        Each neighbour's vote: 1, or ``1 / distance`` (a neighbour at distance 0 then
        takes the whole vote, as in scikit-learn).
    random_state : int, RandomState or None
        Seeds the ``"random"`` rule (see Notes).

    Returns
    -------
    predictions : ndarray of shape (n_queries,), int64
        Winning class codes.
    proba : ndarray of shape (n_queries, n_classes)
        Vote shares (the scores normalised to sum to one), with the tie rule's winner
        marked (see Notes): ``argmax(proba, axis=1) == predictions``.

    Notes
    -----
    Tie rules, among the classes sharing the top score:

    - ``"nearest"``: the class of the closest neighbour among them;
    - ``"random"``: one drawn uniformly; the draw of a query is keyed by a hash of its
      neighbours (labels and distances) and the seed, so it depends only on the query, the
      training set and ``random_state``, never on the other queries of the batch (with an
      int ``random_state``; ``None`` or a ``RandomState`` give one fresh seed per call);
    - ``"lowest"``: the lowest class code (``argmax`` of the counts, as early
      reimplementations of the gzip paper did);
    - ``"shrink"``: drop the farthest neighbour and vote again until the tie is gone
      (at one neighbour it always is).

    ``proba`` is the share of the full ``k`` votes, whatever the tie rule, with one
    mark of the tie rule: when classes share the top vote, the winner gains ``TIE_MARGIN``
    (1e-9) from each class tied with it and each of them loses as much. The shares still
    sum to one, move by at most ``1e-9 * (n_classes - 1)``, and ``argmax(proba)`` is the
    prediction for every rule and weighting (as scikit-learn's soft voting and
    calibration expect). The winner of ``"shrink"`` is always one of the classes tied at
    the full ``k``: dropping the farthest neighbour lowers one class only.

    Examples
    --------
    A 1-1 tie at k=2 goes to the nearer neighbour's class:

    >>> vote([[1, 0]], n_classes=2)[0].tolist()
    [1]
    >>> vote([[1, 0]], n_classes=2, tie_break="lowest")[0].tolist()
    [0]
    >>> vote([[1, 0]], n_classes=2)[1].round(12).tolist()
    [[0.499999999, 0.500000001]]
    """
    labels = np.asarray(neighbor_labels, dtype=np.int64)
    if labels.ndim != 2 or labels.shape[1] == 0:
        raise ValueError(f"neighbor_labels must have shape (n_queries, k>=1); got {labels.shape}.")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"Unknown tie_break {tie_break!r}; choose one of {', '.join(TIE_BREAKS)}.")
    if weights not in WEIGHTS:
        raise ValueError(f"Unknown weights {weights!r}; choose one of {', '.join(WEIGHTS)}.")
    if weights == "distance" and neighbor_distances is None:
        raise ValueError('weights="distance" needs neighbor_distances.')
    distances = None if neighbor_distances is None else np.asarray(neighbor_distances, dtype=np.float64)
    votes = _neighbor_weights(distances if distances is not None else np.zeros(labels.shape), weights)

    scores = class_scores(labels, votes, n_classes)
    proba = scores / scores.sum(axis=1, keepdims=True)

    predictions = _tie_winners(labels, votes, distances, scores, tie_break, random_state)
    return predictions, _mark_winner(proba, predictions)


def _tie_winners(labels, votes, distances, scores, tie_break, random_state) -> np.ndarray:
    """The class code each row votes for under ``tie_break``."""
    tied = scores == scores.max(axis=1, keepdims=True)
    rows = np.arange(labels.shape[0])
    if tie_break == "lowest":
        return np.argmax(tied, axis=1)
    if tie_break == "nearest":
        first_tied = np.argmax(tied[rows[:, None], labels], axis=1)
        return labels[rows, first_tied]
    if tie_break == "random":
        predictions = np.argmax(tied, axis=1)
        ties = np.flatnonzero(tied.sum(axis=1) > 1)
        if ties.size:
            keys = _random_keys(labels, np.zeros(labels.shape) if distances is None else distances, ties,
                                scores.shape[1], _seed(random_state))
            predictions[ties] = np.argmax(np.where(tied[ties], keys, -1.0), axis=1)
        return predictions

    predictions = np.argmax(tied, axis=1)
    unresolved = tied.sum(axis=1) > 1
    k = labels.shape[1]
    while unresolved.any():
        k -= 1
        which = np.flatnonzero(unresolved)
        sub_scores = class_scores(labels[which, :k], votes[which, :k], scores.shape[1])
        sub_tied = sub_scores == sub_scores.max(axis=1, keepdims=True)
        predictions[which] = np.argmax(sub_tied, axis=1)
        unresolved[which] = sub_tied.sum(axis=1) > 1
    return predictions


class VotingMixin:
    """``predict`` and ``predict_proba`` of a k-NN estimator through :func:`vote`.

    The estimator provides ``kneighbors(X) -> (distances, indices)``, the fitted
    ``classes_`` and ``_y`` (class code of each training item), and the parameters
    ``tie_break``, ``weights`` and ``random_state``.
    """

    def predict_from_neighbors(self, distances, indices):
        """Labels and vote shares from precomputed neighbours (as ``kneighbors`` returns).

        Returns
        -------
        labels : ndarray of shape (n_queries,)
        proba : ndarray of shape (n_queries, n_classes)
        """
        check_is_fitted(self)
        codes, proba = vote(self._y[np.asarray(indices)], distances, n_classes=len(self.classes_),
                            tie_break=self.tie_break, weights=self.weights, random_state=self.random_state)
        return self.classes_[codes], proba

    def predict(self, X):
        """Class labels of the texts in ``X``."""
        return self.predict_from_neighbors(*self.kneighbors(X))[0]

    def predict_proba(self, X):
        """Vote shares of each class (columns in the order of ``classes_``)."""
        return self.predict_from_neighbors(*self.kneighbors(X))[1]
