"""Neighbour run files: the expensive top-K NCD search of one (data set, compressor, level).

A run file ``results/runs/<name>.npz`` holds

- ``test_index``: row numbers of the queries in their split (``config["query_split"]``,
  the test split unless the name says otherwise);
- ``train_index``: row numbers of the references in theirs (``config["reference_split"]``);
- ``neighbors``: ``(n_queries, K)`` row numbers in the reference split, nearest first;
- ``distances``: the same shape, float64 NCDs;
- ``config``: a JSON string (dataset, compressor, level, separator, K, commit, splits,
  sampling, digests of the texts, chunk rows, wall time, pairs computed, peak memory of
  the process tree, machine).

Where a table also fits models on a run's rows (baselines, class models:
:func:`experiments.plan.model_runs`), they are a model run, ``results/runs/<name>.models.json``:
per model its accuracy, commit and machine (entries from before the benchmarks existed also
carry fit seconds and ms per prediction, taken on a busy machine: the tables no longer show
them), for TF-IDF+LR and the class models the predicted class of every scored query, for the
mixture its fitted parameters and folds; computed with the run (:func:`compute_models`) and
only read by the tables.

A run file's bytes depend only on its content (:func:`write_run`), and computing a run
whose results are already stored leaves its file untouched, so regenerating changes no byte.
Every accuracy of the tables is derived from these files (:mod:`experiments.tables`), and
:func:`recheck` recomputes any stored row with the naive one-shot formula. Searches go
through :func:`npc.kernel.nearest` with a chunk cache in the user cache
(``$NPC_CACHE_DIR/kernel``, default ``~/.cache/npc/kernel``), so an interrupted run resumes.

Usage (``NPC_DATA_DIR`` names the folder of ``<name>/<split>.parquet``)::

    python -m experiments.runs r8__gzip-9            # compute one run (by name)
    python -m experiments.runs --plan in_distribution # every missing run of a table
    python -m experiments.runs --plan imdb_full --jobs 2  # 625 million pairs per run: hours
    python -m experiments.runs --recheck results/runs/r8__gzip-9.npz --items 5
    python -m experiments.runs --rewrite results/runs/*.npz  # same content, deterministic bytes

The last line says how many of the runs asked for are done and names those not run
(their data set is not available here). The exit status is 0 when every run asked for
was done or computed, or could not run only for want of its data (the summary line says
so); 2 on a usage error; any other failure ends in a traceback (exit 1).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import sys
import time
import zipfile
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

import npc.datasets
from experiments import plan
from experiments.plan import ROOT, RUNS_DIR, ModelRun, RunSpec
from experiments.resources import PeakMemory, git_commit, machine
from npc.baselines import make_baseline
from npc.cache import atomic_write, user_cache_dir
from npc.compressor_classifier import CompressorClassifier
from npc.compressors import get_compressor
from npc.corpus import as_corpus, encode_text
from npc.datasets import DatasetNotFoundError, load_dataset, per_class_rows
from npc.distance import ncd
from npc.kernel import nearest
from npc.mixture import CodeLengthMixer, default_sources, mixed_logits, text_lengths
from npc.ppm import PPMClassifier
from npc.token_ppm import TokenPPMClassifier

__all__ = ["RunSpec", "ModelRun", "load_split", "has_split", "select_rows", "compute", "compute_models",
           "scored_rows", "needs_fitting", "default_mixture_sources", "write_run", "rewrite", "load_run",
           "load_models", "recheck", "kernel_cache_dir", "ROOT", "RUNS_DIR"]

HOLDOUT_FRACTION = 0.1

@functools.lru_cache(maxsize=8)
def load_split(dataset: str, split: str):
    """Texts and integer labels of one split (through :func:`npc.datasets.load_dataset`; kept
    in memory for the next call, ``load_split.cache_clear()`` forgets them)."""
    data = load_dataset(dataset, split)
    return data.texts, data.labels


def has_split(dataset: str, split: str) -> bool:
    """Whether ``split`` of ``dataset`` can be loaded here."""
    try:
        load_split(dataset, split)
    except DatasetNotFoundError:
        return False
    return True


def stratified_rows(dataset: str, split: str, n: int, seed: int) -> np.ndarray:
    """Rows of a stratified seeded sample of ``n`` items of a split (all rows if ``n`` is not smaller)."""
    total = len(load_split(dataset, split)[1])
    return np.arange(total) if n >= total else load_dataset(dataset, split, n=n, seed=seed).rows


def kernel_cache_dir() -> Path:
    """Where runs keep their kernel chunks: ``kernel/`` in npc's user cache."""
    return user_cache_dir() / "kernel"


