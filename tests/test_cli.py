"""The npc command line: real subprocess runs, and main(argv) in-process (no network)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from npc import NCDClassifier, __version__, cli
from npc._validation import InvalidInputError
from npc.cli import main, running
from npc.datasets import load_dataset

SMALL = ["--n-train", "40", "--n-test", "20", "--n-jobs", "1"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Empty user cache, no NPC_DATA_DIR, hub offline: the fresh-machine situation."""
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.delenv("NPC_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def run_npc(*args, cwd=None, stdin=None):
    """``python -m npc ARGS`` in a subprocess with the test's environment."""
    return subprocess.run([sys.executable, "-m", "npc", *map(str, args)], check=False, capture_output=True,
                          text=True, cwd=cwd, input=stdin, env=dict(os.environ), timeout=120)


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def write_csv(path, rows, header="text,label"):
    import csv
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header.split(","))
        writer.writerows(rows)


# ---------------------------------------------------------------- subprocess runs

def test_embedded_default_end_to_end_with_json_output(tmp_path):
    output = tmp_path / "run.json"
    done = run_npc("classify", *SMALL, "--output", output)
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout and "macro-F1" in done.stdout and "pairs/s" in done.stdout
    assert "computing 800 NCD pairs (20 queries × 40 training texts)" in done.stderr
    assert "NCD pairs: 100%" in done.stderr  # the progress bar, even when stderr is a pipe
    report = json.loads(output.read_text())
    assert report["npc_version"] == __version__
    config = report["config"]
    assert config["train"]["data"] == "imdb-sample" and config["train"]["n"] == 40
    assert config["parameters"]["compressor"] == "gzip-9" and config["parameters"]["n_neighbors"] == 2
    assert config["parameters"]["tie_break"] == "nearest" and config["seed"] == 0
    predictions = report["predictions"]
    assert len(predictions["rows"]) == len(predictions["predicted"]) == 20
    true, predicted = np.array(predictions["true"]), np.array(predictions["predicted"])
    assert report["report"]["accuracy"] == pytest.approx(np.mean(true == predicted))
    assert report["report"]["kernel"]["n_pairs_computed"] == 800
    assert sum(entry["support"] for entry in report["report"]["per_class"]) == 20
    assert f"accuracy  {report['report']['accuracy']:.4f}" in done.stdout


def test_user_csv_files(tmp_path):
    train = [(f"the cat sat on mat {i}", "pets") for i in range(4)] + [(f"stocks fell on wall st {i}", "money")
                                                                      for i in range(4)]
    write_csv(tmp_path / "train.csv", train)
    write_csv(tmp_path / "test.csv", [("a cat on a mat", "pets"), ("shares fell on wall st", "money")])
    done = run_npc("classify", "--train", tmp_path / "train.csv", "--test", tmp_path / "test.csv", "--k", "1",
                   "--n-jobs", "1", "--output", tmp_path / "out.json")
    assert done.returncode == 0, done.stderr
    assert "accuracy  1.0000" in done.stdout
    predictions = json.loads((tmp_path / "out.json").read_text())["predictions"]
    assert predictions["predicted"] == ["pets", "money"] and predictions["rows"] == [0, 1]


