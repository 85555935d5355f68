"""CompressorClassifier: one primed zstd compressor (or several) per class, no pairwise work."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pyzstd
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from npc._tags import TextInputMixin
from npc._validation import check_labels, encode_text
from npc.corpus import as_corpus

__all__ = ["CompressorClassifier"]

# zstd refuses dictionary content shorter than this many bytes.
_MIN_PRIME = 8


class CompressorClassifier(TextInputMixin, ClassifierMixin, BaseEstimator):
    """Predict the class whose primed compressor compresses the text smallest.

    Each class's training texts, joined by ``sep``, become the raw-content dictionary
    ("prime") of a zstd compressor; a query is compressed once per class and goes to the
    class that needs the fewest bytes. With ``n_compressors > 1`` the class's texts are
    dealt round-robin into that many primes and the class scores its smallest size (the
    "compressors per class" of FTCC).

    Parameters
    ----------
    n_compressors : int, default 1
        Primed compressors per class.
    level : int, default 9
        zstd compression level.
    sep : str or bytes, default " "
        Joins the training texts of a prime.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    primes_ : list of bytes
        The dictionaries' contents, ``n_compressors`` per class in class order.
    prime_classes_ : ndarray of int
        The class code of each prime.

    Notes
    -----
    A raw-content dictionary acts as history the compressor may reference, so
    ``C_c(x)`` approximates ``C(prime_c + x) - C(prime_c)`` without compressing the prime
    again. zstd only references the last window of history (8 MiB at level 9, less at
    lower levels), so a class with more training text than that is judged by its last
    part. zstd needs at least 8 bytes of dictionary: a shorter prime (a class with very
    little text) is right-padded with NUL bytes to 8, history that text rarely matches, so
    such a class is judged by the little text it has; longer primes are used as they are.
    Equal sizes go to the first class in ``classes_``.

    Examples
    --------
    >>> clf = CompressorClassifier().fit(
    ...     ["the cat sat on the mat", "stocks fell sharply today"], ["pets", "finance"])
    >>> clf.predict(["the cat sat on a mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        "n_compressors": [Interval(Integral, 1, None, closed="left")],
        "level": [Interval(Integral, pyzstd.compressionLevel_values.min, pyzstd.compressionLevel_values.max,
                           closed="both")],
        "sep": [str, bytes],
    }

    def __init__(self, n_compressors=1, *, level=9, sep=" "):
        self.n_compressors = n_compressors
        self.level = level
        self.sep = sep

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Build the primes of every class.

        Parameters
        ----------
        X : sequence of str or bytes
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        corpus = as_corpus(X, name="X")
        labels = check_labels(y, len(corpus))
        self.classes_, codes = np.unique(labels, return_inverse=True)
        sep = encode_text(self.sep)
        primes, owners = [], []
        for code in range(len(self.classes_)):
            members = np.flatnonzero(codes == code)
            for part in range(min(self.n_compressors, len(members))):
                primes.append(sep.join(corpus.items[i] for i in members[part :: self.n_compressors]))
                owners.append(code)
        self.primes_ = primes
        self.prime_classes_ = np.asarray(owners)
        self._build_dictionaries()
        return self

    def _build_dictionaries(self):
        # A digested dictionary in a reused context costs microseconds per query; passing
        # the dictionary to one-shot calls re-digests it every time (milliseconds).
        self._compressors = [
            pyzstd.ZstdCompressor(self.level, pyzstd.ZstdDict(prime.ljust(_MIN_PRIME, b"\0"), is_raw=True)
                                  .as_digested_dict)
            for prime in self.primes_
        ]

    def __getstate__(self):
        # zstd contexts do not pickle; they are rebuilt from the primes.
        state = self.__dict__.copy()
        state.pop("_compressors", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "primes_" in state:
            self._build_dictionaries()

    def class_sizes(self, X) -> np.ndarray:
        """Compressed size of each text under each class's best prime.

        Returns
        -------
        ndarray of shape (n_queries, n_classes), int64
        """
        check_is_fitted(self)
        items = as_corpus(X, name="X", allow_empty=True).items
        flush = pyzstd.ZstdCompressor.FLUSH_FRAME
        per_prime = np.array([[len(compressor.compress(item, flush)) for compressor in self._compressors]
                              for item in items], dtype=np.int64).reshape(len(items), len(self._compressors))
        sizes = np.full((len(items), len(self.classes_)), np.iinfo(np.int64).max, dtype=np.int64)
        for column, code in enumerate(self.prime_classes_):
            np.minimum(sizes[:, code], per_prime[:, column], out=sizes[:, code])
        return sizes

    def predict(self, X):
        """Class labels of the texts in ``X``."""
        check_is_fitted(self)
        return self.classes_[np.argmin(self.class_sizes(X), axis=1)]

    def predict_proba(self, X):
        """Class probabilities proportional to ``2 ** -bits``, the bits being ``8 * class_sizes(X)``.

        As :meth:`PPMClassifier.predict_proba`: the posterior with equal class priors when a
        class's compressor is its model of the text. A byte less is a factor 256, so the
        probabilities are close to 0 or 1; equal sizes share equally (``predict`` takes the
        first of them, as ``argmax`` does).
        """
        return softmax(-8 * np.log(2.0) * self.class_sizes(X), axis=1)