def select_rows(spec: RunSpec):
    """Query and reference rows of a run: ``(query_split, query_rows, reference_split, reference_rows)``."""
    if spec.pool == "test-rest":
        if spec.test_sample is None:
            raise ValueError('pool="test-rest" needs a test_sample (the queries).')
        query_split = reference_split = "test"
        query_rows = stratified_rows(spec.dataset, "test", spec.test_sample, seed=0)
        n_test = len(load_split(spec.dataset, "test")[1])
        pool = (np.arange(n_test) if spec.train_sample is None
                else stratified_rows(spec.dataset, "test", spec.train_sample, 1))
        reference_rows = np.setdiff1d(pool, query_rows)
    else:
        reference_split, query_split = "train", "train" if spec.queries == "holdout" else spec.queries
        n_train = len(load_split(spec.dataset, "train")[1])
        reference_rows = (np.arange(n_train) if spec.train_sample is None
                          else stratified_rows(spec.dataset, "train", spec.train_sample, seed=0))
        if spec.queries == "holdout":
            query_rows = stratified_rows(spec.dataset, "train", round(HOLDOUT_FRACTION * n_train), spec.seed)
            reference_rows = np.setdiff1d(reference_rows, query_rows)
        else:
            n_queries = len(load_split(spec.dataset, query_split)[1])
            query_rows = stratified_rows(spec.dataset, query_split, spec.test_sample or n_queries, seed=0)
    if spec.shots is not None:
        labels = load_split(spec.dataset, reference_split)[1][reference_rows]
        reference_rows = reference_rows[per_class_rows(labels, spec.shots, spec.seed)]
    return query_split, query_rows, reference_split, reference_rows


def compute(spec: RunSpec, *, n_jobs=None, cache_dir=None, verbose=0, path=None) -> Path:
    """Run the neighbour search of ``spec`` and write its run file (atomically) to ``path``
    (default ``spec.path``), with the chunk cache in ``cache_dir`` (default
    :func:`kernel_cache_dir`)."""
    path = Path(spec.path if path is None else path)
    cache_dir = kernel_cache_dir() if cache_dir is None else cache_dir
    query_split, query_rows, reference_split, reference_rows = select_rows(spec)
    query_texts, _ = load_split(spec.dataset, query_split)
    reference_texts, _ = load_split(spec.dataset, reference_split)
    queries = as_corpus([query_texts[i] for i in query_rows], name="queries")
    references = as_corpus([reference_texts[i] for i in reference_rows], name="references")
    k = min(spec.k_max, len(references))
    started = time.perf_counter()
    with PeakMemory() as memory:
        distances, indices, stats = nearest(
            queries, references, k, compressor=spec.compressor, sep=spec.separator, n_jobs=n_jobs, level=spec.level,
            cache_dir=cache_dir, chunk_size=spec.chunk_rows, verbose=verbose, return_stats=True,
        )
    config = {
        **asdict(spec),
        "name": spec.name,
        "K": k,
        "query_split": query_split,
        "reference_split": reference_split,
        "query_digest": queries.digest,
        "reference_digest": references.digest,
        "n_pairs": stats.n_pairs,
        "n_pairs_computed": stats.n_pairs_computed,
        "n_chunks": stats.n_chunks,
        "n_chunks_cached": stats.n_chunks_cached,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": memory.peak_mib,
        "n_jobs": n_jobs,
        "commit": git_commit(),
        "machine": machine(),
    }
    arrays = {"test_index": query_rows, "train_index": reference_rows, "neighbors": reference_rows[indices],
              "distances": distances}
    if path.exists() and _same_results(load_run(path), arrays, config):
        return path  # unchanged: the file (and the provenance of its first computation) stays as it is
    path.parent.mkdir(parents=True, exist_ok=True)
    write_run(path, arrays, config)
    return path


