"""What ``npc classify`` reports: probabilities and --top in the JSON, per-class precision, recall
and F1, the confusion matrix, and class names (never ids) in every output."""

import json
import re

import numpy as np
import pytest

from npc import NCDClassifier
from npc.cli import main
from npc.datasets import load_dataset
from tests.test_cli import SMALL, one_line_error, write_csv


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("NPC_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def run_json(tmp_path, arguments) -> dict:
    assert main(["classify", *arguments, "--output", str(tmp_path / "run.json"), "-q"]) == 0
    return json.loads((tmp_path / "run.json").read_text())


def test_json_has_each_prediction_with_its_probability_and_the_top_classes(tmp_path, capsys):
    report = run_json(tmp_path, [*SMALL, "--top", "2"])
    train, test = load_dataset("imdb-sample", n=40), load_dataset("imdb-sample", "test", n=20)
    model = NCDClassifier(2).fit(train.texts, train.labels)
    labels, proba = model.predict_from_neighbors(*model.kneighbors(test.texts))
    predictions = report["predictions"]
    assert predictions["predicted"] == train.label_names(labels)  # names, not ids
    assert predictions["true"] == test.label_names()
    assert predictions["probability"] == pytest.approx(proba.max(axis=1).tolist())
    assert [[entry["label"] for entry in top] for top in predictions["top"]] == \
        [[["neg", "pos"][i] for i in np.argsort(-row, kind="stable")] for row in proba]
    assert [top[0]["probability"] for top in predictions["top"]] == pytest.approx(predictions["probability"])


def test_json_and_text_report_have_per_class_precision_recall_f1_and_the_confusion_matrix(tmp_path, capsys):
    report = run_json(tmp_path, ["--model", "tfidf-lr", "--n-train", "100", "--n-test", "40"])
    true, predicted = report["predictions"]["true"], report["predictions"]["predicted"]
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    matrix = confusion_matrix(true, predicted, labels=["neg", "pos"])
    assert report["report"]["confusion_matrix"] == {"classes": ["neg", "pos"], "matrix": matrix.tolist()}
    precision, recall, f1, support = precision_recall_fscore_support(true, predicted, labels=["neg", "pos"],
                                                                     zero_division=0)
    per_class = report["report"]["per_class"]
    assert [entry["name"] for entry in per_class] == ["neg", "pos"]
    assert [entry["precision"] for entry in per_class] == pytest.approx(precision.tolist())
    assert [entry["recall"] for entry in per_class] == pytest.approx(recall.tolist())
    assert [entry["f1"] for entry in per_class] == pytest.approx(f1.tolist())
    assert [entry["support"] for entry in per_class] == support.tolist()
    assert main(["classify", "--model", "tfidf-lr", "--n-train", "100", "--n-test", "40", "-q"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"^neg +{precision[0]:.4f} +{recall[0]:.4f} +{f1[0]:.4f} +{support[0]} ", out, re.MULTILINE)
    assert "confusion matrix (rows: true class, columns: predicted)" in out
    assert f"0 neg  {matrix[0][0]:>4}  {matrix[0][1]:>4}" in out


def test_the_confusion_matrix_is_printed_only_up_to_20_classes(tmp_path, capsys):
    rows = [(f"text {c} {i}", f"c{c:02d}") for c in range(21) for i in range(2)]
    write_csv(tmp_path / "t.csv", rows)
    arguments = ["--train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv"), "--k", "1", "--n-jobs", "1"]
    report = run_json(tmp_path, arguments)
    assert len(report["report"]["confusion_matrix"]["matrix"]) == 21
    assert main(["classify", *arguments, "-q"]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix" not in out and "c20" in out


def test_predict_json_has_names_probabilities_and_top(tmp_path, capsys):
    new = tmp_path / "new.txt"
    new.write_text("a great film\na dull film\n")
    report = run_json(tmp_path, ["--model", "tfidf-lr", "--n-train", "60", "--predict", str(new), "--top", "1"])
    assert capsys.readouterr().out.splitlines() == report["predictions"]["predicted"]
    assert set(report["predictions"]["predicted"]) <= {"neg", "pos"}
    assert all(0.5 <= p <= 1 for p in report["predictions"]["probability"])
    assert [len(top) for top in report["predictions"]["top"]] == [1, 1]


def test_top_without_output_is_refused(capsys):
    assert main(["classify", "--top", "2", "-q"]) == 2
    assert one_line_error(capsys.readouterr().err) == \
        "npc classify: error: --top lists classes in the --output JSON; give --output FILE.json"


def test_labels_never_seen_in_training_are_named(tmp_path, monkeypatch, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "data" / "tiny"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"text": ["a cat", "a dog"], "label": [0, 1]}), folder / "train.parquet")
    pq.write_table(pa.table({"text": ["a cow"], "label": [2]}), folder / "test.parquet")
    (folder / "labels.json").write_text('{"0": "cat", "1": "dog", "2": "cow"}')
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path / "data"))
    assert main(["classify", "--train", "tiny", "--k", "1", "--n-jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "note: test labels never seen in training: cow;" in captured.err
    assert "cow" in captured.out
