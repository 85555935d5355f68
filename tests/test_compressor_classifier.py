"""CompressorClassifier: sizes equal one-shot zstd with the class prime, estimator contract."""

import pickle

import numpy as np
import pytest
import pyzstd
from joblib import parallel_config
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import StackingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from npc.compressor_classifier import CompressorClassifier
from tests.conftest import read_split

TRAIN = ["the cat sat on the mat", "a cat and a kitten", "stocks fell sharply", "the market rallied on earnings"]
LABELS = ["pets", "pets", "finance", "finance"]


def test_sizes_equal_one_shot_compression_with_the_class_prime():
    clf = CompressorClassifier(level=5).fit(TRAIN, LABELS)
    assert clf.primes_ == [b"stocks fell sharply the market rallied on earnings",
                           b"the cat sat on the mat a cat and a kitten"]
    query = b"a cat on the mat"
    expected = [len(pyzstd.compress(query, 5, zstd_dict=pyzstd.ZstdDict(prime, is_raw=True))) for prime in clf.primes_]
    assert clf.class_sizes([query]).tolist() == [expected]
    assert clf.predict(["a cat on the mat", "stocks rallied on earnings"]).tolist() == ["pets", "finance"]


def test_several_compressors_per_class_deal_texts_round_robin_and_keep_the_smallest():
    clf = CompressorClassifier(2).fit(TRAIN, LABELS)
    assert clf.primes_ == [b"stocks fell sharply", b"the market rallied on earnings", b"the cat sat on the mat",
                           b"a cat and a kitten"]
    assert clf.prime_classes_.tolist() == [0, 0, 1, 1]
    one_each = [CompressorClassifier().fit([text], [label]) for text, label in zip(TRAIN, LABELS)]
    sizes = [m.class_sizes(["the market fell"])[0, 0] for m in one_each]
    assert clf.class_sizes(["the market fell"]).tolist() == [[min(sizes[2:]), min(sizes[:2])]]


def test_pickles_clones_and_grid_searches():
    clf = CompressorClassifier().fit(TRAIN * 2, LABELS * 2)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.class_sizes(TRAIN), clf.class_sizes(TRAIN))
    assert clone(clf).get_params() == clf.get_params()
    search = GridSearchCV(CompressorClassifier(), {"n_compressors": [1, 2]}, cv=2).fit(TRAIN * 2, LABELS * 2)
    assert search.best_params_["n_compressors"] in (1, 2)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="'n_compressors' parameter of CompressorClassifier"):
        CompressorClassifier(0).fit(TRAIN, LABELS)
    with pytest.raises(ValueError, match="different lengths"):
        CompressorClassifier().fit(TRAIN, LABELS[:3])


@pytest.mark.parametrize("method", ["predict", "class_sizes", "code_lengths", "decision_function", "score"])
def test_unfitted_use_raises_not_fitted_error(method):
    args = (["the cat"], ["pets"]) if method == "score" else (["the cat"],)
    with pytest.raises(NotFittedError):
        getattr(CompressorClassifier(), method)(*args)


def test_classes_with_little_text_work():
    clf = CompressorClassifier().fit(["the cat", "stocks fell"], ["pets", "fin"])
    assert clf.predict(["stocks fell again today"]).tolist() == ["fin"]
    # a prime under zstd's 8-byte minimum is right-padded with NUL bytes; 8 bytes or more are used as they are
    for column, prime in enumerate([b"stocks fell", b"the cat\0"]):
        expected = len(pyzstd.compress(b"the cat sat", 9, zstd_dict=pyzstd.ZstdDict(prime, is_raw=True)))
        assert clf.class_sizes([b"the cat sat"])[0, column] == expected
    clf = CompressorClassifier().fit(["", "stocks fell"], ["empty", "fin"])
    assert clf.predict(["stocks fell again today"]).tolist() == ["fin"]


