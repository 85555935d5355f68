"""PPMClassifier: exact code lengths (by hand and against a naive PPM), estimator contract, bad input."""

import math
import pickle
import random
from collections import Counter, defaultdict

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from npc.ppm import PPMClassifier

TRAIN = ["the cat sat on the mat", "a cat and a kitten", "stocks fell sharply", "the market rallied on earnings"]
LABELS = ["pets", "pets", "finance", "finance"]


def naive_code_length(class_text: bytes, query: bytes, order: int, escape: str, learned: int | None = None,
                      update_exclusion: bool = False) -> float:
    """Bits of ``query`` after ``class_text`` (whose first ``learned`` bytes were counted, default
    all): the documented variant, with dicts of Counters."""
    counts = defaultdict(Counter)

    def learn(data, i):
        top = min(order, i)
        seen = [k for k in range(top + 1) if counts[data[i - k:i]][data[i]] > 0]
        lowest = max(seen, default=0) if update_exclusion else 0
        for k in range(lowest, top + 1):
            counts[data[i - k:i]][data[i]] += 1

    for i in range(len(class_text) if learned is None else learned):
        learn(class_text, i)
    data, bits = class_text + query, 0.0
    for i in range(len(class_text), len(data)):
        symbol, excluded = data[i], set()
        for k in range(min(order, i), -1, -1):
            live = {s: c for s, c in counts.get(data[i - k:i], {}).items() if s not in excluded and c > 0}
            if not live:
                continue
            n, d = sum(live.values()), len(live)
            if symbol in live:
                c = live[symbol]
                bits -= math.log2((2 * c - 1) / (2 * n) if escape == "D" else c / (n + d))
                break
            bits -= math.log2(d / (2 * n) if escape == "D" else d / (n + d))
            excluded |= set(live)
        else:
            bits += math.log2(256 - len(excluded))
        learn(data, i)
    return bits


def test_tiny_case_by_hand():
    # Class text "abab", order 1, query "abc" (its first context is the class text's last byte).
    # Full updates: order 0 {a: 2, b: 2}; after "a" {b: 2}; after "b" {a: 1}.
    #   a after "b": {a: 1}               D: (2*1-1)/(2*1) = 1/2    C: 1/(1+1) = 1/2
    #   b after "a": {b: 2}               D: (2*2-1)/(2*2) = 3/4    C: 2/(2+1) = 2/3
    #   c after "b": {a: 2}, escape       D: 1/(2*2) = 1/4          C: 1/(2+1) = 1/3
    #     order 0 {a: 3, b: 3}, a excluded -> {b: 3}, escape
    #                                     D: 1/(2*3) = 1/6          C: 1/(3+1) = 1/4
    #     order -1: 256 - 2 excluded bytes: 1/254
    # Update exclusion: the last "b" of "abab" and the query's "a" and "b" were coded at
    # order 1, so order 0 keeps {a: 2, b: 1}: excluding a leaves {b: 1}, escape D 1/2, C 1/2.
    cases = {("D", False): [1 / 2, 3 / 4, 1 / 4, 1 / 6, 1 / 254], ("C", False): [1 / 2, 2 / 3, 1 / 3, 1 / 4, 1 / 254],
             ("D", True): [1 / 2, 3 / 4, 1 / 4, 1 / 2, 1 / 254], ("C", True): [1 / 2, 2 / 3, 1 / 3, 1 / 2, 1 / 254]}
    for (escape, update_exclusion), probabilities in cases.items():
        clf = PPMClassifier(1, escape=escape, update_exclusion=update_exclusion, sep="").fit(["abab"], ["x"])
        assert clf.code_lengths(["abc"])[0, 0] == pytest.approx(-sum(map(math.log2, probabilities)))
        # The class statistics are not changed by coding a query: the same query costs the same again.
        assert clf.code_lengths(["abc", "abc"]).tolist() == [clf.code_lengths(["abc"])[0].tolist()] * 2


@pytest.mark.parametrize("escape", ["C", "D"])
@pytest.mark.parametrize("update_exclusion", [True, False])
def test_code_lengths_equal_a_naive_ppm(escape, update_exclusion):
    rng = random.Random(0)
    for _ in range(40):
        order = rng.randint(0, 5)
        texts = [bytes(rng.choice(b"abcde ") for _ in range(rng.randint(1, 40))) for _ in range(4)]
        labels = [0, 1, 0, 2]
        queries = [bytes(rng.choice(b"abcdefg \xff") for _ in range(rng.randint(0, 30))) for _ in range(4)]
        clf = PPMClassifier(order, escape=escape, update_exclusion=update_exclusion).fit(texts, labels)
        expected = [[naive_code_length(b"".join(t + b" " for t, y in zip(texts, labels) if y == code), q, order, escape,
                                       update_exclusion=update_exclusion)
                     for code in clf.classes_] for q in queries]
        np.testing.assert_allclose(clf.code_lengths(queries), expected, rtol=1e-12, atol=1e-9)


def test_real_text_equals_naive_ppm(real_texts):
    texts = [text.encode() for text in real_texts[100:106]]
    clf = PPMClassifier(4, escape="D", update_exclusion=True).fit(texts[:4], [0, 1, 0, 1])
    expected = [[naive_code_length(b"".join(t + b" " for t in texts[code:4:2]), q, 4, "D", update_exclusion=True)
                 for code in (0, 1)]
                for q in texts[4:]]
    np.testing.assert_allclose(clf.code_lengths(texts[4:]), expected, rtol=1e-12)


