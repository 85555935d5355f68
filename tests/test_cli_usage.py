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
        "--scheduler does not apply to --model ppm (it takes --n-jobs;")
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


@pytest.mark.parametrize("arguments, message", [
    (["--model", "compressor-classifier", "--level", "99"],
     "--level must be an int in the range [-131072, 22]; got 99."),
    (["--k", "30", "--n-train", "20"], "--k 30 is larger than the training set (20 texts)"),
    (["--model", "tfidf-knn", "--k", "30", "--n-train", "20"], "--k 30 is larger than the training set (20 texts)"),
    (["--n-per-class", "600"], "Class 'neg' of imdb-sample train has only 500 items, fewer than --n-per-class 600."),
    (["--k", "auto", "--n-per-class", "3"], "--k auto chooses k by 5-fold cross-validation: it needs a class with at "
                                            "least 5 training texts (the largest has 3)"),
])
def test_errors_speak_in_option_names(arguments, message, capsys):
    assert error_of([*arguments, "--n-test", "5"], capsys).startswith(message)


def test_a_missing_column_names_the_options(tmp_path, capsys):
    write_csv(tmp_path / "t.csv", [("a", "x")], header="review,label")
    assert error_of(["--train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv")], capsys).endswith(
        "has no column 'text' (its columns: review, label); choose the text and label columns with --text-column / "
        "--label-column.")


@pytest.mark.parametrize("quiet", [True, False])
def test_auto_k_with_a_class_smaller_than_the_folds_is_a_note_not_a_library_warning(quiet, tmp_path, capsys):
    rows = [(f"cat {i}", "pets") for i in range(40)] + [(f"stocks {i}", "money") for i in range(3)]
    write_csv(tmp_path / "t.csv", rows)
    assert main(["classify", "--train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv"), "--k", "auto",
                 "--n-jobs", "1", *(["-q"] if quiet else [])]) == 0
    err = capsys.readouterr().err
    assert "n_splits" not in err and "warning" not in err
    assert ("note: class 'money' has 3 training texts, fewer than the 5 folds of --k auto" in err) != quiet


def test_an_empty_csv_is_called_empty(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("")
    assert error_of(["--train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv")], capsys) == \
        f"{tmp_path / 't.csv'} is empty: a CSV file needs a header line naming its columns, then a row per text."


def test_a_semicolon_separated_csv_gets_a_delimiter_hint(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("text;label\na cat;pets\n")
    assert error_of(["--train", str(tmp_path / "t.csv"), "--test", str(tmp_path / "t.csv")], capsys).endswith(
        "(its columns: text;label); its header looks separated by ';': npc reads a .csv file separated by ',' "
        "(save it with commas, or with tabs as .tsv).")


@pytest.mark.parametrize("command, name", [(["classify", "-q", "--train"], "imbd"), (["datasets", "info"], "r9")])
def test_a_misspelt_data_set_name_gets_did_you_mean(command, name, capsys):
    assert main([*command, name]) == 2
    assert f"did you mean '{'imdb' if name == 'imbd' else 'r8'}'?" in one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize("option", ["--test", "--predict"])
def test_a_missing_test_or_predict_file_is_reported_before_the_training_set_is_loaded(option, tmp_path,
                                                                                       monkeypatch, capsys):
    import npc.cli.data

    def no_loading(*args, **kwargs):
        raise AssertionError("the training set was loaded")

    monkeypatch.setattr(npc.cli.data, "load_dataset", no_loading)
    monkeypatch.chdir(tmp_path)
    assert error_of([option, "missing.csv"], capsys) == f"File not found: missing.csv (relative to {tmp_path})."


@pytest.mark.parametrize("compiled", [True, False])
def test_the_first_ppm_run_announces_the_compilation(compiled, monkeypatch, capsys):
    import npc.ppm

    monkeypatch.setattr(npc.ppm, "needs_compiling", lambda: not compiled)
    assert main(["classify", "--model", "ppm", "--n-train", "20", "--n-test", "4"]) == 0
    notes = capsys.readouterr().err.splitlines()
    compiling = [line for line in notes if "compiling" in line]
    assert compiling == ([] if compiled else [
        "note: compiling the PPM kernel (numba) on its first run here: about 5-20 s, once; later runs reuse it"])
    if not compiled:
        assert notes.index(compiling[0]) == 2  # after the train and test notes, before any work
