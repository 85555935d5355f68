"""Named data sets and user files as texts + labels, with seeded stratified subsampling.

A name or path is resolved in this order:

1. an explicit path: a CSV/TSV, JSON lines (or JSON array) or parquet file, a folder with
   ``<split>.parquet`` (or ``.csv``/``.tsv``/``.jsonl``), or a folder with one sub-folder of
   ``.txt`` files per class (directly, or under ``<split>/`` as in aclImdb);
2. ``<data_dir>/<name>/<split>.parquet`` when ``data_dir`` is given, then
   ``$NPC_DATA_DIR/<name>/<split>.parquet``;
3. the user cache, ``$NPC_CACHE_DIR/datasets/<name>/`` (default ``~/.cache/npc``);
4. ``imdb-sample``, the small IMDb sample shipped inside the package;
5. only when online, the Hugging Face hub through the ``datasets`` package (each known
   name mapped to its hub id, configuration and columns), saving the split in the cache.

Something that looks like a path (it has a suffix, a path separator or a leading ``~``)
and does not exist is a missing file, never looked up as a name. Anything else ends in
:class:`DatasetNotFoundError`, whose one-line message says where it looked and how to
supply a local copy.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from npc._files import (
    FILE_SUFFIXES,
    DatasetError,
    as_label_array,
    read_class_folders,
    read_table,
    read_text,
    split_lines,
)
from npc._hub import HUB_SOURCES, fetch_split, hub_offline_reason
from npc.cache import atomic_write, user_cache_dir

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetNotFoundError",
    "available_datasets",
    "dataset_info",
    "has_splits",
    "hub_datasets",
    "load_dataset",
    "load_texts",
    "per_class_rows",
    "stratified_rows",
]

EMBEDDED_DIR = Path(__file__).parent / "data"
ALIASES = {
    "dbpedia": "dbpedia_14",
    "yahoo_answers": "yahoo_answers_topics",
    "sogou": "sogou_news",
    "swahili": "swahili_news",
    "dengue_filipino": "filipino_dengue",
    "filipino": "filipino_dengue",
}

# Named sets the Hugging Face hub does not carry (the gzip paper's Text GCN splits): what
# they are and their file names in the Text GCN repository, to say where to get them.
NOT_ON_HUB = {
    "r8": ("Reuters-21578, 8 classes", "R8"),
    "r52": ("Reuters-21578, 52 classes", "R52"),
    "ohsumed": ("Ohsumed medical abstracts, 23 classes", "ohsumed"),
    "20news": ("20 Newsgroups, by-date split", "20ng"),
}


class DatasetNotFoundError(DatasetError):
    """No location can serve the requested data set and split."""


@dataclass
class Dataset:
    """Texts and labels of one split.

    Attributes
    ----------
    texts : list of str
    labels : ndarray
        int64 class ids for named sets (``class_names[id]`` names them); for user files
        the labels as written (int64 when every label is an integer, else str).
    class_names : list of str or None
        Names of the class ids, when the source has them.
    name : str
        The data set's name or the path it was read from.
    split : str
    rows : ndarray of int64
        Row numbers of the returned items in the source split, in the order returned.
    """

    texts: list[str]
    labels: np.ndarray
    class_names: list[str] | None
    name: str
    split: str
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def label_names(self, labels=None) -> list[str]:
        """Readable names of ``labels`` (default: this split's labels)."""
        labels = self.labels if labels is None else labels
        if self.class_names is None:
            return [str(label) for label in np.asarray(labels).tolist()]
        return [self.class_names[label] for label in np.asarray(labels).tolist()]

    def class_counts(self) -> dict[str, int]:
        """Number of items per class, by readable class name."""
        values, counts = np.unique(self.labels, return_counts=True)
        return dict(zip(self.label_names(values), counts.tolist()))


def load_dataset(name_or_path, split: str = "train", *, n: int | None = None, n_per_class: int | None = None,
                 seed: int = 0, text_column: str = "text", label_column: str = "label",
                 data_dir=None) -> Dataset:
    """Texts and labels of one split of a named data set or a user file or folder.

    Parameters
    ----------
    name_or_path : str or path-like
        A known name (``imdb``, ``ag_news``, ``dbpedia``, ``masakhanews_run``, ``imdb-sample``,
        any folder in ``NPC_DATA_DIR`` …) or a path (see the module docstring).
    split : str, default "train"
        ``"train"``, ``"test"`` or ``"validation"``; ignored by one-split sources (a file,
        a folder of class folders).
    n : int, optional
        Keep a stratified sample of ``n`` items (class proportions kept, seeded).
    n_per_class : int, optional
        Keep ``n_per_class`` items of every class (few-shot), seeded.
    seed : int, default 0
        Seeds the subsample.
    text_column, label_column : str
        Columns to read from tables (files and named-set parquet).
    data_dir : path-like, optional
        A folder of ``<name>/<split>.parquet`` searched before ``NPC_DATA_DIR``.

    Returns
    -------
    Dataset
        Items in the order of the source split (a subsample keeps that order).

    Raises
    ------
    DatasetNotFoundError
        When nothing serves the name and split; the message says where it looked.
    DatasetError
        On a missing column, unreadable file or impossible subsample.

    Examples
    --------
    >>> data = load_dataset("imdb-sample", "test", n=10)
    >>> len(data), data.class_names
    (10, ['neg', 'pos'])
    """
    if n is not None and n_per_class is not None:
        raise DatasetError("Give n or n_per_class, not both.")
    texts, labels, class_names, name = _load_full(name_or_path, split, text_column, label_column, data_dir)
    rows = np.arange(len(texts), dtype=np.int64)
    if n is not None:
        rows = stratified_rows(labels, n, seed, name, split)
    elif n_per_class is not None:
        rows = _per_class_rows(labels, n_per_class, seed, name, split, class_names)
    return Dataset(texts=[texts[row] for row in rows.tolist()], labels=labels[rows], class_names=class_names,
                   name=name, split=split, rows=rows)


def load_texts(path, *, text_column: str = "text") -> list[str]:
    """Unlabelled texts from a file: one per line (``.txt`` or ``-`` for stdin), or a table column.

    Every line is one text, so results align with the file's lines.
    """
    if str(path) == "-":
        return split_lines(sys.stdin.read())
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetNotFoundError(f"{path} is not a file (give a .txt, .csv, .tsv, .jsonl or .parquet file, or -).")
    kind = FILE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return split_lines(read_text(path))
    return read_table(path, kind, text_column, None)[0]


def hub_datasets() -> list[str]:
    """Names of the data sets npc fetches from the Hugging Face hub when online (then caches)."""
    return sorted(HUB_SOURCES)


def has_splits(name_or_path) -> bool:
    """Whether the source has separate splits (a name, or a folder of split files/folders)."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return False
    if path.is_dir():
        return _split_source(path, "train") is not None or _split_source(path, "test") is not None
    return True


def _load_full(name_or_path, split, text_column, label_column, data_dir):
    """Every item of the split: ``(texts, labels, class_names, name)``."""
    path = Path(name_or_path).expanduser()
    if path.exists():
        texts, labels, class_names = _read_path(path, split, text_column, label_column)
        return texts, labels, class_names, str(name_or_path)
    if _looks_like_path(name_or_path):
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise DatasetNotFoundError(f"File not found: {name_or_path}{where}.")
    name = ALIASES.get(str(name_or_path).lower(), str(name_or_path))
    looked = [] if os.environ.get("NPC_DATA_DIR") else ["NPC_DATA_DIR (not set)"]
    local_splits = {}
    for root, origin in _local_roots(data_dir):
        folder = root / name
        if root != EMBEDDED_DIR:  # it only holds imdb-sample: not worth naming in errors
            looked.append(f"{origin} ({folder})")
        if (folder / f"{split}.parquet").is_file():
            return (*_read_split_folder(folder, split, text_column, label_column), name)
        local_splits.update(dict.fromkeys(path.stem for path in folder.glob("*.parquet")))
    if local_splits and name not in HUB_SOURCES:  # no other place can have the split
        raise DatasetNotFoundError(_no_split(f"Data set {name!r}", split, local_splits))
    offline = _fetch_from_hub(name, split, text_column, label_column, looked)
    return (*offline, name)


def _did_you_mean(name: str, known) -> str:
    """`` (did you mean 'imdb'?)`` for a close known name (difflib), else nothing."""
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _looks_like_path(name_or_path) -> bool:
    """A path, not a data set name: a path object, or text with a separator, ``~`` or a suffix.

    Names never have these, so a misspelt ``reviews.csv`` is a missing file, not an unknown set.
    """
    if not isinstance(name_or_path, str):
        return True
    separators = {os.sep, os.altsep or os.sep, "/"}
    return any(separator in name_or_path for separator in separators) or name_or_path.startswith("~") \
        or Path(name_or_path).suffix != ""


def _local_roots(data_dir):
    """Folders of ``<name>/<split>.parquet``, in search order, with how to name them."""
    roots = []
    if data_dir is not None:
        roots.append((Path(data_dir).expanduser(), "data_dir"))
    if os.environ.get("NPC_DATA_DIR"):
        roots.append((Path(os.environ["NPC_DATA_DIR"]).expanduser(), "NPC_DATA_DIR"))
    roots.append((_cache_root(), "the user cache"))
    roots.append((EMBEDDED_DIR, "the package"))
    return roots


def _cache_root() -> Path:
    return user_cache_dir() / "datasets"


def _fetch_from_hub(name, split, text_column, label_column, looked):
    """Fetch a known set from the hub into the cache, or raise the not-found error."""
    where = "looked in " + ", ".join(looked)
    source = HUB_SOURCES.get(name)
    supply = (f"put {split}.parquet (columns text, label) in $NPC_DATA_DIR/{name}/ or "
              f"$NPC_CACHE_DIR/datasets/{name}/, or pass a file or folder path instead of the name")
    if name in NOT_ON_HUB:
        raise DatasetNotFoundError(_not_on_hub(name, where))
    if source is None:
        known = sorted(set(HUB_SOURCES) | set(NOT_ON_HUB) | {entry["name"] for entry in available_datasets()})
        raise DatasetNotFoundError(
            f"Unknown data set {name!r}{_did_you_mean(name, known)}: it is not a file or folder, {where}, and the hub "
            f"has no mapping for it; known names: {', '.join(known)}. To use your own copy, {supply}."
        )
    if text_column != "text" or label_column != "label":
        raise DatasetError(f"Hub data sets have columns text and label; got {text_column!r}, {label_column!r}.")
    reason = hub_offline_reason()
    if reason is not None:
        raise DatasetNotFoundError(
            f"Data set {name!r} split {split!r} ({source.description}; hub {source.hub_id}) is not "
            f"available offline: {where}; not the Hugging Face hub ({reason}). To supply a local copy, {supply}."
        )
    try:
        texts, labels, class_names = fetch_split(source, split)
    except Exception as error:  # the datasets package raises many kinds; report one line
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatasetNotFoundError(
            f"Data set {name!r} split {split!r}: {where}; the Hugging Face hub ({source.hub_id}) failed: "
            f"{message}. To supply a local copy, {supply}."
        ) from error
    _write_split_folder(_cache_root() / name, split, texts, labels, class_names)
    return texts, labels, class_names


def _not_on_hub(name: str, where: str) -> str:
    about, stem = NOT_ON_HUB[name]
    return (f"Data set {name!r} ({about}, the Text GCN split) has no local copy ({where}) and is not on the "
            f"Hugging Face hub: get it from https://github.com/yao8839836/text_gcn (data/corpus/{stem}.txt holds "
            f"one text per line, data/{stem}.txt the name, train/test and label of each line) and save each split "
            f"as $NPC_DATA_DIR/{name}/<split>.parquet (columns text, label), or pass a file or folder path.")


def _write_split_folder(folder: Path, split: str, texts, labels, class_names) -> None:
    """Save a split as ``<folder>/<split>.parquet`` (+ ``labels.json``), atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"text": pa.array(texts, pa.string()), "label": pa.array(labels, pa.int64())})
    atomic_write(folder / f"{split}.parquet", lambda handle: pq.write_table(table, handle, compression="zstd"))
    if class_names is not None:
        atomic_write(folder / "labels.json", json.dumps(dict(enumerate(class_names)), indent=1))


