"""Choose CodeLengthMixer's default sources, and try a two-stage decision, on training splits only.

For each data set (R8, R52, Ohsumed, 20 Newsgroups, IMDb) a stratified sample of the
training split (``--max-train`` texts, seed 0; never a test row) is cut into 5 stratified
folds. Every candidate source (byte PPM of orders 2-5, CompressorClassifier, and the token
PPM ``TokenPPMClassifier()``: hashed words and word bigrams, each once per text) gives each
text's out-of-fold code lengths (fitted on the other four folds; cached, so an interrupted
run resumes). Then, for every non-empty set of
sources, the mixture's weights are fitted on the out-of-fold code lengths of four folds and
it predicts the fifth, rotating over the folds: the held-out accuracy of that set. (The
weights of a rotation are fitted on code lengths from models that saw the held-out fold's
texts; only the ``2J + C - 1`` weights are affected, and nothing here touches a test split.)

The default set is the one of best mean held-out accuracy over the data sets among the sets
whose prediction cost is at most ``--max-cost`` times order-3 PPM's (ties: fewer sources,
then the order of the candidates). A source's cost is its CPU time to give the code lengths
of ``--cost-rows`` sample texts (fitted on the whole training split, as the mixer's sources
are in use: a zstd prime costs more the longer it is; median of 3 runs alternated with
order-3 PPM's in one process, so a busy machine slows both), relative to order-3 PPM's,
averaged over the data sets; a set's cost is the sum of its sources'.

Two-stage (LFTC, Mao et al. 2024): for ``--two-stage-rows`` held-out rows per data set the
chosen mixture (weights fitted on the other folds) shortlists its 2 or 3 most probable
classes; NCD k-NN (gzip, k = 1 or 3, npc's vote with the nearest-neighbour tie rule)
among the other folds' training texts of those classes decides, or the token PPM alone does.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.select_mixture   # writes results/mixture_selection.{md,json}
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from experiments.report import RESULTS_DIR, markdown_table, provenance
from experiments.resources import git_commit, machine
from experiments.runs import load_split, stratified_rows
from npc.cache import user_cache_dir
from npc.compressor_classifier import CompressorClassifier
from npc.compressors import get_compressor
from npc.kernel import compressed_sizes, nearest
from npc.mixture import (
    fit_mixture,
    mixed_logits,
    out_of_fold_code_lengths,
    text_lengths,
)
from npc.ppm import PPMClassifier
from npc.token_ppm import TokenPPMClassifier
from npc.vote import vote

DATASETS = ("r8", "r52", "ohsumed", "20news", "imdb")
FOLDS = 5
ALPHA = 1e-3
REFERENCE = "ppm3"
COST_REPEATS = 3
SHORTLISTS = (2, 3)
NEIGHBOURS = (1, 3)


def candidates() -> dict:
    """Name -> unfitted source."""
    found = {f"ppm{order}": PPMClassifier(order) for order in (2, 3, 4, 5)}
    found["zstd"] = CompressorClassifier()
    found["token"] = TokenPPMClassifier()
    return found


def training_sample(dataset: str, max_train: int):
    """Texts (bytes), class codes and split rows of the training sample."""
    rows = stratified_rows(dataset, "train", max_train, seed=0)
    texts, labels = load_split(dataset, "train")
    return [texts[i].encode("utf-8", "surrogatepass") for i in rows], np.asarray(labels)[rows], rows


def cached_out_of_fold(dataset, name, source, texts, codes, rows, cache: Path) -> np.ndarray:
    """Out-of-fold code lengths (n, n_classes) of one source, from the cache when computed before."""
    path = cache / f"{dataset}__{name}__n{len(rows)}.npz"
    if path.exists():
        stored = np.load(path)
        if np.array_equal(stored["rows"], rows):
            return stored["bits"]
    bits, _ = out_of_fold_code_lengths([source], texts, codes, StratifiedKFold(FOLDS))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path.with_suffix(".tmp.npz"), bits=bits[:, 0], rows=rows)
    path.with_suffix(".tmp.npz").replace(path)
    print(f"  {dataset} {name}: out-of-fold code lengths computed", file=sys.stderr, flush=True)
    return bits[:, 0]


def relative_costs(dataset: str, sources: dict, queries: list[bytes]) -> dict:
    """Each source's CPU time to code ``queries``, fitted on the whole training split as it will be
    used (a zstd prime's cost grows with its class's text), relative to order-3 PPM's (medians of repeats)."""
    texts, labels = load_split(dataset, "train")
    fitted = {name: clone(source).fit(texts, labels) for name, source in sources.items()}
    for model in fitted.values():
        model.code_lengths(queries[:2])  # warm: kernels loaded, nothing compiled inside the timing
    times = {name: [] for name in fitted}
    for _ in range(COST_REPEATS):
        for name, model in fitted.items():
            start = time.process_time()
            model.code_lengths(queries)
            times[name].append(time.process_time() - start)
    reference = np.median(times[REFERENCE])
    return {name: float(np.median(spent) / reference) for name, spent in times.items()}


