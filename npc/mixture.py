"""CodeLengthMixer: a fitted geometric mixture (product of experts) of class models' code lengths."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from npc._code_lengths import centred_scores
from npc._tags import TextInputMixin
from npc._validation import InvalidInputError, check_labels, check_texts

__all__ = ["CodeLengthMixer", "default_sources", "fit_mixture", "mixed_logits", "out_of_fold_code_lengths",
           "text_lengths"]


def default_sources(n_jobs=None) -> list:
    """The sources of ``CodeLengthMixer()``: byte PPM of orders 2, 3 and 4, one zstd compressor per
    class, and the token PPM (words and word bigrams).

    Chosen on held-out folds of samples of the training splits of R8, R52, Ohsumed,
    20 Newsgroups and IMDb (``python -m experiments.select_mixture``,
    results/mixture_selection.md): the best mean accuracy of every set of byte PPM orders
    2-5, CompressorClassifier and TokenPPMClassifier whose prediction costs at most 5 times
    order-3 PPM's.

    Parameters
    ----------
    n_jobs : int, optional
        Threads of each source's predictions.

    Examples
    --------
    >>> [type(source).__name__ for source in default_sources()]
    ['PPMClassifier', 'PPMClassifier', 'PPMClassifier', 'CompressorClassifier', 'TokenPPMClassifier']
    """
    from npc.compressor_classifier import CompressorClassifier
    from npc.ppm import PPMClassifier
    from npc.token_ppm import TokenPPMClassifier

    return [PPMClassifier(2, n_jobs=n_jobs), PPMClassifier(3, n_jobs=n_jobs), PPMClassifier(4, n_jobs=n_jobs),
            CompressorClassifier(n_jobs=n_jobs), TokenPPMClassifier(n_jobs=n_jobs)]


class CodeLengthMixer(TextInputMixin, ClassifierMixin, BaseEstimator):
    """Mix several class models by weighting their code lengths, with weights fitted out of fold.

    Each source is a class model with a ``code_lengths(X)`` method (bits per text and
    class: :class:`~npc.PPMClassifier`, :class:`~npc.CompressorClassifier`, ...). The
    mixture's logit of class ``c`` for a text ``x`` of ``L`` bytes is

    ``z_c(x) = -sum_j (w_j * bits_jc(x) + v_j * bits_jc(x) / L) + b_c``

    and ``predict_proba`` is the softmax of the logits: a geometric mixture (product of
    experts) of the sources' class posteriors, with a per-source weight on the bits, a
    per-source weight on the bits per byte and a bias per class (``b`` of the first
    class is 0): ``2J + C - 1`` parameters for ``J`` sources and ``C`` classes.

    ``fit`` computes every training text's code lengths out of fold (each source is
    fitted on the other folds' texts), fits the parameters by maximum likelihood on them
    with a light L2 penalty, then refits every source on all the training texts.

    Parameters
    ----------
    sources : list of estimators, optional
        Class models with ``fit`` and ``code_lengths``; cloned, never modified.
        Default: :func:`default_sources`.
    cv : int, cross-validation generator or iterable, default 5
        The folds of the out-of-fold code lengths; an int gives
        :class:`~sklearn.model_selection.StratifiedKFold` without shuffling.
    alpha : float, default 1e-3
        L2 penalty on the parameters, on the scale of the mean log-loss (see Notes).
    n_jobs : int, optional
        Parallel workers over (fold, source) fits (joblib semantics). Each worker holds
        a source's model, so memory grows with it.

    Attributes
    ----------
    classes_ : ndarray
        The sorted class labels.
    sources_ : list of estimators
        The sources refitted on all the training texts.
    weights_ : ndarray of shape (n_sources,)
        ``w``: weight of each source's bits (``ln 2`` is the source's own posterior).
    length_weights_ : ndarray of shape (n_sources,)
        ``v``: weight of each source's bits per byte.
    class_bias_ : ndarray of shape (n_classes,)
        ``b``, 0 for the first class.
    folds_ : ndarray of int, shape (n_samples,)
        The fold each training text was held out in.
    n_iter_ : int
        L-BFGS iterations of the fit.

    Notes
    -----
    Lengths are in bytes of the encoded text (at least 1), so ``bits / L`` is the bits
    per byte, a number between about 1 and 8 whichever the text's length, while ``bits``
    grows with it: the first term lets the evidence of a long text count for more, the
    second judges texts of any length by their rate. The fit minimises the mean negative
    log-likelihood of the training labels plus ``alpha / 2`` times the squared norm of the
    parameters, the weights measured in units of their features' standard deviation
    (bits centred per text over the classes), with L-BFGS and the analytic gradient; the
    problem is convex. A class absent from the training texts of a fold gets, for that
    fold's texts, the largest code length of the classes its source knows.

    ``predict`` returns the class of the largest logit (the first in ``classes_`` on a
    tie), i.e. ``classes_[argmax(predict_proba)]``; ``decision_function`` is the logits
    centred per row (for two classes, one column: the log-odds of ``classes_[1]``).

    With ``w = ln 2`` for one source and every other parameter 0 the mixture is that
    source's own posterior. The same mixture of PPM orders and token models was proposed
    on these data sets in npc's issue 23; mixing code lengths of models of several orders
    goes back to PPM's blending (Cleary & Witten 1984) and to product-of-experts training
    (Hinton 2002).

    Examples
    --------
    >>> from npc import PPMClassifier
    >>> texts = ["the cat sat", "a cat ran", "cats nap", "stocks fell", "shares fell", "markets slid"]
    >>> labels = ["pets"] * 3 + ["finance"] * 3
    >>> mixer = CodeLengthMixer([PPMClassifier(1), PPMClassifier(3)], cv=3).fit(texts, labels)
    >>> mixer.weights_.shape, mixer.folds_.tolist()
    ((2,), [0, 1, 2, 0, 1, 2])
    >>> mixer.predict(["a cat sat on the mat"]).tolist()
    ['pets']
    """

    _parameter_constraints: dict = {
        "sources": [list, None],
        "cv": ["cv_object"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, sources=None, *, cv=5, alpha=1e-3, n_jobs=None):
        self.sources = sources
        self.cv = cv
        self.alpha = alpha
        self.n_jobs = n_jobs

    def _checked_sources(self) -> list:
        sources = default_sources() if self.sources is None else self.sources
        if not sources:
            raise InvalidInputError("sources is empty: CodeLengthMixer needs at least one class model.")
        for index, source in enumerate(sources):
            if not (hasattr(source, "fit") and hasattr(source, "code_lengths")):
                raise InvalidInputError(f"sources[{index}] ({type(source).__name__}) has no fit and code_lengths "
                                        "methods; every source must be a class model such as PPMClassifier.")
        return sources

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the mixture on out-of-fold code lengths, then refit the sources on all of ``X``.

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
        sources = self._checked_sources()
        classes, codes = np.unique(labels, return_inverse=True)
        splitter = check_cv(self.cv, codes, classifier=True)
        if len(texts) < splitter.get_n_splits():
            raise InvalidInputError(f"CodeLengthMixer with {splitter.get_n_splits()} folds needs at least as many "
                                    f"texts; got n_samples = {len(texts)}.")
        bits, folds = out_of_fold_code_lengths(sources, texts, codes, splitter, n_jobs=self.n_jobs)
        self.weights_, self.length_weights_, self.class_bias_, self.n_iter_ = fit_mixture(
            bits, text_lengths(texts), codes, alpha=self.alpha)
        self.sources_ = Parallel(n_jobs=self.n_jobs)(delayed(_fitted)(source, texts, codes) for source in sources)
        self.classes_, self.folds_ = classes, folds
        return self

    def code_lengths(self, X) -> np.ndarray:
        """Each source's code lengths of each text, shape (n_queries, n_sources, n_classes), bits."""
        check_is_fitted(self)
        texts = check_texts(X, name="X", allow_empty=True)
        return np.stack([source.code_lengths(texts) for source in self.sources_], axis=1).reshape(
            len(texts), len(self.sources_), len(self.classes_))

    def _logits(self, X) -> np.ndarray:
        check_is_fitted(self)
        texts = check_texts(X, name="X", allow_empty=True)
        return mixed_logits(self.code_lengths(texts), text_lengths(texts), self.weights_, self.length_weights_,
                            self.class_bias_)

    def decision_function(self, X):
        """The mixed logits centred per row (for two classes: the log-odds of ``classes_[1]``)."""
        return centred_scores(-self._logits(X))

    def predict_proba(self, X):
        """The softmax of the mixed logits."""
        return softmax(self._logits(X), axis=1)

    def predict(self, X):
        """The class of the largest mixed logit."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]


def text_lengths(texts: list[bytes]) -> np.ndarray:
    """Length of each encoded text in bytes, at least 1."""
    return np.maximum(1, np.fromiter(map(len, texts), dtype=np.float64, count=len(texts)))


def _fitted(source, texts: list[bytes], codes: np.ndarray):
    return clone(source).fit(texts, codes)


def _fold_code_lengths(source, texts, codes, train, test, n_classes: int) -> np.ndarray:
    """Code lengths of the ``test`` texts under ``source`` fitted on the ``train`` texts, all classes."""
    model = _fitted(source, [texts[i] for i in train], codes[train])
    known = model.code_lengths([texts[i] for i in test])
    bits = np.repeat(known.max(axis=1, keepdims=True), n_classes, axis=1)
    bits[:, model.classes_] = known
    return bits


def out_of_fold_code_lengths(sources: list, texts: list[bytes], codes: np.ndarray, cv, *, n_jobs=None):
    """Every text's code lengths under every source fitted on the other folds.

    Parameters
    ----------
    sources : list of class models
    texts : list of bytes
    codes : ndarray of int
        Class codes ``0..n_classes - 1``.
    cv : cross-validation generator
        Its ``split(texts, codes)`` gives the folds.
    n_jobs : int, optional
        Parallel workers over (fold, source) fits.

    Returns
    -------
    bits : ndarray of shape (n_samples, n_sources, n_classes), float64
        A class absent from a fold's training texts gets the largest code length of the
        classes the source knows.
    folds : ndarray of int, shape (n_samples,)
        The fold each text was held out in.
    """
    n_classes = int(codes.max()) + 1
    splits = list(cv.split(np.zeros((len(texts), 1)), codes))
    tasks = [(fold, j) for fold in range(len(splits)) for j in range(len(sources))]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fold_code_lengths)(sources[j], texts, codes, *splits[fold], n_classes) for fold, j in tasks)
    bits = np.empty((len(texts), len(sources), n_classes))
    folds = np.empty(len(texts), dtype=np.int64)
    for (fold, j), fold_bits in zip(tasks, results):
        test = splits[fold][1]
        bits[test, j] = fold_bits
        folds[test] = fold
    return bits, folds


def _features(bits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Minus the bits and bits per byte, centred over the classes: shape (n, n_classes, 2 * n_sources)."""
    centred = bits - bits.mean(axis=2, keepdims=True)
    return -np.concatenate([centred, centred / lengths[:, None, None]], axis=1).transpose(0, 2, 1)


