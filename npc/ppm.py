"""PPMClassifier: a PPM (prediction by partial matching) model per class, code lengths in bits."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from npc import _ppm_kernel
from npc._tags import TextInputMixin
from npc._validation import check_labels, check_texts, encode_text

__all__ = ["PPMClassifier"]

# Stored bytes per context (a table row of two int64 at a load of at most 1/2, plus a row
# of ctx_info) and per (context, symbol) pair (one symbol byte, one int32 count).
_CONTEXT_BYTES = 2 * 16 + 24
_PAIR_BYTES = 5


class PPMClassifier(TextInputMixin, ClassifierMixin, BaseEstimator):
    """Predict the class whose PPM model codes the text in the fewest bits.

    ``fit`` counts, for every class, how often each byte follows each context of order
    ``0..order`` in the class text (the class's training texts, each followed by ``sep``).
    ``predict`` computes, for each text and class, the exact number of bits an adaptive
    PPM coder spends on the text when it comes right after the class text: the sum over
    its bytes of ``-log2 p(byte | preceding bytes)``. The model keeps learning within the
    text (its counts are added to a query-time overlay as it is coded) and forgets it
    afterwards, so the class statistics are never modified. No arithmetic coder is run:
    the probabilities' logarithms are summed.

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
    escaped from; a class text's counts are then computed at once with numpy (order ``k``
    counts the occurrences where the order-``k + 1`` pair is new). A query's first
    contexts reach back into the end of the class text.

    The defaults (order 3, escape "C", full updates) have the best mean accuracy of
    orders 2-6, escapes C and D and both update rules on held-out parts of the R8 and
    Ohsumed training splits (a stratified fifth of each, models fitted on the rest; never
    the test split); ``python -m experiments.bench_ppm`` records the selection
    (results/bench_ppm.md). Update exclusion brings the code lengths closer to PPMd's but
    classified slightly worse there. To choose them for other data, use
    ``GridSearchCV`` on the training data.

    Memory: a class's statistics take about 56 bytes per context and 5 per (context,
    byte) pair (``model_bytes_``). When they exceed ``max_memory``, the class keeps the
    (context, byte) pairs that appear first in its text until the limit is reached, with
    their counts over the whole text, and drops later new ones: the model a coder would
    hold if it stopped adding contexts and symbols once its memory was full (as a frozen
    PPMd model). Queries still learn in their overlay.

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
    }

    def __init__(self, order=3, *, escape="C", update_exclusion=False, max_memory=None, sep=" "):
        self.order = order
        self.escape = escape
        self.update_exclusion = update_exclusion
        self.max_memory = max_memory
        self.sep = sep

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
        self.classes_, codes = np.unique(labels, return_inverse=True)
        sep = encode_text(self.sep)
        models = [_count_contexts(b"".join(texts[i] + sep for i in np.flatnonzero(codes == code)),
                                  self.order, self.update_exclusion, self.max_memory)
                  for code in range(len(self.classes_))]
        self._tables = np.concatenate([m["table"] for m in models])
        self._table_starts = np.cumsum([0] + [len(m["table"]) for m in models])
        ctx_offsets = np.cumsum([0] + [len(m["ctx_info"]) for m in models])
        pair_offsets = np.cumsum([0] + [len(m["pair_syms"]) for m in models])
        for m, ctx_offset, pair_offset, start in zip(models, ctx_offsets, pair_offsets, self._table_starts):
            filled = m["table"][:, 0] != 0
            self._tables[start:start + len(m["table"])][filled, 1] += ctx_offset
            m["ctx_info"][:, 0] += pair_offset
        self._ctx_info = np.concatenate([m["ctx_info"] for m in models])
        self._pair_syms = np.concatenate([m["pair_syms"] for m in models])
        self._pair_counts = np.concatenate([m["pair_counts"] for m in models])
        self._tails = np.concatenate([m["tail"] for m in models])
        self._tail_starts = np.cumsum([0] + [len(m["tail"]) for m in models])
        self.n_contexts_ = np.diff(ctx_offsets)
        self.truncated_ = np.array([m["truncated"] for m in models])
        self.model_bytes_ = int(sum(a.nbytes for a in (self._tables, self._ctx_info, self._pair_syms,
                                                        self._pair_counts, self._tails)))
        return self

    def code_lengths(self, X) -> np.ndarray:
        """Bits each class's model spends on each text.

        Returns
        -------
        ndarray of shape (n_queries, n_classes), float64
        """
        check_is_fitted(self)
        texts = check_texts(X, name="X", allow_empty=True)
        queries = np.frombuffer(b"".join(texts), dtype=np.uint8)
        starts = np.cumsum([0] + [len(text) for text in texts])
        return _ppm_kernel.code_lengths(queries, starts, self._tails, self._tail_starts, self._tables,
                                        self._table_starts, self._ctx_info, self._pair_syms, self._pair_counts,
                                        self.order, self.escape == "D", self.update_exclusion)

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


