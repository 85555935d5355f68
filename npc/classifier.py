"""NCDClassifier: k-nearest neighbours under the normalized compression distance."""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from npc._tags import TextInputMixin
from npc._validation import check_labels, check_n_neighbors
from npc.compressors import Compressor, get_compressor
from npc.corpus import as_corpus
from npc.kernel import compressed_sizes, nearest, seconds_per_pair
from npc.neighbors import drop_self
from npc.vote import TIE_BREAKS, WEIGHTS, VotingMixin

__all__ = ["NCDClassifier"]


class NCDNeighborsBase(TextInputMixin, BaseEstimator):
    """What every NCD neighbour estimator shares: its search parameters, the stored training
    texts and the one search path to :func:`npc.kernel.nearest`.

    Like scikit-learn's ``NeighborsBase``: subclasses extend :attr:`_parameter_constraints`
    with ``{**NCDNeighborsBase._parameter_constraints, ...}`` and have the parameters
    ``compressor``, ``level``, ``sep``, ``n_jobs``, ``cache_dir`` and ``verbose``. ``fit``
    validates its own input, then calls :meth:`_store_references`.
    """

    _parameter_constraints: dict = {
        "compressor": [str, Compressor],
        "level": [Integral, None],
        "sep": [str, bytes],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
        "cache_dir": [str, os.PathLike, None],
        "verbose": ["verbose"],
    }

    def _store_references(self, corpus):
        self.compressor_ = get_compressor(self.compressor, self.level)
        self.corpus_ = corpus
        self.compressed_sizes_ = compressed_sizes(corpus, self.compressor_)
        self.n_samples_fit_ = len(corpus)
        return self

    def _nearest(self, queries, references, n_neighbors, *, query_sizes=None, reference_sizes=None):
        """``(distances, indices, stats)`` of :func:`~npc.kernel.nearest` with this estimator's options."""
        return nearest(queries, references, n_neighbors, compressor=self.compressor_, sep=self.sep,
                       n_jobs=self.n_jobs, cache_dir=self.cache_dir, verbose=self.verbose,
                       query_sizes=query_sizes, reference_sizes=reference_sizes, return_stats=True)

    def _search(self, X, n_neighbors, *, query_sizes=None):
        """The ``n_neighbors`` nearest training texts of each text of ``X``, and the stats."""
        return self._nearest(X, self.corpus_, n_neighbors, query_sizes=query_sizes,
                             reference_sizes=self.compressed_sizes_)