def rotated_logits(bits, lengths, codes, folds) -> tuple[np.ndarray, list]:
    """Each row's mixed logits under weights fitted on the other folds; the weights of each fold."""
    logits = np.empty((len(codes), bits.shape[2]))
    fitted = []
    for fold in range(FOLDS):
        held = folds == fold
        params = fit_mixture(bits[~held], lengths[~held], codes[~held], alpha=ALPHA)[:3]
        logits[held] = mixed_logits(bits[held], lengths[held], *params)
        fitted.append([p.tolist() for p in params])
    return logits, fitted


def two_stage(texts, codes, folds, logits, token_bits, n_rows: int) -> dict:
    """Accuracy of the mixture, of shortlist + NCD k-NN and of shortlist + token PPM (class of fewest
    ``token_bits`` among the shortlist) on ``n_rows`` held-out rows spread evenly."""
    rows = np.unique(np.linspace(0, len(texts) - 1, min(n_rows, len(texts))).round().astype(int))
    compressor = get_compressor("gzip")
    sizes = compressed_sizes(texts, compressor)
    ranked = np.argsort(-logits, axis=1, kind="stable")
    n_classes = int(codes.max()) + 1
    correct = dict.fromkeys(itertools.product(SHORTLISTS, NEIGHBOURS), 0)
    for row in rows:
        # one search over the widest shortlist's texts, every neighbour in (distance, index) order
        references = np.flatnonzero((folds != folds[row]) & np.isin(codes, ranked[row, :max(SHORTLISTS)]))
        distances, indices = nearest([texts[row]], [texts[i] for i in references], len(references),
                                     compressor=compressor, reference_sizes=sizes[references], n_jobs=1)
        neighbour_codes = codes[references][indices[0]]
        for shortlist, k in correct:
            kept = np.isin(neighbour_codes, ranked[row, :shortlist])
            predicted, _ = vote(neighbour_codes[kept][None, :k], distances[0][kept][None, :k], n_classes=n_classes)
            correct[shortlist, k] += predicted[0] == codes[row]
    result = {"rows": len(rows), "mixture": float(np.mean(ranked[rows, 0] == codes[rows]))}
    result.update({f"top{shortlist}_ncd{k}nn": hits / len(rows) for (shortlist, k), hits in correct.items()})
    for shortlist in SHORTLISTS:
        listed = ranked[rows, :shortlist]
        decided = listed[np.arange(len(rows)), np.argmin(np.take_along_axis(token_bits[rows], listed, axis=1), axis=1)]
        result[f"top{shortlist}_token"] = float(np.mean(decided == codes[rows]))
    result.update({f"top{shortlist}_contains_truth": float(np.mean([codes[r] in ranked[r, :shortlist] for r in rows]))
                   for shortlist in SHORTLISTS})
    return result


