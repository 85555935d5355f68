"""Data sets: resolution order, user file formats, subsampling, offline errors (no network)."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import npc.datasets as datasets_module
from npc.datasets import (
    DatasetError,
    DatasetNotFoundError,
    available_datasets,
    dataset_info,
    has_splits,
    load_dataset,
    load_texts,
)

from .conftest import data_dir

REAL_DATA = data_dir()  # read before the autouse fixture clears NPC_DATA_DIR


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """An empty user cache, no NPC_DATA_DIR, and the hub declared offline."""
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NPC_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def write_named(root, name, split, texts, labels, class_names=None):
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": texts, "label": pa.array(labels, pa.int64())}), folder / f"{split}.parquet")
    if class_names is not None:
        (folder / "labels.json").write_text(json.dumps(dict(enumerate(class_names))))
    return folder


def test_embedded_sample_is_balanced_and_named():
    train = load_dataset("imdb-sample")
    test = load_dataset("imdb-sample", "test")
    assert (len(train), len(test)) == (1000, 500)
    assert train.class_names == ["neg", "pos"]
    assert train.class_counts() == {"neg": 500, "pos": 500}
    assert test.class_counts() == {"neg": 250, "pos": 250}
    assert train.rows.tolist() == list(range(1000))
    assert not set(train.texts) & set(test.texts)


def test_stratified_subsample_is_seeded_sorted_and_keeps_proportions():
    full = load_dataset("imdb-sample")
    first = load_dataset("imdb-sample", n=100, seed=3)
    again = load_dataset("imdb-sample", n=100, seed=3)
    other = load_dataset("imdb-sample", n=100, seed=4)
    assert first.rows.tolist() == again.rows.tolist()
    assert first.rows.tolist() != other.rows.tolist()
    assert first.rows.dtype == np.int64 and np.all(np.diff(first.rows) > 0)
    assert first.class_counts() == {"neg": 50, "pos": 50}
    assert first.texts == [full.texts[row] for row in first.rows]
    assert first.labels.tolist() == full.labels[first.rows].tolist()


def test_stratified_subsample_allocates_by_largest_remainder_and_keeps_singletons(tmp_path):
    labels = [0] * 6 + [1] * 3 + [2]  # proportions 0.6 / 0.3 / 0.1
    write_named(tmp_path, "tiny", "train", [f"t{i}" for i in range(10)], labels)
    sample = load_dataset("tiny", n=5, data_dir=tmp_path)
    # quotas 3.0 / 1.5 / 0.5: floors 3 / 1 / 0, one left over goes to the first largest remainder
    assert np.bincount(sample.labels, minlength=3).tolist() == [3, 2, 0]
    assert np.bincount(load_dataset("tiny", n=10, data_dir=tmp_path).labels).tolist() == [6, 3, 1]


def test_few_shot_takes_n_per_class(tmp_path):
    sample = load_dataset("imdb-sample", "test", n_per_class=7, seed=1)
    assert sample.class_counts() == {"neg": 7, "pos": 7}
    write_named(tmp_path, "tiny", "train", ["a", "b", "c"], [0, 0, 1], ["x", "y"])
    with pytest.raises(DatasetError, match=r"Class 'y' of tiny train has only 1 items, fewer than n_per_class=2"):
        load_dataset("tiny", n_per_class=2, data_dir=tmp_path)


@pytest.mark.parametrize("options, message", [
    ({"n": 0}, r"Cannot draw n=0 items"),
    ({"n": 1001}, r"Cannot draw n=1001 items from imdb-sample train \(1000 items\)"),
    ({"n": 10, "n_per_class": 2}, r"Give n or n_per_class, not both"),
    ({"n_per_class": 0}, r"n_per_class must be at least 1"),
])
def test_impossible_subsamples_are_refused(options, message):
    with pytest.raises(DatasetError, match=message):
        load_dataset("imdb-sample", **options)


def test_named_set_search_order_data_dir_then_env(tmp_path, monkeypatch):
    explicit = write_named(tmp_path / "explicit", "news", "train", ["from data_dir"], [0], ["a"]).parent
    env = write_named(tmp_path / "env", "news", "train", ["from env"], [0], ["a"]).parent
    monkeypatch.setenv("NPC_DATA_DIR", str(env))
    assert load_dataset("news").texts == ["from env"]
    assert load_dataset("news", data_dir=explicit).texts == ["from data_dir"]
    assert load_dataset("news", data_dir=explicit).class_names == ["a"]


def test_validation_split_is_read(tmp_path):
    write_named(tmp_path, "masakhanews_run", "validation", ["v0", "v1"], [1, 0], ["business", "health"])
    data = load_dataset("masakhanews_run", "validation", data_dir=tmp_path)
    assert data.texts == ["v0", "v1"] and data.label_names() == ["health", "business"]


def test_label_ids_outside_labels_json_are_refused(tmp_path):
    write_named(tmp_path, "bad", "train", ["a", "b"], [0, 5], ["only", "two"])
    with pytest.raises(DatasetError, match=r"label ids outside 0..1"):
        load_dataset("bad", data_dir=tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_user_table_files(tmp_path, suffix):
    path = tmp_path / f"reviews{suffix}"
    rows = [("good, \"really\" good", "pos"), ("bad\tbad", "neg"), ("fine", "pos")]
    if suffix == ".parquet":
        pq.write_table(pa.table({"body": [r[0] for r in rows], "tag": [r[1] for r in rows]}), path)
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps({"body": t, "tag": y}) + "\n" for t, y in rows))
    else:
        import csv
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t" if suffix == ".tsv" else ",")
            writer.writerow(["body", "tag"])
            writer.writerows(rows)
    data = load_dataset(path, text_column="body", label_column="tag")
    assert data.texts == [r[0] for r in rows]
    assert data.labels.tolist() == ["pos", "neg", "pos"]
    assert data.class_names is None and data.name == str(path)
    assert not has_splits(path)


def test_integer_labels_in_csv_become_int64(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,1\nb,0\n")
    assert load_dataset(path).labels.dtype == np.int64


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_missing_column_names_the_file_and_the_columns(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.table({"review": ["a"], "label": [0]}), path)
    elif suffix == ".jsonl":
        path.write_text('{"review": "a", "label": 0}\n')
    else:
        path.write_text("review,label\na,0\n")
    with pytest.raises(DatasetError, match=r"has no column 'text' \(its columns: review, label\)"):
        load_dataset(path)


def test_missing_label_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,x\nb,\n")
    with pytest.raises(DatasetError, match=r"data\.csv:3: no label"):
        load_dataset(path)


def test_folder_per_class_with_and_without_split_folders(tmp_path):
    for split, count in (("train", 3), ("test", 2)):
        for label in ("neg", "pos", "unsup"):
            folder = tmp_path / "acl" / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                (folder / f"{i}_1.txt").write_text(f"{split} {label} {i}")
    train = load_dataset(tmp_path / "acl")
    test = load_dataset(tmp_path / "acl", "test")
    assert train.texts == [f"train {label} {i}" for label in ("neg", "pos") for i in range(3)]
    assert train.labels.tolist() == ["neg"] * 3 + ["pos"] * 3
    assert len(test) == 4 and has_splits(tmp_path / "acl")
    one_split = load_dataset(tmp_path / "acl" / "test")
    assert one_split.texts == test.texts and not has_splits(tmp_path / "acl" / "test")
    with pytest.raises(DatasetNotFoundError, match=r"has no 'validation' split"):
        load_dataset(tmp_path / "acl", "validation")


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(DatasetError, match=r"holds no data"):
        load_dataset(tmp_path)


def test_unknown_name_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset("no_such_set")
    message = str(caught.value)
    assert "\n" not in message
    assert "Unknown data set 'no_such_set'" in message
    assert f"NPC_DATA_DIR ({tmp_path / 'no_such_set'})" in message
    assert "known names:" in message and "dbpedia_14" in message


@pytest.mark.parametrize("name, split, hub_id", [
    ("dbpedia", "train", "fancyzhx/dbpedia_14"),
    ("ag_news", "train", "fancyzhx/ag_news"),
    ("kirnews", "test", "community-datasets/kinnews_kirnews"),
])
def test_offline_hub_set_gives_one_line_with_where_and_how(tmp_path, monkeypatch, name, split, hub_id):
    # ag_news: only its test split is local, as on the shared machine
    write_named(tmp_path, "ag_news", "test", ["t"], [0], ["World"])
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_dataset(name, split)
    message = str(caught.value)
    assert "\n" not in message
    assert f"split {split!r}" in message and hub_id in message
    assert "not available offline" in message and "HF_DATASETS_OFFLINE=1" in message
    assert "NPC_DATA_DIR" in message and "the user cache" in message
    assert "To supply a local copy, put" in message


def test_hub_is_skipped_without_network_probe_when_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_DATASETS_OFFLINE")
    assert datasets_module.hub_offline_reason() == "HF_HUB_OFFLINE=1"


def test_hub_split_is_fetched_once_then_read_from_the_cache(tmp_path, monkeypatch):
    calls = []

    def fake_fetch(source, split):
        calls.append((source.hub_id, source.config, split))
        return ["uno", "dos"], np.array([1, 0]), ["a", "b"]

    monkeypatch.setattr(datasets_module, "hub_offline_reason", lambda: None)
    monkeypatch.setattr(datasets_module, "fetch_split", fake_fetch)
    first = load_dataset("kinnews", "test")
    second = load_dataset("kinnews", "test")
    assert calls == [("community-datasets/kinnews_kirnews", "kinnews_cleaned", "test")]
    assert first.texts == second.texts == ["uno", "dos"]
    assert second.labels.tolist() == [1, 0] and second.class_names == ["a", "b"]
    assert (tmp_path / "cache" / "datasets" / "kinnews" / "test.parquet").is_file()


def test_hub_failure_is_one_line(monkeypatch):
    def failing_fetch(source, split):
        raise ConnectionError("Couldn't reach the hub\nsecond line")

    monkeypatch.setattr(datasets_module, "hub_offline_reason", lambda: None)
    monkeypatch.setattr(datasets_module, "fetch_split", failing_fetch)
    with pytest.raises(DatasetNotFoundError, match=r"hub \(fancyzhx/dbpedia_14\) failed: Couldn't reach the hub\. "):
        load_dataset("dbpedia")


def test_available_datasets_and_info(tmp_path):
    write_named(tmp_path, "news", "train", ["a", "b", "c"], [0, 1, 0], ["x", "y"])
    write_named(tmp_path, "news", "test", ["d"], [1], ["x", "y"])
    listed = {entry["name"]: entry for entry in available_datasets(tmp_path)}
    assert listed["news"]["splits"] == {"test": 1, "train": 3}
    assert listed["news"]["class_names"] == ["x", "y"] and listed["news"]["location"] == "data_dir"
    assert listed["imdb-sample"]["splits"] == {"test": 500, "train": 1000}
    info = dataset_info("dbpedia")
    assert info["local"] is None and info["hub"]["id"] == "fancyzhx/dbpedia_14"
    assert info["hub"]["text"] == "title + content"
    with pytest.raises(DatasetNotFoundError, match=r"Unknown data set 'nope'"):
        dataset_info("nope")


def test_load_texts_keeps_one_item_per_line(tmp_path):
    path = tmp_path / "new.txt"
    path.write_text("first review\n\nthird, after a blank line\n")
    assert load_texts(path) == ["first review", "", "third, after a blank line"]
    table = tmp_path / "new.csv"
    table.write_text("id,body\n1,hello\n2,world\n")
    assert load_texts(table, text_column="body") == ["hello", "world"]
    with pytest.raises(DatasetError, match=r"has no column 'text'"):
        load_texts(table)


@pytest.mark.skipif(REAL_DATA is None, reason="real data not available: set NPC_DATA_DIR")
def test_real_sets_load_with_counts_from_their_readme(monkeypatch):
    monkeypatch.setenv("NPC_DATA_DIR", str(REAL_DATA))
    imdb = load_dataset("imdb", "train", n=200, seed=0)
    assert imdb.class_counts() == {"neg": 100, "pos": 100}
    validation = load_dataset("masakhanews_run", "validation")
    assert len(validation) == 159 and len(validation.class_names) == 6


def test_fetch_split_joins_text_columns_and_reads_class_names(monkeypatch):
    hf = pytest.importorskip("datasets")
    from npc._hub import HUB_SOURCES, fetch_split

    features = hf.Features({"label": hf.ClassLabel(names=["Company", "Artist"]), "title": hf.Value("string"),
                            "content": hf.Value("string")})
    table = hf.Dataset.from_dict({"label": [1, 0], "title": ["Ann", "Acme"], "content": ["paints.", "sells."]},
                                 features=features)
    asked = []
    monkeypatch.setattr(hf, "load_dataset", lambda *args, **kwargs: asked.append((args, kwargs)) or table)
    texts, labels, class_names = fetch_split(HUB_SOURCES["dbpedia_14"], "test")
    assert asked == [(("fancyzhx/dbpedia_14", None), {"split": "test"})]
    assert texts == ["Ann paints.", "Acme sells."] and labels.tolist() == [1, 0]
    assert class_names == ["Company", "Artist"]


def test_fetch_split_turns_one_hot_columns_into_labels(monkeypatch):
    hf = pytest.importorskip("datasets")
    from npc._hub import HUB_SOURCES, fetch_split

    columns = {"text": ["a", "b", "c"], "absent": [0, 0, 0], "dengue": [1, 0, 0], "health": [1, 0, 0],
               "mosquito": [0, 0, 1], "sick": [0, 0, 1]}
    monkeypatch.setattr(hf, "load_dataset", lambda *args, **kwargs: hf.Dataset.from_dict(columns))
    texts, labels, class_names = fetch_split(HUB_SOURCES["filipino_dengue"], "train")
    # row "b" has no class set and is dropped; "a" takes its first set column
    assert texts == ["a", "c"] and labels.tolist() == [1, 3]
    assert class_names == ["absent", "dengue", "health", "mosquito", "sick"]


def test_non_utf8_csv_is_refused_with_its_name(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncaf\xe9,x\n".encode("latin-1"))
    expected = r"latin.csv is not UTF-8 text \(invalid continuation byte at byte 14, line 2\)"
    with pytest.raises(DatasetError, match=expected):
        load_dataset(path)


def test_json_array_and_json_lines_errors(tmp_path):
    array = tmp_path / "items.json"
    array.write_text(json.dumps([{"text": "a", "label": 1}, {"text": "b", "label": 0}]))
    assert load_dataset(array).texts == ["a", "b"]
    lines = tmp_path / "items.jsonl"
    lines.write_text('\n{"text": "a", "label": 1}\n{"text": "b"}\n')
    with pytest.raises(DatasetError, match=r"items\.jsonl:3: no 'label' field"):
        load_dataset(lines)
    lines.write_text('{"text": "a", "label": 1}\nnot json\n')
    with pytest.raises(DatasetError, match=r"items\.jsonl:2: not valid JSON"):
        load_dataset(lines)
