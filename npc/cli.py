"""The ``npc`` command line: ``npc classify`` and ``npc datasets``.

A thin layer over the library: data from :mod:`npc.datasets`, models from :data:`MODELS`,
the neighbour search from :func:`npc.kernel.nearest`, the vote from
:meth:`NCDClassifier.predict_from_neighbors`, scores from :mod:`npc.evaluation`.
Notes and progress go to stderr; the report (or the predicted labels) to stdout.

Exit codes: 0 success; 2 the command cannot run as given (bad option, unknown or
unavailable data set, missing column); 1 failure while running; 130 interrupted.
Errors are one line on stderr (``NPC_DEBUG=1`` shows the traceback).

Adding a subcommand is one :class:`Command` in :data:`COMMANDS`; adding a model is one
entry in :data:`MODELS`, naming
the options it takes (any other model option given is refused, exit 2). A model option is
declared with no argparse default and gets its default in :data:`MODEL_OPTIONS`, so that
"given" and "not given" stay apart.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import effective_n_jobs, parallel_config
from sklearn.utils._param_validation import InvalidParameterError

from npc import __version__
from npc._interrupt import EXIT_INTERRUPTED, interrupted_message
from npc._validation import InvalidInputError
from npc.baselines import BASELINES, make_baseline
from npc.classifier import NCDClassifier
from npc.compressor_classifier import CompressorClassifier
from npc.compressors import available_compressors
from npc.datasets import DatasetError, available_datasets, dataset_info, has_splits, load_dataset, load_texts
from npc.evaluation import score_predictions, shared_texts
from npc.model_selection import NCDClassifierCV
from npc.vote import TIE_BREAKS

__all__ = ["COMMANDS", "MODELS", "MODEL_OPTIONS", "Command", "Model", "UsageError", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_DATASET = "imdb-sample"
# Above this many pairs, time a small sample first and announce the estimated duration.
ESTIMATE_ABOVE_PAIRS = 1_000_000
SAMPLE_QUERIES, SAMPLE_REFERENCES = 16, 256
# --k auto: the candidates and folds of NCDClassifierCV
AUTO_K, AUTO_FOLDS = (1, 2, 3, 5, 7, 9), 5


class UsageError(Exception):
    """The command cannot run as given (exit code 2)."""


def _ncd_model(options: argparse.Namespace) -> NCDClassifier | NCDClassifierCV:
    shared = dict(compressor=options.compressor, level=options.level, n_jobs=options.n_jobs,
                  cache_dir=options.cache_dir, random_state=options.seed, verbose=0 if options.quiet else 2)
    if options.k == "auto":
        grid = {"n_neighbors": list(AUTO_K), "tie_break": [options.tie_break]}
        return NCDClassifierCV(grid, cv=AUTO_FOLDS, **shared)
    return NCDClassifier(options.k, tie_break=options.tie_break, **shared)


def _baseline_model(name: str) -> Callable[[argparse.Namespace], object]:
    def build(options: argparse.Namespace):
        if name.endswith("-knn") and options.k == "auto":
            raise UsageError("--k auto is for --model ncd; give a number of neighbours")
        if name.endswith("-knn"):
            return make_baseline(name, n_neighbors=options.k, tie_break=options.tie_break, random_state=options.seed)
        return make_baseline(name)
    return build


def _compressor_classifier_model(options: argparse.Namespace) -> CompressorClassifier:
    return CompressorClassifier() if options.level is None else CompressorClassifier(level=options.level)


def _ppm_model(options: argparse.Namespace):
    from npc.ppm import PPMClassifier  # numba loads only for this model

    return PPMClassifier()


@dataclass(frozen=True)
class Model:
    """One ``--model``: what it is, how to build it, and which :data:`MODEL_OPTIONS` it takes.

    Giving an option the model does not take is a usage error, never silently ignored.
    """

    about: str
    build: Callable[[argparse.Namespace], object]
    options: tuple[str, ...] = ()

    @property
    def votes_among_neighbours(self) -> bool:
        return "k" in self.options


MODEL_OPTIONS = {"compressor": "gzip", "level": None, "k": 2, "tie_break": "nearest", "n_jobs": -1,
                 "cache_dir": None}
"""Options that only some models take (argparse ``dest`` -> default)."""

_KNN = ("k", "tie_break")
MODELS: dict[str, Model] = {
    "ncd": Model("k-nearest neighbours by normalized compression distance", _ncd_model,
                 ("compressor", "level", *_KNN, "n_jobs", "cache_dir")),
    **{name: Model(f"scikit-learn baseline ({'cosine kNN' if name.endswith('-knn') else 'logistic regression'})",
                   _baseline_model(name), _KNN if name.endswith("-knn") else ()) for name in BASELINES},
    "compressor-classifier": Model("one zstd compressor primed per class; --level is zstd's",
                                   _compressor_classifier_model, ("level",)),
    "ppm": Model("a PPM model per class (npc.PPMClassifier): the class that codes the text in the fewest bits",
                 _ppm_model),
}
"""``--model`` name -> :class:`Model`."""


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _models_help() -> str:
    width = max(map(len, MODELS))
    lines = [f"  {name:<{width}}  {model.about}\n  {'':<{width}}  options: "
             f"{' '.join(map(_flag, model.options)) or 'none'}" for name, model in MODELS.items()]
    return ("models (--model) and the model options each takes; giving it any other of\n"
            f"{', '.join(map(_flag, MODEL_OPTIONS))} is an error (exit 2):\n" + "\n".join(lines))


def _apply_model_options(options: argparse.Namespace) -> None:
    """Refuse options the chosen model does not take; fill in the defaults of those it does."""
    model = MODELS[options.model]
    stray = [_flag(name) for name in MODEL_OPTIONS if getattr(options, name) is not None and name not in model.options]
    if stray:
        takes = " ".join(map(_flag, model.options)) or "none of them"
        raise UsageError(f"{', '.join(stray)} {'does' if len(stray) == 1 else 'do'} not apply to --model "
                         f"{options.model} (it takes {takes}; see npc classify --help)")
    for name, default in MODEL_OPTIONS.items():
        if getattr(options, name) is None:
            setattr(options, name, default)


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, arguments and the function that runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _note(options: argparse.Namespace, message: str) -> None:
    if not options.quiet:
        print(message, file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _k(text: str) -> int | str:
    return "auto" if text == "auto" else _positive_int(text)


def _n_jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 workers cannot run anything; give a count, or -1 for all cores")
    return value


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder of <name>/<split>.parquet searched before $NPC_DATA_DIR")
    parser.add_argument("-q", "--quiet", action="store_true", help="no notes or progress on stderr")


# ---------------------------------------------------------------- npc classify

def _classify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _models_help()
    data = parser.add_argument_group("data")
    data.add_argument("--train", metavar="NAME|PATH", default=DEFAULT_DATASET,
                      help=f"training data: a data set name (see `npc datasets`), a CSV/TSV/JSON lines/parquet "
                           f"file, or a folder of class folders (default: {DEFAULT_DATASET}, shipped with npc)")
    target = data.add_mutually_exclusive_group()
    target.add_argument("--test", metavar="NAME|PATH",
                        help="labelled test data (default: the test split of --train)")
    target.add_argument("--predict", metavar="FILE",
                        help="label unlabelled texts instead of testing: one text per line (.txt, or - for stdin) "
                             "or a table with a text column; labels go to stdout, one per input text")
    data.add_argument("--test-split", default="test", metavar="SPLIT",
                      help="split of a named test set (default: test; e.g. validation)")
    data.add_argument("--n-train", type=_positive_int, metavar="N", help="stratified sample of N training texts")
    data.add_argument("--n-per-class", type=_positive_int, metavar="N",
                      help="N training texts of each class (few-shot), instead of --n-train")
    data.add_argument("--n-test", type=_positive_int, metavar="N", help="stratified sample of N test texts")
    data.add_argument("--seed", type=int, default=0, help="seed of the samples and of random tie-breaks (default 0)")
    data.add_argument("--text-column", default="text", help="text column of table files (default: text)")
    data.add_argument("--label-column", default="label", help="label column of table files (default: label)")
    _add_data_arguments(data)
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=sorted(MODELS), default="ncd",
                       help="classifier (default: ncd); the list below says which options each takes")
    model.add_argument("--compressor", choices=available_compressors(),
                       help="compressor of the NCD (default: gzip)")
    model.add_argument("--level", type=int, help="compression level (default: the compressor's, gzip 9)")
    model.add_argument("-k", "--k", type=_k,
                       help="neighbours that vote (default 2), or auto: chosen among "
                            f"{', '.join(map(str, AUTO_K))} by {AUTO_FOLDS}-fold cross-validation on the training set")
    model.add_argument("--tie-break", choices=TIE_BREAKS,
                       help="rule for tied votes (default: nearest, the class of the closest tied neighbour)")
    run = parser.add_argument_group("run")
    run.add_argument("--n-jobs", type=_n_jobs, metavar="N",
                     help="parallel workers of the NCD search, joblib semantics (default -1: all cores)")
    run.add_argument("--cache-dir", metavar="DIR",
                     help="keep finished chunks there; an interrupted run resumes when repeated")
    cluster = run.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="compute the NCD pairs on the Dask cluster of this scheduler, e.g. tcp://host:8786 "
                              "(needs npc[dask]; --n-jobs is then the cluster's)")
    cluster.add_argument("--scheduler-file", metavar="FILE",
                         help="the same, with the scheduler named in the file that `dask scheduler --scheduler-file "
                              "FILE` writes")
    run.add_argument("--output", metavar="FILE.json",
                     help="write the report, the exact configuration and every prediction as JSON")


def _load(options, source, split, n, n_per_class=None):
    """Load one split; turn data problems into usage errors (they need other arguments)."""
    try:
        data = load_dataset(source, split, n=n, n_per_class=n_per_class, seed=options.seed,
                            text_column=options.text_column, label_column=options.label_column,
                            data_dir=options.data_dir)
    except DatasetError as error:
        raise UsageError(str(error)) from error
    if not len(data):
        raise UsageError(f"{source} ({split}) holds no texts")
    return data


def _source(data) -> str:
    """The data's name, with its split when the source has several (a single file has none)."""
    return f"{data.name} {data.split}" if has_splits(data.name) else data.name


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}{'es' if noun.endswith('s') else 's'}"


