"""Baselines: cosine kNN votes like NCDClassifier, LR pipelines, the registry."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.model_selection import cross_val_score

from npc.baselines import BASELINES, CosineKNNClassifier, make_baseline
from npc.vote import vote

TRAIN = ["red apple pie", "green apple tart", "stock market fell", "market shares rose", "red wine"]
LABELS = ["food", "food", "money", "money", "food"]


def test_cosine_distances_and_order_are_exact():
    clf = CosineKNNClassifier(2, vectorizer=CountVectorizer()).fit(["aa bb", "aa cc", "aa bb"], [0, 1, 0])
    distances, indices = clf.kneighbors(["aa bb"])
    # "aa bb" vs itself: 0; vs "aa cc": 1 - 1/2. Equal distances keep training order.
    assert indices.tolist() == [[0, 2]]
    assert distances[0].tolist() == pytest.approx([0.0, 0.0], abs=1e-12)
    distances, indices = clf.kneighbors(["aa cc"], n_neighbors=3)
    assert indices.tolist() == [[1, 0, 2]] and distances[0, 1] == pytest.approx(0.5)


def test_votes_follow_npc_vote_with_every_tie_rule():
    for tie_break in ("nearest", "lowest", "shrink"):
        clf = CosineKNNClassifier(2, vectorizer=CountVectorizer(), tie_break=tie_break).fit(TRAIN, LABELS)
        distances, indices = clf.kneighbors(["apple market"])
        codes, _ = vote(np.searchsorted(clf.classes_, np.asarray(LABELS)[indices]), distances, n_classes=2,
                        tie_break=tie_break)
        assert clf.predict(["apple market"]).tolist() == clf.classes_[codes].tolist()


def test_text_without_known_words_is_at_distance_one():
    clf = CosineKNNClassifier(1, vectorizer=CountVectorizer()).fit(TRAIN, LABELS)
    distances, _ = clf.kneighbors(["zzz"])
    assert distances.tolist() == [[1.0]]


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_named_baseline_fits_predicts_and_clones(name):
    model = make_baseline(name)
    predicted = model.fit(TRAIN * 2, LABELS * 2).predict(["red apple", "market fell"])
    assert predicted.tolist() == ["food", "money"]
    assert pickle.loads(pickle.dumps(model)).predict(["red apple"]).tolist() == ["food"]
    assert clone(model).get_params().keys() == model.get_params().keys()


def test_works_inside_cross_validation():
    scores = cross_val_score(CosineKNNClassifier(1), TRAIN * 2, LABELS * 2, cv=2)
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Unknown baseline 'svm'; choose one of bow-knn"):
        make_baseline("svm")
    with pytest.raises(ValueError, match="'n_neighbors' parameter of CosineKNNClassifier"):
        CosineKNNClassifier(0).fit(TRAIN, LABELS)
    with pytest.raises(ValueError, match="larger than the training set"):
        CosineKNNClassifier(9).fit(TRAIN, LABELS)
    with pytest.raises(ValueError, match="different lengths"):
        CosineKNNClassifier(1).fit(TRAIN, LABELS[:2])


@pytest.mark.parametrize("model", ["tfidf-lr", "bow-knn", "tfidf-knn", "compressor-classifier"])
def test_command_line_reaches_every_model(model, capsys):
    from npc.cli import main

    assert main(["classify", "--train", "imdb-sample", "--model", model, "--quiet"]) == 0
    assert f"{model} on imdb-sample" in capsys.readouterr().out