def _read_path(path: Path, split, text_column, label_column):
    if path.is_file():
        kind = FILE_SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise DatasetError(
                f"Cannot read {path}: unknown file type {path.suffix!r} "
                f"(use {', '.join(sorted(FILE_SUFFIXES))}, or a folder of class folders)."
            )
        texts, labels, where = read_table(path, kind, text_column, label_column)
        return texts, as_label_array(labels, where), None
    source = _split_source(path, split)
    if source is not None:
        if source.is_dir():
            return read_class_folders(source)
        if source.suffix == ".parquet":
            return _read_split_folder(path, split, text_column, label_column)
        return _read_path(source, split, text_column, label_column)
    if _split_source(path, "train") is not None or _split_source(path, "test") is not None:
        present = [entry.stem if entry.is_file() else entry.name for entry in path.iterdir()]
        raise DatasetNotFoundError(_no_split(str(path), split, [name for name in present
                                                                if _split_source(path, name) is not None]))
    return read_class_folders(path)


def _no_split(what: str, split: str, present) -> str:
    """``WHAT has no 'validation' split; it has train, test.`` (the usual splits first)."""
    usual = ("train", "validation", "test")
    ordered = sorted(set(present), key=lambda name: (usual.index(name) if name in usual else len(usual), name))
    return f"{what} has no {split!r} split; it has {', '.join(ordered)}."