class NCDClassifier(VotingMixin, ClassifierMixin, NCDNeighborsBase):
    """k-nearest-neighbour text classifier with the normalized compression distance.

    Training stores the texts; prediction compresses each query followed by every
    training text (in parallel, optionally cached) and votes among the ``n_neighbors``
    nearest.

    Parameters
    ----------
    n_neighbors : int, default 2
        Number of neighbours that vote (the gzip paper used 2).
    compressor : str or Compressor, default "gzip"
        ``"gzip"``, ``"zlib"``, ``"deflate"``, ``"bz2"``, ``"lzma"``, ``"lz4"``, ``"zstd"``,
        a registered name, or a :class:`~npc.compressors.Compressor`.
    level : int, optional
        Compression level (default: the compressor's, e.g. 9 for gzip).
    tie_break : {"nearest", "random", "lowest", "shrink"}, default "nearest"
        Rule among classes with equal votes (see Notes).
    weights : {"uniform", "distance"}, default "uniform"
        Each neighbour votes 1, or ``1 / distance``.
    sep : str or bytes, default " "
        Separator in ``C(query + sep + train)``.
    n_jobs : int, optional
        Parallel workers (joblib semantics).
    cache_dir : path-like, optional
        Cache finished chunks of neighbour searches there (resumable).
    random_state : int, RandomState or None
        Seeds the ``"random"`` tie rule.
    verbose : int, default 0
        Non-zero shows a progress bar on stderr.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    compressor_ : Compressor
        The compressor used.
    corpus_ : Corpus
        The training texts, encoded.
    compressed_sizes_ : ndarray of int64
        ``C(x)`` of every training text.
    n_samples_fit_ : int
        Number of training texts.

    Notes
    -----
    ``NCD(x, y) = (C(x + sep + y) - min(C(x), C(y))) / max(C(x), C(y))``. Neighbours are
    ordered by (distance, training index), so equal distances never make the result depend
    on ``n_jobs`` or chunking. Ties in the vote follow ``tie_break``: ``"nearest"`` gives
    the class of the closest tied neighbour, ``"random"`` draws among the tied classes
    (keyed by the query's neighbours and ``random_state``, never by the rest of the batch),
    ``"lowest"`` takes the first class in ``classes_``, ``"shrink"`` drops the farthest
    neighbour until the tie is gone. ``predict_proba`` returns the vote shares with the
    winner of a tie marked by a margin of 1e-9 (:func:`npc.vote.vote`), so its argmax is
    always ``predict``.

    Examples
    --------
    >>> clf = NCDClassifier(n_neighbors=1).fit(
    ...     ["the cat sat on the mat", "stocks fell sharply today"], ["pets", "finance"])
    >>> clf.predict(["a cat on a mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        **NCDNeighborsBase._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "tie_break": [StrOptions(set(TIE_BREAKS))],
        "weights": [StrOptions(set(WEIGHTS))],
        "random_state": ["random_state"],
    }

    def __init__(self, n_neighbors=2, *, compressor="gzip", level=None, tie_break="nearest",
                 weights="uniform", sep=" ", n_jobs=None, cache_dir=None, random_state=None, verbose=0):
        self.n_neighbors = n_neighbors
        self.compressor = compressor
        self.level = level
        self.tie_break = tie_break
        self.weights = weights
        self.sep = sep
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Store the training texts and labels.

        Parameters
        ----------
        X : sequence of str or bytes
            Training texts.
        y : array_like of shape (n_samples,)
            Their labels (ints or strings).

        Returns
        -------
        self
        """
        corpus = as_corpus(X, name="X")
        labels = check_labels(y, len(corpus))
        check_n_neighbors(self.n_neighbors, len(corpus))
        self.classes_, self._y = np.unique(labels, return_inverse=True)
        return self._store_references(corpus)

    def seconds_per_pair(self, X, *, n_queries=16, n_references=256) -> float:
        """Seconds one worker spends per NCD pair of ``X`` against the training set
        (:func:`npc.kernel.seconds_per_pair` with this estimator's compressor and separator)."""
        check_is_fitted(self)
        return seconds_per_pair(X, self.corpus_, compressor=self.compressor_, sep=self.sep, n_queries=n_queries,
                                n_references=n_references, reference_sizes=self.compressed_sizes_)

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True, *, return_stats=False):
        """Nearest training texts of each query.

        Parameters
        ----------
        X : sequence of str or bytes, optional
            Queries; ``None`` uses the training texts, each without itself (as in
            scikit-learn).
        n_neighbors : int, optional
            Defaults to the ``n_neighbors`` of the estimator.
        return_distance : bool, default True
        return_stats : bool, default False
            Also return the search's :class:`~npc.kernel.KernelStats` (pairs computed and
            read from the cache, time).

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Only when ``return_distance``.
        indices : ndarray of shape (n_queries, n_neighbors)
            Positions in the training set, nearest first.
        stats : KernelStats
            Only when ``return_stats``.
        """
        check_is_fitted(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        if X is not None:
            distances, indices, stats = self._search(X, k)
        else:
            if k >= self.n_samples_fit_:
                raise ValueError(
                    f"n_neighbors={k} must be smaller than the training set ({self.n_samples_fit_} texts) "
                    "when the training texts are their own queries."
                )
            distances, indices, stats = self._search(self.corpus_, k + 1, query_sizes=self.compressed_sizes_)
            distances, indices = drop_self(distances, indices)
        found = (distances, indices) if return_distance else (indices,)
        if return_stats:
            return (*found, stats)
        return found if return_distance else indices

