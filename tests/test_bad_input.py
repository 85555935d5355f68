"""Bad and unusual input: a clear error naming the problem, or a correct result.

Covered elsewhere and not repeated here: an empty training set, ``None`` among the texts,
texts and labels of different lengths, a NaN label, ``n_neighbors`` of 0 or larger than
the training set, an unknown tie rule (``tests/test_classifier.py``, ``tests/test_vote.py``,
``tests/test_kernel.py``); an unknown compressor, a level out of range or not an int
(``tests/test_compressors.py``).
"""

import tracemalloc

import numpy as np
import pytest

from npc import NCDClassifier, nearest, pairwise_ncd
from npc.compressors import Compressor

TEXTS = ["the cat sat on the mat", "a kitten purrs on a mat", "stocks fell on wall street",
         "shares rose as markets rallied"]
LABELS = ["pets", "pets", "finance", "finance"]


@pytest.fixture(scope="module")
def fitted():
    return NCDClassifier(n_neighbors=1).fit(TEXTS, LABELS)


# --- texts ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("item", "message"),
    [
        (float("nan"), r"X\[2\] is float \(nan\), not str or bytes"),
        (7, r"X\[2\] is int \(7\)"),
        (3.5, r"X\[2\] is float \(3\.5\)"),
        (["a", "list"], r"X\[2\] is list \(\['a', 'list'\]\)"),
        ({"text": "x"}, r"X\[2\] is dict"),
    ],
)
def test_non_text_items_name_their_index(fitted, item, message):
    texts = ["one", "two", item, "four"]
    with pytest.raises(TypeError, match=message):
        NCDClassifier(1).fit(texts, [0, 1, 0, 1])
    with pytest.raises(TypeError, match=message):
        fitted.predict(texts)


def test_missing_values_from_pandas_name_their_index():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"X\[1\] is float \(nan\).*drop or fill missing values"):
        NCDClassifier(1).fit(pd.Series(["a", None, "c"]), [0, 1, 0])
    with pytest.raises(TypeError, match=r"X\[1\] is NAType"):
        NCDClassifier(1).fit(pd.Series(["a", None, "c"], dtype="string"), [0, 1, 0])


@pytest.mark.parametrize("texts", [{"b text", "a text"}, {"a text": 0, "b text": 1}])
def test_unordered_collections_are_refused(texts):
    """A set's order is arbitrary: its texts would silently part from their labels."""
    with pytest.raises(TypeError, match="must be an ordered sequence of texts"):
        NCDClassifier(1).fit(texts, [0, 1])


def test_two_dimensional_texts_are_refused():
    with pytest.raises(ValueError, match=r"one-dimensional.*shape \(2, 1\)"):
        NCDClassifier(1).fit(np.array([["a"], ["b"]]), [0, 1])


def test_none_instead_of_texts():
    with pytest.raises(TypeError, match="X must be an iterable of texts; got NoneType"):
        NCDClassifier(1).fit(None, [0])


def test_empty_test_set_is_an_error_as_in_scikit_learn(fitted):
    for method in (fitted.predict, fitted.predict_proba, fitted.kneighbors):
        with pytest.raises(ValueError, match="X is empty: at least one text is needed"):
            method([])


# --- labels -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "labels",
    [
        ["pets", None, "finance", "finance"],
        np.array(["pets", np.nan, "finance", "finance"], dtype=object),
        np.array([0, np.float32("nan"), 1, 1], dtype=object),
    ],
    ids=["None", "nan-in-object-array", "float32-nan"],
)
def test_missing_labels_name_their_index(labels):
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        NCDClassifier(1).fit(TEXTS, labels)


@pytest.mark.parametrize("dtype", ["string", "Int64", "object"])
def test_missing_labels_from_pandas_name_their_index(dtype):
    pd = pytest.importorskip("pandas")
    values = [1, None, 2, 2] if dtype == "Int64" else ["pets", None, "finance", "finance"]
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        NCDClassifier(1).fit(TEXTS, pd.Series(values, dtype=dtype))


def test_labels_must_be_one_per_text_and_of_one_kind():
    with pytest.raises(ValueError, match=r"y must be one-dimensional.*shape \(4, 1\)"):
        NCDClassifier(1).fit(TEXTS, [[0], [0], [1], [1]])
    with pytest.raises(ValueError, match=r"y mixes label types \(int, str\)"):
        NCDClassifier(1).fit(TEXTS, [0, "pets", 1, 1])


@pytest.mark.parametrize("tie_break", ["nearest", "random", "lowest", "shrink"])
def test_single_class_is_legitimate_and_predicted(tie_break):
    clf = NCDClassifier(2, tie_break=tie_break).fit(TEXTS, ["only"] * 4)
    assert clf.classes_.tolist() == ["only"]
    assert clf.predict(["anything at all", ""]).tolist() == ["only", "only"]
    assert clf.predict_proba(["anything"]).tolist() == [[1.0]]