def _describe(data) -> str:
    return f"{_source(data)}: {_count(len(data), 'text')}, {_count(len(np.unique(data.labels)), 'class')}"


def _comparable_labels(train, test):
    """Train and test labels in one vocabulary: ids when both name them alike, else names."""
    if train.class_names == test.class_names and train.labels.dtype.kind == test.labels.dtype.kind:
        return train.labels, test.labels, train.class_names
    return np.asarray(train.label_names()), np.asarray(test.label_names()), None


def _fit(model, texts, labels):
    """Fit ``model``; input it refuses (labels, parameter values) is a usage error, anything else a failure."""
    try:
        return model.fit(texts, labels)
    except (InvalidInputError, InvalidParameterError) as error:
        raise UsageError(str(error)) from error


def _cross_validation(model) -> dict | None:
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


def _format_cross_validation(summary: dict) -> str:
    lines = [f"--k auto: {summary['n_splits']}-fold cross-validation on the training set "
             f"({summary['n_pairs_computed']:,} pairs computed)", "k   mean accuracy  std     rank"]
    lines += [f"{row['params']['n_neighbors']:<3} {row['mean_test_score']:.4f}         {row['std_test_score']:.4f}  "
              f"{row['rank_test_score']}" for row in summary["table"]]
    lines.append(f"chosen k={summary['best_params']['n_neighbors']} (mean accuracy {summary['best_score']:.4f})")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _announce_job(options, clf: NCDClassifier, texts) -> None:
    """Say how many pairs the job computes and, for big jobs, how long a measured sample predicts."""
    n_queries, n_references = len(texts), clf.n_samples_fit_
    n_pairs = n_queries * n_references
    message = f"computing {n_pairs:,} NCD pairs ({n_queries:,} queries × {n_references:,} training texts)"
    if n_pairs >= ESTIMATE_ABOVE_PAIRS:
        per_pair = clf.seconds_per_pair(texts, n_queries=SAMPLE_QUERIES, n_references=SAMPLE_REFERENCES)
        sample = min(n_queries, SAMPLE_QUERIES) * min(n_references, SAMPLE_REFERENCES)
        workers = effective_n_jobs(clf.n_jobs)
        message += (f"; a sample of {sample:,} pairs took {per_pair * 1e6:.1f} µs/pair, "
                    f"so about {_duration(n_pairs * per_pair / workers)} on {workers} worker(s)")
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        if load > cores:
            message += f" if the cores were free (load average {load:.1f} on {cores} cores: expect longer)"
        if options.cache_dir:
            message += " (chunks already in --cache-dir are skipped)"
    _note(options, message)


