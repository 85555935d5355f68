"""Reading user files into texts and labels: CSV/TSV, JSON lines, parquet, class folders.

Only :mod:`npc.datasets` uses this module; :class:`DatasetError` is public there.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["FILE_SUFFIXES", "DatasetError", "as_label_array", "read_class_folders", "read_table", "read_text"]

FILE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".json": "jsonl", ".parquet": "parquet"}
# aclImdb keeps its unlabelled reviews in train/unsup: not a class.
IGNORED_CLASS_FOLDERS = {"unsup"}


class DatasetError(ValueError):
    """A data set cannot be read as asked (missing column, bad file, bad subsample)."""


def read_table(path: Path, kind: str, text_column: str, label_column: str | None):
    """``(texts, labels)`` from a CSV/TSV, JSON lines or parquet file (labels None if not asked)."""
    wanted = [text_column] if label_column is None else [text_column, label_column]
    if kind == "parquet":
        try:
            present = pq.read_schema(path).names
        except (OSError, pa.ArrowException) as error:
            raise DatasetError(f"Cannot read {path} as parquet: {error}") from error
        _check_columns(path, present, wanted)
        table = pq.read_table(path, columns=wanted)
        columns = {name: table.column(name).to_pylist() for name in wanted}
    elif kind == "jsonl":
        columns = _read_json_lines(path, wanted)
    else:
        columns = _read_csv(path, "\t" if kind == "tsv" else ",", wanted)
    texts = columns[text_column]
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise DatasetError(f"{path}: row {row} has {text_column}={text!r}, not a text.")
    return texts, None if label_column is None else columns[label_column]


def _check_columns(path, present, wanted) -> None:
    missing = [name for name in wanted if name not in present]
    if missing:
        raise DatasetError(
            f"{path} has no column {missing[0]!r} (its columns: {', '.join(map(str, present)) or 'none'}); "
            "choose the text and label columns with text_column= / label_column= (--text-column, --label-column)."
        )


def _read_csv(path: Path, delimiter: str, wanted):
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        try:
            _check_columns(path, reader.fieldnames or [], wanted)
            records = list(reader)
        except (csv.Error, UnicodeDecodeError) as error:
            kind = "TSV" if delimiter == "\t" else "CSV"
            raise DatasetError(f"Cannot read {path} as UTF-8 {kind}: {error}") from error
    return {name: [record[name] for record in records] for name in wanted}


def _read_json_lines(path: Path, wanted):
    """Columns from JSON lines (one object per line), or from a JSON array of objects."""
    text = read_text(path)
    if text.lstrip().startswith("["):
        try:
            records = list(enumerate(json.loads(text), start=1))
        except json.JSONDecodeError as error:
            raise DatasetError(f"{path} is not valid JSON ({error.msg}, line {error.lineno}).") from error
        where = "item"
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise DatasetError(f"{path}:{number} is not valid JSON ({error.msg}).") from error
        where = "line"
    columns = {name: [] for name in wanted}
    for number, record in records:
        if not isinstance(record, dict):
            raise DatasetError(f"{path}: {where} {number} is not a JSON object.")
        if not columns[wanted[0]]:
            _check_columns(path, list(record), wanted)
        for name in wanted:
            if name not in record:
                raise DatasetError(f"{path}: {where} {number} has no {name!r} field.")
            columns[name].append(record[name])
    return columns


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start}).") from error


def read_class_folders(folder: Path):
    """One class per sub-folder, one text per ``.txt`` file; label = folder name."""
    classes = sorted(child for child in folder.iterdir()
                     if child.is_dir() and not child.name.startswith(".") and child.name not in IGNORED_CLASS_FOLDERS)
    texts, labels = [], []
    for class_folder in classes:
        for file in sorted(class_folder.glob("*.txt")):
            texts.append(read_text(file))
            labels.append(class_folder.name)
    if not texts:
        raise DatasetError(
            f"{folder} holds no data: expected train/test files (.parquet, .csv, .tsv, .jsonl), "
            "or one sub-folder of .txt files per class."
        )
    return texts, np.asarray(labels), None


def as_label_array(labels) -> np.ndarray:
    """Labels as int64 when all are integers (or integer strings), else as strings."""
    for row, label in enumerate(labels):
        if label is None or label == "" or (isinstance(label, float) and np.isnan(label)):
            raise DatasetError(f"Row {row} has no label ({label!r}); every labelled text needs one.")
    try:
        return np.asarray([int(label) if isinstance(label, str) else label for label in labels], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        return np.asarray([str(label) for label in labels])
