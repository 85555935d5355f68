"""``npc classify`` refuses what it cannot do as asked, at once, in the command line's own words."""

import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import npc._cluster
from npc.cli import main
from tests.test_cli import one_line_error, write_csv


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Empty user cache, no NPC_DATA_DIR, hub offline."""
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("NPC_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def error_of(arguments, capsys) -> str:
    assert main(["classify", "-q", *arguments]) == 2
    return one_line_error(capsys.readouterr().err).removeprefix("npc classify: error: ")


def write_named_set(root, name, splits):
    (root / name).mkdir(parents=True)
    for split in splits:
        pq.write_table(pa.table({"text": ["a cat", "a dog"], "label": [0, 1]}), root / name / f"{split}.parquet")


def test_scheduler_with_a_model_that_does_not_use_it_is_refused_at_once(monkeypatch, capsys):
    monkeypatch.setattr(npc._cluster, "CONNECT_TIMEOUT", 5)
    started = time.monotonic()
    assert error_of(["--model", "ppm", "--scheduler", "tcp://127.0.0.1:1"], capsys).startswith(
        "--scheduler does not apply to --model ppm (it takes none of them")
    assert error_of(["--model", "tfidf-lr", "--scheduler-file", "s.json"], capsys).startswith(
        "--scheduler-file does not apply to --model tfidf-lr")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("name", ["r8", "imdb-sample"])
def test_a_split_that_does_not_exist_names_the_splits_there_are(name, tmp_path, monkeypatch, capsys):
    write_named_set(tmp_path / "data", "r8", ["train", "test"])
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path / "data"))
    assert "has no 'validation' split; it has train, test" in error_of(
        ["--train", name, "--test-split", "validation"], capsys)


def test_a_folder_without_the_split_names_the_splits_there_are(tmp_path, capsys):
    write_named_set(tmp_path, "corpus", ["train", "test"])
    assert error_of(["--train", str(tmp_path / "corpus"), "--test-split", "dev"], capsys) == \
        f"{tmp_path / 'corpus'} has no 'dev' split; it has train, test."


def test_a_data_dir_that_does_not_exist_is_an_error(capsys):
    assert error_of(["--data-dir", "/nope", "--n-train", "10"], capsys) == "--data-dir /nope: no such folder"


@pytest.mark.parametrize("option", [["--n-test", "5"], ["--test-split", "validation"]])
def test_test_options_with_predict_are_refused_not_ignored(option, tmp_path, capsys):
    new = tmp_path / "new.txt"
    new.write_text("a text\n")
    assert error_of(["--predict", str(new), *option], capsys) == \
        f"{option[0]} is for the test set; --predict labels every text of {new}"
