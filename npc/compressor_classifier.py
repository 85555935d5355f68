"""CompressorClassifier: one primed zstd compressor (or several) per class, no pairwise work."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pyzstd
from joblib import Parallel, delayed, effective_n_jobs
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import gen_even_slices
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from npc._code_lengths import centred_scores
from npc._tags import TextInputMixin
from npc._validation import check_labels, check_stream_classes, encode_text
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
    n_jobs : int, optional
        Threads of ``class_sizes`` and everything built on it (joblib semantics; ``None``
        follows ``joblib.parallel_config``). The queries are cut into one slice per
        thread, each with compressors of its own; results do not depend on it.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    class_count_ : ndarray of int
        Training texts seen per class.
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
    A class declared to ``partial_fit`` but without texts yet has one empty prime.
    Equal sizes go to the first class in ``classes_``.

    ``code_lengths`` is ``8 * class_sizes``: the bits of the whole zstd frame, header
    included. ``decision_function`` is minus the code lengths, centred per row (for two
    classes, one column: the bits the first class spends more than the second).

    ``partial_fit`` appends each batch's texts to the primes in the order they arrive,
    dealing them round-robin as ``fit`` does, so any sequence of batches gives the primes
    (and sizes) of ``fit`` on all the texts in that order.

    Examples
    --------
    >>> clf = CompressorClassifier().fit(
    ...     ["the cat sat on the mat", "stocks fell sharply today"], ["pets", "finance"])
    >>> clf.predict(["the cat sat on a mat"]).tolist()
    ['pets']
    >>> clf.decision_function(["the cat sat on a mat"]) > 0  # positive: classes_[1], 'pets'
    array([ True])
    """

    _parameter_constraints: dict = {
        "n_compressors": [Interval(Integral, 1, None, closed="left")],
        "level": [Interval(Integral, pyzstd.compressionLevel_values.min, pyzstd.compressionLevel_values.max,
                           closed="both")],
        "sep": [str, bytes],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_compressors=1, *, level=9, sep=" ", n_jobs=None):
        self.n_compressors = n_compressors
        self.level = level
        self.sep = sep
        self.n_jobs = n_jobs

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
        self._parts = [[] for _ in self.classes_]
        self.class_count_ = np.zeros(len(self.classes_), dtype=np.int64)
        self._learn(corpus.items, codes)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Add a batch of texts to the primes (see Notes).

        Parameters
        ----------
        X : sequence of str or bytes
        y : array_like of shape (n_samples,)
        classes : array_like, optional
            Every class the stream may hold. Required on the first call (as in
            scikit-learn); later calls may omit it or repeat the same classes. A declared
            class may first appear in any batch.

        Returns
        -------
        self
        """
        corpus = as_corpus(X, name="X")
        labels = check_labels(y, len(corpus))
        first_call = not hasattr(self, "classes_")
        classes = check_stream_classes(None if first_call else self.classes_, labels, classes)
        if first_call:
            self.classes_ = classes
            self._parts = [[] for _ in self.classes_]
            self.class_count_ = np.zeros(len(self.classes_), dtype=np.int64)
        self._learn(corpus.items, np.searchsorted(self.classes_, labels))
        return self

    def _learn(self, items: list[bytes], codes: np.ndarray):
        """Deal the texts of each class round-robin onto its primes; rebuild the changed ones."""
        sep = encode_text(self.sep)
        for code in np.unique(codes):
            members = np.flatnonzero(codes == code)
            parts, seen = self._parts[code], self.class_count_[code]
            for offset in range(min(self.n_compressors, len(members))):
                part = (seen + offset) % self.n_compressors
                added = sep.join(items[i] for i in members[offset :: self.n_compressors])
                if part < len(parts):
                    parts[part] = parts[part] + sep + added
                else:
                    parts.append(added)
            self.class_count_[code] += len(members)
        self.primes_ = [prime for parts in self._parts for prime in (parts or [b""])]
        self.prime_classes_ = np.repeat(np.arange(len(self._parts)), [max(1, len(p)) for p in self._parts])
        self._build_dictionaries()

    def _build_dictionaries(self):
        # A digested dictionary in a reused context costs microseconds per query; passing
        # the dictionary to one-shot calls re-digests it every time (milliseconds).
        self._dictionaries = [pyzstd.ZstdDict(prime.ljust(_MIN_PRIME, b"\0"), is_raw=True) for prime in self.primes_]
        self._compressors = self._new_compressors()

    def _new_compressors(self) -> list:
        return [pyzstd.ZstdCompressor(self.level, dictionary.as_digested_dict) for dictionary in self._dictionaries]

    def __getstate__(self):
        # zstd contexts do not pickle; they are rebuilt from the primes.
        state = self.__dict__.copy()
        state.pop("_compressors", None)
        state.pop("_dictionaries", None)
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
        n_slices = min(effective_n_jobs(self.n_jobs), len(items))
        if n_slices <= 1:
            per_prime = _prime_sizes(self._compressors, items)
        else:
            # Threads (zstd releases the GIL), each with compressors of its own: a compressor
            # is not shared between threads, its digested dictionary is.
            per_prime = np.concatenate(Parallel(n_jobs=n_slices, prefer="threads")(
                delayed(_prime_sizes)(self._new_compressors(), items[part])
                for part in gen_even_slices(len(items), n_slices)))
        sizes = np.full((len(items), len(self.classes_)), np.iinfo(np.int64).max, dtype=np.int64)
        for column, code in enumerate(self.prime_classes_):
            np.minimum(sizes[:, code], per_prime[:, column], out=sizes[:, code])
        return sizes

    def code_lengths(self, X) -> np.ndarray:
        """Bits each class's compressor spends on each text: ``8 * class_sizes(X)``.

        Returns
        -------
        ndarray of shape (n_queries, n_classes), float64
        """
        return 8.0 * self.class_sizes(X)

    def decision_function(self, X):
        """Minus the code lengths, centred per row (for two classes: the first class's bits minus the second's).

        Returns
        -------
        ndarray of shape (n_queries, n_classes), or (n_queries,) for two classes
        """
        return centred_scores(self.code_lengths(X))

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
        return softmax(-np.log(2.0) * self.code_lengths(X), axis=1)


def _prime_sizes(compressors: list, items: list[bytes]) -> np.ndarray:
    """Compressed size of each text under each primed compressor, shape (n_items, n_primes)."""
    flush = pyzstd.ZstdCompressor.FLUSH_FRAME
    return np.array([[len(compressor.compress(item, flush)) for compressor in compressors]
                     for item in items], dtype=np.int64).reshape(len(items), len(compressors))
