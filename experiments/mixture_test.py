"""CodeLengthMixer (default sources) against TF-IDF + logistic regression on full test splits.

For each data set, the mixer with its default sources (chosen on training folds by
``python -m experiments.select_mixture``) and ``make_baseline("tfidf-lr")`` are fitted on
the same training rows (the whole training split, or a stratified sample of
``--max-train`` texts, seed 0, where the set is larger) and predict every test row. Each
set's file ``results/mixture_test/<set>.json`` holds the accuracies, the exact McNemar p
of the mixture against TF-IDF+LR on the same rows (a two-sided binomial test on the
discordant pairs), every source's own accuracy (class of fewest bits), the fitted
parameters, the out-of-fold folds and both models' predictions. A set whose file exists
with today's default sources is skipped, so an interrupted run resumes;
``results/mixture_test.md`` summarises the files present. Accuracy only: no timings.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.mixture_test [--datasets r8 ...] [--max-train 12500]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np
from scipy.stats import binomtest

from experiments.report import RESULTS_DIR, markdown_table, provenance
from experiments.resources import git_commit, machine
from experiments.runs import default_mixture_sources, load_split, stratified_rows
from npc.baselines import make_baseline
from npc.mixture import CodeLengthMixer, mixed_logits, text_lengths

DATASETS = ("r8", "r52", "ohsumed", "imdb", "20news")
OUT_DIR = RESULTS_DIR / "mixture_test"


def mcnemar_p(first_correct: np.ndarray, second_correct: np.ndarray) -> float:
    """Exact two-sided McNemar p: a binomial test of the discordant pairs at one half (1.0 when none)."""
    first_only = int(np.sum(first_correct & ~second_correct))
    discordant = first_only + int(np.sum(~first_correct & second_correct))
    return 1.0 if discordant == 0 else float(binomtest(first_only, discordant, 0.5).pvalue)


def run(dataset: str, max_train: int | None, command: str) -> dict:
    """Fit both models on the training rows, predict every test row, return the record."""
    train_texts, train_labels = load_split(dataset, "train")
    rows = stratified_rows(dataset, "train", max_train or len(train_labels), seed=0)
    texts, labels = [train_texts[i] for i in rows], np.asarray(train_labels)[rows]
    test_texts, test_labels = load_split(dataset, "test")
    test_labels = np.asarray(test_labels)

    mixer = CodeLengthMixer().fit(texts, labels)
    bits = mixer.code_lengths(test_texts)
    encoded = [t.encode("utf-8", "surrogatepass") for t in test_texts]
    logits = mixed_logits(bits, text_lengths(encoded), mixer.weights_, mixer.length_weights_, mixer.class_bias_)
    mix_predictions = mixer.classes_[np.argmax(logits, axis=1)]
    lr_predictions = make_baseline("tfidf-lr").fit(texts, labels).predict(test_texts)
    mix_correct, lr_correct = mix_predictions == test_labels, lr_predictions == test_labels
    sources = [repr(source) for source in mixer.sources_]
    return {
        "dataset": dataset, "command": command, "commit": git_commit(), "machine": machine(),
        "n_train_split": len(train_labels), "n_train_used": len(rows), "n_test": len(test_labels),
        "train_rows": "all" if len(rows) == len(train_labels) else rows.tolist(),
        "accuracy": {"mixture": float(mix_correct.mean()), "tfidf-lr": float(lr_correct.mean()),
                     **{source: float(np.mean(mixer.classes_[np.argmin(bits[:, j], axis=1)] == test_labels))
                        for j, source in enumerate(sources)}},
        "mcnemar_p_mixture_vs_tfidf_lr": mcnemar_p(mix_correct, lr_correct),
        "discordant": {"mixture_only": int(np.sum(mix_correct & ~lr_correct)),
                       "tfidf_lr_only": int(np.sum(~mix_correct & lr_correct))},
        "mixer": {"sources": sources, "cv": mixer.cv, "alpha": mixer.alpha, "weights": mixer.weights_.tolist(),
                  "length_weights": mixer.length_weights_.tolist(), "class_bias": mixer.class_bias_.tolist(),
                  "classes": mixer.classes_.tolist(), "n_iter": mixer.n_iter_, "folds": mixer.folds_.tolist()},
        "predictions": {"mixture": mix_predictions.tolist(), "tfidf-lr": lr_predictions.tolist()},
    }


def summarise() -> None:
    """``results/mixture_test.md`` from the per-set files present."""
    records = [json.loads(path.read_text()) for name in DATASETS if (path := OUT_DIR / f"{name}.json").exists()]
    rows = []
    for r in records:
        accuracy, p = r["accuracy"], r["mcnemar_p_mixture_vs_tfidf_lr"]
        gap = accuracy["mixture"] - accuracy["tfidf-lr"]
        verdict = "tie (p >= 0.05)" if p >= 0.05 else ("compression wins" if gap > 0 else "compression loses")
        alone = [accuracy.get(source) for source in ("PPMClassifier()", "TokenPPMClassifier()")]
        rows.append([r["dataset"], f"{r['n_train_used']}/{r['n_train_split']}", r["n_test"],
                     f"{100 * accuracy['mixture']:.1f}", *("–" if a is None else f"{100 * a:.1f}" for a in alone),
                     f"{100 * accuracy['tfidf-lr']:.1f}", f"{100 * gap:+.1f}", f"{p:.3g}", verdict])
    gaps = [r["accuracy"]["mixture"] - r["accuracy"]["tfidf-lr"] for r in records]
    significant = sum(g > 0 and r["mcnemar_p_mixture_vs_tfidf_lr"] < 0.05 for g, r in zip(gaps, records))
    lines = ["# CodeLengthMixer against TF-IDF + LR on full test splits", "",
             ("Accuracy (%) on every test row; both models fitted on the same training rows (used / in the split). "
              "p: exact McNemar test (two-sided binomial on the discordant pairs) on the same rows. Each set's "
              "file in [mixture_test/](mixture_test/) holds its command, commit, machine, the fitted weights, "
              "folds and predictions."), "",
             markdown_table(["set", "train", "test rows", "mixture", "PPM order 3 alone", "token PPM alone",
                             "TF-IDF+LR", "mixture − LR", "McNemar p", "verdict"], rows), "",
             (f"Mean gap over these {len(records)} sets: {100 * np.mean(gaps or [0]):+.2f} points; the mixture is "
              f"ahead on {sum(g > 0 for g in gaps)} of {len(records)} (significantly, p < 0.05, on {significant}), "
              f"behind on {sum(g < 0 for g in gaps)}."), ""]
    lines += [f"- {r['dataset']}: " + provenance(r) for r in records]
    (RESULTS_DIR / "mixture_test.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--max-train", type=int, help="training texts at most (stratified sample; default: all)")
    args = parser.parse_args(argv)
    command = "python -m experiments.mixture_test " + " ".join(argv if argv is not None else sys.argv[1:])
    warnings.filterwarnings("ignore", "The least populated class", UserWarning)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        path = OUT_DIR / f"{dataset}.json"
        if path.exists() and json.loads(path.read_text())["mixer"]["sources"] == default_mixture_sources():
            continue
        print(f"{dataset}: fitting", file=sys.stderr, flush=True)
        record = run(dataset, args.max_train, command.strip())
        path.with_suffix(".tmp").write_text(json.dumps(record) + "\n")
        path.with_suffix(".tmp").replace(path)
        summarise()
    summarise()
    return 0


if __name__ == "__main__":
    sys.exit(main())