# What a run's results depend on: its spec but the chunking (the kernel's results do not
# depend on it; it shapes the cache only), its splits and texts. The rest of the config (time,
# memory, commit, machine) is how it was computed.
DEFINING = ("name", "K", "query_split", "reference_split", "query_digest", "reference_digest",
            *(field.name for field in fields(RunSpec) if field.name != "chunk_rows"))


def _same_results(stored: dict, arrays: dict, config: dict) -> bool:
    return all(np.array_equal(stored[name], array) for name, array in arrays.items()) and \
        all(stored["config"].get(key) == config[key] for key in DEFINING)


# Every member of a run file is dated 1980-01-01 (the zip format's epoch) and stored in name
# order, so that its bytes depend only on its content: rewriting an unchanged run changes no
# byte, and git stores no new version.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_run(path, arrays: dict, config: dict) -> Path:
    """Write a run file atomically: ``arrays`` and ``config`` (as JSON with sorted keys) as
    the ``.npy`` members of a deflated zip, readable by :func:`numpy.load`, with bytes that
    depend only on the content."""
    members = {**arrays, "config": np.array(json.dumps(config, sort_keys=True))}

    def write(handle):
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(members):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(members[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
                info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
                archive.writestr(info, buffer.getvalue())

    return atomic_write(path, write)


def rewrite(path) -> Path:
    """Write a run file again from its own content (the one-time move to the deterministic format)."""
    run = load_run(path)
    config = run.pop("config")
    return write_run(path, run, config)


def load_models(model_run: ModelRun) -> dict:
    """The stored figures of a model run, by model name (empty until computed)."""
    return json.loads(model_run.path.read_text()) if model_run.path.exists() else {}


def scored_rows(model_run: ModelRun, name: str, truth: np.ndarray) -> np.ndarray:
    """Which of the run's queries (positions in ``test_index``) model ``name`` scores: all of
    them, or for a class model the stratified seeded sample of ``ppm_test_sample``."""
    sample = model_run.ppm_test_sample
    if name in plan.CLASS_MODELS and sample is not None and sample < len(truth):
        return npc.datasets.stratified_rows(truth, sample, 0, model_run.run.name, "queries")
    return np.arange(len(truth))


def needs_fitting(model_run: ModelRun, stored: dict) -> list[str]:
    """The models of ``model_run`` to fit: those not stored, and those of
    :data:`~experiments.plan.PREDICTION_MODELS` stored without their predictions where a
    class model of the run is tested against them (PPM's are read off the mixture's order-3
    source instead when the mixture is to be fitted too), and a mixture stored with other
    sources than today's defaults."""
    tested = any(name in plan.CLASS_MODELS for name in model_run.models)
    missing = [name for name in model_run.models if name not in stored
               or (tested and name in plan.PREDICTION_MODELS and "predictions" not in stored[name])
               or (name == "mix" and stored[name].get("sources") != default_mixture_sources())]
    if "ppm" in missing and "ppm" in stored and "mix" in missing:
        missing.remove("ppm")
    return missing


def default_mixture_sources() -> list[str]:
    """The default mixture's sources as a stored mixture names them (``repr``)."""
    return [repr(source) for source in default_sources()]


def compute_models(model_run: ModelRun) -> Path:
    """Fit each model of ``model_run`` that :func:`needs_fitting` on the run's training rows,
    score it on the run's queries, and write the file after each model (so an interruption
    loses one model at most). Needs the neighbour run file, whose rows it reads.

    Accuracy only: a model run records no timings (they were taken on a busy machine with
    the first call's compilation inside; speeds come from the benchmarks). A model of
    :data:`~experiments.plan.PREDICTION_MODELS` also stores its predicted class per scored
    query (``predictions``, label ids), the mixture its fitted parameters and folds."""
    spec = model_run.run
    run = load_run(spec.path)
    config = run["config"]
    train_texts, train_labels = load_split(spec.dataset, config["reference_split"])
    query_texts, query_labels = load_split(spec.dataset, config["query_split"])
    X, y = [train_texts[i] for i in run["train_index"]], train_labels[run["train_index"]]
    queries, truth = [query_texts[i] for i in run["test_index"]], query_labels[run["test_index"]]
    stored = load_models(model_run)
    for name in needs_fitting(model_run, stored):
        rows = scored_rows(model_run, name, truth)
        entry = _fit_and_score(name, X, y, [queries[i] for i in rows], truth[rows])
        ppm_predictions = entry.pop("ppm_predictions", None)
        if ppm_predictions is not None and "ppm" in stored and "predictions" not in stored["ppm"]:
            stored["ppm"].update(_predictions_entry(ppm_predictions, truth[rows], stored["ppm"]["accuracy"]))
        if name not in plan.PREDICTION_MODELS:
            entry.pop("predictions")
        if len(rows) < len(queries):
            entry["n_test"] = len(rows)
        stored[name] = {**entry, "commit": git_commit(), "machine": machine()}
        atomic_write(model_run.path, json.dumps(stored, indent=1, sort_keys=True) + "\n")
    return model_run.path


def _predictions_entry(predictions: np.ndarray, truth: np.ndarray, accuracy: float) -> dict:
    """PPM's predictions read off the mixture's order-3 source, for a stored PPM entry; they
    must reproduce its stored accuracy (the same model on the same rows)."""
    recomputed = float(np.mean(predictions == truth))
    if abs(recomputed - accuracy) > 1e-12:
        raise RuntimeError(f"PPMClassifier() of the mixture scores {recomputed} but the stored PPM entry "
                           f"{accuracy}: the two are not the same model")
    return {"predictions": predictions.tolist(), "predictions_from": "the mixture's PPMClassifier(3) source"}


def _model(name: str):
    """A fresh model of a :data:`~experiments.plan.MODELS` name."""
    if name == "ppm":
        return PPMClassifier()
    if name == "token-ppm":
        return TokenPPMClassifier()
    if name == "mix":
        return CodeLengthMixer()
    if name.startswith("compressor-classifier-"):
        return CompressorClassifier(int(name.rsplit("-", 1)[1]))
    return make_baseline(name)


def _fit_and_score(name: str, X, y, queries, truth) -> dict:
    """Accuracy (k=1 and k=2 for kNN models) and predictions of one model; for the mixture
    also its parameters, folds, each source's own accuracy and (``ppm_predictions``) those
    of its default-PPM source."""
    model = _model(name).fit(X, y)
    if hasattr(model, "kneighbors"):
        distances, indices = model.kneighbors(queries, n_neighbors=min(2, len(X)))
        scores = {}
        for k, key in ((1, "accuracy"), (2, "k2")):
            model.set_params(n_neighbors=k)
            predictions = model.predict_from_neighbors(distances[:, :k], indices[:, :k])[0]
            scores[key] = float(np.mean(predictions == truth))
        return {**scores, "predictions": predictions}
    if name != "mix":
        predictions = model.predict(queries)
        return {"accuracy": float(np.mean(predictions == truth)), "predictions": np.asarray(predictions).tolist()}
    bits = model.code_lengths(queries)
    lengths = text_lengths([encode_text(query) for query in queries])
    predictions = model.classes_[np.argmax(mixed_logits(bits, lengths, model.weights_, model.length_weights_,
                                                        model.class_bias_), axis=1)]
    by_source = [model.classes_[np.argmin(bits[:, j], axis=1)] for j in range(len(model.sources_))]
    ppm = next((j for j, source in enumerate(model.sources_)
                if type(source) is PPMClassifier and source.get_params() == PPMClassifier().get_params()), None)
    return {
        "accuracy": float(np.mean(predictions == truth)), "predictions": predictions.tolist(),
        "sources": [repr(source) for source in model.sources_],
        "source_accuracy": [float(np.mean(p == truth)) for p in by_source],
        "weights": model.weights_.tolist(), "length_weights": model.length_weights_.tolist(),
        "class_bias": model.class_bias_.tolist(), "classes": model.classes_.tolist(), "cv": model.cv,
        "alpha": model.alpha, "n_iter": int(model.n_iter_), "folds": np.asarray(model.folds_).tolist(),
        **({} if ppm is None else {"ppm_predictions": by_source[ppm]}),
    }


def load_run(path) -> dict:
    """Arrays of a run file, with ``config`` parsed."""
    with np.load(path, allow_pickle=False) as data:
        run = {name: data[name] for name in data.files}
    run["config"] = json.loads(str(run["config"]))
    return run


def recheck(path, items: int = 3, seed: int = 0) -> list[int]:
    """Recompute ``items`` random stored rows naively (one-shot compressor calls).

    Returns the query rows checked; raises ``AssertionError`` on any difference in
    neighbours or distances.
    """
    run = load_run(path)
    config = run["config"]
    compressor = get_compressor(config["compressor"], config["level"])
    query_texts, _ = load_split(config["dataset"], config["query_split"])
    reference_texts, _ = load_split(config["dataset"], config["reference_split"])
    references = [encode_text(reference_texts[i]) for i in run["train_index"]]
    reference_sizes = np.array([compressor.compressed_size(y) for y in references])
    sep = encode_text(config["separator"])
    picks = np.random.default_rng(seed).choice(len(run["test_index"]), min(items, len(run["test_index"])),
                                               replace=False)
    for pick in picks:
        x = encode_text(query_texts[run["test_index"][pick]])
        joint = np.array([compressor.compressed_size(x + sep + y) for y in references])
        row = ncd(joint, compressor.compressed_size(x), reference_sizes)
        order = np.argsort(row, kind="stable")[: config["K"]]
        assert np.array_equal(run["train_index"][order], run["neighbors"][pick]), f"neighbours differ at {pick}"
        assert np.array_equal(row[order], run["distances"][pick]), f"distances differ at {pick}"
    return [int(run["test_index"][p]) for p in picks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.runs", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="run names (see experiments/plan.py)")
    parser.add_argument("--plan", action="append", default=[], choices=sorted(plan.PLANS),
                        help="compute every missing run of this table (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers (default 1)")
    parser.add_argument("--cache-dir", default=None, help="kernel chunk cache (default $NPC_CACHE_DIR/kernel, "
                                                          "or ~/.cache/npc/kernel)")
    parser.add_argument("--recheck", metavar="RUN_FILE", help="recompute stored rows naively")
    parser.add_argument("--rewrite", metavar="RUN_FILE", nargs="+",
                        help="write run files again from their own content, in the deterministic format")
    parser.add_argument("--items", type=int, default=3, help="rows to recheck")
    parser.add_argument("--list", action="store_true", help="list the runs and their status, compute nothing")
    args = parser.parse_args(argv)
    if args.rewrite:
        for path in args.rewrite:
            rewrite(path)
        print(f"rewrote {len(args.rewrite)} run file(s)")
        return 0
    if args.recheck:
        rows = recheck(args.recheck, args.items)
        print(f"{args.recheck}: query rows {rows} match the naive formula")
        return 0
    specs = [plan.by_name(name) for name in args.names] + [s for p in args.plan for s in plan.PLANS[p]()]
    if not specs:
        parser.error("name a run or a --plan")
    not_run = []
    model_runs = plan.model_runs()
    for spec in specs:
        done = _done(spec, model_runs)
        if args.list or done:
            print(f"{'done' if done else 'pending':8s} {spec.name}")
            continue
        try:
            if not spec.path.exists():
                print(f"computing {spec.name}", flush=True)
                path = compute(spec, n_jobs=args.jobs, cache_dir=args.cache_dir)
                print(f"wrote {path.relative_to(ROOT)} in {load_run(path)['config']['seconds']} s", flush=True)
            if spec.name in model_runs:
                print(f"fitting the models of {spec.name}", flush=True)
                print(f"wrote {compute_models(model_runs[spec.name]).relative_to(ROOT)}", flush=True)
        except DatasetNotFoundError as error:
            print(f"not run  {spec.name}: {error}", flush=True)
            not_run.append(spec.name)
    print(_summary(specs, not_run, args.list))
    return 0


def _done(spec: RunSpec, model_runs: dict[str, ModelRun]) -> bool:
    """Whether the run file and, where the tables fit models on its rows, all of them are stored."""
    model_run = model_runs.get(spec.name)
    return spec.path.exists() and (model_run is None or not needs_fitting(model_run, load_models(model_run)))


def _summary(specs: list[RunSpec], not_run: list[str], listing: bool) -> str:
    """The last line of ``main``: how many runs are done, and which could not run."""
    if listing:
        model_runs = plan.model_runs()
        pending = sum(not _done(spec, model_runs) for spec in specs)
        return f"{len(specs) - pending} of {len(specs)} runs done, {pending} pending"
    if not_run:
        return (f"{len(specs) - len(not_run)} of {len(specs)} runs done; {len(not_run)} not run, their data not "
                f"available here: {', '.join(not_run)}")
    return f"all {len(specs)} runs done"


if __name__ == "__main__":
    sys.exit(main())
