"""Shared fixtures: real texts from NPC_DATA_DIR (skipped with a reason when absent)."""

import os
from pathlib import Path

import numpy as np
import pytest

from npc.compressors import Compressor


def data_dir() -> Path | None:
    value = os.environ.get("NPC_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


def read_split(name: str, split: str):
    """Texts and labels of ``NPC_DATA_DIR/<name>/<split>.parquet``, or skip the test."""
    root = data_dir()
    path = None if root is None else root / name / f"{split}.parquet"
    if path is None or not path.exists():
        pytest.skip(f"real data not available: set NPC_DATA_DIR to a folder with {name}/{split}.parquet")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(path, columns=["text", "label"])
    return table.column("text").to_pylist(), np.asarray(table.column("label").to_pylist())


@pytest.fixture(scope="session")
def real_texts():
    """220 real texts: 110 IMDb reviews (long) and 110 AG News items (short), fixed rows."""
    imdb, _ = read_split("imdb", "test")
    ag, _ = read_split("ag_news", "test")
    return imdb[:: len(imdb) // 110][:110] + ag[:: len(ag) // 110][:110]


class DistinctBytes(Compressor):
    """Fake compressor: the size is the number of distinct bytes (NCDs computable by hand)."""

    name = "distinct-bytes"

    def compress(self, data: bytes) -> bytes:
        return bytes(sorted(set(data)))


@pytest.fixture
def distinct_bytes():
    return DistinctBytes()