def test_folder_per_class_tree(tmp_path):
    texts = {"sport": ["the match ended in a goal", "the team won the cup final"],
             "food": ["bake the bread with flour", "cook the rice with salt"]}
    for split in ("train", "test"):
        for label, items in texts.items():
            folder = tmp_path / "corpus" / split / label
            folder.mkdir(parents=True)
            for i, text in enumerate(items if split == "train" else items[:1]):
                (folder / f"{i}.txt").write_text(text + (" again" if split == "test" else ""))
    done = run_npc("classify", "--train", tmp_path / "corpus", "--k", "1", "--n-jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "corpus test: 2 texts, 2 classes" in done.stderr
    assert "accuracy  1.0000" in done.stdout


def test_predict_output_is_aligned_with_its_input(tmp_path):
    new = tmp_path / "new.txt"
    sample = load_dataset("imdb-sample", "test", n=6, seed=5)
    new.write_text("\n".join(text.replace("\n", " ") for text in sample.texts) + "\n")
    done = run_npc("classify", "--n-train", "60", "--n-jobs", "1", "--predict", new)
    assert done.returncode == 0, done.stderr
    labels = done.stdout.splitlines()
    assert len(labels) == 6 and set(labels) <= {"neg", "pos"}
    expected = NCDClassifier(2).fit(*_train_60()).predict([line for line in new.read_text().splitlines()])
    assert labels == [["neg", "pos"][code] for code in expected]


def _train_60():
    train = load_dataset("imdb-sample", n=60, seed=0)
    return train.texts, train.labels


def test_unknown_data_set_is_one_line_and_exit_2():
    done = run_npc("classify", "--train", "no_such_set")
    assert done.returncode == 2
    line = one_line_error(done.stderr)
    assert "Unknown data set 'no_such_set'" in line and "known names:" in line


def test_missing_column_is_one_line_and_exit_2(tmp_path):
    write_csv(tmp_path / "train.csv", [("a", "x")], header="review,label")
    write_csv(tmp_path / "test.csv", [("a", "x")], header="review,label")
    done = run_npc("classify", "--train", tmp_path / "train.csv", "--test", tmp_path / "test.csv")
    assert done.returncode == 2
    line = one_line_error(done.stderr)
    assert "has no column 'text' (its columns: review, label)" in line and "--text-column" in line


@pytest.mark.parametrize("train, expected", [
    ("dbpedia", "Data set 'dbpedia_14' split 'train'"),
    ("ag_news", "Data set 'ag_news' split 'train'"),
])
def test_offline_hub_only_set_is_one_clear_line(tmp_path, monkeypatch, train, expected):
    # like the shared machine: ag_news has its test split locally, not its train split
    (tmp_path / "data" / "ag_news").mkdir(parents=True)
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"text": ["x"], "label": [0]}), tmp_path / "data" / "ag_news" / "test.parquet")
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path / "data"))
    done = run_npc("classify", "--train", train)
    assert done.returncode == 2
    line = one_line_error(done.stderr)
    assert expected in line and "not available offline" in line
    assert f"NPC_DATA_DIR ({tmp_path / 'data'}" in line and "the user cache" in line
    assert "HF_DATASETS_OFFLINE=1" in line and "To supply a local copy, put train.parquet" in line


def test_version():
    done = run_npc("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"npc {__version__}"


# ---------------------------------------------------------------- in-process, main(argv)

@pytest.mark.parametrize("command", ["classify", "datasets", "datasets info"])
def test_every_command_has_help(command, capsys):
    assert main([*command.split(), "--help"]) == 0
    assert f"usage: npc {command}" in capsys.readouterr().out


def test_cli_predictions_equal_the_library(tmp_path, capsys):
    assert main(["classify", *SMALL, "--seed", "2", "--output", str(tmp_path / "run.json"), "-q"]) == 0
    predicted = json.loads((tmp_path / "run.json").read_text())["predictions"]["predicted"]
    train = load_dataset("imdb-sample", n=40, seed=2)
    test = load_dataset("imdb-sample", "test", n=20, seed=2)
    assert predicted == train.label_names(NCDClassifier(2).fit(train.texts, train.labels).predict(test.texts))
    assert capsys.readouterr().err == ""


def test_rerun_with_cache_dir_computes_nothing(tmp_path, capsys):
    arguments = ["classify", *SMALL, "--cache-dir", str(tmp_path / "cache"), "--output", str(tmp_path / "r.json")]
    assert main(arguments) == 0
    first = json.loads((tmp_path / "r.json").read_text())
    assert main(arguments) == 0
    second = json.loads((tmp_path / "r.json").read_text())
    assert second["report"]["kernel"]["n_pairs_computed"] == 0
    assert second["report"]["kernel"]["n_pairs_from_cache"] == 800
    assert second["predictions"] == first["predictions"]
    captured = capsys.readouterr()
    assert "800 from cache" in captured.out
    assert "computing" not in captured.err  # it computed nothing the second time
    assert captured.err.count("800 NCD pairs (20 queries × 40 training texts), computed or read from --cache-dir") == 2
    assert "0 pairs read from --cache-dir, 800 computed" in captured.err
    assert "800 pairs read from --cache-dir, 0 computed" in captured.err


def test_big_jobs_announce_an_estimate_from_a_measured_sample(monkeypatch, capsys):
    monkeypatch.setattr(running, "ESTIMATE_ABOVE_PAIRS", 1)
    assert main(["classify", *SMALL]) == 0
    err = capsys.readouterr().err
    assert "computing 800 NCD pairs" in err
    assert "a sample of 640 pairs took" in err and "µs/pair, so about" in err and "on 1 worker(s)" in err


@pytest.mark.parametrize("cache, expected", [
    (True, "Chunks finished so far are kept in {cache}; run the same command again to resume from them."),
    (False, "nothing was kept (give --cache-dir DIR to make long runs resumable)"),
])
def test_interrupt_says_how_to_resume(tmp_path, monkeypatch, capsys, cache, expected):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(NCDClassifier, "kneighbors", interrupted)
    arguments = ["classify", *SMALL] + (["--cache-dir", str(tmp_path / "c")] if cache else [])
    assert main(arguments) == 130
    assert expected.format(cache=tmp_path / "c") in capsys.readouterr().err


def test_out_of_memory_is_one_line_in_npcs_words(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise MemoryError("no room for the chunk")

    monkeypatch.setattr(NCDClassifier, "kneighbors", broken)
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err) == (
        "npc classify: error: out of memory; try fewer texts (--n-train, --n-test) or fewer workers (--n-jobs) "
        "(no room for the chunk)")


def test_system_error_is_one_line_in_npcs_words(monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "/cache/chunk-3.npz")

    monkeypatch.setattr(NCDClassifier, "kneighbors", full)
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err) == \
        "npc classify: error: system error: No space left on device: /cache/chunk-3.npz"


