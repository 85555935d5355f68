"""CodeLengthMixer: the gradient, the argmax identity, a planted weight recovered, folds, bad input."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold

from npc import CodeLengthMixer, CompressorClassifier, PPMClassifier
from npc.mixture import (
    _features,
    _fold_code_lengths,
    _loss_and_gradient,
    fit_mixture,
    mixed_logits,
    out_of_fold_code_lengths,
    text_lengths,
)
from tests.conftest import read_split


class WrittenBits(BaseEstimator):
    """A fake source whose code lengths are written in the text: ``"3.5 1 2|..."``, field ``column``."""

    def __init__(self, column=0):
        self.column = column

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def code_lengths(self, X):
        rows = [bytes(x).decode().split("|")[self.column].split() for x in X]
        return np.array(rows, dtype=np.float64)[:, self.classes_]


def planted(n, weights, length_weights, bias, seed=0):
    """Texts carrying random code lengths, labels drawn from the mixture with the given parameters."""
    rng = np.random.default_rng(seed)
    n_sources, n_classes = len(weights), len(bias)
    lengths = rng.integers(20, 400, n).astype(np.float64)
    bits = lengths[:, None, None] * rng.uniform(1.5, 3.5, (n, n_sources, n_classes))
    logits = mixed_logits(bits, lengths, np.asarray(weights), np.asarray(length_weights), np.asarray(bias))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    codes = np.array([rng.choice(n_classes, p=row) for row in p])
    # the text's length in bytes is its real length: pad each text to it
    texts = ["|".join(" ".join(f"{b:.17g}" for b in row) for row in sample) for sample in bits]
    texts = [t.ljust(int(length)) if len(t) < length else t for t, length in zip(texts, lengths)]
    return texts, codes, bits, text_lengths([t.encode() for t in texts])


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    bits = rng.uniform(100, 300, (40, 3, 4))
    features = _features(bits, rng.uniform(30, 90, 40)) / 50
    onehot = np.eye(4)[rng.integers(0, 4, 40)]
    for params in (np.zeros(9), rng.normal(size=9)):
        _, gradient = _loss_and_gradient(params, features, onehot, 0.01)
        numeric = approx_fprime(params, lambda p: _loss_and_gradient(p, features, onehot, 0.01)[0], 1e-7)
        assert np.allclose(gradient, numeric, rtol=1e-4, atol=1e-6)


def test_fit_recovers_a_planted_weight():
    _, codes, bits, lengths = planted(6000, [0.3, 0.0], [0.0, 0.0], [0.0, 0.5, -0.5])
    weights, length_weights, bias, _ = fit_mixture(bits, lengths, codes, alpha=0.0)
    assert abs(weights[0] - 0.3) < 0.03 and abs(weights[1]) < 0.03
    assert np.all(np.abs(length_weights) < 5) and np.allclose(bias, [0, 0.5, -0.5], atol=0.15)


def test_the_estimator_recovers_a_planted_length_weight_through_its_folds():
    texts, codes, _, _ = planted(3000, [0.0, 0.05], [3.0, 0.0], [0.0, 0.0], seed=2)
    mixer = CodeLengthMixer([WrittenBits(0), WrittenBits(1)], cv=3, alpha=0.0).fit(texts, codes)
    assert abs(mixer.length_weights_[0] - 3.0) < 0.5 and abs(mixer.weights_[1] - 0.05) < 0.01
    assert abs(mixer.weights_[0]) < 0.01
    expected = np.empty(len(texts), dtype=int)
    for fold, (_, test) in enumerate(StratifiedKFold(3).split(texts, codes)):
        expected[test] = fold
    assert np.array_equal(mixer.folds_, expected)


def test_one_source_at_ln2_is_that_sources_posterior():
    texts = ["the cat sat", "a cat ran", "cats nap", "stocks fell", "shares fell", "markets slid"]
    ppm = PPMClassifier(2).fit(texts, [0, 0, 0, 1, 1, 1])
    queries = [t.encode() for t in ["a cat", "stocks", "the market"]]
    logits = mixed_logits(ppm.code_lengths(queries)[:, None, :], text_lengths(queries), np.array([np.log(2)]),
                          np.zeros(1), np.zeros(2))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(proba, ppm.predict_proba(queries))


@pytest.fixture(scope="module")
def r8_mixer():
    texts, labels = read_split("r8", "train")
    sources = [PPMClassifier(2), PPMClassifier(4), CompressorClassifier()]
    with pytest.warns(UserWarning, match="least populated class"):  # R8's rarest classes: 2 of the 300 texts
        mixer = CodeLengthMixer(sources, cv=3).fit(texts[:300], labels[:300])
    return mixer, texts[:300], labels[:300], texts[300:500]


def test_predict_is_the_argmax_of_predict_proba(r8_mixer):
    mixer, _, _, queries = r8_mixer
    proba = mixer.predict_proba(queries)
    assert np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(mixer.predict(queries), mixer.classes_[np.argmax(proba, axis=1)])
    assert np.array_equal(mixer.predict(queries), mixer.classes_[np.argmax(mixer.decision_function(queries), axis=1)])


def test_sources_are_refitted_on_all_texts_and_out_of_fold_bits_come_from_the_other_folds(r8_mixer):
    mixer, texts, labels, queries = r8_mixer
    codes = np.unique(labels, return_inverse=True)[1]
    alone = PPMClassifier(4).fit(texts, codes)
    assert np.array_equal(mixer.code_lengths(queries)[:, 1], alone.code_lengths(queries))
    with pytest.warns(UserWarning, match="least populated class"):
        bits, folds = out_of_fold_code_lengths([PPMClassifier(4)], [t.encode() for t in texts], codes,
                                               StratifiedKFold(3))
    held = np.flatnonzero(folds == 0)
    fold_model = PPMClassifier(4).fit([texts[i] for i in np.flatnonzero(folds != 0)], codes[folds != 0])
    assert np.array_equal(bits[held, 0][:, fold_model.classes_], fold_model.code_lengths([texts[i] for i in held]))
    assert np.array_equal(folds, mixer.folds_)


def test_a_class_missing_from_a_folds_training_texts_gets_the_largest_known_code_length():
    texts = [b"the cat", b"a cat", b"stocks fell", b"shares fell", b"rain"]
    codes = np.array([0, 0, 1, 1, 2])
    bits = _fold_code_lengths(PPMClassifier(1), texts, codes, np.arange(4), np.array([4]), 3)
    known = PPMClassifier(1).fit(texts[:4], codes[:4]).code_lengths([b"rain"])[0]
    assert bits.tolist() == [[known[0], known[1], known.max()]]


def test_two_classes_give_one_decision_column_and_clones_keep_parameters(r8_mixer):
    texts = ["the cat sat", "a cat ran", "cats nap", "stocks fell", "shares fell", "markets slid"]
    mixer = CodeLengthMixer([PPMClassifier(1)], cv=3).fit(texts, ["pets"] * 3 + ["finance"] * 3)
    scores = mixer.decision_function(["a cat", "stocks"])
    assert scores.shape == (2,)
    assert np.array_equal(mixer.classes_[(scores > 0).astype(int)], mixer.predict(["a cat", "stocks"]))
    proba = mixer.predict_proba(["a cat", "stocks"])
    assert np.allclose(scores, np.log(proba[:, 1] / proba[:, 0]))  # the log-odds of classes_[1]
    assert clone(r8_mixer[0]).get_params()["cv"] == 3


@pytest.mark.parametrize("params, message", [
    ({"sources": []}, "sources is empty"),
    ({"sources": [PPMClassifier(1), object()]}, r"sources\[1\] \(object\) has no fit and code_lengths"),
    ({"alpha": -1.0}, "'alpha' parameter of CodeLengthMixer"),
    ({"cv": 0}, "'cv' parameter of CodeLengthMixer"),
])
def test_bad_parameters_are_named(params, message):
    params = {"sources": [PPMClassifier(1)], "cv": 2, **params}
    with pytest.raises(ValueError, match=message):
        CodeLengthMixer(**params).fit(["a cat", "stocks", "a dog", "bonds"], [0, 1, 0, 1])


def test_bad_input_is_named():
    mixer = CodeLengthMixer([PPMClassifier(1)], cv=3)
    with pytest.raises(ValueError, match="needs at least as many texts; got n_samples = 2"):
        mixer.fit(["a cat", "stocks"], [0, 1])
    with pytest.raises(TypeError, match="single str"):
        mixer.fit("a cat", [0])
    with pytest.raises(ValueError, match="different lengths"):
        mixer.fit(["a", "b", "c"], [0, 1])
    with pytest.raises(NotFittedError):
        mixer.predict(["a cat"])
