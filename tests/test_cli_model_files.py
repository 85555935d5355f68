"""npc train, npc predict and npc compare: reloaded models label as npc classify does; bad model files exit 2."""

import csv
import json
import os
import pickle
import subprocess
import sys
import zipfile

import pytest

from npc.cli import MODELS, main
from npc.datasets import load_dataset


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Empty user cache, no NPC_DATA_DIR, hub offline: the fresh-machine situation."""
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("NPC_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _write_csv(path, data):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(data.texts, data.label_names()))
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    train = _write_csv(folder / "train.csv", load_dataset("imdb-sample", "train", n=40))
    test = _write_csv(folder / "test.csv", load_dataset("imdb-sample", "test", n=20))
    return train, test


def _read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


CASES = [(name, ["--n-jobs", "1"] if name == "ncd" else []) for name in MODELS] + [("ncd", ["--n-jobs", "1", "-k",
                                                                                            "auto"])]


@pytest.mark.parametrize(("model", "options"), CASES, ids=[" ".join([m, *o]) for m, o in CASES])
def test_train_then_predict_labels_as_classify_does(model, options, files, tmp_path, capsys):
    train, test = files
    saved = tmp_path / "model.npc"
    assert main(["train", train, "--model", model, *options, "--save", str(saved), "-q"]) == 0
    assert main(["predict", str(saved), test, "--output", str(tmp_path / "out.csv"), "--top", "2", "-q"]) == 0
    assert main(["classify", "--train", train, "--test", test, "--model", model, *options,
                 "--output", str(tmp_path / "run.json"), "-q"]) == 0
    classified = json.loads((tmp_path / "run.json").read_text())["predictions"]["predicted"]
    rows = _read_csv(tmp_path / "out.csv")
    assert [row["label"] for row in rows] == classified
    assert [int(row["row"]) for row in rows] == list(range(20))
    for row in rows:  # the label is the most probable class
        assert 0 < float(row["probability"]) <= 1
        assert (row["label_1"], row["probability_1"]) == (row["label"], row["probability"])
        assert float(row["probability_2"]) <= float(row["probability_1"])
    capsys.readouterr()
    assert main(["predict", str(saved), test, "-q"]) == 0
    assert capsys.readouterr().out.splitlines() == classified


def test_predict_writes_json_lines_and_top_n_on_stdout(files, tmp_path, capsys):
    train, _ = files
    saved = tmp_path / "model.npc"
    assert main(["train", train, "--model", "ppm", "--save", str(saved), "-q"]) == 0
    texts = tmp_path / "texts.txt"
    texts.write_text("a wonderful film, I loved it\nterrible, boring, awful acting\n")
    assert main(["predict", str(saved), str(texts), "--output", str(tmp_path / "out.jsonl"), "--top", "5", "-q"]) == 0
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [record["row"] for record in records] == [0, 1]
    for record in records:
        assert len(record["top"]) == 2  # at most the classes there are
        assert record["top"][0] == {"label": record["label"], "probability": record["probability"]}
        assert sum(best["probability"] for best in record["top"]) == pytest.approx(1)
    capsys.readouterr()
    assert main(["predict", str(saved), str(texts), "--top", "1", "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in out] == [record["label"] for record in records]
    assert [float(line.split("\t")[1]) for line in out] == pytest.approx([r["probability"] for r in records], rel=1e-5)


def test_train_records_the_training_data_in_the_file(files, tmp_path):
    from npc import read_model_header

    train, _ = files
    assert main(["train", train, "--model", "tfidf-lr", "--save", str(tmp_path / "m.npc"), "-q"]) == 0
    header = read_model_header(tmp_path / "m.npc")
    assert header["classes"] == ["neg", "pos"]
    assert header["training_data"]["n_texts"] == 40
    assert header["model"]["class"] == "sklearn.pipeline.Pipeline"


class _CreatesFile:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_predict_refuses_a_planted_pickle_and_does_not_run_it(files, tmp_path):
    """The model file is a pickle whose loading would create a file: exit 2, one line, no file."""
    _, test = files
    target, planted = tmp_path / "pwned", tmp_path / "model.npc"
    planted.write_bytes(pickle.dumps(_CreatesFile(str(target))))
    done = subprocess.run([sys.executable, "-m", "npc", "predict", str(planted), test], check=False,
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert done.returncode == 2
    assert one_line_error(done.stderr) == f"npc predict: error: {planted}: not an npc model file (it is not a zip " \
                                          "archive)"
    assert done.stdout == "" and not target.exists()


def test_predict_refuses_a_pickle_planted_inside_a_model_file(files, tmp_path, capsys):
    train, test = files
    saved, target = tmp_path / "model.npc", tmp_path / "pwned"
    assert main(["train", train, "--model", "ppm", "--save", str(saved), "-q"]) == 0
    with zipfile.ZipFile(saved) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["model.json"] = pickle.dumps(_CreatesFile(str(target)))
    with zipfile.ZipFile(saved, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    capsys.readouterr()
    assert main(["predict", str(saved), test]) == 2
    error = one_line_error(capsys.readouterr().err)
    assert error.startswith(f"npc predict: error: {saved}: damaged model file")
    assert not target.exists()


def test_predict_refuses_a_model_that_does_not_predict(files, tmp_path, capsys):
    from npc import NCDTransformer, save_model

    save_model(NCDTransformer(2).fit(["a cat", "a dog", "stocks"]), tmp_path / "graph.npc")
    assert main(["predict", str(tmp_path / "graph.npc"), files[1]]) == 2
    assert one_line_error(capsys.readouterr().err).endswith("graph.npc holds a NCDTransformer, which does not "
                                                            "predict labels")


def test_predict_reads_stdin(files, tmp_path):
    train, _ = files
    saved = tmp_path / "model.npc"
    assert main(["train", train, "--model", "compressor-classifier", "--save", str(saved), "-q"]) == 0
    done = subprocess.run([sys.executable, "-m", "npc", "predict", str(saved), "-", "-q"], check=False,
                          capture_output=True, text=True, input="a wonderful film\nawful\n\n", env=dict(os.environ),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3 and set(done.stdout.split()) <= {"neg", "pos"}


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "imdb-sample", "--save", "/nope/m.npc"], "--save /nope/m.npc: its folder does not exist"),
    (["train", "imdb-sample", "--model", "ppm", "--k", "3", "--save", "m.npc"],
     "--k does not apply to --model ppm (it takes --n-jobs; see npc train --help)"),
    (["predict", "m.npc", "in.txt", "--output", "out.xlsx"], "--output out.xlsx: give a file ending in .csv, .tsv"),
    (["predict", "missing.npc", "in.txt"], "missing.npc: no such model file"),
    (["compare", "imdb-sample", "--budget", "-1"], "--budget -1: give a number of seconds"),
])
def test_usage_errors_exit_2_in_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in one_line_error(capsys.readouterr().err)


def test_compare_on_shipped_data_skips_ncd_over_the_budget(tmp_path, capsys):
    output = tmp_path / "compare.json"
    assert main(["compare", "imdb-sample", "--n-train", "60", "--n-test", "30", "--models", "ppm", "tfidf-lr", "ncd",
                 "--budget", "0", "--output", str(output), "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("3 models on imdb-sample test (30 texts), trained on imdb-sample train (60 texts)")
    assert out[1].split()[:3] == ["model", "accuracy", "95%"]
    assert {line.split()[0] for line in out[2:4]} == {"ppm", "tfidf-lr"}
    assert out[4].startswith("ncd: skipped: its NCD search would take about ") and "over the budget of 0 s" in out[4]
    report = json.loads(output.read_text())
    rows = {row["name"]: row for row in report["comparison"]["models"]}
    assert rows["ncd"]["status"] == "skipped" and rows["ncd"]["estimated_seconds"] > 0
    # the same rows and model as npc classify: the same accuracy
    assert main(["classify", "--train", "imdb-sample", "--n-train", "60", "--n-test", "30", "--model", "ppm",
                 "--output", str(tmp_path / "ppm.json"), "-q"]) == 0
    assert rows["ppm"]["accuracy"] == json.loads((tmp_path / "ppm.json").read_text())["report"]["accuracy"]
    assert rows["ppm"]["predicted"] == json.loads((tmp_path / "ppm.json").read_text())["predictions"]["predicted"]
