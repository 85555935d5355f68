"""PPMClassifier: a PPM (prediction by partial matching) model per class, code lengths in bits."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from npc import _ppm_model
from npc._ppm_kernel import needs_compiling
from npc._tags import TextInputMixin
from npc._validation import check_labels, check_stream_classes, check_texts, encode_text

__all__ = ["PPMClassifier", "needs_compiling"]

_N_JOBS = [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None]


class PPMClassModels(TextInputMixin, ClassifierMixin, BaseEstimator):
    """What every PPM class-model estimator shares: fit, partial_fit and code lengths.

    A subclass turns texts into int32 symbol sequences (``_symbols``), names the
    symbols that follow every training text (``_separator``) and the alphabet size
    (``_alphabet``), and has the parameters ``order``, ``escape``, ``update_exclusion``,
    ``max_memory`` and ``n_jobs``.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Count the contexts of every class's text.

        Parameters
        ----------
        X : sequence of str or bytes
        y : array_like of shape (n_samples,)

        Returns
        -------
        self
        """
        texts = check_texts(X, name="X")
        labels = check_labels(y, len(texts))
        classes = np.unique(labels)
        self._set_models(classes, [_ppm_model.empty_model(self.order)] * len(classes))
        return self._learn(texts, labels)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Learn more texts: after any sequence of batches, the models of ``fit`` on all of them.

        Parameters
        ----------
        X : sequence of str or bytes
        y : array_like of shape (n_samples,)
        classes : array_like, optional
            Every class the stream may hold; required on the first call (a class may then
            have no text yet), and if given later, equal to ``classes_``.

        Returns
        -------
        self
        """
        texts = check_texts(X, name="X", allow_empty=True)
        labels = check_labels(y, len(texts))
        first_call = not hasattr(self, "classes_")
        classes = check_stream_classes(None if first_call else self.classes_, labels, classes)
        if first_call:
            self._set_models(classes, [_ppm_model.empty_model(self.order)] * len(classes))
        return self._learn(texts, labels)

    def _learn(self, texts: list[bytes], labels: np.ndarray):
        """Add the texts to their classes' models."""
        state = self._state()
        codes = np.searchsorted(self.classes_, labels)
        symbols = self._symbols(texts)
        separator = self._separator()
        models = [_ppm_model.unpack(state, c) for c in range(len(self.classes_))]
        for c in np.unique(codes):
            models[c] = _ppm_model.learn(models[c], [symbols[i] for i in np.flatnonzero(codes == c)], separator,
                                         self.order, self.update_exclusion, self.max_memory)
        self._set_models(self.classes_, models)
        return self

    def _set_models(self, classes, models):
        self.classes_ = classes
        for name, value in _ppm_model.pack(models).items():
            setattr(self, "_" + name, value)
        self.n_contexts_ = self._n_contexts.copy()
        self.truncated_ = self._budgets[:, 1] != 0
        self.model_bytes_ = int(self._slots.nbytes + self._pairs.nbytes + self._tails.nbytes)

    def _state(self) -> dict:
        return {name: getattr(self, "_" + name) for name in _ppm_model.FIELDS}

    def code_lengths(self, X) -> np.ndarray:
        """Bits each class's model spends on each text.

        Returns
        -------
        ndarray of shape (n_queries, n_classes), float64
        """
        check_is_fitted(self)
        texts = check_texts(X, name="X", allow_empty=True)
        return _ppm_model.code_lengths(self._state(), self._symbols(texts), self.order, self.escape == "D",
                                       self.update_exclusion, self._alphabet(), self.n_jobs)

    def decision_function(self, X):
        """Negative code lengths, centred per row (what ``StackingClassifier`` takes).

        Returns
        -------
        ndarray of shape (n_queries, n_classes); for two classes, shape (n_queries,):
        the second class's score (the first class's bits minus the second's).
        """
        scores = -self.code_lengths(X)
        scores -= scores.mean(axis=1, keepdims=True)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        """Class labels of the texts in ``X``: the class of the fewest bits."""
        bits = self.code_lengths(X)
        return self.classes_[np.argmin(bits, axis=1)]

    def predict_proba(self, X):
        """Class probabilities, proportional to ``2 ** -bits`` (see Notes)."""
        scores = -np.log(2.0) * self.code_lengths(X)
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)


