"""NCDTransformer: sparse NCD neighbour graphs for scikit-learn's ``metric="precomputed"``."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from npc._validation import check_n_neighbors
from npc.classifier import NCDNeighborsBase
from npc.corpus import as_corpus
from npc.neighbors import drop_self

__all__ = ["NCDTransformer"]


class NCDTransformer(TransformerMixin, NCDNeighborsBase):
    """The ``n_neighbors`` nearest training texts of each text, by NCD, as a sparse graph.

    Like :class:`sklearn.neighbors.KNeighborsTransformer`: the graph feeds scikit-learn
    estimators that take ``metric="precomputed"`` (``KNeighborsClassifier``, ``DBSCAN``,
    ``TSNE``, ``Isomap``, ``SpectralClustering(affinity="precomputed_nearest_neighbors")``)
    and a ``Pipeline(memory=...)`` caches it.

    Parameters
    ----------
    n_neighbors : int, default 5
        Neighbours per text. In ``"distance"`` mode one more is kept, as scikit-learn
        does (each training text is its own neighbour in ``fit_transform``).
    mode : {"distance", "connectivity"}, default "distance"
        Entries are NCDs, or ones.
    compressor, level, sep, n_jobs, cache_dir, verbose
        As for :class:`~npc.NCDClassifier`.

    Attributes
    ----------
    compressor_ : Compressor
    corpus_ : Corpus
        The training texts, encoded.
    compressed_sizes_ : ndarray of int64
    n_samples_fit_ : int

    Notes
    -----
    ``transform(X)`` has shape ``(len(X), n_samples_fit_)``: row ``i`` holds the
    ``NCD(X[i], train[j])`` (the query first) of the nearest ``n_neighbors`` (+1 in
    ``"distance"`` mode) training texts, nearest first, ties in training order, as
    :func:`npc.nearest` finds them. ``fit_transform(X)`` treats ``X`` as the training set:
    each text is its own neighbour at distance 0 on the diagonal (a real compressor's
    ``NCD(x, x)`` is small but not 0), followed by its nearest other texts, which is
    what scikit-learn's estimators expect of a training graph. NCD below 0 (possible
    with some compressors on tiny texts) is stored as 0: scikit-learn refuses negative
    precomputed distances.

    Examples
    --------
    >>> texts = ["the cat sat", "a cat sat", "stocks fell", "shares fell"]
    >>> graph = NCDTransformer(n_neighbors=1).fit_transform(texts)
    >>> graph.shape, graph.nnz
    ((4, 4), 8)
    """

    _parameter_constraints: dict = {
        **NCDNeighborsBase._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"distance", "connectivity"})],
    }

    def __init__(self, n_neighbors=5, *, mode="distance", compressor="gzip", level=None, sep=" ", n_jobs=None,
                 cache_dir=None, verbose=0):
        self.n_neighbors = n_neighbors
        self.mode = mode
        self.compressor = compressor
        self.level = level
        self.sep = sep
        self.n_jobs = n_jobs
        self.cache_dir = cache_dir
        self.verbose = verbose

    @property
    def _width(self) -> int:
        return self.n_neighbors + (self.mode == "distance")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store the training texts.

        Parameters
        ----------
        X : sequence of str or bytes
        y : ignored

        Returns
        -------
        self
        """
        corpus = as_corpus(X, name="X")
        check_n_neighbors(self._width, len(corpus))
        return self._store_references(corpus)

    def _graph(self, distances: np.ndarray, indices: np.ndarray) -> csr_matrix:
        n_rows, width = indices.shape
        data = np.maximum(distances, 0.0) if self.mode == "distance" else np.ones(indices.shape)
        indptr = np.arange(0, n_rows * width + 1, width)
        return csr_matrix((data.ravel(), indices.ravel(), indptr), shape=(n_rows, self.n_samples_fit_))

    def transform(self, X):
        """The graph from the texts of ``X`` (new queries) to the training texts.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (len(X), n_samples_fit_)
        """
        check_is_fitted(self)
        return self._graph(*self._search(X, self._width)[:2])

    def fit_transform(self, X, y=None):
        """Fit on ``X``, then its graph with each text as its own neighbour at distance 0.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (len(X), len(X))
        """
        self.fit(X)
        n = self.n_samples_fit_
        own = (np.zeros((n, 1)), np.arange(n)[:, None])
        if self._width == 1:
            return self._graph(*own)
        distances, indices, _ = self._search(self.corpus_, self._width, query_sizes=self.compressed_sizes_)
        distances, indices = drop_self(distances, indices)
        return self._graph(np.hstack([own[0], distances]), np.hstack([own[1], indices]))