def test_predict_proba_is_two_to_the_minus_bits_normalised():
    clf = CompressorClassifier().fit(["the cat sat on the mat", "stocks fell sharply today"], ["pets", "fin"])
    queries = ["the cat sat", "stocks fell", "zz", ""]
    sizes = clf.class_sizes(queries)
    proba = clf.predict_proba(queries)
    # two classes: p(fin) = 1 / (1 + 2 ** (8 * (size_fin - size_pets)))
    np.testing.assert_allclose(proba[:, 0], 1 / (1 + 2.0 ** (8 * (sizes[:, 0] - sizes[:, 1]))), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.classes_[np.argmax(proba, axis=1)].tolist() == clf.predict(queries).tolist()


def test_code_lengths_are_eight_bits_per_byte_of_the_class_sizes():
    clf = CompressorClassifier().fit(TRAIN, LABELS)
    queries = ["a cat on the mat", "stocks rallied"]
    bits = clf.code_lengths(queries)
    assert bits.dtype == np.float64
    assert np.array_equal(bits, 8.0 * clf.class_sizes(queries))


def test_decision_function_is_minus_the_centred_code_lengths():
    three = CompressorClassifier().fit(TRAIN + ["rain fell all day"], LABELS + ["weather"])
    queries = ["a cat on the mat", "stocks rallied", "it rained"]
    bits = three.code_lengths(queries)
    assert np.allclose(three.decision_function(queries), bits.mean(axis=1, keepdims=True) - bits)
    two = CompressorClassifier().fit(TRAIN, LABELS)
    bits = two.code_lengths(queries)
    assert np.array_equal(two.decision_function(queries), bits[:, 0] - bits[:, 1])
    assert np.array_equal(two.classes_[(two.decision_function(queries) > 0).astype(int)], two.predict(queries))


@pytest.fixture(scope="module")
def r8_sample():
    texts, labels = read_split("r8", "train")
    rows = np.flatnonzero(np.isin(labels, [0, 2, 7]))[:300]  # three classes with room for 3 folds
    return [texts[i] for i in rows[:240]], labels[rows[:240]], [texts[i] for i in rows[240:]]


def test_stacking_and_calibration_take_the_decision_function(r8_sample):
    texts, labels, queries = r8_sample
    stack = StackingClassifier([("zstd", CompressorClassifier())], final_estimator=LogisticRegression(max_iter=1000),
                               stack_method="decision_function", cv=3).fit(texts, labels)
    assert stack.predict(queries).shape == (len(queries),)
    calibrated = CalibratedClassifierCV(CompressorClassifier(), cv=3).fit(texts, labels)
    proba = calibrated.predict_proba(queries)
    assert proba.shape == (len(queries), len(np.unique(labels))) and np.allclose(proba.sum(axis=1), 1)
    binary = np.asarray(labels) == np.asarray(labels)[0]
    assert CalibratedClassifierCV(CompressorClassifier(), cv=3).fit(texts, binary).predict_proba(queries).shape == (
        len(queries), 2)


def test_n_jobs_does_not_change_the_sizes(r8_sample):
    texts, labels, queries = r8_sample
    serial = CompressorClassifier(2).fit(texts, labels).class_sizes(queries)
    for n_jobs in (2, -1):
        assert np.array_equal(CompressorClassifier(2, n_jobs=n_jobs).fit(texts, labels).class_sizes(queries), serial)
    with parallel_config(backend="threading"):
        assert np.array_equal(CompressorClassifier(2, n_jobs=3).fit(texts, labels).class_sizes(queries), serial)


@pytest.mark.parametrize("n_compressors", [1, 3])
def test_partial_fit_batches_give_the_code_lengths_of_fit(r8_sample, n_compressors):
    texts, labels, queries = r8_sample
    fitted = CompressorClassifier(n_compressors).fit(texts, labels)
    for bounds in ([0, 240], [0, 1, 7, 100, 240], [0, 120, 121, 240]):
        online = CompressorClassifier(n_compressors)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            online.partial_fit(texts[start:stop], labels[start:stop], classes=np.unique(labels))
        assert online.primes_ == fitted.primes_
        assert np.array_equal(online.code_lengths(queries), fitted.code_lengths(queries))
        assert online.class_count_.tolist() == np.unique(labels, return_counts=True)[1].tolist()


def test_partial_fit_continues_a_fit_and_keeps_empty_texts():
    online = CompressorClassifier(2).fit(["", "the cat"], ["pets", "pets"]).partial_fit(["a kitten", ""], ["pets"] * 2)
    assert online.primes_ == CompressorClassifier(2).fit(["", "the cat", "a kitten", ""], ["pets"] * 4).primes_


def test_a_declared_class_may_appear_in_a_later_batch():
    online = CompressorClassifier().partial_fit(TRAIN[:2], LABELS[:2], classes=["finance", "pets", "weather"])
    assert online.primes_ == [b"", b"the cat sat on the mat a cat and a kitten", b""]
    assert online.predict(["the cat sat on the mat"]).tolist() == ["pets"]
    online.partial_fit(TRAIN[2:], LABELS[2:]).partial_fit(["rain fell all day"], ["weather"])
    fitted = CompressorClassifier().fit(TRAIN + ["rain fell all day"], LABELS + ["weather"])
    assert online.primes_ == fitted.primes_
    assert np.array_equal(online.code_lengths(TRAIN), fitted.code_lengths(TRAIN))


def test_partial_fit_refuses_undeclared_classes():
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        CompressorClassifier().partial_fit(TRAIN, LABELS)
    online = CompressorClassifier().partial_fit(TRAIN, LABELS, classes=["finance", "pets"])
    with pytest.raises(ValueError, match=r"y\[1\] = 'weather' is not one of the classes"):
        online.partial_fit(["a cat", "rain"], ["pets", "weather"])
    with pytest.raises(ValueError, match="is not the classes of the first partial_fit call"):
        online.partial_fit(["rain"], ["pets"], classes=["pets", "weather"])
