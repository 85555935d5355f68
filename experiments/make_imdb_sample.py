"""Draw the embedded ``imdb-sample`` (1,000 train + 500 test IMDb reviews, balanced).

Run from the repository root with the full IMDb set available:

    NPC_DATA_DIR=/path/to/data python -m experiments.make_imdb_sample

It reads ``$NPC_DATA_DIR/imdb/{train,test}.parquet``, keeps 500 (train) and 250 (test)
reviews of each class with seed 0, and writes ``npc/data/imdb-sample/{train,test}.parquet``
(columns ``text``, ``label``, ``source_row`` = row in the full split) and ``labels.json``.
The same input always gives the same files. The committed sample was drawn (commit
cc4c3fd) with an earlier per-class rule (``Generator.choice`` per class); the rule now
shared with the few-shot runs (:func:`npc.datasets.per_class_rows`) draws other reviews,
so running this script replaces the committed sample.
"""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from npc.datasets import load_dataset

PER_CLASS = {"train": 500, "test": 250}
SEED = 0
TARGET = Path(__file__).resolve().parent.parent / "npc" / "data" / "imdb-sample"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for split, per_class in PER_CLASS.items():
        data = load_dataset("imdb", split, n_per_class=per_class, seed=SEED)
        table = pa.table({
            "text": pa.array(data.texts, pa.string()),
            "label": pa.array(data.labels, pa.int64()),
            "source_row": pa.array(data.rows, pa.int64()),
        })
        pq.write_table(table, TARGET / f"{split}.parquet", compression="zstd", compression_level=19)
        print(f"{split}: {len(data)} reviews, {data.class_counts()} -> {TARGET / f'{split}.parquet'}")
    (TARGET / "labels.json").write_text(json.dumps(dict(enumerate(data.class_names)), indent=1) + "\n")


if __name__ == "__main__":
    main()