def _predict(options, model, texts):
    """Predicted labels and the kernel's statistics (None for models without a kernel)."""
    if isinstance(model, NCDClassifierCV):
        model = model.best_estimator_
    if not isinstance(model, NCDClassifier):
        return model.predict(texts), None
    _announce_job(options, model, texts)
    distances, indices, stats = model.kneighbors(texts, return_stats=True)
    return model.predict_from_neighbors(distances, indices)[0], stats


def _kernel_summary(stats) -> dict | None:
    if stats is None:
        return None
    return {"n_pairs": stats.n_pairs, "n_pairs_computed": stats.n_pairs_computed,
            "n_pairs_from_cache": stats.n_pairs - stats.n_pairs_computed, "seconds": stats.seconds,
            "pairs_per_second": stats.n_pairs_computed / stats.seconds if stats.n_pairs_computed else None,
            "cluster": stats.cluster}


def _format_report(title: str, scores: dict, kernel: dict | None, wall_seconds: float) -> str:
    width = max([5] + [len(entry["name"]) for entry in scores["per_class"]])
    lines = [title, f"accuracy  {scores['accuracy']:.4f}", f"macro-F1  {scores['macro_f1']:.4f}",
             f"{'class':<{width}}  {'support':>8}  {'predicted':>9}  {'correct':>8}"]
    lines += [f"{e['name']:<{width}}  {e['support']:>8,}  {e['predicted']:>9,}  {e['correct']:>8,}"
              for e in scores["per_class"]]
    if kernel is not None:
        speed = "" if kernel["pairs_per_second"] is None else f", {kernel['pairs_per_second']:,.0f} pairs/s"
        lines.append(f"pairs     {kernel['n_pairs_computed']:,} computed, {kernel['n_pairs_from_cache']:,} from "
                     f"cache, {kernel['seconds']:.1f} s{speed}")
    lines.append(f"wall time {wall_seconds:.1f} s")
    return "\n".join(lines)


