"""Bad and unusual input: a clear error naming the problem, or a correct result.

Library: ``ValueError``/``TypeError`` naming the item, column or parameter. Command line:
one line on stderr and exit code 2 (argparse's own errors print the usage first).

Covered elsewhere and not repeated here: an empty training set, ``None`` among the texts,
texts and labels of different lengths, a NaN label, ``n_neighbors`` of 0 or larger than
the training set, an unknown tie rule (``tests/test_classifier.py``, ``tests/test_vote.py``,
``tests/test_kernel.py``); an unknown compressor, a level out of range or not an int
(``tests/test_compressors.py``).
"""

import json
import os
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from npc import NCDClassifier, nearest, pairwise_ncd
from npc.compressors import Compressor, get_compressor

TEXTS = ["the cat sat on the mat", "a kitten purrs on a mat", "stocks fell on wall street",
         "shares rose as markets rallied"]
LABELS = ["pets", "pets", "finance", "finance"]


@pytest.fixture(scope="module")
def fitted():
    return NCDClassifier(n_neighbors=1).fit(TEXTS, LABELS)


# --- texts ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("item", "message"),
    [
        (float("nan"), r"X\[2\] is float \(nan\), not str or bytes"),
        (7, r"X\[2\] is int \(7\)"),
        (3.5, r"X\[2\] is float \(3\.5\)"),
        (["a", "list"], r"X\[2\] is list \(\['a', 'list'\]\)"),
        ({"text": "x"}, r"X\[2\] is dict"),
    ],
)
def test_non_text_items_name_their_index(fitted, item, message):
    texts = ["one", "two", item, "four"]
    with pytest.raises(TypeError, match=message):
        NCDClassifier(1).fit(texts, [0, 1, 0, 1])
    with pytest.raises(TypeError, match=message):
        fitted.predict(texts)


def test_missing_values_from_pandas_name_their_index():
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"X\[1\] is float \(nan\).*drop or fill missing values"):
        NCDClassifier(1).fit(pd.Series(["a", None, "c"]), [0, 1, 0])
    with pytest.raises(TypeError, match=r"X\[1\] is NAType"):
        NCDClassifier(1).fit(pd.Series(["a", None, "c"], dtype="string"), [0, 1, 0])


@pytest.mark.parametrize("texts", [{"b text", "a text"}, {"a text": 0, "b text": 1}])
def test_unordered_collections_are_refused(texts):
    """A set's order is arbitrary: its texts would silently part from their labels."""
    with pytest.raises(TypeError, match="must be an ordered sequence of texts"):
        NCDClassifier(1).fit(texts, [0, 1])


def test_two_dimensional_texts_are_refused():
    with pytest.raises(ValueError, match=r"one-dimensional.*shape \(2, 1\)"):
        NCDClassifier(1).fit(np.array([["a"], ["b"]]), [0, 1])


def test_none_instead_of_texts():
    with pytest.raises(TypeError, match="X must be an iterable of texts; got NoneType"):
        NCDClassifier(1).fit(None, [0])


def test_empty_test_set_is_an_error_as_in_scikit_learn(fitted):
    for method in (fitted.predict, fitted.predict_proba, fitted.kneighbors):
        with pytest.raises(ValueError, match="X is empty: at least one text is needed"):
            method([])


# --- labels -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "labels",
    [
        ["pets", None, "finance", "finance"],
        np.array(["pets", np.nan, "finance", "finance"], dtype=object),
        np.array([0, np.float32("nan"), 1, 1], dtype=object),
    ],
    ids=["None", "nan-in-object-array", "float32-nan"],
)
def test_missing_labels_name_their_index(labels):
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        NCDClassifier(1).fit(TEXTS, labels)


@pytest.mark.parametrize("dtype", ["string", "Int64", "object"])
def test_missing_labels_from_pandas_name_their_index(dtype):
    pd = pytest.importorskip("pandas")
    values = [1, None, 2, 2] if dtype == "Int64" else ["pets", None, "finance", "finance"]
    with pytest.raises(ValueError, match=r"y\[1\] is missing"):
        NCDClassifier(1).fit(TEXTS, pd.Series(values, dtype=dtype))


