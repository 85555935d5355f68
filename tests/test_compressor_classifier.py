"""CompressorClassifier: sizes equal one-shot zstd with the class prime, estimator contract."""

import pickle

import numpy as np
import pytest
import pyzstd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from npc.compressor_classifier import CompressorClassifier

TRAIN = ["the cat sat on the mat", "a cat and a kitten", "stocks fell sharply", "the market rallied on earnings"]
LABELS = ["pets", "pets", "finance", "finance"]


def test_sizes_equal_one_shot_compression_with_the_class_prime():
    clf = CompressorClassifier(level=5).fit(TRAIN, LABELS)
    assert clf.primes_ == [b"stocks fell sharply the market rallied on earnings", b"the cat sat on the mat a cat and a kitten"]
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


@pytest.mark.parametrize("method", ["predict", "class_sizes", "score"])
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
    assert CompressorClassifier().fit(["", "stocks fell"], ["empty", "fin"]).predict(["stocks fell again today"]).tolist() == ["fin"]


def test_predict_proba_is_two_to_the_minus_bits_normalised():
    clf = CompressorClassifier().fit(["the cat sat on the mat", "stocks fell sharply today"], ["pets", "fin"])
    queries = ["the cat sat", "stocks fell", "zz", ""]
    sizes = clf.class_sizes(queries)
    proba = clf.predict_proba(queries)
    # two classes: p(fin) = 1 / (1 + 2 ** (8 * (size_fin - size_pets)))
    np.testing.assert_allclose(proba[:, 0], 1 / (1 + 2.0 ** (8 * (sizes[:, 0] - sizes[:, 1]))), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.classes_[np.argmax(proba, axis=1)].tolist() == clf.predict(queries).tolist()
