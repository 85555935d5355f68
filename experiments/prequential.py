"""Prequential (test-then-train) evaluation: each text of a stream predicted, then learned.

A model is scored on every text by the model of the texts before it (Dawid's prequential
scheme, as in spam filtering: a message is filtered, then its label is learned). The
first ``--warmup`` texts are learned unscored (there is no model to predict the first
with), the same for every model; then texts go in batches (a cell ``ppm:1`` is one text
at a time, ``sgd:50`` batches of 50): a batch is predicted by the model of the texts
before it, then learned with ``partial_fit``. The accuracy over time is cumulative (all
the texts scored so far) and over a sliding window (the last ``--window``).

Streams (``--n`` texts each):

- ``imdb``: binary sentiment, standing in for a spam stream (no spam corpus is offline
  here). Both splits list every negative review before every positive one, a stream no
  filter meets, so the stream is the training split in a seeded random order.
- ``20news``: 20 newsgroups, the by-date split: the training split's posts are older than
  the test split's, so the stream is the training split, then the test split. Each split
  lists its posts newsgroup by newsgroup, so each is put in a seeded random order; a
  seeded sample of ``--n`` of the 18,846 posts keeps training posts before test posts.

Models: ``ppm`` (PPMClassifier, defaults), ``token_ppm`` (TokenPPMClassifier, defaults),
``compressor`` (CompressorClassifier, defaults: a zstd compressor per class primed with
its texts), ``sgd`` (HashingVectorizer word unigrams and bigrams, l2-normalised counts, into
SGDClassifier with the modified Huber loss, scikit-learn's defaults otherwise: the
online linear model; no IDF, which needs the whole corpus), each with one thread.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.prequential   # results/prequential.{json,md,png}
    NPC_DATA_DIR=/path/to/data python -m experiments.prequential --n 300 --out /tmp/prequential   # a check
    python -m experiments.prequential --datasets imdb --cells ppm:1 sgd:10   # some cells

Finished cells are saved as they end; ``--resume`` keeps those of an existing record
made with the same settings at the same commit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from experiments.report import RESULTS_DIR, markdown_table, new_record, write_record
from npc.compressor_classifier import CompressorClassifier
from npc.datasets import load_dataset
from npc.ppm import PPMClassifier
from npc.token_ppm import TokenPPMClassifier

DATASETS = ("imdb", "20news")
MODELS = ("ppm", "token_ppm", "compressor", "sgd")
# PPMClassifier learns one text at a time; the batches of 50 compare every model alike (and
# keep SGDClassifier, whose partial_fit costs ~0.2-0.4 s a call on 20 classes, within minutes).
CELLS = ("ppm:1", "ppm:50", "token_ppm:50", "compressor:50", "sgd:50")
CHECKPOINTS = (500, 1000, 2000, 5000, 10000, 20000)


class HashedSGD:
    """Hashed word counts into a linear model trained by SGD: scikit-learn's online text classifier."""

    def __init__(self, seed: int = 0):
        self.vectorizer = HashingVectorizer(ngram_range=(1, 2), alternate_sign=False)
        self.classifier = SGDClassifier(loss="modified_huber", random_state=seed)

    def partial_fit(self, X, y, classes=None):
        self.classifier.partial_fit(self.vectorizer.transform(X), y, classes=classes)
        return self

    def predict(self, X):
        return self.classifier.predict(self.vectorizer.transform(X))


def make_model(name: str, seed: int = 0):
    """A fresh model of ``MODELS``."""
    if name == "ppm":
        return PPMClassifier(n_jobs=1)
    if name == "token_ppm":
        return TokenPPMClassifier(n_jobs=1)
    if name == "compressor":
        return CompressorClassifier(n_jobs=1)
    if name == "sgd":
        return HashedSGD(seed)
    raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")


def _cell(spec: str) -> tuple[str, int]:
    model, _, batch = spec.partition(":")
    if model not in MODELS or not batch.isdigit() or int(batch) < 1:
        raise argparse.ArgumentTypeError(f"{spec!r} is not MODEL:BATCH with MODEL one of {MODELS}, BATCH >= 1")
    return model, int(batch)


