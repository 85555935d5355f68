"""NCDClassifierCV: exactly GridSearchCV's scores on the same folds, from one shared search."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import npc.kernel
from npc.classifier import NCDClassifier, NCDNeighborsBase
from npc.model_selection import NCDClassifierCV
from npc.transformer import NCDTransformer
from tests.conftest import read_split

GRID = {"n_neighbors": [1, 2, 4, 7], "tie_break": ["nearest", "random", "shrink"], "weights": ["uniform", "distance"]}


@pytest.fixture(scope="module")
def r8():
    texts, labels = read_split("r8", "train")
    return texts[:300], labels[:300]


def assert_same_search(search, reference):
    for key in ["params", "mean_test_score", "std_test_score", "rank_test_score"] + [
            f"split{i}_test_score" for i in range(search.n_splits_)]:
        assert np.array_equal(search.cv_results_[key], reference.cv_results_[key]), key
    for name in GRID:
        assert search.cv_results_[f"param_{name}"].tolist() == reference.cv_results_[f"param_{name}"].tolist()
    assert search.best_params_ == reference.best_params_ and search.best_index_ == reference.best_index_
    assert search.best_score_ == reference.best_score_


# R8's smallest class has 2 members in the sample: StratifiedKFold(5) says so, as it should.
@pytest.mark.filterwarnings("ignore:The least populated class in y has only:UserWarning")
@pytest.mark.parametrize("folds", ["stratified", "unbalanced"])
def test_scores_equal_grid_search_on_the_same_folds(r8, folds, tmp_path):
    texts, labels = r8
    if folds == "stratified":
        cv = list(StratifiedKFold(5).split(np.zeros(len(texts)), labels))
    else:
        # small training folds: most stored neighbours fall in the validation fold, so
        # many rows are searched again against the fold's training texts
        rng = np.random.default_rng(0)
        cv = [(np.sort(part[:60]), np.sort(part[60:])) for part in (rng.permutation(300) for _ in range(2))]
    # lz4: fast, and its many equal distances exercise the tie rules and the tie order
    search = NCDClassifierCV(GRID, cv=cv, compressor="lz4", random_state=3).fit(texts, labels)
    # the kernel's cache serves tie_break/weights variants of one (n_neighbors, fold)
    reference = GridSearchCV(NCDClassifier(compressor="lz4", random_state=3, cache_dir=tmp_path), GRID,
                             cv=cv).fit(texts, labels)
    assert_same_search(search, reference)
    if folds == "unbalanced":
        assert search.n_rows_searched_again_ > 0
    assert np.array_equal(search.predict(texts[:20]), reference.predict(texts[:20]))
    assert search.n_pairs_computed_ <= 300 * 300 + search.n_rows_searched_again_ * 300


def test_grid_is_checked_like_the_classifier():
    texts, labels = ["a", "b", "c", "d"], [0, 0, 1, 1]
    with pytest.raises(ValueError, match="param_grid may hold only n_neighbors, tie_break, weights; got sep"):
        NCDClassifierCV({"sep": ["|"]}, cv=2).fit(texts, labels)
    with pytest.raises(ValueError, match="'tie_break' parameter of NCDClassifier"):
        NCDClassifierCV({"tie_break": ["first"]}, cv=2).fit(texts, labels)
    with pytest.raises(ValueError, match="n_neighbors=3 is larger than the training set of a fold"):
        NCDClassifierCV({"n_neighbors": [3]}, cv=2).fit(texts, labels)


def test_the_shared_search_serves_later_neighbour_requests_from_the_cache(tmp_path, monkeypatch):
    texts = ["the cat sat", "a cat ran", "cats nap", "kittens nap", "stocks fell", "shares fell", "markets slid",
             "bonds slid"]
    labels = ["pets"] * 4 + ["finance"] * 4
    search = NCDClassifierCV({"n_neighbors": [1, 2]}, cv=2, cache_dir=tmp_path).fit(texts, labels)
    computed = []
    compute = npc.kernel._compute_chunk
    monkeypatch.setattr(npc.kernel, "_compute_chunk", lambda *a: computed.append(1) or compute(*a))
    distances, indices = search.kneighbors()
    assert computed == [] and indices.shape == (8, search.best_estimator_.n_neighbors)
    assert np.array_equal(indices, NCDClassifier(search.best_estimator_.n_neighbors).fit(texts, labels).kneighbors()[1])


@pytest.mark.parametrize("estimator", [NCDClassifier, NCDClassifierCV, NCDTransformer])
def test_every_ncd_estimator_takes_the_shared_search_constraints(estimator):
    shared = NCDNeighborsBase._parameter_constraints
    assert {name: estimator._parameter_constraints[name] for name in shared} == shared
    assert issubclass(estimator, NCDNeighborsBase)