def test_labels_must_be_one_per_text_and_of_one_kind():
    with pytest.raises(ValueError, match=r"y must be one-dimensional.*shape \(4, 2\)"):
        NCDClassifier(1).fit(TEXTS, [[0, 1], [0, 1], [1, 0], [1, 0]])
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        NCDClassifier(1).fit(TEXTS, None)
    with pytest.raises(ValueError, match=r"y mixes label types \(int, str\)"):
        NCDClassifier(1).fit(TEXTS, [0, "pets", 1, 1])


@pytest.mark.parametrize("tie_break", ["nearest", "random", "lowest", "shrink"])
def test_single_class_is_legitimate_and_predicted(tie_break):
    clf = NCDClassifier(2, tie_break=tie_break).fit(TEXTS, ["only"] * 4)
    assert clf.classes_.tolist() == ["only"]
    assert clf.predict(["anything at all", ""]).tolist() == ["only", "only"]
    assert clf.predict_proba(["anything"]).tolist() == [[1.0]]


# --- parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_neighbors": -1}, r"'n_neighbors' parameter of NCDClassifier must be an int in the range \[1, inf\)"),
        ({"n_neighbors": 2.0}, r"'n_neighbors' parameter .* Got 2\.0 instead"),
        ({"level": 42}, r"Level 42 is out of range for compressor 'gzip' \(valid: 0\.\.9\)"),
        ({"compressor": "lz4", "level": 99}, r"Level 99 is out of range for compressor 'lz4'"),
        ({"level": "9"}, r"'level' parameter of NCDClassifier must be an instance of 'int' or None"),
        ({"tie_break": "oracle"}, r"'tie_break' parameter of NCDClassifier must be a str among"),
        ({"weights": "inverse"}, r"'weights' parameter of NCDClassifier must be a str among"),
        ({"sep": 0}, r"'sep' parameter of NCDClassifier must be an instance of 'str' or"),
        # 0 workers used to pass fit and fail inside joblib at predict
        ({"n_jobs": 0}, r"'n_jobs' parameter of NCDClassifier must be an int in the range \(-inf, -1\], an int in "
                        r"the range \[1, inf\) or None\. Got 0 instead"),
        ({"n_jobs": 1.5}, r"'n_jobs' parameter .* Got 1\.5 instead"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, message):
    with pytest.raises(ValueError, match=message):
        NCDClassifier(**params).fit(TEXTS, LABELS)


def test_level_for_a_compressor_without_levels():
    class Identity(Compressor):
        name = "identity"

        def compress(self, data):
            return data

    with pytest.raises(ValueError, match="Compressor 'identity' takes no level; got level=3"):
        NCDClassifier(compressor=Identity(), level=3).fit(TEXTS, LABELS)


@pytest.mark.parametrize("k", [0, -2])
def test_kneighbors_k_must_be_positive(fitted, k):
    with pytest.raises(ValueError, match=f"n_neighbors must be a positive int; got {k}"):
        fitted.kneighbors(["a"], n_neighbors=k)


def test_kneighbors_k_larger_than_training_set(fitted):
    with pytest.raises(ValueError, match=r"n_neighbors=5 is larger than the reference set \(4 texts\)"):
        fitted.kneighbors(["a"], n_neighbors=5)


# --- legitimate but unusual texts ----------------------------------------------------------

def test_empty_and_whitespace_only_texts_are_classified():
    texts = ["", " ", "\t\n", "   \n\n  ", "word"]
    clf = NCDClassifier(1).fit(texts, [0, 1, 2, 3, 4])
    distances, indices = clf.kneighbors(["", "   \n\n  ", "\r\n"])
    assert np.isfinite(distances).all()
    assert indices[:2, 0].tolist() == [0, 3]  # an exact twin is nearest
    assert set(clf.predict(["\r\n", "\t"])) <= {0, 1, 2, 3, 4}


UNUSUAL = {
    "nul": "before\x00after\x00\x00",
    "emoji": "cats 🐈🐈‍⬛ and dogs 🐕 👍🏽",
    "rtl": "שלום עולם مرحبا بالعالم",
    "mixed direction": "abc \u202eevil\u202c def",
    "lone high surrogate": "text \ud83d alone",
    "lone low surrogate": "\udc00 at start",
    "surrogate pair as two code points": "\ud83d\ude00",
}


