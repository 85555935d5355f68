"""``npc predict``: label texts with a model file written by ``npc train``, with probabilities.

Labels go to stdout, one per input text, or to a CSV/TSV/JSON lines file (by its suffix)
with the input's row, the label, its probability and, with ``--top N``, the N most
probable classes with theirs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

from npc.cache import atomic_write
from npc.classifier import NCDClassifier
from npc.cli.data import count
from npc.cli.errors import EXIT_OK, UsageError
from npc.cli.options import Command, check_output_path, note, positive_int
from npc.cli.running import announce_job
from npc.datasets import load_texts
from npc.model_files import load_model, read_model_header
from npc.model_selection import NCDClassifierCV

__all__ = ["COMMAND", "OUTPUT_SUFFIXES", "labels_and_probabilities"]

OUTPUT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".jsonl": None, ".ndjson": None}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a model file written by `npc train --save`")
    parser.add_argument("input", metavar="INPUT",
                        help="the texts: one per line (.txt, or - for stdin), or a CSV/TSV/JSON lines/parquet file "
                             "with a text column")
    parser.add_argument("--text-column", default="text", help="text column of table files (default: text)")
    parser.add_argument("--output", metavar="FILE",
                        help="write row, label and probability to a .csv, .tsv or .jsonl file instead of stdout")
    parser.add_argument("--top", type=positive_int, metavar="N",
                        help="also give the N most probable classes with their probabilities")
    parser.add_argument("-q", "--quiet", action="store_true", help="no notes or progress on stderr")


def labels_and_probabilities(options, model, texts) -> tuple[np.ndarray, np.ndarray | None]:
    """Each text's label and the class probabilities (columns in ``model.classes_`` order; None
    for a model without ``predict_proba``). A neighbour model searches once for both."""
    searcher = model.best_estimator_ if isinstance(model, NCDClassifierCV) else model
    if hasattr(searcher, "predict_from_neighbors"):
        if isinstance(searcher, NCDClassifier):
            announce_job(options, searcher, texts)
        return searcher.predict_from_neighbors(*searcher.kneighbors(texts))
    return model.predict(texts), model.predict_proba(texts) if hasattr(model, "predict_proba") else None


def _rows(labels, proba, classes, top: int | None) -> list[dict]:
    """One record per text: row, label, probability and the ``top`` most probable classes."""
    classes = np.asarray(classes).tolist()
    column = {label: position for position, label in enumerate(classes)}
    records = []
    for row, label in enumerate(np.asarray(labels).tolist()):
        probability = None if proba is None else float(proba[row, column[label]])
        record = {"row": row, "label": label, "probability": probability}
        if top is not None and proba is not None:
            record["top"] = [{"label": classes[i], "probability": float(proba[row, i])}
                             for i in np.argsort(-proba[row], kind="stable")[:top]]
        records.append(record)
    return records


def _write(path: Path, records: list[dict]) -> None:
    delimiter = OUTPUT_SUFFIXES[path.suffix.lower()]
    with io.StringIO(newline="") as handle:
        if delimiter is None:
            handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        else:
            writer = csv.writer(handle, delimiter=delimiter)
            n_top = len(records[0].get("top", []))
            writer.writerow(["row", "label", "probability",
                             *(f"{name}_{rank}" for rank in range(1, n_top + 1) for name in ("label", "probability"))])
            writer.writerows([record["row"], record["label"], record["probability"],
                              *(cell for best in record.get("top", [])
                                for cell in (best["label"], best["probability"]))]
                             for record in records)
        atomic_write(path, handle.getvalue())


def _print(records: list[dict]) -> None:
    lines = []
    for record in records:
        # with --top: the best classes, label and probability, the first being the label
        cells = [cell for best in record["top"] for cell in (best["label"], f"{best['probability']:.6g}")] \
            if "top" in record else [record["label"]]
        lines.append("\t".join(map(str, cells)) + "\n")
    sys.stdout.write("".join(lines))


def run(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    if options.output is not None:
        check_output_path("--output", options.output)
        if Path(options.output).suffix.lower() not in OUTPUT_SUFFIXES:
            raise UsageError(f"--output {options.output}: give a file ending in "
                             f"{', '.join(OUTPUT_SUFFIXES)} (the format follows the suffix)")
    header = read_model_header(options.model)  # a file that is no model is refused before the texts are read
    texts = load_texts(options.input, text_column=options.text_column)
    if not texts:
        raise UsageError(f"{options.input} holds no text")
    model = load_model(options.model)
    if not hasattr(model, "predict") or not hasattr(model, "classes_"):
        raise UsageError(f"{options.model} holds a {type(model).__name__}, which does not predict labels")
    searcher = model.best_estimator_ if isinstance(model, NCDClassifierCV) else model
    if "verbose" in searcher.get_params():  # progress as this command's -q says, not as training's did
        searcher.set_params(verbose=0 if options.quiet else 2)
    options.cache_dir = getattr(model, "cache_dir", None)  # the job's note says whether chunks are reused
    trained = header["training_data"] or {}
    note(options, f"model  {options.model}: {header['model']['class'].rpartition('.')[2]}, "
                  f"{count(len(model.classes_), 'class')}"
                  + (f", trained on {count(trained['n_texts'], 'text')}" if trained else ""))
    labels, proba = labels_and_probabilities(options, model, texts)
    records = _rows(labels, proba, model.classes_, options.top)
    if options.output is None:
        _print(records)
    else:
        _write(Path(options.output).expanduser(), records)
        note(options, f"wrote {options.output}")
    note(options, f"labelled {count(len(texts), 'text')} in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


COMMAND = Command("predict", "label texts with a model file from `npc train`, with each label's probability",
                  add_arguments, run)