class PPMClassifier(PPMClassModels):
    """Predict the class whose PPM model codes the text in the fewest bits.

    ``fit`` counts, for every class, how often each byte follows each context of order
    ``0..order`` in the class text (the class's training texts, each followed by ``sep``).
    ``predict`` computes, for each text and class, the exact number of bits an adaptive
    PPM coder spends on the text when it comes right after the class text: the sum over
    its bytes of ``-log2 p(byte | preceding bytes)``. The model keeps learning within the
    text (its counts are added to a query-time overlay as it is coded) and forgets it
    afterwards, so the class statistics are never modified. No arithmetic coder is run:
    the probabilities are multiplied and the product's logarithm taken.

    ``partial_fit`` continues each class text with more texts: after any sequence of
    batches the models (and code lengths) are those of ``fit`` on all the texts in the
    order they came. ``decision_function`` gives the negative code lengths centred per
    row (for ``StackingClassifier`` and ``CalibratedClassifierCV``); ``code_lengths`` the
    raw bits.

    Parameters
    ----------
    order : int, default 3
        Longest context, in bytes (at most 16).
    escape : {"C", "D"}, default "C"
        Escape method: "C" (Moffat) gives a context with ``n`` symbol occurrences of
        ``d`` distinct bytes the escape probability ``d / (n + d)`` and a byte seen ``c``
        times ``c / (n + d)``; "D" (Howard) gives ``d / (2n)`` and ``(2c - 1) / (2n)``.
    update_exclusion : bool, default False
        Count a byte only in the contexts the coder visited for it (from the longest down
        to the one that coded it), as PPMC and PPMd do; ``False`` counts it in every
        context of orders ``0..order`` (plain n-gram counts).
    max_memory : int or None, default None
        Largest model per class, in bytes (see Notes); ``None`` for no limit.
    sep : str or bytes, default " "
        Follows every training text in its class text.
    n_jobs : int or None, default None
        Threads coding query chunks in ``code_lengths``, ``predict`` and friends (``-1``:
        every core); the results do not depend on it.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    n_contexts_ : ndarray of int
        Contexts stored per class (all orders).
    model_bytes_ : int
        Memory of the stored statistics of all classes, in bytes.
    truncated_ : ndarray of bool
        Whether a class's statistics were cut at ``max_memory``.

    Notes
    -----
    The variant: PPM with the escape method ``escape``, full exclusion (the bytes of a
    context the coder escaped from are excluded from every lower order: their counts
    leave the totals and they cannot be coded there), contexts never seen and contexts
    whose every byte is excluded cost nothing, and the last resort (order -1) is uniform
    over the 256 byte values less the excluded ones. With update exclusion (PPMC's and
    PPMd's rule) a byte is counted in the context that coded it and the longer ones it
    escaped from. A query's first contexts reach back into the end of the class text.

    The defaults (order 3, escape "C", full updates) have the best mean accuracy of
    orders 2-6, escapes C and D and both update rules on held-out parts of the R8 and
    Ohsumed training splits (a stratified fifth of each, models fitted on the rest; never
    the test split); ``python -m experiments.bench_ppm`` records the selection
    (results/bench_ppm.md). Update exclusion brings the code lengths closer to PPMd's but
    classified slightly worse there. To choose them for other data, use
    ``GridSearchCV`` on the training data.

    Memory: a class's statistics take 32 bytes per slot of its context table (at most
    half full) and 8 per (context, byte) pair (``model_bytes_``). ``max_memory`` is a
    budget charging 56 bytes per context and 5 per pair: the class adds the (context,
    byte) pairs in the order they first appear in its text (pairs new at one position in
    the order of their context hashes) until one does not fit, then adds no new pair:
    the model a coder would hold if it stopped adding contexts and symbols once its
    memory was full (as a frozen PPMd model). The pairs it holds keep counting; with
    update exclusion a pair it dropped counts as unseen (the byte is counted in the
    contexts below it). The same rule holds across ``partial_fit`` batches, so a long
    stream stays bounded. Queries still learn in their overlay. ``fit`` and
    ``partial_fit`` stream each class text once, in blocks, into growing count tables
    merged into the class model afterwards: beside the texts, they hold the model and
    those tables (a few times the model). Counts are 32-bit: at most ``2**31 - 1`` per
    (context, byte) pair.

    Code lengths are compared exactly; equal lengths go to the first class in
    ``classes_``. ``predict_proba`` is the posterior under the coders' models with equal
    class priors: ``p(c | x)`` proportional to ``2 ** -bits_c(x)`` (a softmax of
    ``-bits * ln 2``). Differences of tens of bits between classes are common, so the
    probabilities are close to 0 or 1.

    Contexts are identified by 64-bit hashes (see ``npc/_ppm_kernel.py``): two distinct
    contexts of a class collide with probability about 1e-6 at 6 million contexts.

    References: Cleary & Witten (1984), Moffat (1990, method C), Howard (1993, method D);
    Frank, Chui & Witten (2000) and Teahan & Harper (2003) classify text by PPM code
    length; Bratko et al. (JMLR 2006) filter spam with it.

    Examples
    --------
    >>> clf = PPMClassifier(order=3).fit(
    ...     ["the cat sat on the mat", "stocks fell sharply today"], ["pets", "finance"])
    >>> clf.predict(["the cat sat on a mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 0, 16, closed="both")],
        "escape": [StrOptions({"C", "D"})],
        "update_exclusion": ["boolean"],
        "max_memory": [Interval(Integral, 1, None, closed="left"), None],
        "sep": [str, bytes],
        "n_jobs": _N_JOBS,
    }

    def __init__(self, order=3, *, escape="C", update_exclusion=False, max_memory=None, sep=" ", n_jobs=None):
        self.order = order
        self.escape = escape
        self.update_exclusion = update_exclusion
        self.max_memory = max_memory
        self.sep = sep
        self.n_jobs = n_jobs

    def _symbols(self, texts: list[bytes]) -> list[np.ndarray]:
        return [np.frombuffer(text, dtype=np.uint8) for text in texts]

    def _separator(self) -> np.ndarray:
        return np.frombuffer(encode_text(self.sep), dtype=np.uint8)

    def _alphabet(self) -> int:
        return 256