def prequential(model, texts, labels, classes, batch_size: int = 1, warmup: int | None = None) -> np.ndarray:
    """Test-then-train predictions of ``model`` over the stream ``texts``.

    The first ``warmup`` texts (default ``batch_size``) are only learned; then each batch
    of ``batch_size`` texts is predicted by the model of the texts before it, then learned
    with ``model.partial_fit``.

    Returns
    -------
    ndarray
        The predictions of ``texts[warmup:]``, in stream order.
    """
    labels = np.asarray(labels)
    warmup = batch_size if warmup is None else warmup
    model.partial_fit(texts[:warmup], labels[:warmup], classes=classes)
    predictions = []
    for start in range(warmup, len(texts), batch_size):
        stop = start + batch_size
        predictions.append(model.predict(texts[start:stop]))
        model.partial_fit(texts[start:stop], labels[start:stop])
    return np.concatenate(predictions) if predictions else labels[:0].copy()


def running_accuracy(correct, window: int | None = None) -> np.ndarray:
    """Accuracy after each scored text: over all texts so far, or over the last ``window``."""
    correct = np.asarray(correct, dtype=float)
    totals = np.concatenate([[0.0], np.cumsum(correct)])
    ends = np.arange(1, len(correct) + 1)
    starts = np.zeros_like(ends) if window is None else np.maximum(ends - window, 0)
    return (totals[ends] - totals[starts]) / (ends - starts)


class Stream(NamedTuple):
    texts: list[str]
    labels: np.ndarray
    class_names: list[str]
    first_later: int | None  # where the later split (20news' test posts) begins, if any


def load_stream(name: str, n: int, seed: int) -> Stream:
    """The stream of data set ``name``, ``n`` texts (see the module docstring)."""
    rng = np.random.default_rng(seed)
    if name == "imdb":
        train = load_dataset("imdb", "train")
        rows = rng.permutation(len(train.texts))[:n]
        return Stream([train.texts[i] for i in rows], train.labels[rows], train.class_names, None)
    if name == "20news":
        splits = [load_dataset("20news", split) for split in ("train", "test")]
        orders = [rng.permutation(len(split.texts)) for split in splits]
        texts = [split.texts[i] for split, order in zip(splits, orders, strict=True) for i in order]
        labels = np.concatenate([split.labels[order] for split, order in zip(splits, orders, strict=True)])
        kept = np.sort(rng.choice(len(texts), size=min(n, len(texts)), replace=False))
        first_later = int(np.searchsorted(kept, len(splits[0].texts)))
        return Stream([texts[i] for i in kept], labels[kept], splits[0].class_names, first_later)
    raise ValueError(f"unknown stream {name!r}; expected one of {DATASETS}")


def run_cell(dataset: str, stream: Stream, model: str, batch_size: int, settings: dict) -> dict:
    """One model's prequential pass over one stream, with its accuracies."""
    classes = np.arange(len(stream.class_names))
    warmup, window = settings["warmup"], settings["window"]
    predictions = prequential(make_model(model, settings["seed"]), stream.texts, stream.labels, classes, batch_size,
                              warmup)
    correct = predictions == stream.labels[warmup:]
    cumulative = running_accuracy(correct)
    return {"dataset": dataset, "model": model, "batch_size": batch_size, "texts": len(stream.texts),
            "scored": len(correct), "first_later": stream.first_later, "accuracy": float(correct.mean()),
            "cumulative_at": {str(k): float(cumulative[k - 1]) for k in CHECKPOINTS if k <= len(correct)},
            "window_accuracy_end": float(running_accuracy(correct, window)[-1]),
            "correct": "".join("1" if c else "0" for c in correct)}


def curves(cell: dict, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative and windowed accuracy of a cell, after each scored text."""
    correct = np.frombuffer(cell["correct"].encode(), dtype=np.uint8) == ord("1")
    return running_accuracy(correct), running_accuracy(correct, window)


def plot(record: dict, path: Path) -> None:
    """Accuracy over the stream, one panel per data set: cumulative (thick) and windowed (thin)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(cell["dataset"] for cell in record["cells"]))
    window = record["settings"]["window"]
    figure, axes = plt.subplots(1, len(datasets), figsize=(6.5 * len(datasets), 4.2), squeeze=False)
    for axis, dataset in zip(axes[0], datasets, strict=True):
        for i, cell in enumerate(c for c in record["cells"] if c["dataset"] == dataset):
            cumulative, windowed = curves(cell, window)
            position = np.arange(1, len(cumulative) + 1) + record["settings"]["warmup"]
            color = f"C{i}"
            name = f"{cell['model']}:{cell['batch_size']}"
            axis.plot(position, cumulative, color=color, linewidth=2, label=f"{name} (cumulative)")
            axis.plot(position, windowed, color=color, linewidth=0.7, alpha=0.6, label=f"{name} (last {window})")
        first_later = next(c["first_later"] for c in record["cells"] if c["dataset"] == dataset)
        if first_later:
            axis.axvline(first_later, color="grey", linestyle=":", label="test split begins")
        axis.set(title=f"{dataset}: test-then-train", xlabel="texts seen", ylabel="accuracy")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(path.with_suffix(".png"), dpi=110)
    plt.close(figure)


