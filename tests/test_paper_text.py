"""experiments/make_20news_paper_text.py: our rows, the paper's text (raw post, Latin-1)."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from experiments import make_20news_paper_text as script
from npc.datasets import load_dataset

POSTS = {  # by-date file -> raw bytes (CRLF, a Latin-1 byte, surrounding blank lines)
    "sci.space/1": b"From: a\r\nSubject: orbit\r\n\r\nLow orbit, high hopes.\r\n",
    "rec.autos/2": b"\nFrom: b\nSubject: caf\xe9 racer\n\nTwo wheels.\n",
}


@pytest.fixture
def folders(tmp_path, monkeypatch):
    source = tmp_path / "bydate"
    for split, folder in script.FOLDERS.items():
        for name, raw in POSTS.items():
            (source / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (source / folder / name).write_bytes(raw)
        ours = tmp_path / "data" / "20news"
        ours.mkdir(parents=True, exist_ok=True)
        texts = [script.our_text(raw) for raw in reversed(POSTS.values())]  # not in file order
        pq.write_table(pa.table({"text": texts, "label": [1, 0]}), ours / f"{split}.parquet")
        (ours / "labels.json").write_text(json.dumps({"0": "sci.space", "1": "rec.autos"}))
    monkeypatch.setenv("NPC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NPC_CACHE_DIR", str(tmp_path / "cache"))
    return source


def test_rows_keep_our_order_and_labels_with_the_papers_text(folders):
    assert script.main([str(folders)]) == 0
    built = load_dataset(script.NAME, "test")
    assert built.texts == [raw.decode("latin-1") for raw in reversed(POSTS.values())]
    assert built.labels.tolist() == [1, 0]
    assert built.class_names == load_dataset("20news", "test").class_names


def test_a_row_without_its_post_is_named(folders):
    (folders / script.FOLDERS["train"] / "rec.autos" / "2").unlink()
    with pytest.raises(SystemExit, match=r"1 rows of 20news/train have no raw post"):
        script.main([str(folders)])
