"""`npc classify --k auto`: k chosen by NCDClassifierCV, its table in the report and the JSON."""

import json

from sklearn.model_selection import GridSearchCV

from npc import NCDClassifier
from npc.cli import AUTO_FOLDS, AUTO_K, main
from npc.datasets import load_dataset

SMALL = ["--n-train", "60", "--n-test", "20", "--n-jobs", "1"]


def test_k_auto_reports_the_cross_validation_and_uses_its_choice(tmp_path, capsys):
    output = tmp_path / "auto.json"
    assert main(["classify", "--k", "auto", *SMALL, "--output", str(output), "-q"]) == 0
    printed = capsys.readouterr().out
    report = json.loads(output.read_text())["report"]["cross_validation"]
    assert [row["params"]["n_neighbors"] for row in report["table"]] == list(AUTO_K)
    assert f"chosen k={report['best_params']['n_neighbors']}" in printed
    train = load_dataset("imdb-sample", "train", n=60, seed=0)
    reference = GridSearchCV(NCDClassifier(), {"n_neighbors": list(AUTO_K), "tie_break": ["nearest"]},
                             cv=AUTO_FOLDS).fit(train.texts, train.labels)
    assert [row["mean_test_score"] for row in report["table"]] == reference.cv_results_["mean_test_score"].tolist()
    assert report["best_params"] == reference.best_params_


def test_k_auto_is_only_for_ncd(capsys):
    # without SMALL's --n-jobs, which bow-knn does not take (that alone is refused)
    assert main(["classify", "--k", "auto", "--model", "bow-knn", "--n-train", "40", "--n-test", "20", "-q"]) == 2
    assert "--k auto is for --model ncd" in capsys.readouterr().err
