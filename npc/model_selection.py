"""NCDClassifierCV: cross-validated choice of ``n_neighbors``, ``tie_break`` and ``weights``
from one neighbour search of the training set against itself."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.model_selection import ParameterGrid, check_cv
from sklearn.utils.validation import check_is_fitted

from npc._validation import check_labels, check_n_neighbors
from npc.classifier import NCDClassifier, NCDNeighborsBase
from npc.corpus import as_corpus
from npc.vote import vote

__all__ = ["NCDClassifierCV"]

SEARCHED = ("n_neighbors", "tie_break", "weights")


class NCDClassifierCV(ClassifierMixin, NCDNeighborsBase):
    """:class:`~npc.NCDClassifier` with ``n_neighbors``, ``tie_break`` and ``weights``
    chosen by cross-validation, computing each pair of training texts once.

    Gives exactly the scores of ``GridSearchCV(NCDClassifier(...), param_grid, cv=cv)``
    (same folds, accuracy), at the cost of about one search of the training set against
    itself instead of one per candidate and fold; then refits on all the training texts
    with the best parameters and predicts like :class:`~npc.NCDClassifier`.

    Parameters
    ----------
    param_grid : dict or list of dicts, optional
        Candidate values of ``n_neighbors``, ``tie_break`` and ``weights`` (the only
        parameters searched), as for :class:`~sklearn.model_selection.GridSearchCV`.
        Default: ``n_neighbors`` in 1, 2, 3, 5, 7, 9 with the other two at their defaults.
    cv : int, cross-validation generator or iterable, default 5
        As in scikit-learn: an int gives :class:`~sklearn.model_selection.StratifiedKFold`
        without shuffling.
    compressor, level, sep, n_jobs, cache_dir, random_state, verbose
        As for :class:`~npc.NCDClassifier` (``random_state`` seeds the ``"random"`` rule
        both in the search and in the refitted classifier).

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        As ``GridSearchCV``'s: ``params``, ``param_<name>``, ``split<i>_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``, one entry per
        candidate in :class:`~sklearn.model_selection.ParameterGrid` order.
    best_params_ : dict
    best_score_ : float
        Mean cross-validated accuracy of the best candidate.
    best_index_ : int
        The best candidate's row in ``cv_results_`` (the first of the top rank).
    best_estimator_ : NCDClassifier
        Refitted on the whole training set with ``best_params_``.
    classes_ : ndarray
    compressor_ : Compressor
    corpus_ : Corpus
        The training texts, encoded (shared with ``best_estimator_``).
    compressed_sizes_ : ndarray of int64
    n_samples_fit_ : int
    n_splits_ : int
    n_neighbors_searched_ : int
        How many neighbours of each training text the shared search kept.
    n_pairs_computed_ : int
        NCD pairs computed by the search (shared search and searches again), cache hits
        excluded.
    n_rows_searched_again_ : int
        Validation rows (summed over folds) whose stored neighbours held too few of their
        fold's training texts.

    Notes
    -----
    One search keeps the ``K`` nearest training texts of every training text (``K`` is the
    largest ``n_neighbors`` asked for, scaled up for the share of neighbours expected in
    a validation fold, plus a margin). For a fold, the neighbours of a validation text are
    its stored neighbours that lie in the fold's training set, in stored order: the search
    orders neighbours by (distance, index), and the training positions of a fold keep the
    order of the global indices, so the first ``k`` of them are exactly the ``k`` nearest
    that :class:`~npc.NCDClassifier` fitted on that fold would find, with the same
    distances (``NCD(validation text, training text)``, the query first). A row whose
    stored neighbours hold fewer than ``k`` of the fold's training texts is searched
    again against those texts only.

    Examples
    --------
    >>> texts = ["the cat sat", "a cat ran", "cats nap", "stocks fell", "shares fell", "markets slid"]
    >>> labels = ["pets"] * 3 + ["finance"] * 3
    >>> search = NCDClassifierCV({"n_neighbors": [1, 3]}, cv=3).fit(texts, labels)
    >>> search.cv_results_["mean_test_score"].shape
    (2,)
    >>> search.predict(["a cat sat on the mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        **NCDNeighborsBase._parameter_constraints,
        "param_grid": [dict, list, None],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
    }

    def __init__(self, param_grid=None, *, cv=5, compressor="gzip", level=None, sep=" ", n_jobs=None,
                 cache_dir=None, random_state=None, verbose=0):
        self.param_grid = param_grid
        self.cv = cv
        self.compressor = compressor
        self.level = level
        self.sep = sep
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.verbose = verbose

    def _classifier(self, **params) -> NCDClassifier:
        return NCDClassifier(compressor=self.compressor, level=self.level, sep=self.sep, n_jobs=self.n_jobs,
                             cache_dir=self.cache_dir, random_state=self.random_state, verbose=self.verbose,
                             **params)

    def _candidates(self) -> list[dict]:
        """The grid's candidates in ParameterGrid order, each checked as NCDClassifier checks it."""
        grid = {"n_neighbors": [1, 2, 3, 5, 7, 9]} if self.param_grid is None else self.param_grid
        candidates = list(ParameterGrid(grid))
        for candidate in candidates:
            unknown = set(candidate) - set(SEARCHED)
            if unknown:
                raise ValueError(f"param_grid may hold only {', '.join(SEARCHED)}; got {', '.join(sorted(unknown))}.")
            self._classifier(**candidate)._validate_params()
        return candidates

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Search every candidate on every fold, then refit the best on all of ``X``.

        Parameters
        ----------
        X : sequence of str or bytes
            Training texts.
        y : array_like of shape (n_samples,)
            Their labels.

        Returns
        -------
        self
        """
        corpus = as_corpus(X, name="X")
        labels = check_labels(y, len(corpus))
        candidates = self._candidates()
        defaults = NCDClassifier().get_params()
        settings = [{name: candidate.get(name, defaults[name]) for name in SEARCHED} for candidate in candidates]
        splitter = check_cv(self.cv, labels, classifier=True)
        folds = [(np.sort(train), test) for train, test in splitter.split(np.zeros((len(corpus), 1)), labels)]
        k_max = max(setting["n_neighbors"] for setting in settings)
        for train, _ in folds:
            check_n_neighbors(k_max, len(train), what="training set of a fold")
        self._store_references(corpus)
        # A validation fold holds about its share of each text's neighbours, and the text itself.
        share = max(len(test) for _, test in folds) / len(corpus)
        self.n_neighbors_searched_ = min(len(corpus), math.ceil((k_max + 1) / (1 - share)) + 2)
        distances, indices, stats = self._search(corpus, self.n_neighbors_searched_,
                                                 query_sizes=self.compressed_sizes_)
        self.n_pairs_computed_ = stats.n_pairs_computed
        self.n_rows_searched_again_ = 0

        scores = np.empty((len(settings), len(folds)))
        for split, (train, test) in enumerate(folds):
            fold_distances, fold_indices = self._fold_neighbors(distances, indices, train, test, k_max)
            fold_classes, fold_codes = np.unique(labels[train], return_inverse=True)
            for row, setting in enumerate(settings):
                k = setting["n_neighbors"]
                codes, _ = vote(fold_codes[fold_indices[:, :k]], fold_distances[:, :k], n_classes=len(fold_classes),
                                tie_break=setting["tie_break"], weights=setting["weights"],
                                random_state=self.random_state)
                scores[row, split] = accuracy_score(labels[test], fold_classes[codes])

        self.n_splits_ = len(folds)
        self.cv_results_ = _results(candidates, scores)
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.best_estimator_ = self._classifier(**settings[self.best_index_]).fit(corpus, labels)
        self.classes_ = self.best_estimator_.classes_
        return self

    def _fold_neighbors(self, distances, indices, train, test, k):
        """The ``k`` nearest of the fold's training texts (positions in ``train``) for each text of ``test``."""
        in_train = np.zeros(self.n_samples_fit_, dtype=bool)
        in_train[train] = True
        kept = in_train[indices[test]]
        # stable: the kept neighbours first, in their stored (distance, index) order
        order = np.argsort(~kept, axis=1, kind="stable")[:, :k]
        fold_distances = np.take_along_axis(distances[test], order, axis=1)
        fold_indices = np.searchsorted(train, np.take_along_axis(indices[test], order, axis=1))
        short = np.flatnonzero(kept.sum(axis=1) < k)
        if short.size:
            sizes = self.compressed_sizes_
            again_distances, again_indices, stats = self._nearest(
                self.corpus_.take(test[short]), self.corpus_.take(train), k, query_sizes=sizes[test[short]],
                reference_sizes=sizes[train])
            fold_distances[short], fold_indices[short] = again_distances, again_indices
            self.n_pairs_computed_ += stats.n_pairs_computed
            self.n_rows_searched_again_ += short.size
        return fold_distances, fold_indices

    def predict(self, X):
        """Class labels of the texts in ``X`` (by the refitted best classifier)."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Vote shares of each class (columns in the order of ``classes_``)."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Nearest training texts of each query (see :meth:`NCDClassifier.kneighbors`)."""
        check_is_fitted(self)
        return self.best_estimator_.kneighbors(X, n_neighbors, return_distance)


def _results(candidates: list[dict], scores: np.ndarray) -> dict:
    """``cv_results_`` laid out as ``GridSearchCV`` lays it out (test scores only)."""
    results = {}
    for name in sorted({name for candidate in candidates for name in candidate}):
        column = np.ma.MaskedArray(np.empty(len(candidates), dtype=object), mask=True)
        for row, candidate in enumerate(candidates):
            if name in candidate:
                column[row] = candidate[name]
        results[f"param_{name}"] = column
    results["params"] = candidates
    for split in range(scores.shape[1]):
        results[f"split{split}_test_score"] = scores[:, split]
    means = np.average(scores, axis=1)
    results["mean_test_score"] = means
    results["std_test_score"] = np.sqrt(np.average((scores - means[:, None]) ** 2, axis=1))
    results["rank_test_score"] = rankdata(-means, method="min").astype(np.int32)
    return results