def test_predicts_and_probabilities_follow_code_lengths():
    clf = PPMClassifier().fit(TRAIN, LABELS)
    queries = ["a cat on the mat", "stocks rallied on earnings", ""]
    bits = clf.code_lengths(queries)
    assert clf.predict(queries).tolist()[:2] == ["pets", "finance"]
    assert bits[2].tolist() == [0.0, 0.0] and clf.predict(queries)[2] == clf.classes_[0]  # tie: first class
    probabilities = clf.predict_proba(queries)
    expected = 2.0 ** -(bits - bits.min(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, expected / expected.sum(axis=1, keepdims=True))


def test_one_tiny_text_per_class_and_unicode():
    clf = PPMClassifier(6).fit(["ab", "日本"], ["latin", "cjk"])
    assert clf.predict(["abab", "日本語"]).tolist() == ["latin", "cjk"]
    assert clf.classes_.tolist() == ["cjk", "latin"]
    assert clf.n_contexts_[1] == 4  # "ab ": the contexts "", "a", "b", "ab"


def test_memory_limit_keeps_the_earliest_pairs():
    # "abcabcab", order 2: 7 contexts ("", a, b, c, ab, bc, ca) and 9 (context, byte) pairs,
    # 7 * 56 + 9 * 5 = 437 bytes; the final "d" adds 3 pairs (after "", "b", "ab"): 452 bytes.
    full = PPMClassifier(2, escape="D", sep="").fit(["abcabcabd"], ["x"])
    frozen = PPMClassifier(2, escape="D", sep="", max_memory=437).fit(["abcabcabd"], ["x"])
    assert not full.truncated_[0] and frozen.truncated_[0]
    assert full.n_contexts_.tolist() == frozen.n_contexts_.tolist() == [7]
    for query in (b"abd", b"dcab", b"xyz"):
        assert frozen.code_lengths([query])[0, 0] == pytest.approx(naive_code_length(b"abcabcabd", query, 2, "D", 8))
        assert full.code_lengths([query])[0, 0] == pytest.approx(naive_code_length(b"abcabcabd", query, 2, "D"))
    # One byte less drops the last new pair before the "d": "b" after "ca" (position 4), and its context.
    assert PPMClassifier(2, sep="", max_memory=436).fit(["abcabcabd"], ["x"]).n_contexts_[0] == 6


def test_estimator_contract():
    clf = PPMClassifier(2, escape="C").fit(TRAIN * 2, LABELS * 2)
    assert clone(clf).get_params() == {"order": 2, "escape": "C", "update_exclusion": False, "max_memory": None,
                                       "sep": " "}
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.code_lengths(TRAIN), clf.code_lengths(TRAIN))
    assert restored.model_bytes_ == clf.model_bytes_ > 0
    search = GridSearchCV(PPMClassifier(), {"order": [1, 2], "escape": ["C", "D"]}, cv=2).fit(TRAIN * 2, LABELS * 2)
    assert search.best_params_["order"] in (1, 2)
    assert make_pipeline(PPMClassifier()).fit(TRAIN, LABELS).score(TRAIN, LABELS) == 1.0
    with pytest.raises(NotFittedError):
        PPMClassifier().predict(TRAIN)


@pytest.mark.parametrize("params, match", [
    ({"order": -1}, "'order' parameter of PPMClassifier must be an int in the range \\[0, 16\\]"),
    ({"order": 17}, "'order' parameter of PPMClassifier"),
    ({"escape": "A"}, "'escape' parameter of PPMClassifier must be a str among"),
    ({"max_memory": 0}, "'max_memory' parameter of PPMClassifier"),
])
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        PPMClassifier(**params).fit(TRAIN, LABELS)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="X is empty"):
        PPMClassifier().fit([], [])
    with pytest.raises(TypeError, match=r"X\[1\] is NoneType"):
        PPMClassifier().fit(["a", None], ["x", "y"])
    with pytest.raises(ValueError, match="different lengths"):
        PPMClassifier().fit(TRAIN, LABELS[:3])
    with pytest.raises(ValueError, match=r"y\[0\] is missing"):
        PPMClassifier().fit(TRAIN, [None] + LABELS[1:])
    clf = PPMClassifier().fit(TRAIN, LABELS)
    with pytest.raises(TypeError, match=r"X\[0\] is int"):
        clf.predict([3])
    with pytest.raises(TypeError, match="not a single str"):
        clf.predict("a cat")
    assert clf.predict([]).shape == (0,)


def test_cli_model_ppm_equals_the_library(tmp_path, monkeypatch):
    import json

    from npc.cli import main
    from npc.datasets import load_dataset

    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "user-cache"))
    output = tmp_path / "run.json"
    assert main(["classify", "--model", "ppm", "--n-train", "40", "--n-test", "20", "-q", "--output", str(output)]) == 0
    train, test = load_dataset("imdb-sample", n=40), load_dataset("imdb-sample", "test", n=20)
    expected = PPMClassifier().fit(train.texts, train.labels).predict(test.texts)
    assert json.loads(output.read_text())["predictions"]["predicted"] == train.label_names(expected)