# --- parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_neighbors": -1}, r"'n_neighbors' parameter of NCDClassifier must be an int in the range \[1, inf\)"),
        ({"n_neighbors": 2.0}, r"'n_neighbors' parameter .* Got 2\.0 instead"),
        ({"level": 42}, r"Level 42 is out of range for compressor 'gzip' \(valid: 0\.\.9\)"),
        ({"compressor": "lz4", "level": 99}, r"Level 99 is out of range for compressor 'lz4'"),
        ({"level": "9"}, r"'level' parameter of NCDClassifier must be an instance of 'int' or None"),
        ({"tie_break": "oracle"}, r"'tie_break' parameter of NCDClassifier must be a str among"),
        ({"weights": "inverse"}, r"'weights' parameter of NCDClassifier must be a str among"),
        ({"sep": 0}, r"'sep' parameter of NCDClassifier must be an instance of 'str' or"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, message):
    with pytest.raises(ValueError, match=message):
        NCDClassifier(**params).fit(TEXTS, LABELS)


def test_level_for_a_compressor_without_levels():
    class Identity(Compressor):
        name = "identity"

        def compress(self, data):
            return data

    with pytest.raises(ValueError, match="Compressor 'identity' takes no level; got level=3"):
        NCDClassifier(compressor=Identity(), level=3).fit(TEXTS, LABELS)


@pytest.mark.parametrize("k", [0, -2])
def test_kneighbors_k_must_be_positive(fitted, k):
    with pytest.raises(ValueError, match=f"n_neighbors must be a positive int; got {k}"):
        fitted.kneighbors(["a"], n_neighbors=k)


def test_kneighbors_k_larger_than_training_set(fitted):
    with pytest.raises(ValueError, match=r"n_neighbors=5 is larger than the reference set \(4 texts\)"):
        fitted.kneighbors(["a"], n_neighbors=5)


# --- legitimate but unusual texts ----------------------------------------------------------

def test_empty_and_whitespace_only_texts_are_classified():
    texts = ["", " ", "\t\n", "   \n\n  ", "word"]
    clf = NCDClassifier(1).fit(texts, [0, 1, 2, 3, 4])
    distances, indices = clf.kneighbors(["", "   \n\n  ", "\r\n"])
    assert np.isfinite(distances).all()
    assert indices[:2, 0].tolist() == [0, 3]  # an exact twin is nearest
    assert set(clf.predict(["\r\n", "\t"])) <= {0, 1, 2, 3, 4}


UNUSUAL = {
    "nul": "before\x00after\x00\x00",
    "emoji": "cats 🐈🐈‍⬛ and dogs 🐕 👍🏽",
    "rtl": "שלום עולם مرحبا بالعالم",
    "mixed direction": "abc \u202eevil\u202c def",
    "lone high surrogate": "text \ud83d alone",
    "lone low surrogate": "\udc00 at start",
    "surrogate pair as two code points": "\ud83d\ude00",
}


def test_unusual_characters_are_encoded_as_utf8_with_surrogatepass():
    """Strings are compressed as ``s.encode("utf-8", "surrogatepass")``: same distances
    as passing those bytes, and a lone surrogate is its 3-byte form, never an error."""
    texts = list(UNUSUAL.values())
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    assert np.array_equal(pairwise_ncd(texts, texts), pairwise_ncd(encoded, encoded))
    assert len(encoded[-1]) == 6  # two 3-byte surrogates, not the 4-byte emoji U+1F600
    clf = NCDClassifier(1).fit(texts, list(UNUSUAL))
    assert clf.predict(texts).tolist() == list(UNUSUAL)


def test_bytes_are_taken_as_they_are():
    raw = [b"\xff\xfe not utf-8", bytearray(b"bytes"), memoryview(b"view")]
    assert pairwise_ncd(raw, ["bytes"]).shape == (3, 1)
    assert nearest([b"bytes"], raw, 1)[1].tolist() == [[1]]


def test_duplicates_across_train_and_test_are_legitimate():
    clf = NCDClassifier(1).fit(TEXTS, LABELS)
    distances, indices = clf.kneighbors(TEXTS)
    assert indices[:, 0].tolist() == [0, 1, 2, 3]
    assert clf.score(TEXTS, LABELS) == 1.0


def megabyte_text(seed: int) -> str:
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz    .,\n", dtype=np.uint8)
    return np.random.default_rng(seed).choice(letters, 1_000_000).tobytes().decode()


def test_megabyte_texts_work_with_memory_bounded_by_the_input():
    """2 queries x 4 references of 1 MB each (gzip-9): the peak of Python allocations
    stays within twice the input plus 8 MB, whereas keeping the 8 concatenations would
    add 16 MB."""
    references = [megabyte_text(seed) for seed in range(4)]
    queries = [megabyte_text(10), megabyte_text(11)]
    input_bytes = sum(map(len, queries + references))
    tracemalloc.start()
    try:
        distances, indices = nearest(queries, references, 2, n_jobs=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert distances.shape == indices.shape == (2, 2) and np.isfinite(distances).all()
    assert peak < 2 * input_bytes + 8_000_000, f"peak {peak / 1e6:.1f} MB for {input_bytes / 1e6:.0f} MB of input"


def test_ncd_sees_no_further_back_than_the_compressor_window():
    """The limit the README states: zstd-3 (2 MB window) finds a 1 MB text's copy, gzip
    (32 KB window) cannot see it, so NCD(x, x) is about 1 there."""
    text, other = megabyte_text(0), megabyte_text(1)
    assert pairwise_ncd([text], [text], compressor="zstd")[0, 0] < 0.01
    assert pairwise_ncd([text], [other], compressor="zstd")[0, 0] > 0.99
    assert pairwise_ncd([text], [text], compressor="gzip")[0, 0] > 0.99
    short = text[:30_000]
    assert pairwise_ncd([short], [short], compressor="gzip")[0, 0] < 0.05