def test_unusual_characters_are_encoded_as_utf8_with_surrogatepass():
    """Strings are compressed as ``s.encode("utf-8", "surrogatepass")``: same distances
    as passing those bytes, and a lone surrogate is its 3-byte form, never an error."""
    texts = list(UNUSUAL.values())
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    assert np.array_equal(pairwise_ncd(texts, texts), pairwise_ncd(encoded, encoded))
    assert len(encoded[-1]) == 6  # two 3-byte surrogates, not the 4-byte emoji U+1F600
    clf = NCDClassifier(1).fit(texts, list(UNUSUAL))
    assert clf.predict(texts).tolist() == list(UNUSUAL)


def test_bytes_are_taken_as_they_are():
    raw = [b"\xff\xfe not utf-8", bytearray(b"bytes"), memoryview(b"view")]
    assert pairwise_ncd(raw, ["bytes"]).shape == (3, 1)
    assert nearest([b"bytes"], raw, 1)[1].tolist() == [[1]]


def test_duplicates_across_train_and_test_are_legitimate():
    clf = NCDClassifier(1).fit(TEXTS, LABELS)
    distances, indices = clf.kneighbors(TEXTS)
    assert indices[:, 0].tolist() == [0, 1, 2, 3]
    assert clf.score(TEXTS, LABELS) == 1.0


def megabyte_text(seed: int) -> str:
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz    .,\n", dtype=np.uint8)
    return np.random.default_rng(seed).choice(letters, 1_000_000).tobytes().decode()


