"""PPMClassifier: exact code lengths (by hand and against a naive PPM), estimator contract, bad input."""

import itertools
import math
import os
import pickle
import random
import subprocess
import sys
from collections import Counter, defaultdict

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from npc._ppm_kernel import _BLOCK_CLASSES, _BLOCK_SYMBOLS, _PRUNE_SLOTS
from npc.ppm import PPMClassifier
from tests.data.make_ppm_code_lengths import CASES as PINNED_CASES
from tests.data.make_ppm_code_lengths import PATH as PINNED_PATH
from tests.data.make_ppm_code_lengths import pinned_inputs as read_pinned_inputs

TRAIN = ["the cat sat on the mat", "a cat and a kitten", "stocks fell sharply", "the market rallied on earnings"]
LABELS = ["pets", "pets", "finance", "finance"]


@pytest.fixture(scope="module")
def pinned_inputs():
    return read_pinned_inputs()


def context_hash(context: bytes) -> int:
    """The kernel's 64-bit hash of a context (npc/_ppm_kernel.py ``_extend``), in plain Python."""
    h, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
    for k, symbol in enumerate(reversed(context), start=1):
        z = h ^ (symbol + 1 + (k << 8))
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        h = (z ^ (z >> 31)) or 1
    return h


def naive_code_length(class_text, query, order: int, escape: str, learned: int | None = None,
                      update_exclusion: bool = False, max_memory: int | None = None, alphabet: int = 256) -> float:
    """Bits of ``query`` after ``class_text`` (whose first ``learned`` bytes were counted, default
    all; under ``max_memory``, the frozen model): the documented variant, with dicts of Counters.
    The texts are bytes, or tuples of symbol ids from an ``alphabet``."""
    counts = defaultdict(Counter)
    budget = {"used": 0, "frozen": False}

    def learn(data, i):
        top = min(order, i)
        seen = [k for k in range(top + 1) if counts[data[i - k:i]][data[i]] > 0]
        lowest = max(seen, default=0) if update_exclusion else 0
        for k in range(lowest, top + 1):
            if counts[data[i - k:i]][data[i]] > 0:
                counts[data[i - k:i]][data[i]] += 1
        # New pairs in the order of their context hashes, while the budget lasts.
        for k in sorted((k for k in range(lowest, top + 1) if counts[data[i - k:i]][data[i]] == 0),
                        key=lambda k: context_hash(data[i - k:i])):
            cost = 5 + (56 if sum(counts[data[i - k:i]].values()) == 0 else 0)
            if max_memory is not None and (budget["frozen"] or budget["used"] + cost > max_memory):
                budget["frozen"] = True
                continue
            budget["used"] += cost
            counts[data[i - k:i]][data[i]] = 1

    def learn_query(data, i):  # a query is never limited
        top = min(order, i)
        seen = [k for k in range(top + 1) if counts[data[i - k:i]][data[i]] > 0]
        for k in range(max(seen, default=0) if update_exclusion else 0, top + 1):
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
            bits += math.log2(alphabet - len(excluded))
        learn_query(data, i)
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


@pytest.mark.parametrize("update_exclusion", [True, False])
def test_memory_limit_equals_a_naive_frozen_ppm(update_exclusion):
    rng = random.Random(1)
    for _ in range(30):
        order = rng.randint(0, 4)
        text = bytes(rng.choice(b"abcd ") for _ in range(rng.randint(5, 60)))
        queries = [bytes(rng.choice(b"abcdex") for _ in range(rng.randint(0, 20))) for _ in range(3)]
        max_memory = rng.randint(1, 1500)
        escape = rng.choice("CD")
        clf = PPMClassifier(order, escape=escape, update_exclusion=update_exclusion, max_memory=max_memory,
                            sep="").fit([text], ["x"])
        expected = [[naive_code_length(text, q, order, escape, update_exclusion=update_exclusion,
                                       max_memory=max_memory)] for q in queries]
        np.testing.assert_allclose(clf.code_lengths(queries), expected, rtol=1e-12, atol=1e-9)


def test_real_text_equals_naive_ppm(real_texts):
    texts = [text.encode() for text in real_texts[100:106]]
    clf = PPMClassifier(4, escape="D", update_exclusion=True).fit(texts[:4], [0, 1, 0, 1])
    expected = [[naive_code_length(b"".join(t + b" " for t in texts[code:4:2]), q, 4, "D", update_exclusion=True)
                 for code in (0, 1)]
                for q in texts[4:]]
    np.testing.assert_allclose(clf.code_lengths(texts[4:]), expected, rtol=1e-12)


@pytest.mark.parametrize("case", list(PINNED_CASES))
def test_code_lengths_on_real_text_are_pinned(case, pinned_inputs):
    # Written by the kernel before its redesign (tests/data/make_ppm_code_lengths.py): the
    # same numbers for every order, escape, update rule and the memory limit.
    texts, labels, queries = pinned_inputs
    expected = np.load(PINNED_PATH)[case]
    np.testing.assert_allclose(PPMClassifier(**PINNED_CASES[case]).fit(texts, labels).code_lengths(queries), expected,
                               rtol=1e-13, atol=0)