def evaluate(dataset: str, max_train: int, cost_rows: int, cache: Path) -> dict:
    """Held-out accuracy of each source alone and of every set of sources' mixture on one data set."""
    texts, codes, rows = training_sample(dataset, max_train)
    folds = np.empty(len(texts), dtype=int)
    for fold, (_, test) in enumerate(StratifiedKFold(FOLDS).split(np.zeros((len(texts), 1)), codes)):
        folds[test] = fold
    sources = candidates()
    bits = {name: cached_out_of_fold(dataset, name, source, texts, codes, rows, cache)
            for name, source in sources.items()}
    lengths = text_lengths(texts)
    timed = np.unique(np.linspace(0, len(texts) - 1, min(cost_rows, len(texts))).round().astype(int))
    costs = relative_costs(dataset, sources, [texts[i] for i in timed])
    names = list(sources)
    alone = {name: float(np.mean(np.argmin(bits[name], axis=1) == codes)) for name in names}
    mixtures, weights = {}, {}
    for size in range(1, len(names) + 1):
        for chosen in itertools.combinations(names, size):
            stacked = np.stack([bits[name] for name in chosen], axis=1)
            logits, fitted = rotated_logits(stacked, lengths, codes, folds)
            key = "+".join(chosen)
            mixtures[key] = float(np.mean(np.argmax(logits, axis=1) == codes))
            weights[key] = fitted
    return {"dataset": dataset, "n_train_used": len(texts), "n_train_split": len(load_split(dataset, "train")[1]),
            "n_classes": int(codes.max()) + 1, "costs": costs, "alone": alone, "mixtures": mixtures, "weights": weights,
            "_bits": bits, "_texts": texts, "_codes": codes, "_folds": folds}


def set_cost(results: list[dict], key: str) -> float:
    """A set's prediction cost relative to order-3 PPM: its sources' costs, averaged over the data sets."""
    return sum(np.mean([r["costs"][name] for r in results]) for name in key.split("+"))