def _split_source(folder: Path, split: str) -> Path | None:
    """The file or class-folder tree holding ``split`` inside ``folder``, if any."""
    for suffix in (".parquet", ".csv", ".tsv", ".jsonl"):
        if (folder / f"{split}{suffix}").is_file():
            return folder / f"{split}{suffix}"
    if (folder / split).is_dir():
        return folder / split
    return None


def _read_split_folder(folder: Path, split, text_column, label_column):
    """``<folder>/<split>.parquet`` and its optional ``labels.json`` (id → class name)."""
    texts, labels, where = read_table(folder / f"{split}.parquet", "parquet", text_column, label_column)
    labels = as_label_array(labels, where)
    names_path = folder / "labels.json"
    class_names = None
    if names_path.is_file() and labels.dtype.kind == "i":
        mapping = json.loads(names_path.read_text())
        class_names = [mapping[str(index)] for index in range(len(mapping))]
        if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise DatasetError(f"{folder / split}.parquet has label ids outside 0..{len(class_names) - 1} "
                               f"named in {names_path}.")
    return texts, labels, class_names


def stratified_rows(labels, n: int, seed: int, name: str = "the labels", split: str = "") -> np.ndarray:
    """Sorted rows of a seeded sample of ``n`` items keeping class proportions.

    Allocation is by largest remainder (at least what rounding gives each class), then a
    seeded draw inside each class: :func:`load_dataset` draws its ``n`` items with this rule.
    Written out rather than ``train_test_split(stratify=)`` because that refuses classes with
    a single member, which R52 and Ohsumed have.

    Parameters
    ----------
    labels : array-like of shape (n_items,)
    n : int
        Sample size, from 1 to ``len(labels)``.
    seed : int
    name, split : str
        How to call the labels in the error message.

    Returns
    -------
    numpy.ndarray of int64
        Positions in ``labels``, ascending.

    Examples
    --------
    >>> stratified_rows(["a", "a", "a", "b"], 2, seed=0).tolist()
    [1, 2]
    """
    labels = np.asarray(labels)
    total = len(labels)
    if n < 1 or n > total:
        raise DatasetError(f"Cannot draw n={n} items from {' '.join(filter(None, (name, split)))} ({total} items).")
    classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quota = counts * n / total
    take = np.floor(quota).astype(np.int64)
    remainder_order = np.argsort(-(quota - take), kind="stable")
    take[remainder_order[: n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(codes == c), size=take[c], replace=False) for c in range(len(classes))]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _per_class_rows(labels, n_per_class: int, seed: int, name: str, split: str, class_names) -> np.ndarray:
    """:func:`per_class_rows`, refusing a class with fewer than ``n_per_class`` items."""
    if n_per_class < 1:
        raise DatasetError(f"n_per_class must be at least 1; got {n_per_class}.")
    classes, counts = np.unique(labels, return_counts=True)
    short = [(label, count) for label, count in zip(classes.tolist(), counts.tolist()) if count < n_per_class]
    if short:
        label, count = short[0]
        shown = class_names[label] if class_names is not None else label
        raise DatasetError(f"Class {shown!r} of {name} {split} has only {count} items, "
                           f"fewer than n_per_class={n_per_class}.")
    return per_class_rows(labels, n_per_class, seed)