def test_a_bug_inside_fit_is_a_failure_not_a_usage_error(monkeypatch, capsys):
    """Only input the estimator refuses is exit 2; a ValueError from a bug is exit 1, named an internal failure."""
    def buggy(self, X, y):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(NCDClassifier, "fit", buggy)
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err) == (
        'npc classify: error: internal failure (ValueError in tests.test_cli: "operands could not be broadcast '
        'together"); this is a bug: please report it with the traceback that NPC_DEBUG=1 shows')


def test_a_library_message_is_never_printed_as_npcs_own(monkeypatch, capsys):
    """A library failing inside npc (here the json module) is an internal failure naming where it happened,
    exit 1; NPC_DEBUG=1 lets the exception (its traceback) through."""
    monkeypatch.setattr(NCDClassifier, "fit", lambda self, X, y: json.loads("{"))
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err) == (
        'npc classify: error: internal failure (JSONDecodeError in json.decoder: "Expecting property name enclosed '
        'in double quotes: line 1 column 2 (char 1)"); this is a bug: please report it with the traceback that '
        'NPC_DEBUG=1 shows')
    monkeypatch.setenv("NPC_DEBUG", "1")
    with pytest.raises(json.JSONDecodeError):
        main(["classify", *SMALL, "-q"])


def test_an_npc_error_prints_its_own_message_and_exit_code(monkeypatch, capsys):
    """What decides is the class (NPCError), not where the error was raised."""
    from npc.baselines import make_baseline
    from npc.kernel import WorkerDiedError

    monkeypatch.setattr(NCDClassifier, "kneighbors", lambda *args, **kwargs: make_baseline("nope"))
    assert main(["classify", *SMALL, "-q"]) == 2
    assert one_line_error(capsys.readouterr().err) == \
        "npc classify: error: Unknown baseline 'nope'; choose one of bow-knn, char-tfidf-lr, tfidf-knn, tfidf-lr."

    def died(*args, **kwargs):  # raised here, in a test module: still npc's own message
        raise WorkerDiedError("A worker process died (killed, out of memory or crashed)")

    monkeypatch.setattr(NCDClassifier, "kneighbors", died)
    assert main(["classify", *SMALL, "-q"]) == 1  # a failure while running, not a usage error
    assert one_line_error(capsys.readouterr().err) == \
        "npc classify: error: A worker process died (killed, out of memory or crashed)"


def test_a_plain_exception_raised_in_npc_code_is_an_internal_failure(monkeypatch, capsys):
    """A ValueError that npc's own code raises but that is no NPCError is a bug that reached the user."""
    from npc.vote import vote

    monkeypatch.setattr(NCDClassifier, "kneighbors", lambda *args, **kwargs: vote([[0]], n_classes=1, tie_break="x"))
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err).startswith(
        "npc classify: error: internal failure (ValueError in npc.vote: \"Unknown tie_break 'x'")