def _loss_and_gradient(params, features, onehot, alpha):
    """Mean negative log-likelihood plus ``alpha / 2 * |params|^2``, and its gradient."""
    n_features = features.shape[2]
    theta, bias = params[:n_features], np.concatenate([[0.0], params[n_features:]])
    logits = features @ theta + bias
    log_p = log_softmax(logits, axis=1)
    residual = (np.exp(log_p) - onehot) / len(onehot)
    loss = -np.sum(onehot * log_p) / len(onehot) + alpha / 2 * params @ params
    gradient = np.concatenate([np.einsum("ic,ick->k", residual, features), residual.sum(axis=0)[1:]])
    return loss, gradient + alpha * params


def fit_mixture(bits: np.ndarray, lengths: np.ndarray, codes: np.ndarray, *, alpha: float = 1e-3):
    """Maximum-likelihood weights of a code-length mixture (see :class:`CodeLengthMixer`).

    Parameters
    ----------
    bits : ndarray of shape (n_samples, n_sources, n_classes)
        Out-of-fold code lengths.
    lengths : ndarray of shape (n_samples,)
        Text lengths in bytes (at least 1).
    codes : ndarray of int, shape (n_samples,)
        True class codes.
    alpha : float
        L2 penalty on the standardised parameters.

    Returns
    -------
    weights, length_weights : ndarray of shape (n_sources,)
    class_bias : ndarray of shape (n_classes,)
    n_iter : int
    """
    _, n_sources, n_classes = bits.shape
    features = _features(bits, lengths)
    scale = features.reshape(-1, 2 * n_sources).std(axis=0)
    scale[scale == 0] = 1.0
    onehot = np.eye(n_classes)[codes]
    result = minimize(_loss_and_gradient, np.zeros(2 * n_sources + n_classes - 1), jac=True, method="L-BFGS-B",
                      args=(features / scale, onehot, alpha), options={"maxiter": 1000})
    if not result.success:
        warnings.warn(f"The mixture's L-BFGS did not converge: {result.message}", ConvergenceWarning, stacklevel=2)
    theta = result.x[:2 * n_sources] / scale
    return theta[:n_sources], theta[n_sources:], np.concatenate([[0.0], result.x[2 * n_sources:]]), int(result.nit)


def mixed_logits(bits: np.ndarray, lengths: np.ndarray, weights, length_weights, class_bias) -> np.ndarray:
    """``z_c = -sum_j (w_j * bits_jc + v_j * bits_jc / L) + b_c``, shape (n_samples, n_classes)."""
    per_byte = bits / lengths[:, None, None]
    return -(np.einsum("ijc,j->ic", bits, weights) + np.einsum("ijc,j->ic", per_byte, length_weights)) + class_bias
