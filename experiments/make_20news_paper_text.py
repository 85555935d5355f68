"""Build ``20news_paper_text``: our 20 Newsgroups rows with the text the gzip paper compressed.

The paper's code loads 20 Newsgroups with scikit-learn's ``fetch_20newsgroups()``: every
post is its raw file, decoded as Latin-1, newlines kept. Our ``20news`` set (Text GCN's
copy) joins each post's lines with spaces, strips the ends and decodes UTF-8 where it can.
This script pairs every row of ``$NPC_DATA_DIR/20news/<split>.parquet`` with its raw file in
a ``20news-bydate`` folder (scikit-learn keeps one in ``~/scikit_learn_data/20news_home``,
Text GCN's repository one in ``data/20ng``) and writes the same rows and labels with the
paper's text to ``$NPC_CACHE_DIR/datasets/20news_paper_text/`` (default ``~/.cache/npc``),
where ``npc.datasets.load_dataset("20news_paper_text", ...)`` finds it.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.make_20news_paper_text /path/to/20news-bydate
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from npc.cache import user_cache_dir
from npc.datasets import load_dataset

NAME = "20news_paper_text"
FOLDERS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}


def our_text(raw: bytes) -> str:
    """Text GCN's preparation of one raw post (as in our ``20news`` set)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ").strip()


def paper_texts(source: Path, split: str) -> list[str]:
    """The paper's text of every row of our ``split``, in our row order."""
    ours = load_dataset("20news", split)
    raw_by_text = {}
    for path in sorted((source / FOLDERS[split]).glob("*/*")):
        raw = path.read_bytes()
        raw_by_text[our_text(raw)] = raw
    missing = [row for row, text in enumerate(ours.texts) if text not in raw_by_text]
    if missing:
        raise SystemExit(f"{len(missing)} rows of 20news/{split} have no raw post in {source} "
                         f"(first rows: {missing[:5]}); is it the by-date version?")
    return [raw_by_text[text].decode("latin-1") for text in ours.texts]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.make_20news_paper_text",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder holding 20news-bydate-train/ and 20news-bydate-test/")
    args = parser.parse_args(argv)
    target = user_cache_dir() / "datasets" / NAME
    target.mkdir(parents=True, exist_ok=True)
    for split in FOLDERS:
        ours = load_dataset("20news", split)
        table = pa.table({"text": pa.array(paper_texts(args.source, split), pa.string()),
                          "label": pa.array(ours.labels, pa.int64())})
        pq.write_table(table, target / f"{split}.parquet")
        print(f"{split}: {len(ours)} posts -> {target / f'{split}.parquet'}")
    (target / "labels.json").write_text(json.dumps(dict(enumerate(ours.class_names)), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