def to_markdown(record: dict, image: str) -> str:
    settings = record["settings"]
    shown = [k for k in CHECKPOINTS if any(str(k) in c["cumulative_at"] for c in record["cells"])]
    rows = []
    for cell in record["cells"]:
        at = cell["cumulative_at"]
        rows.append([cell["dataset"], cell["model"], cell["batch_size"], f"{cell['scored']:,}",
                     *[f"{at[str(k)]:.3f}" if str(k) in at else "" for k in shown], f"**{cell['accuracy']:.4f}**",
                     f"{cell['window_accuracy_end']:.3f}"])
    header = ["stream", "model", "batch", "texts scored", *[f"after {k:,}" for k in shown], "all scored",
              f"last {settings['window']}"]
    return "\n".join([
        "# Prequential (test-then-train) accuracy over a stream", "",
        (f"Each text is predicted by the model of the texts before it, then learned (`partial_fit`, "
         f"batches of `batch` texts: 1 is one text at a time; the first {settings['warmup']} texts are "
         f"learned unscored). Cumulative accuracy after the first k scored texts, over all scored texts, "
         f"and over the last {settings['window']}. Streams of {settings['n']:,} texts, seed {settings['seed']}."),
        "",
        markdown_table(header, rows), "",
        f"![accuracy over the stream]({image})", "",
        ("- imdb (binary sentiment; stands in for a spam stream, as no spam corpus is offline): the "
         "training split in a seeded random order (its rows list every negative review before every "
         "positive one)."),
        ("- 20news: a seeded sample of the 18,846 posts, training split (older posts) before test split "
         "(newer: the by-date split; the dotted line), each split in a seeded random order (its rows go "
         "newsgroup by newsgroup)."),
        ("- ppm: PPMClassifier(); token_ppm: TokenPPMClassifier(); compressor: CompressorClassifier() (zstd "
         "level 9 primed with each class's texts: it sees only the last 8 MiB of a class); sgd: "
         "HashingVectorizer(ngram_range=(1, 2), alternate_sign=False) into SGDClassifier(loss=\"modified_huber\"), "
         "scikit-learn's online linear model (hashed l2-normalised counts: IDF needs the whole corpus). No "
         "parameter was tuned on the streams."),
        "- Accuracy figures only: no timings (measured on a busy machine).",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.prequential", description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--cells", nargs="+", type=_cell, default=[_cell(c) for c in CELLS], metavar="MODEL:BATCH",
                        help=f"models ({', '.join(MODELS)}) and their batch sizes (default {' '.join(CELLS)})")
    parser.add_argument("--n", type=int, default=5000, help="texts per stream (default 5000)")
    parser.add_argument("--warmup", type=int, default=50, help="texts learned unscored first (default 50)")
    parser.add_argument("--window", type=int, default=500, help="texts of the sliding window (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="keep finished cells of a record with these settings")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "prequential")
    args = parser.parse_args(argv)
    if args.warmup < 1 or args.n <= args.warmup or args.window < 1:
        parser.error("need --warmup >= 1, --n > --warmup and --window >= 1")
    settings = {"n": args.n, "warmup": args.warmup, "window": args.window, "seed": args.seed}
    record = new_record("experiments.prequential", argv, settings=settings, cells=[])
    previous = args.out.with_suffix(".json")
    if args.resume and previous.exists():
        stored = json.loads(previous.read_text())
        if stored.get("settings") == settings and stored.get("commit") == record["commit"]:
            record["cells"] = stored["cells"]
    done = {(cell["dataset"], cell["model"], cell["batch_size"]) for cell in record["cells"]}
    for dataset in args.datasets:
        stream = None
        for model, batch_size in args.cells:
            if (dataset, model, batch_size) in done:
                continue
            stream = stream or load_stream(dataset, args.n, args.seed)
            cell = run_cell(dataset, stream, model, batch_size, settings)
            record["cells"].append(cell)
            print(f"{dataset} {model}:{batch_size}: accuracy {cell['accuracy']:.4f} over {cell['scored']} texts",
                  flush=True)
            write_record(record, to_markdown(record, args.out.with_suffix(".png").name), args.out)
    plot(record, args.out)
    write_record(record, to_markdown(record, args.out.with_suffix(".png").name), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
