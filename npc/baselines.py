"""Bag-of-words baselines built from scikit-learn pieces.

- :class:`CosineKNNClassifier`: k nearest neighbours under cosine distance between
  bag-of-words or TF-IDF vectors, voting with :func:`npc.vote.vote` (the same tie rules
  as :class:`~npc.NCDClassifier`);
- :func:`tfidf_logistic_regression`: TF-IDF (word or character n-grams) followed by
  logistic regression;
- :func:`make_baseline`: the named models of the command line (``bow-knn``,
  ``tfidf-knn``, ``tfidf-lr``, ``char-tfidf-lr``).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from npc._tags import TextInputMixin
from npc._validation import InvalidInputError, check_labels, check_n_neighbors, check_texts, decode_text
from npc.neighbors import top_k
from npc.vote import TIE_BREAKS, WEIGHTS, VotingMixin

__all__ = ["CosineKNNClassifier", "tfidf_logistic_regression", "make_baseline", "BASELINES"]

# Query rows per block of the similarity matrix: bounds memory at rows x n_train floats.
_ROWS_PER_BLOCK = 512


def _texts(X, name: str = "X") -> list[str]:
    """Validated texts as str (bytes decoded as npc encodes text, so a lone surrogate stays itself)."""
    return [decode_text(item) for item in check_texts(X, name=name)]


class CosineKNNClassifier(TextInputMixin, VotingMixin, ClassifierMixin, BaseEstimator):
    """k-nearest-neighbour classifier on cosine distances between text vectors.

    Parameters
    ----------
    n_neighbors : int, default 1
        Number of neighbours that vote.
    vectorizer : scikit-learn vectorizer, optional
        Turns texts into vectors (cloned at fit); default ``TfidfVectorizer()``.
    tie_break : {"nearest", "random", "lowest", "shrink"}, default "nearest"
        Rule among classes with equal votes, as in :func:`npc.vote.vote`.
    weights : {"uniform", "distance"}, default "uniform"
        Each neighbour votes 1, or ``1 / distance``.
    random_state : int, RandomState or None
        Seeds the ``"random"`` tie rule.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    vectorizer_ : the fitted vectorizer
    n_samples_fit_ : int

    Notes
    -----
    The distance is ``1 - cos(u, v)`` (a text with no known token is at distance 1 from
    everything). Neighbours are ordered by (distance, training index) with a stable sort,
    then vote exactly as :class:`~npc.NCDClassifier` does.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> clf = CosineKNNClassifier(1, vectorizer=CountVectorizer()).fit(
    ...     ["the cat sat on the mat", "stocks fell sharply today"], ["pets", "finance"])
    >>> clf.predict(["a cat on a mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "vectorizer": [HasMethods(["fit_transform", "transform"]), None],
        "tie_break": [StrOptions(set(TIE_BREAKS))],
        "weights": [StrOptions(set(WEIGHTS))],
        "random_state": ["random_state"],
    }

    def __init__(self, n_neighbors=1, *, vectorizer=None, tie_break="nearest", weights="uniform",
                 random_state=None):
        self.n_neighbors = n_neighbors
        self.vectorizer = vectorizer
        self.tie_break = tie_break
        self.weights = weights
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Vectorise and store the training texts.

        Parameters
        ----------
        X : sequence of str or bytes
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        texts = _texts(X)
        labels = check_labels(y, len(texts))
        check_n_neighbors(self.n_neighbors, len(texts))
        self.vectorizer_ = clone(self.vectorizer) if self.vectorizer is not None else TfidfVectorizer()
        self._vectors = normalize(self.vectorizer_.fit_transform(texts)).tocsr()
        self.classes_, self._y = np.unique(labels, return_inverse=True)
        self.n_samples_fit_ = len(texts)
        return self

    def kneighbors(self, X, n_neighbors=None, return_distance=True):
        """Nearest training texts of each query by cosine distance.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Only when ``return_distance``.
        indices : ndarray of shape (n_queries, n_neighbors)
            Positions in the training set, nearest first (ties by position).
        """
        check_is_fitted(self)
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        k = check_n_neighbors(k, self.n_samples_fit_)
        queries = normalize(self.vectorizer_.transform(_texts(X))).tocsr()
        blocks = [
            top_k(1.0 - (queries[start : start + _ROWS_PER_BLOCK] @ self._vectors.T).toarray(), k)
            for start in range(0, queries.shape[0], _ROWS_PER_BLOCK)
        ]
        distances = np.concatenate([block["distances"] for block in blocks])
        indices = np.concatenate([block["indices"] for block in blocks])
        return (distances, indices) if return_distance else indices


def tfidf_logistic_regression(*, analyzer="word", ngram_range=(1, 2), min_df=1, C=10.0, max_iter=2000):
    """TF-IDF features followed by a logistic regression, as one scikit-learn pipeline.

    Parameters
    ----------
    analyzer : {"word", "char_wb"}, default "word"
        Word n-grams, or character n-grams inside word boundaries.
    ngram_range : tuple, default (1, 2)
        Smallest and largest n-gram.
    min_df : int, default 1
        Ignore n-grams found in fewer training texts.
    C : float, default 10.0
        Inverse regularisation strength of the logistic regression.
    max_iter : int, default 2000

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> model = tfidf_logistic_regression().fit(
    ...     ["the cat sat", "a cat ran", "stocks fell", "shares fell"], ["pets", "pets", "finance", "finance"])
    >>> model.predict(["the cat"]).tolist()
    ['pets']
    """
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, min_df=min_df, sublinear_tf=True)),
        ("logistic", LogisticRegression(C=C, max_iter=max_iter)),
    ])


BASELINES = {
    "bow-knn": lambda n_neighbors=1, **params: CosineKNNClassifier(n_neighbors, vectorizer=CountVectorizer(), **params),
    "tfidf-knn": lambda n_neighbors=1, **params: CosineKNNClassifier(
        n_neighbors, vectorizer=TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), **params),
    "tfidf-lr": lambda **params: tfidf_logistic_regression(**params),
    "char-tfidf-lr": lambda **params: tfidf_logistic_regression(
        **{"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, **params}),
}


def make_baseline(name: str, **params):
    """A fresh baseline estimator by name (see ``BASELINES``).

    Raises
    ------
    InvalidInputError
        For an unknown name (the message lists the known ones); a ``ValueError``.
    """
    if name not in BASELINES:
        raise InvalidInputError(f"Unknown baseline {name!r}; choose one of {', '.join(sorted(BASELINES))}.")
    return BASELINES[name](**params)