def _configuration(options, model, train, target) -> dict:
    params = model.get_params() if hasattr(model, "get_params") else {}
    if isinstance(model, NCDClassifier):
        params["compressor"] = model.compressor_.spec
    return {
        "argv": options.argv,
        "model": options.model,
        "parameters": params,
        "seed": options.seed,
        "train": {"data": options.train, "split": train.split, "n_train": options.n_train,
                  "n_per_class": options.n_per_class, "n": len(train), "class_names": train.class_names,
                  "rows": train.rows.tolist()},
        "target": target,
        "text_column": options.text_column,
        "label_column": options.label_column,
    }


def _write_json(path, payload: dict) -> None:
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=1, default=_json_value) + "\n")
    partial.replace(path)


def _json_value(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return str(value)


def _environment() -> dict:
    return {"npc_version": __version__, "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count()}


@contextlib.contextmanager
def _on_cluster(options: argparse.Namespace):
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
        _note(options, f"cluster {cluster['scheduler']}: {cluster['workers']} worker(s), {cluster['threads']} "
                       "thread(s)")
        yield


def run_classify(options: argparse.Namespace) -> int:
    with _on_cluster(options):
        return _classify(options)


def _classify(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    if options.n_train is not None and options.n_per_class is not None:
        raise UsageError("give --n-train or --n-per-class, not both")
    if options.output and not Path(options.output).expanduser().parent.is_dir():
        raise UsageError(f"--output {options.output}: its folder does not exist")
    if options.test is None and options.predict is None and not has_splits(options.train):
        raise UsageError(f"--train {options.train} is one split (a single file or folder of class folders); "
                         "give --test FILE to evaluate or --predict FILE to label new texts")
    _apply_model_options(options)
    train = _load(options, options.train, "train", options.n_train, options.n_per_class)
    _note(options, f"train  {_describe(train)}")
    model = MODELS[options.model].build(options)
    if options.predict is not None:
        return _run_prediction(options, model, train, started)
    test = _load(options, options.test or options.train, options.test_split, options.n_test)
    _note(options, f"test   {_describe(test)}")
    shared = shared_texts(test.texts, train.texts)
    if shared.any():
        texts_appear = "test text appears" if shared.sum() == 1 else "test texts appear"
        neighbour = "; each is its own nearest neighbour" if MODELS[options.model].votes_among_neighbours else ""
        _note(options, f"note: {shared.sum():,} {texts_appear} ({shared.mean():.1%}) verbatim in the training "
                       f"data{neighbour}")
    y_train, y_test, class_names = _comparable_labels(train, test)
    unseen = np.setdiff1d(y_test, y_train)
    if len(unseen):
        _note(options, f"note: test labels never seen in training: {', '.join(map(str, unseen[:10].tolist()))}; "
                       "those items cannot be predicted right")
    _fit(model, train.texts, y_train)
    predicted, stats = _predict(options, model, test.texts)
    wall_seconds = time.perf_counter() - started
    scores, kernel = score_predictions(y_test, predicted, class_names), _kernel_summary(stats)
    title = (f"{options.model} on {_source(test)} ({_count(len(test), 'text')}), trained on {_source(train)} "
             f"({_count(len(train), 'text')})")
    cross_validation = _cross_validation(model)
    if cross_validation:
        print(_format_cross_validation(cross_validation))
    print(_format_report(title, scores, kernel, wall_seconds))
    if options.output:
        target = {"data": options.test or options.train, "split": test.split, "n_test": options.n_test,
                  "n": len(test), "class_names": test.class_names}
        _write_json(options.output, {
            **_environment(),
            "config": _configuration(options, model, train, target),
            "report": {**scores, "kernel": kernel, "wall_seconds": wall_seconds,
                       "test_texts_in_train": int(shared.sum()), "cross_validation": cross_validation},
            "predictions": {"rows": test.rows, "true": y_test, "predicted": predicted},
        })
        _note(options, f"wrote {options.output}")
    return EXIT_OK


def _run_prediction(options, model, train, started) -> int:
    try:
        texts = load_texts(options.predict, text_column=options.text_column)
    except DatasetError as error:
        raise UsageError(str(error)) from error
    if not texts:
        raise UsageError(f"--predict {options.predict} holds no text")
    _note(options, f"predict {options.predict}: {len(texts):,} texts")
    _fit(model, train.texts, train.labels)
    cross_validation = _cross_validation(model)
    if cross_validation:
        _note(options, _format_cross_validation(cross_validation))
    predicted, stats = _predict(options, model, texts)
    names = train.label_names(predicted)
    sys.stdout.write("".join(f"{name}\n" for name in names))
    wall_seconds = time.perf_counter() - started
    _note(options, f"labelled {len(texts):,} texts in {wall_seconds:.1f} s")
    if options.output:
        target = {"predict": options.predict, "n": len(texts)}
        _write_json(options.output, {
            **_environment(),
            "config": _configuration(options, model, train, target),
            "report": {"kernel": _kernel_summary(stats), "wall_seconds": wall_seconds,
                       "cross_validation": cross_validation},
            "predictions": {"predicted": predicted, "names": names},
        })
    return EXIT_OK


# ---------------------------------------------------------------- npc datasets

def _datasets_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data_arguments(parser)
    actions = parser.add_subparsers(dest="action", metavar="{info}")
    info = actions.add_parser("info", help="splits, class counts and sources of one data set",
                              description="Splits, class counts and sources of one data set.")
    info.add_argument("name", help="a data set name")
    _add_data_arguments(info)


def run_datasets(options: argparse.Namespace) -> int:
    if options.action == "info":
        return _dataset_info(options)
    local = available_datasets(options.data_dir)
    print(f"{'name':<20} {'train':>8} {'validation':>10} {'test':>8} {'classes':>7}  location")
    for entry in local:
        splits = entry["splits"]
        counts = [f"{splits[s]:,}" if s in splits else "-" for s in ("train", "validation", "test")]
        classes = len(entry["class_names"]) if entry["class_names"] else "?"
        print(f"{entry['name']:<20} {counts[0]:>8} {counts[1]:>10} {counts[2]:>8} {classes:>7}  "
              f"{entry['location']} ({entry['path']})")
    from npc._hub import HUB_SOURCES

    names = {entry["name"]: entry for entry in local}
    remote = [name for name in sorted(HUB_SOURCES)
              if name not in names or not {"train", "test"} <= set(names[name]["splits"])]
    print(f"\nfrom the Hugging Face hub when online (then cached): {', '.join(remote)}")
    return EXIT_OK


def _dataset_info(options) -> int:
    try:
        info = dataset_info(options.name, options.data_dir)
    except DatasetError as error:
        raise UsageError(str(error)) from error
    print(info["name"])
    if info["local"] is None:
        print("  local copy: none")
    else:
        print(f"  local copy: {info['local']['location']} ({info['local']['path']})")
        loaded = {}
        for split in info["local"]["splits"]:
            data = loaded[split] = load_dataset(info["name"], split, data_dir=options.data_dir)
            counts = ", ".join(f"{name} {count:,}" for name, count in data.class_counts().items())
            print(f"  {split}: {len(data):,} texts, mean {np.mean([len(t) for t in data.texts]):,.0f} chars; {counts}")
        if {"train", "test"} <= loaded.keys():
            shared = shared_texts(loaded["test"].texts, loaded["train"].texts)
            print(f"  test texts that appear verbatim in train: {shared.sum():,} ({shared.mean():.2%})")
    if info["hub"] is not None:
        hub = info["hub"]
        config = f" (configuration {hub['config']})" if hub["config"] else ""
        print(f"  hub: {hub['id']}{config}; text = {hub['text']}; label = {hub['label']}")
        print(f"  {hub['description']}")
    return EXIT_OK


COMMANDS: list[Command] = [
    Command("classify", "classify a test set (or new texts) by compression distance and report scores",
            _classify_arguments, run_classify),
    Command("datasets", "list the data sets available here, or `info NAME` about one",
            _datasets_arguments, run_datasets),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npc", description="Compression-based text classification (normalized compression distance, kNN).",
        epilog="Run `npc COMMAND --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"npc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help,
                                  description=command.help[0].upper() + command.help[1:] + ".")
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _one_line_warning(command: str):
    """A ``warnings.showwarning`` that prints ``npc COMMAND: warning: MESSAGE``, without source lines."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"npc {command}: warning: {message}", file=sys.stderr, flush=True)
    return show


def main(argv: list[str] | None = None) -> int:
    """Run the ``npc`` command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors (argparse printed them)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    options.argv = argv
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(options.command)
            return options.run(options)
    except UsageError as error:
        print(f"npc {options.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # joblib has stopped the workers on its way out
        print(f"\n{interrupted_message(getattr(options, 'cache_dir', None))}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # stdout closed early, as by `npc datasets | head`: nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush is quiet
        return EXIT_FAILURE
    except Exception as error:  # one readable line instead of a traceback
        if os.environ.get("NPC_DEBUG"):
            raise
        print(f"npc {options.command}: error: {_failure(error)}", file=sys.stderr)
        return EXIT_FAILURE


def _where_raised(error: Exception) -> tuple[str, str]:
    """Module name and source line of the innermost Python frame of ``error``'s traceback."""
    frames = list(traceback.walk_tb(error.__traceback__))
    if not frames:
        return "", ""
    return frames[-1][0].f_globals.get("__name__", ""), traceback.extract_tb(error.__traceback__)[-1].line or ""


def _failure(error: Exception) -> str:
    """A failure in npc's words: npc's own message as it is; anything else named an internal failure."""
    if isinstance(error, MemoryError):
        return ("out of memory; try fewer texts (--n-train, --n-test) or fewer workers (--n-jobs)"
                + (f" ({error})" if str(error) else ""))
    if isinstance(error, OSError) and error.strerror:
        return f"system error: {error.strerror}" + (f": {error.filename}" if error.filename else "")
    module, line = _where_raised(error)
    if type(error).__module__.split(".")[0] == "npc" or (module.split(".")[0] == "npc" and line.startswith("raise")):
        return str(error) or type(error).__name__  # npc wrote this message (a C call in npc's code did not)
    detail = f': "{error}"' if str(error) else ""
    return (f"internal failure ({type(error).__name__} in {module or 'an unknown place'}{detail}); "
            "this is a bug: please report it with the traceback that NPC_DEBUG=1 shows")
