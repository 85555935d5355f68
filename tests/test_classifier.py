import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from npc import NCDClassifier
from tests.conftest import read_split

TEXTS = [
    "the cat sat on the mat", "a cat and a kitten on a mat", "my cat sleeps on the sofa",
    "kittens and cats purr", "the dog chased the cat", "cats like warm mats",
    "stocks fell sharply on wall street", "the market rallied as shares rose",
    "bond yields and stock prices", "investors sold shares of the bank",
    "the central bank raised interest rates", "shares of tech stocks slumped",
]
LABELS = ["pets"] * 6 + ["finance"] * 6
QUERIES = ["a cat on a warm mat", "stock market shares fell", "kittens purr on the sofa"]


def test_fit_predict_strings():
    clf = NCDClassifier(n_neighbors=3).fit(TEXTS, LABELS)
    assert clf.classes_.tolist() == ["finance", "pets"]
    assert clf.predict(QUERIES).tolist() == ["pets", "finance", "pets"]
    proba = clf.predict_proba(QUERIES)
    assert proba.shape == (3, 2) and np.allclose(proba.sum(axis=1), 1)


def test_integer_labels_and_score():
    y = [1] * 6 + [7] * 6
    clf = NCDClassifier(n_neighbors=1).fit(TEXTS, y)
    assert clf.predict(QUERIES).tolist() == [1, 7, 1]
    assert clf.score(QUERIES, [1, 7, 1]) == 1.0


def test_init_stores_parameters_only():
    clf = NCDClassifier(0, compressor="nope", tie_break="bogus")
    assert clf.get_params()["n_neighbors"] == 0  # validated in fit, not here
    with pytest.raises(ValueError, match="The 'n_neighbors' parameter of NCDClassifier must be an int"):
        clf.fit(TEXTS, LABELS)


def test_parameter_errors():
    with pytest.raises(ValueError, match="'tie_break' parameter"):
        NCDClassifier(tie_break="first").fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="Unknown compressor 'nope'"):
        NCDClassifier(compressor="nope").fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="larger than the training set"):
        NCDClassifier(n_neighbors=13).fit(TEXTS, LABELS)


def test_input_errors():
    with pytest.raises(ValueError, match="X is empty"):
        NCDClassifier().fit([], [])
    with pytest.raises(TypeError, match=r"X\[2\] is NoneType"):
        NCDClassifier(1).fit(["a", "b", None], [0, 1, 0])
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        NCDClassifier(1).fit(["a", "b", "c"], [0, 1])
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        NCDClassifier(1).fit(["a", "b"], [0.0, np.nan])


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NCDClassifier().predict(["a"])


def test_kneighbors_without_x_excludes_self():
    clf = NCDClassifier(n_neighbors=2).fit(TEXTS, LABELS)
    distances, indices = clf.kneighbors()
    assert indices.shape == (12, 2)
    assert not (indices == np.arange(12)[:, None]).any()
    assert (np.diff(distances, axis=1) >= 0).all()
    assert np.array_equal(clf.kneighbors(return_distance=False), indices)


def test_kneighbors_returns_the_searchs_statistics(tmp_path):
    clf = NCDClassifier(n_neighbors=2, cache_dir=tmp_path).fit(TEXTS, LABELS)
    distances, indices, stats = clf.kneighbors(QUERIES, return_stats=True)
    plain_distances, plain_indices = clf.kneighbors(QUERIES)
    assert np.array_equal(distances, plain_distances) and np.array_equal(indices, plain_indices)
    assert (stats.n_pairs, stats.n_pairs_computed) == (3 * 12, 3 * 12)
    assert clf.kneighbors(QUERIES, return_stats=True)[2].n_pairs_computed == 0  # now from the cache
    indices_only, stats = clf.kneighbors(QUERIES, return_distance=False, return_stats=True)
    assert np.array_equal(indices_only, indices) and stats.n_pairs == 36


def test_seconds_per_pair_times_a_spread_sample():
    clf = NCDClassifier().fit(TEXTS, LABELS)
    assert 0 < clf.seconds_per_pair(QUERIES, n_queries=2, n_references=5) < 1


def test_clone_and_get_set_params():
    clf = NCDClassifier(3, compressor="zstd", level=5, tie_break="shrink")
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert twin.set_params(n_neighbors=1).n_neighbors == 1


def test_pickle_round_trip_gives_identical_predictions():
    clf = NCDClassifier(3, compressor="zstd").fit(TEXTS, LABELS)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(QUERIES), clf.predict_proba(QUERIES))


def test_pipeline_grid_search_and_cross_validation():
    pipeline = Pipeline([("lower", FunctionTransformer(lambda texts: [t.lower() for t in texts])),
                         ("ncd", NCDClassifier())])
    search = GridSearchCV(pipeline, {"ncd__n_neighbors": [1, 3], "ncd__compressor": ["gzip", "zstd"]}, cv=3)
    search.fit([t.upper() for t in TEXTS], LABELS)
    assert search.best_params_["ncd__n_neighbors"] in (1, 3)
    assert search.predict(QUERIES).shape == (3,)
    scores = cross_val_score(NCDClassifier(1), np.array(TEXTS, dtype=object), np.array(LABELS), cv=2)
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


def test_n_jobs_one_and_two_identical():
    texts = TEXTS * 4
    serial = NCDClassifier(5, n_jobs=1).fit(texts, LABELS * 4)
    parallel = clone(serial).set_params(n_jobs=2).fit(texts, LABELS * 4)
    queries = QUERIES * 5
    assert np.array_equal(serial.kneighbors(queries)[1], parallel.kneighbors(queries)[1])
    assert np.array_equal(serial.predict(queries), parallel.predict(queries))


def test_cached_predictions_equal_uncached(tmp_path):
    plain = NCDClassifier(3).fit(TEXTS, LABELS).predict_proba(QUERIES)
    cached = NCDClassifier(3, cache_dir=tmp_path).fit(TEXTS, LABELS)
    assert np.array_equal(cached.predict_proba(QUERIES), plain)
    assert np.array_equal(cached.predict_proba(QUERIES), plain)
    assert list(tmp_path.glob("*/chunk-*.npz"))


def stratified_rows(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    rows = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(rows))


@pytest.mark.slow
def test_imdb_accuracy_far_above_chance():
    """IMDb: 1,000 reviews per class from train and 250 per class from test, drawn with
    numpy's default_rng(0) (train) and default_rng(1) (test); gzip-9, k=2, ties to the nearest."""
    train_texts, train_labels = read_split("imdb", "train")
    test_texts, test_labels = read_split("imdb", "test")
    train = stratified_rows(train_labels, 1000, seed=0)
    test = stratified_rows(test_labels, 250, seed=1)
    clf = NCDClassifier(n_neighbors=2, n_jobs=2).fit([train_texts[i] for i in train], train_labels[train])
    accuracy = clf.score([test_texts[i] for i in test], test_labels[test])
    print(f"IMDb 2000/500 gzip-9 k=2 nearest accuracy: {accuracy:.3f}")
    assert accuracy > 0.6