def test_pinned_cases_take_every_look_up_path(pinned_inputs):
    # The kernel looks up a class table of _PRUNE_SLOTS slots or more order by order from
    # the top (unless a memory budget froze it under full updates), a smaller one whole:
    # the pinned cases must take each way, under both update rules.
    texts, labels, _ = pinned_inputs

    def tables(case):
        model = PPMClassifier(**PINNED_CASES[case]).fit(texts, labels)
        return np.diff(model._slot_starts), model._budgets[:, 1]

    sizes, frozen = tables("order1_C_full")
    assert (sizes < _PRUNE_SLOTS).all()
    for case in ("order3_C_full", "order3_C_exclusion"):
        sizes, frozen = tables(case)
        assert (sizes >= _PRUNE_SLOTS).all() and not frozen.any()
    for case in ("order3_C_full_max_memory", "order3_D_exclusion_max_memory"):
        sizes, frozen = tables(case)
        assert (sizes >= _PRUNE_SLOTS).all() and frozen.all()


@pytest.mark.parametrize("params", [{"order": 3}, {"order": 2, "escape": "D", "update_exclusion": True},
                                    {"order": 3, "max_memory": 20_000}])
def test_many_classes_code_blocks_of_queries_as_one_query_at_a_time(params, pinned_inputs):
    # With _BLOCK_CLASSES classes or more, the kernel prepares blocks of queries and codes
    # them class by class; a query alone is a block of one.
    texts, _, queries = pinned_inputs
    labels = [i % _BLOCK_CLASSES for i in range(len(texts))]
    long_queries = [" ".join(queries[i:i + 4]) for i in range(0, len(queries), 2)]
    assert sum(len(query.encode()) for query in long_queries) > 2 * _BLOCK_SYMBOLS
    model = PPMClassifier(**params).fit(texts, labels)
    assert model.truncated_.any() == ("max_memory" in params)
    alone = np.vstack([model.code_lengths([query]) for query in long_queries])
    np.testing.assert_array_equal(model.code_lengths(long_queries), alone)


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
                                       "sep": " ", "n_jobs": None}
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


@pytest.mark.parametrize("params", [{"order": 3}, {"order": 2, "escape": "D", "update_exclusion": True},
                                    {"order": 3, "update_exclusion": True, "max_memory": 3000}])
def test_partial_fit_in_any_batches_equals_fit(params, pinned_inputs):
    texts, labels, queries = pinned_inputs
    texts, labels, queries = texts[:60], labels[:60], queries[:5]
    expected = PPMClassifier(**params).fit(texts, labels)
    for batches in ([0, 60], [0, 1, 2, 30, 59, 60], list(range(0, 61, 7)) + [60]):
        clf = PPMClassifier(**params)
        for a, b in itertools.pairwise(batches):
            clf.partial_fit(texts[a:b], labels[a:b], classes=np.unique(labels) if a == 0 else None)
        np.testing.assert_array_equal(clf.code_lengths(queries), expected.code_lengths(queries))
        assert clf.n_contexts_.tolist() == expected.n_contexts_.tolist()
        assert clf.truncated_.tolist() == expected.truncated_.tolist()


def test_partial_fit_classes_contract():
    clf = PPMClassifier(2)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(TRAIN[:1], LABELS[:1])
    clf.partial_fit(TRAIN[:2], LABELS[:2], classes=["pets", "finance", "sports"])
    assert clf.classes_.tolist() == ["finance", "pets", "sports"]
    # A class with no text yet: "a" at order -1 (8 bits), then "b" escapes the query's own
    # order-0 context {a: 1} (C: 1/2) to order -1 without "a" (1/255).
    assert clf.code_lengths(["ab"])[0, 0] == pytest.approx(8 + 1 + math.log2(255))
    clf.partial_fit(TRAIN[2:], LABELS[2:])  # "finance" appears now
    expected = PPMClassifier(2).fit(TRAIN, LABELS).code_lengths(TRAIN)
    np.testing.assert_array_equal(clf.code_lengths(TRAIN)[:, :2], expected)
    with pytest.raises(ValueError, match=r"y\[0\] = 'cars' is not one of the classes"):
        clf.partial_fit(["vroom"], ["cars"])
    with pytest.raises(ValueError, match="is not the classes of the first partial_fit call"):
        clf.partial_fit(["vroom"], ["pets"], classes=["pets"])


def test_n_jobs_gives_identical_results(pinned_inputs):
    texts, labels, queries = pinned_inputs
    serial = PPMClassifier(4).fit(texts, labels).code_lengths(queries)
    for n_jobs in (2, 3, -1):
        np.testing.assert_array_equal(PPMClassifier(4, n_jobs=n_jobs).fit(texts, labels).code_lengths(queries), serial)


def test_decision_function_is_centred_negative_code_lengths():
    clf = PPMClassifier().fit(TRAIN + ["a quiet game"], LABELS + ["sports"])
    bits = clf.code_lengths(TRAIN)
    scores = clf.decision_function(TRAIN)
    np.testing.assert_allclose(scores, -(bits - bits.mean(axis=1, keepdims=True)))
    assert (clf.classes_[scores.argmax(axis=1)] == clf.predict(TRAIN)).all()
    binary = PPMClassifier().fit(TRAIN, LABELS)
    bits = binary.code_lengths(TRAIN)
    np.testing.assert_allclose(binary.decision_function(TRAIN), bits[:, 0] - bits[:, 1])


@pytest.mark.slow
def test_needs_compiling_until_the_kernels_are_in_numbas_cache(tmp_path):
    script = ("from npc.ppm import PPMClassifier, needs_compiling\n"
              "before = needs_compiling()\n"
              "PPMClassifier(1).fit(['ab', 'cd'], [0, 1]).predict(['abc'])\n"
              "print(before, needs_compiling())\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.split() == ["True", "False"], done.stderr
