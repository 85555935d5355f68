"""Property tests (hypothesis) on random unicode texts: NUL, emoji, right-to-left scripts
and lone surrogates included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from npc import NCDClassifier, available_compressors, compressed_sizes, nearest, pairwise_ncd
from npc.vote import TIE_BREAKS, TIE_MARGIN, WEIGHTS, vote

BUILTIN = ["gzip", "zlib", "deflate", "bz2", "lzma", "lz4", "zstd"]
# Any code point (surrogates included), with a few letters and special characters made
# frequent so that texts share substrings and some collide.
CHARACTERS = st.characters(exclude_categories=()) | st.sampled_from(
    ["a", "b", " ", "\n", "\x00", "\ud800", "\udfff", "😀", "ש", "م"]
)
TEXTS = st.text(CHARACTERS, max_size=60)
LABELS = st.sampled_from(["pets", "finance", "sport"])


def test_builtin_list_is_complete():
    assert set(BUILTIN) <= set(available_compressors())


@settings(max_examples=60, deadline=None)
@given(x=TEXTS, y=TEXTS, compressor=st.sampled_from(BUILTIN))
def test_ncd_is_finite_and_within_minus_one_and_two(x, y, compressor):
    """Real compressors leave [0, 1] on small texts (the README shows -1/24 with zstd and
    1.64 with bz2 on two empty texts); the bounds that hold are these: C(xy) > 0 gives
    NCD > -1, and no compressor comes near 2."""
    distance = pairwise_ncd([x], [y], compressor=compressor)[0, 0]
    assert np.isfinite(distance)
    assert -1 < distance < 2


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=5), compressor=st.sampled_from(BUILTIN))
def test_compressed_size_is_positive(texts, compressor):
    assert (compressed_sizes(texts, compressor) > 0).all()


@settings(max_examples=40, deadline=None)
@given(queries=st.lists(TEXTS, min_size=1, max_size=3), references=st.lists(TEXTS, min_size=1, max_size=3))
def test_strings_are_their_utf8_surrogatepass_bytes(queries, references):
    def encode(texts):
        return [text.encode("utf-8", "surrogatepass") for text in texts]

    assert np.array_equal(pairwise_ncd(queries, references), pairwise_ncd(encode(queries), encode(references)))


training_sets = st.lists(st.tuples(TEXTS, LABELS), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(train=training_sets, queries=st.lists(TEXTS, min_size=1, max_size=4), data=st.data())
def test_prediction_is_a_training_label_with_the_top_vote_share(train, queries, data):
    texts, labels = zip(*train)
    clf = NCDClassifier(
        n_neighbors=data.draw(st.integers(1, len(texts)), label="n_neighbors"),
        tie_break=data.draw(st.sampled_from(TIE_BREAKS), label="tie_break"),
        weights=data.draw(st.sampled_from(WEIGHTS), label="weights"),
        random_state=0,
    ).fit(texts, labels)
    predictions = clf.predict(queries)
    proba = clf.predict_proba(queries)
    assert set(predictions) <= set(labels)
    assert np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    columns = np.searchsorted(clf.classes_, predictions)
    assert np.array_equal(proba[np.arange(len(queries)), columns], proba.max(axis=1))


@settings(max_examples=200, deadline=None)
@given(n_classes=st.integers(1, 4), k=st.integers(1, 6), n_queries=st.integers(1, 6), data=st.data(),
       tie_break=st.sampled_from(TIE_BREAKS), weights=st.sampled_from(WEIGHTS))
def test_argmax_of_the_shares_is_the_prediction(n_classes, k, n_queries, data, tie_break, weights):
    """For every rule and weighting: argmax(proba) is the vote, the shares are the vote
    shares within the documented margin, and a query's vote does not depend on the batch."""
    labels = np.array(data.draw(st.lists(st.lists(st.integers(0, n_classes - 1), min_size=k, max_size=k),
                                         min_size=n_queries, max_size=n_queries), label="labels"))
    # few distinct distances, zero included, so that ties (and exact matches) are frequent
    distances = np.sort(np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=k,
                                                             max_size=k), min_size=n_queries, max_size=n_queries),
                                           label="distances")), axis=1)
    options = dict(n_classes=n_classes, tie_break=tie_break, weights=weights, random_state=7)
    predictions, proba = vote(labels, distances, **options)
    assert np.array_equal(np.argmax(proba, axis=1), predictions)
    shares = np.zeros((n_queries, n_classes))
    for row in range(n_queries):
        w = np.ones(k) if weights == "uniform" else (
            (distances[row] == 0).astype(float) if (distances[row] == 0).any() else 1 / distances[row])
        np.add.at(shares[row], labels[row], w)
    shares /= shares.sum(axis=1, keepdims=True)
    assert np.allclose(proba, shares, rtol=0, atol=TIE_MARGIN * n_classes)
    assert np.allclose(proba.sum(axis=1), 1)
    one_by_one = [vote(labels[[row]], distances[[row]], **options)[0][0] for row in range(n_queries)]
    assert predictions.tolist() == one_by_one


@settings(max_examples=12, deadline=None)
@given(references=st.lists(TEXTS, min_size=1, max_size=10), queries=st.lists(TEXTS, min_size=1, max_size=8),
       data=st.data())
def test_results_do_not_depend_on_n_jobs_or_chunking(references, queries, data):
    k = data.draw(st.integers(1, len(references)), label="k")
    chunk_size = data.draw(st.integers(1, len(queries)), label="chunk_size")
    serial = nearest(queries, references, k, n_jobs=1)
    parallel = nearest(queries, references, k, n_jobs=2, chunk_size=chunk_size)
    assert np.array_equal(serial[0], parallel[0]) and np.array_equal(serial[1], parallel[1])


@settings(max_examples=60, deadline=None)
@given(train=training_sets, queries=st.lists(TEXTS, min_size=1, max_size=4), data=st.data())
def test_training_order_matters_only_through_the_documented_tie_rule(train, queries, data):
    """Neighbours at equal distance are ordered by training position (documented), so a
    permutation of the training set may change only queries with such a tie among their
    ``k + 1`` nearest; for every other query the prediction and the vote shares are equal.
    The sorted distances are always equal."""
    texts, labels = zip(*train)
    k = data.draw(st.integers(1, len(texts)), label="n_neighbors")
    tie_break = data.draw(st.sampled_from(TIE_BREAKS), label="tie_break")
    order = data.draw(st.permutations(range(len(texts))), label="permutation")
    original = NCDClassifier(k, tie_break=tie_break, random_state=0).fit(texts, labels)
    shuffled = NCDClassifier(k, tie_break=tie_break, random_state=0).fit(
        [texts[i] for i in order], [labels[i] for i in order])

    distances, _ = original.kneighbors(queries)
    assert np.array_equal(distances, shuffled.kneighbors(queries)[0])
    all_distances = np.sort(pairwise_ncd(queries, texts), axis=1)[:, : k + 1]
    untied = (np.diff(all_distances, axis=1) > 0).all(axis=1)
    assert np.array_equal(original.predict(queries)[untied], shuffled.predict(queries)[untied])
    assert np.array_equal(original.predict_proba(queries)[untied], shuffled.predict_proba(queries)[untied])


def test_the_readme_examples_outside_zero_one():
    assert pairwise_ncd(["the cat the cat"], ["the cat the cat"], compressor="zstd")[0, 0] == -1 / 24
    assert pairwise_ncd([""], [""], compressor="bz2")[0, 0] == (37 - 14) / 14
