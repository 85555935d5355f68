"""NCDTransformer: NCD neighbour graphs for scikit-learn's precomputed-metric estimators."""

import numpy as np
import pytest
from sklearn.cluster import DBSCAN, SpectralClustering
from sklearn.manifold import TSNE, Isomap
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline

import npc.classifier
from npc import NCDClassifier, NCDTransformer, pairwise_ncd
from tests.conftest import read_split

TEXTS = ["the cat sat on the mat", "a cat sat on a mat", "the kitten sat", "stocks fell sharply",
         "shares fell sharply", "the market fell", "cats and kittens", "markets and shares"]


@pytest.mark.parametrize("k", [2, 4])
def test_pipeline_with_knn_on_the_graph_predicts_as_ncd_classifier(k):
    texts, labels = read_split("r8", "train")
    queries, _ = read_split("r8", "test")
    train, y, queries = texts[:300], labels[:300], queries[:100]
    pipeline = make_pipeline(NCDTransformer(n_neighbors=k), KNeighborsClassifier(k, metric="precomputed"))
    expected = NCDClassifier(k, tie_break="lowest").fit(train, y).predict(queries)
    assert np.array_equal(pipeline.fit(train, y).predict(queries), expected)


@pytest.mark.parametrize("mode, width", [("distance", 3), ("connectivity", 2)])
def test_graph_holds_the_nearest_by_ncd_query_first(mode, width):
    queries = ["the cat sat", "fell sharply"]
    graph = NCDTransformer(n_neighbors=2, mode=mode).fit(TEXTS).transform(queries)
    assert graph.format == "csr" and graph.shape == (2, len(TEXTS)) and graph.nnz == 2 * width
    full = pairwise_ncd(queries, TEXTS)
    for row in range(2):
        nearest = np.argsort(full[row], kind="stable")[:width]
        assert graph.indices[graph.indptr[row]:graph.indptr[row + 1]].tolist() == nearest.tolist()
        expected = full[row, nearest] if mode == "distance" else np.ones(width)
        assert graph.data[graph.indptr[row]:graph.indptr[row + 1]].tolist() == expected.tolist()


def test_fit_transform_puts_each_text_first_at_distance_zero():
    graph = NCDTransformer(n_neighbors=3).fit_transform(TEXTS)
    assert graph.shape == (8, 8) and graph.nnz == 8 * 4
    assert np.array_equal(graph.indices[graph.indptr[:-1]], np.arange(8)) and (graph.diagonal() == 0).all()
    others = pairwise_ncd(TEXTS, TEXTS)
    np.fill_diagonal(others, np.inf)
    for row in range(8):
        stored = graph.indices[graph.indptr[row] + 1:graph.indptr[row + 1]]
        assert stored.tolist() == np.argsort(others[row], kind="stable")[:3].tolist()


def test_scikit_learns_graph_estimators_take_it():
    graph = NCDTransformer(n_neighbors=4).fit_transform(TEXTS)
    assert DBSCAN(eps=0.6, min_samples=2, metric="precomputed").fit_predict(graph).shape == (8,)
    spectral = SpectralClustering(2, affinity="precomputed_nearest_neighbors", n_neighbors=4, random_state=0)
    assert set(spectral.fit_predict(graph)) == {0, 1}
    embedding = TSNE(2, metric="precomputed", init="random", perplexity=1, random_state=0).fit_transform(graph)
    assert embedding.shape == (8, 2) and np.isfinite(embedding).all()
    assert Isomap(n_neighbors=4, n_components=2, metric="precomputed").fit_transform(graph).shape == (8, 2)


def test_pipeline_memory_caches_the_graph(tmp_path, monkeypatch):
    calls = []
    search = npc.classifier.nearest
    monkeypatch.setattr(npc.classifier, "nearest", lambda *a, **kw: calls.append(1) or search(*a, **kw))
    labels = [0, 0, 0, 1, 1, 1, 0, 1]
    for _ in range(2):
        steps = [("ncd", NCDTransformer(n_neighbors=2)), ("knn", KNeighborsClassifier(2, metric="precomputed"))]
        pipeline = Pipeline(steps, memory=str(tmp_path))
        pipeline.fit(TEXTS, labels)
    assert len(calls) == 1


def test_too_many_neighbours_is_named():
    with pytest.raises(ValueError, match="n_neighbors=9 is larger than the training set"):
        NCDTransformer(n_neighbors=8).fit(TEXTS)