def test_megabyte_texts_work_with_memory_bounded_by_the_input():
    """2 queries x 4 references of 1 MB each (gzip-9): the peak of Python allocations
    (the encoded texts included) stays within the input plus 8 MB, whereas keeping the 8
    concatenations would add 16 MB."""
    references = [megabyte_text(seed) for seed in range(4)]
    queries = [megabyte_text(10), megabyte_text(11)]
    input_bytes = sum(map(len, queries + references))
    tracemalloc.start()
    try:
        with pytest.warns(UserWarning, match="longer than gzip-9's window"):
            distances, indices = nearest(queries, references, 2, n_jobs=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert distances.shape == indices.shape == (2, 2) and np.isfinite(distances).all()
    assert peak < input_bytes + 8_000_000, f"peak {peak / 1e6:.1f} MB for {input_bytes / 1e6:.0f} MB of input"


def test_ncd_sees_no_further_back_than_the_compressor_window():
    """The limit the README states: zstd-3 finds a 1 MB text's copy; gzip cannot see
    further back than its window, so NCD(x, x) jumps to about 1 one byte past it, and
    a warning says so."""
    text, other = megabyte_text(0), megabyte_text(1)
    assert pairwise_ncd([text], [text], compressor="zstd")[0, 0] < 0.01
    assert pairwise_ncd([text], [other], compressor="zstd")[0, 0] > 0.99
    window = get_compressor("gzip").window
    fits = text[: window - 1]  # with the one-byte separator, exactly the window
    assert pairwise_ncd([fits], [fits], compressor="gzip")[0, 0] < 0.05
    with pytest.warns(UserWarning, match=r"1 of 1 query texts are longer than gzip-9's window of 32,506 bytes"):
        assert pairwise_ncd([fits + "x"], [fits + "x"], compressor="gzip")[0, 0] > 0.99


@pytest.mark.parametrize(("name", "window"), [("lz4", 65_535), ("bz2", 900_000)])
def test_other_windows_are_warned_about(name, window):
    with pytest.warns(UserWarning, match=rf"longer than {name}-\d+'s window of {window:,} bytes"):
        pairwise_ncd([megabyte_text(0)], ["short"], compressor=name)


# --- the command line: one line on stderr and exit code 2 ----------------------------------

GOOD_CSV = "text,label\nthe cat sat on the mat,pets\nstocks fell on wall street,finance\n" \
           "a kitten purrs,pets\nshares rose,finance\n"


def write(path, content):
    """Write ``content`` (str as UTF-8, or bytes) and return the path as a str."""
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def write_parquet(path, columns):
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("pyarrow.parquet").write_table(pa.table(columns), path)
    return str(path)


def write_class_folder(root, files):
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write(root / name, content)
    return str(root)


BAD_FILES = {
    "csv-latin-1": (lambda d: write(d / "t.csv", "text,label\ncafé au lait,food\n".encode("latin-1")),
                    r"t\.csv is not UTF-8 text \(invalid continuation byte at byte 14, line 2\)"),
    "csv-short-row": (lambda d: write(d / "t.csv", "text,label\na cat,pets\nno label here\n"),
                      r"t\.csv:3: 1 field\(s\) where the header has 2; quote texts that contain ','"),
    "csv-long-row": (lambda d: write(d / "t.csv", "text,label\na cat,pets\nhello, world,finance\n"),
                     r"t\.csv:3: 3 field\(s\) where the header has 2"),
    "csv-unclosed-quote": (lambda d: write(d / "t.csv", 'text,label\n"a cat,pets\nb,finance\n'),
                           r"t\.csv:3: 1 field\(s\) where the header has 2"),
    "csv-no-label": (lambda d: write(d / "t.csv", "text,label\na cat,pets\nno label here,\n"),
                     r"t\.csv:3: no label \(''\); every labelled text needs one"),
    "csv-multiline-text-no-label": (lambda d: write(d / "t.csv", 'text,label\n"two\nlines",pets\nthird,\n'),
                                    r"t\.csv:4: no label"),
    "tsv-no-label": (lambda d: write(d / "t.tsv", "text\tlabel\na cat\tpets\nno label\t\n"), r"t\.tsv:3: no label"),
    "jsonl-null-text": (lambda d: write(d / "t.jsonl", '{"text": "a", "label": 1}\n\n{"text": null, "label": 2}\n'),
                        r"t\.jsonl:3: text=None is not a text"),
    "json-array-no-label": (lambda d: write(d / "t.json", '[{"text": "a", "label": 1},\n {"text": "b"}]'),
                            r"t\.json item 1: no 'label' field"),
    "csv-no-rows": (lambda d: write(d / "t.csv", "text,label\n"), r"t\.csv \(\w+\) holds no texts"),
    "tsv-missing-column": (lambda d: write(d / "t.tsv", "review\tlabel\na cat\tpets\n"),
                           r"t\.tsv has no column 'text' \(its columns: review, label\)"),
    "jsonl-latin-1": (lambda d: write(d / "t.jsonl", '{"text": "café", "label": 1}\n'.encode("latin-1")),
                      r"t\.jsonl is not UTF-8 text"),
    "parquet-int-texts": (lambda d: write_parquet(d / "t.parquet", {"text": [1, 2], "label": ["a", "b"]}),
                          r"t\.parquet row 0: text=1 is not a text"),
    "parquet-null-text": (lambda d: write_parquet(d / "t.parquet", {"text": ["a", None], "label": ["a", "b"]}),
                          r"t\.parquet row 1: text=None is not a text"),
    "parquet-multi-label": (lambda d: write_parquet(d / "t.parquet", {"text": ["a", "b"], "label": [[1, 2], [3]]}),
                            r"t\.parquet row 0: label \[1, 2\] is not one int or string"),
    "parquet-nan-label": (lambda d: write_parquet(d / "t.parquet", {"text": ["a", "b"], "label": [1.0, None]}),
                          r"t\.parquet row 1: no label \(None\)"),
    "parquet-not-parquet": (lambda d: write(d / "t.parquet", "text,label\n"), r"Cannot read .*t\.parquet as parquet"),
    "folder-without-txt": (lambda d: write_class_folder(d / "f", {"pets/a.md": "cat", "finance/b.doc": "stocks"}),
                           r"f holds no data: expected train/test files .* or one sub-folder of \.txt files"),
    "folder-txt-not-utf8": (lambda d: write_class_folder(d / "f", {"pets/a.txt": b"caf\xe9"}),
                            r"a\.txt is not UTF-8 text \(unexpected end of data at byte 3, line 1\)"),
}


@pytest.mark.parametrize("role", ["--train", "--test"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_cli_bad_data_file_is_one_line_and_exit_2(tmp_path, capsys, name, role):
    from npc.cli import main

    make, message = BAD_FILES[name]
    bad, good = make(tmp_path), write(tmp_path / "good.csv", GOOD_CSV)
    files = {"--train": good, "--test": good, role: bad}
    assert main(["classify", "-q", "-k", "1", "--n-jobs", "1", *sum(map(list, files.items()), [])]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("npc classify: error: "), err
    assert re.search(message, err), err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--level", "42"], r"error: Level 42 is out of range for compressor 'gzip' \(valid: 0\.\.9\)"),
        (["--compressor", "zstd", "--level", "99"], r"error: Level 99 is out of range for compressor 'zstd'"),
        (["--k", "9"], r"error: --k 9 is larger than the training set \(4 texts\)"),
        (["--n-jobs", "0"], r"--n-jobs: 0 workers cannot run anything"),
        (["--tie-break", "oracle"], r"--tie-break: invalid choice: 'oracle'"),
        (["--compressor", "brotli"], r"--compressor: invalid choice: 'brotli'"),
    ],
)
def test_cli_bad_options_exit_2_with_the_reason_on_the_last_line(tmp_path, capsys, arguments, message):
    from npc.cli import main

    good = write(tmp_path / "good.csv", GOOD_CSV)
    assert main(["classify", "-q", "--n-jobs", "1", "--train", good, "--test", good, *arguments]) == 2
    assert re.search(message, capsys.readouterr().err.splitlines()[-1])


def test_cli_unusable_cache_dir_is_a_one_line_warning_and_the_run_completes(tmp_path, capsys):
    from npc.cli import main

    good = write(tmp_path / "good.csv", GOOD_CSV)
    assert main(["classify", "-q", "-k", "1", "--n-jobs", "1", "--train", good, "--test", good,
                 "--cache-dir", good]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("npc classify: warning: Cannot use cache_dir=")
    assert len(captured.err.splitlines()) == 1
    assert "running without a cache" in captured.err and "accuracy  1.0000" in captured.out


def test_cli_reports_test_texts_that_are_in_the_training_data(tmp_path, capsys):
    from npc.cli import main

    good = write(tmp_path / "good.csv", GOOD_CSV)
    test = write(tmp_path / "test.csv", "text,label\na kitten purrs,pets\nbonds fell,finance\n")
    assert main(["classify", "-k", "1", "--n-jobs", "1", "--train", good, "--test", test,
                 "--output", str(tmp_path / "report.json")]) == 0
    assert "note: 1 test text appears (50.0%) verbatim in the training data" in capsys.readouterr().err
    assert json.loads((tmp_path / "report.json").read_text())["report"]["test_texts_in_train"] == 1


def test_cli_legitimate_oddities(tmp_path, capsys):
    """Fractional labels stay class names (never truncated into one class), NUL and
    form feeds stay inside their text, and predictions align with the file's lines."""
    from npc.cli import main

    train = write_parquet(tmp_path / "t.parquet", {"text": ["a cat\x00sat", "stocks fell", "a dog ran"],
                                                   "label": [1.2, 1.7, 1.2]})
    new = write(tmp_path / "new.txt", "a cat\x0csat\nstocks\x85fell\u2028down\n")
    assert main(["classify", "-q", "-k", "1", "--n-jobs", "1", "--train", train, "--predict", new]) == 0
    assert capsys.readouterr().out.splitlines() == ["1.2", "1.7"]


def test_cli_bad_file_in_a_real_process_prints_one_line(tmp_path):
    bad = write(tmp_path / "t.csv", "text,label\ncafé,food\n".encode("latin-1"))
    done = subprocess.run([sys.executable, "-m", "npc", "classify", "--train", bad, "--test", bad],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HF_DATASETS_OFFLINE": "1"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"npc classify: error: {bad} is not UTF-8 text "
                                        "(invalid continuation byte at byte 14, line 2); save it as UTF-8."]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reference_sizes": np.array([20, 21])}, r"reference_sizes must be 3 integers .* shape \(2,\)"),
        ({"query_sizes": [20.5, 21.0]}, r"query_sizes must be 2 integers .* got float64"),
    ],
)
def test_precomputed_sizes_must_match_the_texts(options, message):
    with pytest.raises(ValueError, match=message):
        nearest(["a", "b"], ["c", "d", "e"], 1, **options)