def per_class_rows(labels, n_per_class: int, seed: int) -> np.ndarray:
    """Sorted rows of ``n_per_class`` seeded items of every class (all items of a smaller class).

    Each class, in sorted label order, takes the first ``n_per_class`` of a seeded
    permutation of its rows, all from one generator: the few-shot run files of
    ``experiments/`` were drawn with this rule. :func:`load_dataset` refuses a class that
    is too small; the experiments keep all of it.

    Parameters
    ----------
    labels : array-like of shape (n_items,)
    n_per_class : int
    seed : int

    Returns
    -------
    numpy.ndarray of int64
        Positions in ``labels``, ascending.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:n_per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _split_counts(folder: Path) -> dict[str, int]:
    return {path.stem: pq.ParquetFile(path).metadata.num_rows for path in sorted(folder.glob("*.parquet"))}


def available_datasets(data_dir=None) -> list[dict]:
    """Named data sets available without network, first location wins.

    Returns
    -------
    list of dict
        ``{"name", "location", "path", "splits": {split: n_items}, "class_names"}``,
        sorted by name.
    """
    found = {}
    for root, origin in _local_roots(data_dir):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if folder.name in found or not folder.is_dir() or not any(folder.glob("*.parquet")):
                continue
            names_path = folder / "labels.json"
            class_names = list(json.loads(names_path.read_text()).values()) if names_path.is_file() else None
            found[folder.name] = {"name": folder.name, "location": origin, "path": str(folder),
                                  "splits": _split_counts(folder), "class_names": class_names}
    return [found[name] for name in sorted(found)]


def dataset_info(name: str, data_dir=None) -> dict:
    """What is known about a named set: its local copy (if any) and its hub source (if any).

    Returns
    -------
    dict
        ``{"name", "local": dict or None (as in available_datasets), "hub": dict or None}``.

    Raises
    ------
    DatasetNotFoundError
        When the name is neither local nor known on the hub.
    """
    name = ALIASES.get(name.lower(), name)
    local = next((entry for entry in available_datasets(data_dir) if entry["name"] == name), None)
    source = HUB_SOURCES.get(name)
    if local is None and source is None and name in NOT_ON_HUB:
        roots = [origin for _, origin in _local_roots(data_dir) if origin != "the package"]
        raise DatasetNotFoundError(_not_on_hub(name, f"looked in {', '.join(roots)}"))
    if local is None and source is None:
        known = ", ".join(sorted(set(HUB_SOURCES) | set(NOT_ON_HUB)
                                 | {entry["name"] for entry in available_datasets(data_dir)}))
        raise DatasetNotFoundError(f"Unknown data set {name!r}{_did_you_mean(name, known.split(', '))}; known names: "
                                   f"{known}.")
    hub = None if source is None else {
        "id": source.hub_id, "config": source.config, "description": source.description,
        "text": " + ".join(source.text_columns),
        "label": " / ".join(source.one_hot_labels) if source.one_hot_labels else source.label_column,
    }
    return {"name": name, "local": local, "hub": hub}
