"""Predicting with a fitted model as a command does: the job announced, on a Dask cluster if asked."""

from __future__ import annotations

import argparse
import contextlib
import os

import numpy as np
from joblib import effective_n_jobs, parallel_config

from npc.classifier import NCDClassifier
from npc.cli.errors import UsageError
from npc.cli.models import MODELS
from npc.cli.options import note
from npc.comparison import format_duration
from npc.model_selection import NCDClassifierCV

__all__ = ["ESTIMATE_ABOVE_PAIRS", "add_cluster_arguments", "announce_compilation", "announce_job", "cross_validation",
           "on_cluster", "predict"]

# Above this many pairs, time a small sample first and announce the estimated duration.
ESTIMATE_ABOVE_PAIRS = 1_000_000
SAMPLE_QUERIES, SAMPLE_REFERENCES = 16, 256


def announce_job(options, clf: NCDClassifier, texts) -> None:
    """Say how many pairs the job computes and, for big jobs, how long a measured sample predicts."""
    n_queries, n_references = len(texts), clf.n_samples_fit_
    n_pairs = n_queries * n_references
    message = f"{n_pairs:,} NCD pairs ({n_queries:,} queries × {n_references:,} training texts)"
    # how many are in the cache is known only when the kernel opens it: said after the job
    message = f"{message}, computed or read from --cache-dir" if options.cache_dir else f"computing {message}"
    if n_pairs >= ESTIMATE_ABOVE_PAIRS:
        per_pair = clf.seconds_per_pair(texts, n_queries=SAMPLE_QUERIES, n_references=SAMPLE_REFERENCES)
        sample = min(n_queries, SAMPLE_QUERIES) * min(n_references, SAMPLE_REFERENCES)
        workers = effective_n_jobs(clf.n_jobs)
        message += (f"; a sample of {sample:,} pairs took {per_pair * 1e6:.1f} µs/pair, "
                    f"so about {format_duration(n_pairs * per_pair / workers)} on {workers} worker(s)")
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        if load > cores:
            message += f" if the cores were free (load average {load:.1f} on {cores} cores: expect longer)"
    note(options, message)


def announce_compilation(options, name: str) -> None:
    """One note before a model's numba kernels compile (the first run on a machine), else nothing."""
    needs_compiling = MODELS[name].needs_compiling
    if needs_compiling is not None and needs_compiling():
        note(options, f"note: compiling the {name.upper()} kernel (numba) on its first run here: about 5-20 s, "
                      "once; later runs reuse it")


def predict(options, model, texts):
    """Predicted labels, their class probabilities and the kernel's statistics.

    The probabilities (columns in the order of ``model.classes_``) are None for a model
    without them, the statistics for a model without the NCD kernel.
    """
    if isinstance(model, NCDClassifierCV):
        model = model.best_estimator_
    if isinstance(model, NCDClassifier):
        announce_job(options, model, texts)
        distances, indices, stats = model.kneighbors(texts, return_stats=True)
        if options.cache_dir:
            note(options, f"{stats.n_pairs - stats.n_pairs_computed:,} pairs read from --cache-dir, "
                          f"{stats.n_pairs_computed:,} computed")
        return *model.predict_from_neighbors(distances, indices), stats
    if hasattr(model, "predict_from_neighbors"):  # the kNN baselines: labels and votes from one search
        return *model.predict_from_neighbors(*model.kneighbors(texts)), None
    if hasattr(model, "predict_proba"):  # predict is the most probable class (one computation, not two)
        proba = model.predict_proba(texts)
        return model.classes_[np.argmax(proba, axis=1)], proba, None
    return model.predict(texts), None, None


def cross_validation(model) -> dict | None:
    """The choice of ``--k auto`` and its cross-validation table (None for other models)."""
    if not isinstance(model, NCDClassifierCV):
        return None
    results = model.cv_results_
    return {"best_params": model.best_params_, "best_score": model.best_score_, "n_splits": model.n_splits_,
            "n_pairs_computed": model.n_pairs_computed_,
            "table": [{"params": params, "mean_test_score": float(mean), "std_test_score": float(std),
                       "rank_test_score": int(rank)}
                      for params, mean, std, rank in zip(results["params"], results["mean_test_score"],
                                                         results["std_test_score"], results["rank_test_score"])]}


def add_cluster_arguments(run: argparse._ArgumentGroup) -> None:
    """``--scheduler`` and ``--scheduler-file`` (one or the other)."""
    cluster = run.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="compute the NCD pairs on the Dask cluster of this scheduler, e.g. tcp://host:8786 "
                              "(needs npc[dask]; --n-jobs is then the cluster's)")
    cluster.add_argument("--scheduler-file", metavar="FILE",
                         help="the same, with the scheduler named in the file that `dask scheduler --scheduler-file "
                              "FILE` writes")


@contextlib.contextmanager
def on_cluster(options: argparse.Namespace):
    """With --scheduler or --scheduler-file, joblib's Dask backend on that cluster (the kernel follows it)."""
    if options.scheduler is None and options.scheduler_file is None:
        yield
        return
    from npc._cluster import CONNECT_TIMEOUT, ClusterUnavailableError, connect, describe

    if options.n_jobs == 1:
        raise UsageError("--n-jobs 1 computes in this process; leave it out to use the cluster's workers")
    try:
        client = connect(options.scheduler, scheduler_file=options.scheduler_file)
    except (ImportError, ClusterUnavailableError) as error:
        option = "--scheduler" if options.scheduler is not None else "--scheduler-file"
        raise UsageError(f"{option}: {error}") from error
    with client, parallel_config(backend="dask", client=client, wait_for_workers_timeout=CONNECT_TIMEOUT):
        cluster = describe(client)
        note(options, f"cluster {cluster['scheduler']}: {cluster['workers']} worker(s), {cluster['threads']} "
                      "thread(s)")
        yield
