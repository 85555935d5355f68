"""TokenPPMClassifier: tokenisation, exact code lengths against a naive token-level PPM, the estimator contract."""

import math
import random

import numpy as np
import pytest
from sklearn.base import clone

from npc.token_ppm import TokenPPMClassifier, tokenize
from tests.test_ppm import naive_code_length

TRAIN = ["the cat sat on the mat", "a cat and a kitten", "stocks fell sharply", "the market rallied on earnings"]
LABELS = ["pets", "pets", "finance", "finance"]


def test_tokenize_is_language_neutral():
    assert tokenize("The CAT, the cat!") == ["the", "cat", "the", "cat"]
    assert tokenize("The CAT, the cat!", binary=True) == ["the", "cat"]
    assert tokenize("a b a b", bigrams=True, binary=True) == ["a", "b", "a b", "b a"]
    # Combining marks stay in their word (Yoruba tones, Devanagari vowel signs); ß case-folds to ss.
    assert tokenize("Ọ̀rọ̀ ÀTI हिन्दी STRAßE") == ["ọ̀rọ̀", "àti", "हिन्दी", "strasse"]
    assert tokenize("") == tokenize("!?") == []


def test_tiny_case_by_hand():
    # Order 0, escape C, one class "a b" (+ end token): order 0 {a: 1, b: 1, end: 1}.
    # Query "b c": b: 1 / (3 + 3); c: escape 3 / (4 + 3) (b counted by the query), then
    # order -1 over 2**4 + 1 ids less the 3 excluded.
    clf = TokenPPMClassifier(0, bigrams=False, binary=False, hash_bits=4).fit(["a b"], ["x"])
    a, b, c = (clf._symbols([t.encode()])[0][0] for t in "abc")
    assert len({a, b, c}) == 3  # no hash collision among them at 4 bits
    expected = -math.log2(1 / 6) - math.log2(3 / 7) + math.log2(17 - 3)
    assert clf.code_lengths(["b c"])[0, 0] == pytest.approx(expected)


def ids(clf, text):
    """The token ids of ``text`` as a tuple (the naive PPM's symbols)."""
    return tuple(clf._symbols([text.encode()])[0].tolist())


@pytest.mark.parametrize("escape", ["C", "D"])
@pytest.mark.parametrize("update_exclusion", [False, True])
def test_code_lengths_equal_a_naive_token_ppm(escape, update_exclusion):
    rng = random.Random(0)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
    for _ in range(15):
        order = rng.randint(0, 3)
        bigrams, binary = rng.random() < 0.5, rng.random() < 0.5
        texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(4)]
        queries = [" ".join(rng.choice(words + ["omega"]) for _ in range(rng.randint(0, 10))) for _ in range(3)]
        clf = TokenPPMClassifier(order, bigrams=bigrams, binary=binary, hash_bits=12, escape=escape,
                                 update_exclusion=update_exclusion).fit(texts, [0, 1, 0, 1])
        end = 1 << 12

        class_texts = [sum((ids(clf, t) + (end,) for t in texts[c::2]), ()) for c in (0, 1)]
        expected = [[naive_code_length(class_texts[c], ids(clf, q), order, escape, update_exclusion=update_exclusion,
                                       alphabet=end + 1) for c in (0, 1)] for q in queries]
        np.testing.assert_allclose(clf.code_lengths(queries), expected, rtol=1e-12, atol=1e-9)


def test_partial_fit_equals_fit_and_n_jobs_is_invisible():
    expected = TokenPPMClassifier(1).fit(TRAIN * 3, LABELS * 3).code_lengths(TRAIN)
    clf = TokenPPMClassifier(1, n_jobs=2).partial_fit(TRAIN, LABELS, classes=["pets", "finance"])
    clf.partial_fit(TRAIN * 2, LABELS * 2)
    np.testing.assert_array_equal(clf.code_lengths(TRAIN), expected)


def test_estimator_contract_and_bad_parameters():
    clf = TokenPPMClassifier().fit(TRAIN, LABELS)
    assert clf.predict(["the cat on the mat", "stocks rallied"]).tolist() == ["pets", "finance"]
    assert clone(clf).get_params()["hash_bits"] == 20
    with pytest.raises(ValueError, match="'hash_bits' parameter of TokenPPMClassifier must be an int in the range"):
        TokenPPMClassifier(hash_bits=0).fit(TRAIN, LABELS)