def choose(results: list[dict], max_cost: float = float("inf")) -> str:
    """The set of best mean held-out accuracy within ``max_cost``; ties: fewer sources, then candidate order."""
    keys = [key for key in results[0]["mixtures"] if set_cost(results, key) <= max_cost]
    mean = {key: np.mean([r["mixtures"][key] for r in results]) for key in keys}
    return max(keys, key=lambda key: (mean[key], -key.count("+"), -keys.index(key)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--max-train", type=int, default=3000, help="training texts sampled per data set")
    parser.add_argument("--two-stage-rows", type=int, default=400, help="held-out rows of the two-stage test")
    parser.add_argument("--max-cost", type=float, default=5.0,
                        help="largest prediction cost of the chosen set, relative to order-3 PPM")
    parser.add_argument("--cost-rows", type=int, default=200, help="sample texts timed per source")
    parser.add_argument("--cache", type=Path, default=user_cache_dir() / "mixture_selection")
    args = parser.parse_args(argv)
    # R52 has classes of one or two training texts: their folds are uneven, as the mixer's are.
    warnings.filterwarnings("ignore", "The least populated class", UserWarning)
    command = "python -m experiments.select_mixture " + " ".join(argv if argv is not None else sys.argv[1:])
    record = {"command": command.strip(), "commit": git_commit(), "machine": machine(), "folds": FOLDS,
              "alpha": ALPHA, "max_train": args.max_train, "max_cost": args.max_cost, "cost_rows": args.cost_rows}
    results = []
    for dataset in args.datasets:
        print(f"{dataset}: out-of-fold code lengths", file=sys.stderr, flush=True)
        results.append(evaluate(dataset, args.max_train, args.cost_rows, args.cache))
    record["chosen"] = choose(results, args.max_cost)
    record["costs"] = {key: set_cost(results, key) for key in results[0]["mixtures"]}
    for result in results:
        chosen = record["chosen"].split("+")
        stacked = np.stack([result["_bits"][name] for name in chosen], axis=1)
        logits, _ = rotated_logits(stacked, text_lengths(result["_texts"]), result["_codes"], result["_folds"])
        print(f"{result['dataset']}: two-stage", file=sys.stderr, flush=True)
        result["two_stage"] = two_stage(result["_texts"], result["_codes"], result["_folds"], logits,
                                        result["_bits"]["token"], args.two_stage_rows)
    record["datasets"] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in results]
    write(record)
    return 0


def pct(share: float) -> str:
    return f"{100 * share:.1f}"


def write(record: dict) -> None:
    """``results/mixture_selection.{json,md}``."""
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "mixture_selection.json").write_text(json.dumps(record, indent=1) + "\n")
    sets = record["datasets"]
    names = list(sets[0]["alone"])
    keys = sorted(sets[0]["mixtures"], key=lambda k: -np.mean([s["mixtures"][k] for s in sets]))
    alone = [[name] + [pct(s["alone"][name]) for s in sets] + [pct(np.mean([s["alone"][name] for s in sets])),
                                                                f"{record['costs'][name]:.2f}"] for name in names]
    mixed = [[key + (" **(chosen)**" if key == record["chosen"] else "")] + [pct(s["mixtures"][key]) for s in sets]
             + [pct(np.mean([s["mixtures"][key] for s in sets])), f"{record['costs'][key]:.2f}"] for key in keys]
    header = (["sources"] + [f"{s['dataset']} ({s['n_train_used']}/{s['n_train_split']})" for s in sets]
              + ["mean", "cost (x ppm3)"])
    stage_keys = (["mixture"] + [f"top{s}_ncd{k}nn" for s in SHORTLISTS for k in NEIGHBOURS]
                  + [f"top{s}_token" for s in SHORTLISTS] + [f"top{s}_contains_truth" for s in SHORTLISTS])
    stages = [[key] + [pct(s["two_stage"][key]) for s in sets] + [pct(np.mean([s["two_stage"][key] for s in sets]))]
              for key in stage_keys]
    lines = [
        "# Choosing CodeLengthMixer's sources on training folds", "",
        (f"Held-out accuracy (%) on {record['folds']}-fold splits of a stratified sample of each training split "
         f"(at most {record['max_train']} texts, seed 0; the header gives texts used / in the split). No test "
         "split is read. Each source's code lengths are out of fold; a mixture's weights (alpha "
         f"{record['alpha']}) are fitted on four folds' out-of-fold code lengths and predict the fifth, "
         f"rotating. Cost: CPU time to code {record['cost_rows']} of the sample texts, the source fitted on the whole "
         "training split, "
         "relative to order-3 PPM in the same process (medians of 3 alternated runs, mean over the data sets; a "
         "set's cost is the sum of its sources'). "
         "See experiments/select_mixture.py."), "",
        "## Each source alone (class of fewest bits)", "", markdown_table(header, alone), "",
        "## Mixtures, best mean first", "", markdown_table(header, mixed), "",
        (f"Chosen (best mean among the sets of cost at most {record['max_cost']:g}; ties: fewer sources): "
         f"`{record['chosen']}`."), "",
        ("## Two-stage: the chosen mixture shortlists, NCD k-NN (gzip) among the shortlist's texts, or the "
         "token PPM alone, decides"), "",
        (f"On {sets[0]['two_stage']['rows']} held-out rows per data set spread over the sample (the mixture row "
         "is the mixture's accuracy on the same rows; `contains_truth` is the share of rows whose class is in "
         "the shortlist)."), "",
        markdown_table(["decision"] + [s["dataset"] for s in sets] + ["mean"], stages), "",
        provenance(record), "",
    ]
    (RESULTS_DIR / "mixture_selection.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