def _visited(first_occurrences: np.ndarray, n: int, order: int) -> np.ndarray:
    """Which (order k, position i) occurrences an update-excluding coder counts.

    Occurrences are laid out order by order (positions ``k..n-1`` for order ``k``). The
    coder codes the byte at ``i`` in its longest context where the byte was seen before
    and counts it there and above, so order ``k`` counts it when the order-``k + 1`` pair
    occurs at ``i`` for the first time (or has no context there, or ``k`` is the top).
    """
    is_first = np.zeros(sum(n - k for k in range(order + 1) if k < n), dtype=bool)
    is_first[first_occurrences] = True
    counted = np.ones_like(is_first, dtype=np.int32)
    offset = 0
    for k in range(min(order, n - 1)):
        above = offset + n - k
        counted[offset + 1:above] = is_first[above:above + n - k - 1]
        offset = above
    return counted


def _count_contexts(data: bytes, order: int, update_exclusion: bool, max_memory: int | None) -> dict:
    """Statistics of one class text: its context table, contexts, pairs and tail."""
    stream = np.frombuffer(data, dtype=np.uint8)
    hashes = _ppm_kernel.context_hashes(stream, order)
    positions = np.concatenate([np.arange(k, len(stream)) for k in range(order + 1)])
    keys = np.concatenate([hashes[k:, k] for k in range(order + 1)])
    symbols = stream[positions]
    by_pair = np.lexsort((positions, symbols, keys))
    keys, symbols, positions = keys[by_pair], symbols[by_pair], positions[by_pair]
    new_pair = np.ones(len(keys), dtype=bool)
    new_pair[1:] = (keys[1:] != keys[:-1]) | (symbols[1:] != symbols[:-1])
    pair_starts = np.flatnonzero(new_pair)
    pair_keys, pair_syms, first_seen = keys[pair_starts], symbols[pair_starts], positions[pair_starts]
    if update_exclusion:
        counted = _visited(by_pair[pair_starts], len(stream), order)[by_pair]
        pair_counts = np.add.reduceat(counted, pair_starts).astype(np.int32)
    else:
        pair_counts = np.diff(np.append(pair_starts, len(keys))).astype(np.int32)
    truncated = False
    if max_memory is not None:
        keep = _pairs_within(pair_keys, first_seen, max_memory)
        truncated = not keep.all()
        pair_keys, pair_syms, pair_counts = pair_keys[keep], pair_syms[keep], pair_counts[keep]
    new_context = np.ones(len(pair_keys), dtype=bool)
    new_context[1:] = pair_keys[1:] != pair_keys[:-1]
    context_starts = np.flatnonzero(new_context)
    ctx_info = np.empty((len(context_starts), 3), dtype=np.int64)
    ctx_info[:, 0] = context_starts
    ctx_info[:, 1] = np.diff(np.append(context_starts, len(pair_keys)))
    ctx_info[:, 2] = np.add.reduceat(pair_counts, context_starts) if len(context_starts) else 0
    capacity = 1 << max(4, int(2 * len(context_starts)).bit_length())
    return {
        "table": _ppm_kernel.build_table(pair_keys[context_starts], capacity),
        "ctx_info": ctx_info,
        "pair_syms": pair_syms.copy(),
        "pair_counts": pair_counts,
        "tail": stream[len(stream) - min(order, len(stream)):].copy(),
        "truncated": truncated,
    }


def _pairs_within(pair_keys: np.ndarray, first_seen: np.ndarray, max_memory: int) -> np.ndarray:
    """Mask of the pairs kept under ``max_memory``: the earliest-seen ones that fit."""
    by_time = np.argsort(first_seen, kind="stable")
    _, first_of_context = np.unique(pair_keys[by_time], return_index=True)
    cost = np.full(len(by_time), _PAIR_BYTES, dtype=np.int64)
    cost[first_of_context] += _CONTEXT_BYTES
    keep = np.zeros(len(by_time), dtype=bool)
    keep[by_time[np.cumsum(cost) <= max_memory]] = True
    return keep
