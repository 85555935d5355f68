"""Reading user files into texts and labels: CSV/TSV, JSON lines, parquet, class folders.

Only :mod:`npc.datasets` uses this module; :class:`DatasetError` is public there.

Messages name a record by its place in the file: ``file:LINE`` for CSV/TSV and JSON lines
(the file's line number, counted from 1 with the header as line 1; for a CSV record that
spans lines, its last line), ``file row N`` for parquet and ``file item N`` for a JSON
array, which have no lines (N counts from 0, as the ``rows`` of ``npc classify --output``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from npc.errors import NPCError

__all__ = ["FILE_SUFFIXES", "DatasetError", "as_label_array", "read_class_folders", "read_table", "read_text",
           "split_lines"]

FILE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".json": "jsonl", ".parquet": "parquet"}
# aclImdb keeps its unlabelled reviews in train/unsup: not a class.
IGNORED_CLASS_FOLDERS = {"unsup"}


class DatasetError(NPCError, ValueError):
    """A data set cannot be read as asked (missing column, bad file, bad subsample)."""


def read_table(path: Path, kind: str, text_column: str, label_column: str | None):
    """``(texts, labels, where)`` from a CSV/TSV, JSON lines or parquet file (labels None if not asked).

    ``where(i)`` names record ``i`` for messages (see the module docstring).
    """
    wanted = [text_column] if label_column is None else [text_column, label_column]
    if kind == "parquet":
        try:
            present = pq.read_schema(path).names
        except (OSError, pa.ArrowException) as error:
            raise DatasetError(f"Cannot read {path} as parquet: {error}") from error
        _check_columns(path, present, wanted)
        table = pq.read_table(path, columns=wanted)
        columns, where = {name: table.column(name).to_pylist() for name in wanted}, _where(path, "row")
    elif kind == "jsonl":
        columns, where = _read_json_lines(path, wanted)
    else:
        columns, where = _read_csv(path, "\t" if kind == "tsv" else ",", wanted)
    texts = columns[text_column]
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise DatasetError(f"{where(row)}: {text_column}={text!r} is not a text.")
    return texts, None if label_column is None else columns[label_column], where


def _where(path: Path, unit: str, lines: list[int] | None = None):
    """Names record ``i`` of ``path``: ``path:LINE`` when ``lines`` are known, else ``path UNIT i``."""
    if lines is None:
        return lambda i: f"{path} {unit} {i}"
    return lambda i: f"{path}:{lines[i]}"


def _check_columns(path, present, wanted, delimiter: str | None = None) -> None:
    missing = [name for name in wanted if name not in present]
    if missing:
        message = f"{path} has no column {missing[0]!r} (its columns: {', '.join(map(str, present)) or 'none'}); "
        other = _other_delimiter(present, delimiter)
        if other is None:
            message += "choose the text and label columns with text_column= / label_column=."
        else:
            kind, remedy = ("TSV", "save it with tabs") if delimiter == "\t" else ("CSV", "save it with commas")
            message += (f"its header looks separated by {other!r}: npc reads a .{kind.lower()} file separated by "
                        f"{delimiter!r} ({remedy}, or with {'commas as .csv' if kind == 'TSV' else 'tabs as .tsv'}).")
        raise DatasetError(message)


def _other_delimiter(header, delimiter) -> str | None:
    """The separator a one-column CSV/TSV header seems to use instead of ``delimiter``, if any."""
    if delimiter is None or len(header) != 1:
        return None
    return next((other for other in (";", "\t", ",", "|") if other != delimiter and other in header[0]), None)


def _read_csv(path: Path, delimiter: str, wanted):
    csv.field_size_limit(sys.maxsize)
    extra = object()  # restkey of fields beyond the header's
    text = read_text(path)
    if not text.strip():
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise DatasetError(f"{path} is empty: a {kind} file needs a header line naming its columns, then a row per "
                           "text.")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, restkey=extra)
    _check_columns(path, reader.fieldnames or [], wanted, delimiter)
    columns, lines = {name: [] for name in wanted}, []
    try:
        for record in reader:
            # A short row gets None for its missing fields, a long one a list under `extra`.
            n_fields = sum(value is not None for key, value in record.items() if key is not extra)
            n_fields += len(record.get(extra, ()))
            if n_fields != len(reader.fieldnames):
                raise DatasetError(
                    f"{path}:{reader.line_num}: {n_fields} field(s) where the header has "
                    f"{len(reader.fieldnames)}; quote texts that contain {delimiter!r} or a quote character."
                )
            for name in wanted:
                columns[name].append(record[name])
            lines.append(reader.line_num)
    except csv.Error as error:
        raise DatasetError(f"Cannot read {path} as {'TSV' if delimiter == chr(9) else 'CSV'}: {error}") from error
    return columns, _where(path, "line", lines)


def _read_json_lines(path: Path, wanted):
    """Columns from JSON lines (one object per line), or from a JSON array of objects; and ``where``."""
    text = read_text(path)
    if text.lstrip().startswith("["):
        try:
            records = list(enumerate(json.loads(text)))
        except json.JSONDecodeError as error:
            raise DatasetError(f"{path} is not valid JSON ({error.msg}, line {error.lineno}).") from error
        where = _where(path, "item")
    else:
        records = []
        for number, line in enumerate(split_lines(text), start=1):
            if line.strip():
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise DatasetError(f"{path}:{number}: not valid JSON ({error.msg}).") from error
        where = _where(path, "line", [number for number, _ in records])
    columns = {name: [] for name in wanted}
    for index, (_, record) in enumerate(records):
        if not isinstance(record, dict):
            raise DatasetError(f"{where(index)}: not a JSON object.")
        if not columns[wanted[0]]:
            _check_columns(path, list(record), wanted)
        for name in wanted:
            if name not in record:
                raise DatasetError(f"{where(index)}: no {name!r} field.")
            columns[name].append(record[name])
    return columns, where


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a leading byte-order mark dropped)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DatasetError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start}, line {line}); save it as UTF-8."
        ) from error


def split_lines(text: str) -> list[str]:
    r"""Lines ended by \n, \r\n or \r only: ``str.splitlines`` also splits at form feeds,
    U+0085 and U+2028, which would misalign texts with the file's lines."""
    lines = io.StringIO(text, newline=None).read().split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


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


def as_label_array(labels, where) -> np.ndarray:
    """Labels as int64 when all are integers (or integer strings), else as strings.

    ``where(i)`` names record ``i`` in messages (from :func:`read_table`).
    """
    for row, label in enumerate(labels):
        if not isinstance(label, (str, int, float, np.generic, type(None))):
            raise DatasetError(f"{where(row)}: label {label!r} is not one int or string "
                               "(multi-label data is not supported).")
        if label is None or label == "" or (isinstance(label, float) and np.isnan(label)):
            raise DatasetError(f"{where(row)}: no label ({label!r}); every labelled text needs one.")
    try:
        return np.asarray([_as_int(label) for label in labels], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        return np.asarray([str(label) for label in labels])


def _as_int(label) -> int:
    # int(1.5) would silently merge classes 1.5 and 1.2; such labels stay names.
    if isinstance(label, (float, np.floating)) and not float(label).is_integer():
        raise ValueError(f"{label!r} is not an integer")
    return int(label)