def test_npc_errors_share_one_base():
    from npc._cluster import ClusterUnavailableError
    from npc.cache import CacheMismatchError
    from npc.datasets import DatasetError
    from npc.errors import NPCError
    from npc.kernel import WorkerDiedError

    for error in (InvalidInputError, DatasetError, CacheMismatchError, WorkerDiedError, ClusterUnavailableError):
        assert issubclass(error, NPCError), error
    assert issubclass(InvalidInputError, ValueError) and issubclass(ClusterUnavailableError, ConnectionError)


def test_stdout_closed_early_is_not_a_failure():
    """`npc datasets | head -1`: the reader went away, as it chose; npc stops quietly (exit 0, nothing on
    stderr), so that `set -o pipefail` scripts do not fail on it."""
    process = subprocess.Popen([sys.executable, "-m", "npc", "datasets"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == ""


def test_a_broken_pipe_that_is_not_stdout_is_a_failure(monkeypatch, capsys):
    def broken(*args, **kwargs):  # as a worker's pipe breaking would
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(NCDClassifier, "kneighbors", broken)
    assert main(["classify", *SMALL, "-q"]) == 1
    assert one_line_error(capsys.readouterr().err) == "npc classify: error: system error: Broken pipe"


@pytest.mark.parametrize("arguments, message", [
    (["--model", "compressor-classifier", "--compressor", "gzip"],
     "--compressor does not apply to --model compressor-classifier (it takes --level, --n-jobs; "
     "see npc classify --help)"),
    (["--model", "tfidf-lr", "--compressor", "zstd", "--k", "5"],
     "--compressor, --k do not apply to --model tfidf-lr (it takes none of them; see npc classify --help)"),
    (["--model", "tfidf-knn", "--n-jobs", "2", "--cache-dir", "c"], "--n-jobs, --cache-dir do not apply to --model "
                                                                    "tfidf-knn (it takes --k, --tie-break; see"),
    # the default value given explicitly is refused too: it would still be ignored
    (["--model", "char-tfidf-lr", "--tie-break", "nearest"], "--tie-break does not apply to --model char-tfidf-lr"),
])
def test_options_a_model_does_not_take_are_refused(arguments, message, capsys):
    assert main(["classify", *arguments]) == 2
    assert one_line_error(capsys.readouterr().err).startswith(f"npc classify: error: {message}")


def test_help_lists_every_model_with_the_options_it_takes(capsys):
    assert main(["classify", "--help"]) == 0
    out = capsys.readouterr().out
    for name, model in cli.MODELS.items():
        options = " ".join("--" + option.replace("_", "-") for option in model.options) or "none"
        assert re.search(rf"^  {re.escape(name)} +{re.escape(model.about)}\n +options: {re.escape(options)}$", out,
                         re.MULTILINE), name


@pytest.mark.parametrize("model, k", [("ncd", "1"), ("tfidf-knn", "1"), ("compressor-classifier", None)])
def test_options_a_model_takes_are_recorded_in_the_json(tmp_path, capsys, model, k):
    output = tmp_path / "run.json"
    arguments = ["classify", "--model", model, "--n-train", "40", "--n-test", "10", "--output", str(output), "-q"]
    arguments += ["--level", "5"] if k is None else ["--k", k]
    assert main(arguments) == 0
    parameters = json.loads(output.read_text())["config"]["parameters"]
    assert (parameters["level"] == 5) if k is None else (parameters["n_neighbors"] == int(k))


@pytest.mark.parametrize("model, clause", [("ncd", True), ("tfidf-knn", True), ("tfidf-lr", False),
                                           ("compressor-classifier", False)])
def test_own_nearest_neighbour_note_only_for_neighbour_models(tmp_path, capsys, model, clause):
    write_csv(tmp_path / "train.csv", [(f"the cat sat {i}", "pets") for i in range(4)]
              + [(f"stocks fell {i}", "money") for i in range(4)])
    write_csv(tmp_path / "test.csv", [("the cat sat 1", "pets"), ("shares rose", "money")])
    arguments = ["classify", "--model", model, "--train", str(tmp_path / "train.csv"), "--test",
                 str(tmp_path / "test.csv")] + (["--k", "1"] if clause else [])
    assert main(arguments) == 0
    err = capsys.readouterr().err
    assert "note: 1 test text appears (50.0%) verbatim in the training data" in err
    assert ("each is its own nearest neighbour" in err) == clause


@pytest.mark.parametrize("train", ["nonexistent.csv", "data/reviews", "missing.parquet"])
def test_a_path_that_does_not_exist_is_file_not_found(train, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["classify", "--train", train, "--test", "also_missing.csv"]) == 2
    assert one_line_error(capsys.readouterr().err) == \
        f"npc classify: error: File not found: {train} (relative to {tmp_path})."


def test_train_and_test_notes_name_the_split_once(tmp_path, capsys):
    write_csv(tmp_path / "sms_train.csv", [("free prize now", "spam"), ("see you at noon", "ham")])
    write_csv(tmp_path / "sms_test.csv", [("win a free prize", "spam")])
    assert main(["classify", "--train", str(tmp_path / "sms_train.csv"), "--test", str(tmp_path / "sms_test.csv"),
                 "--k", "1", "--n-jobs", "1"]) == 0
    notes = capsys.readouterr().err.splitlines()
    assert f"train  {tmp_path / 'sms_train.csv'}: 2 texts, 2 classes" in notes
    assert f"test   {tmp_path / 'sms_test.csv'}: 1 text, 1 class" in notes


@pytest.mark.parametrize("arguments, message", [
    (["--n-train", "5", "--n-per-class", "2"], "give --n-train or --n-per-class, not both"),
    (["--n-train", "0"], "expected a positive integer, got 0"),
    (["--compressor", "nope"], "invalid choice: 'nope'"),
    (["--k", "50", "--n-train", "10"], "--k 50 is larger than the training set (10 texts)"),
    (["--test", "x", "--predict", "y"], "not allowed with argument"),
    (["--output", "no/such/folder/run.json"], "--output no/such/folder/run.json: its folder does not exist"),
])
def test_usage_errors_exit_2(arguments, message, capsys):
    assert main(["classify", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_single_file_train_needs_test_or_predict(tmp_path, capsys):
    write_csv(tmp_path / "train.csv", [("a", "x"), ("b", "y")])
    assert main(["classify", "--train", str(tmp_path / "train.csv")]) == 2
    assert "give --test FILE to evaluate or --predict FILE" in capsys.readouterr().err


def test_few_shot_training_sample(tmp_path, capsys):
    output = tmp_path / "run.json"
    assert main(["classify", "--n-per-class", "5", "--n-test", "10", "--n-jobs", "1", "--output", str(output)]) == 0
    config = json.loads(output.read_text())["config"]["train"]
    assert config["n"] == 10 and config["rows"] == load_dataset("imdb-sample", n_per_class=5).rows.tolist()


def test_datasets_list_and_info(tmp_path, capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "imdb-sample" in out and "1,000" in out and "the package" in out
    assert "dbpedia_14" in out.split("hub")[-1]
    assert main(["datasets", "info", "imdb-sample"]) == 0
    out = capsys.readouterr().out
    assert "train: 1,000 texts" in out and "neg 500, pos 500" in out
    assert main(["datasets", "info", "dbpedia"]) == 0
    out = capsys.readouterr().out
    assert "local copy: none" in out and "fancyzhx/dbpedia_14" in out and "title + content" in out
    assert main(["datasets", "info", "nope"]) == 2
    assert "Unknown data set 'nope'" in capsys.readouterr().err


def test_predict_from_stdin(capsys, monkeypatch):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("great film\nawful film\n"))
    assert main(["classify", "--n-train", "30", "--n-jobs", "1", "--predict", "-", "-q"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.parametrize("name, stem", [("r8", "R8"), ("r52", "R52"), ("ohsumed", "ohsumed"), ("20news", "20ng")])
def test_sets_the_hub_lacks_say_where_to_get_them(name, stem, capsys):
    assert main(["classify", "--train", name]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert f"Data set '{name}' (" in line and "is not on the Hugging Face hub" in line
    assert f"https://github.com/yao8839836/text_gcn (data/corpus/{stem}.txt" in line
    assert f"save each split as $NPC_DATA_DIR/{name}/<split>.parquet (columns text, label)" in line
    assert main(["datasets", "info", name]) == 2
    assert "https://github.com/yao8839836/text_gcn" in one_line_error(capsys.readouterr().err)
