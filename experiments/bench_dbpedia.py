"""A DBpedia-sized job for PPMClassifier: fit MB/s, peak memory, predictions per second, a cluster projection.

DBpedia-14 (560,000 training texts, 70,000 test texts, 14 classes of 40,000 and 5,000,
about 300 characters each) is not available offline, so a job of the same sizes is
assembled from the shared sets (``NPC_DATA_DIR``), 14 classes:

- imdb: negative, positive reviews (2 classes);
- 20news: computers (comp.*), recreation (rec.*), science (sci.*), politics
  (talk.politics.*), religion (alt.atheism, soc.religion.christian, talk.religion.misc),
  for sale (misc.forsale) (6 classes);
- ohsumed (every class: medical abstracts), r52 (every class: Reuters business news);
- masakhanews_pcm, _yor, _som, _xho: news in Nigerian Pidgin, Yoruba, Somali, isiXhosa.

A class's source texts are its texts of every split of its set; a seeded tenth of them
feeds the queries and the rest the training texts, so no source text gives both. Each
text of the job is a window of a source text: a source text drawn with probability
proportional to its length, a length drawn uniformly from 100..500 characters (mean 300;
a shorter source text is taken whole) and a uniform start. Windows of one pool overlap
(the pools hold 1.6-65 MB for 12 MB of training text per class), as DBpedia's abstracts
of one class share their phrasing. ``--scale`` multiplies the per-class counts.

Measured in a subprocess that reads the assembled texts from a file (this job alone, the
kernels compiled before the clock starts):

- fit: wall seconds of ``PPMClassifier().fit`` on the training texts, MB of text per
  second, the model's bytes, peak RSS during the fit (sampled) above the RSS before it,
  and the subprocess's peak RSS over its life (``ru_maxrss``: texts, fit and predict);
- predict: wall seconds of ``predict`` of every query with ``n_jobs=2``, and of
  ``--one-core-queries`` of them (spread evenly) with ``n_jobs=1``: predictions per second
  (the two must agree on the shared queries); the accuracy (a check, not DBpedia's).

The projection to a Dask cluster assumes each of ``--workers`` workers predicts at the
measured one-core rate (the same model and query length), the fitted model sent once to
every worker one after another at ``--bandwidth-mb`` MB/s, query chunks of
``--chunk-rows`` as tasks with ``--task-overhead-ms`` of scheduling each, and the fit done
once, on one machine, as here. One machine is enough when its fit plus 2-core predict
takes at most ``--enough-minutes``.

The full size needs about 1 GiB and a few minutes on a 2-core machine (under 5 minutes
with the machine busy with other jobs); ``--scale 0.01`` takes seconds.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.bench_dbpedia   # results/bench_dbpedia.{json,md}
    NPC_DATA_DIR=/path/to/data python -m experiments.bench_dbpedia --scale 0.01 --out /tmp/dbpedia   # a check
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from experiments.report import RESULTS_DIR, markdown_table, new_record, write_record

ROOT = Path(__file__).resolve().parent.parent
TRAIN_PER_CLASS, TEST_PER_CLASS = 40_000, 5_000  # DBpedia-14's
LENGTHS = (100, 500)
QUERY_SHARE = 0.1
_20NEWS_GROUPS = {"computers": ("comp.",), "recreation": ("rec.",), "science": ("sci.",),
                  "politics": ("talk.politics.",),
                  "religion": ("alt.atheism", "soc.religion.christian", "talk.religion.misc"),
                  "for sale": ("misc.forsale",)}
# (class name, data set, the data set's class names it takes; None: all)
CLASSES = ([("imdb negative", "imdb", ("neg",)), ("imdb positive", "imdb", ("pos",))]
           + [(f"20news {name}", "20news", prefixes) for name, prefixes in _20NEWS_GROUPS.items()]
           + [("ohsumed", "ohsumed", None), ("r52", "r52", None)]
           + [(f"masakhanews {language}", f"masakhanews_{language}", None)
              for language in ("pcm", "yor", "som", "xho")])


def _source_texts(dataset: str, wanted) -> list[str]:
    from npc.datasets import DatasetNotFoundError, load_dataset

    texts = []
    for split in ("train", "validation", "test"):
        try:
            found = load_dataset(dataset, split)
        except DatasetNotFoundError:
            if split == "validation":
                continue
            raise
        keep = [wanted is None or found.class_names[label].startswith(wanted) for label in found.labels]
        texts += [text for text, kept in zip(found.texts, keep, strict=True) if kept]
    return texts


def windows(sources: list[str], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` windows of the texts ``sources``: text drawn by length, length uniform in ``LENGTHS``, start uniform."""
    sizes = np.array([len(text) for text in sources], dtype=float)
    picked = rng.choice(len(sources), size=n, p=sizes / sizes.sum())
    lengths = np.minimum(rng.integers(LENGTHS[0], LENGTHS[1] + 1, size=n), sizes[picked].astype(int))
    starts = (rng.random(n) * (sizes[picked] - lengths + 1)).astype(int)
    return [sources[i][s:s + m] for i, s, m in zip(picked.tolist(), starts.tolist(), lengths.tolist(), strict=True)]


def assemble(scale: float, seed: int = 0) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Training texts and labels, query texts and labels of the assembled job (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_train, n_test = max(1, round(TRAIN_PER_CLASS * scale)), max(1, round(TEST_PER_CLASS * scale))
    train, test = [], []
    for name, dataset, wanted in CLASSES:
        sources = _source_texts(dataset, wanted)
        if len(sources) < 10:
            raise ValueError(f"class {name!r}: only {len(sources)} texts in {dataset}")
        order = rng.permutation(len(sources))
        n_queries = round(QUERY_SHARE * len(sources))
        test.append(windows([sources[i] for i in order[:n_queries]], n_test, rng))
        train.append(windows([sources[i] for i in order[n_queries:]], n_train, rng))
    labels = [np.repeat(np.arange(len(CLASSES)), len(part)) for part in (train[0], test[0])]
    # Shuffled as a training set is: the fit sees the classes interleaved.
    shuffled = rng.permutation(len(labels[0]))
    train_texts = [text for part in train for text in part]
    return ([train_texts[i] for i in shuffled], labels[0][shuffled], [text for part in test for text in part],
            labels[1])


def measure(job: Path, one_core_queries: int) -> dict:
    """Fit and predict the job saved in ``job`` in this process; the figures of the module docstring."""
    from experiments.resources import PeakMemory
    from npc.ppm import PPMClassifier

    stored = json.loads(job.read_text())
    train_texts, train_labels, queries, truth = (stored[key] for key in ("train", "train_labels", "queries", "truth"))
    del stored
    PPMClassifier().fit(["ab", "cd"], [0, 1]).predict(["abc"])  # compiles or loads the kernels before the clock
    with PeakMemory(interval=0.05) as before:
        pass
    with PeakMemory(interval=0.05) as during:
        started = time.perf_counter()
        model = PPMClassifier().fit(train_texts, train_labels)
        fit_seconds = time.perf_counter() - started
    result = {"train_texts": len(train_texts), "queries": len(queries), "classes": len(model.classes_),
              "train_bytes": sum(len(t.encode("utf-8", "surrogatepass")) for t in train_texts),
              "query_bytes": sum(len(t.encode("utf-8", "surrogatepass")) for t in queries),
              "fit_seconds": fit_seconds, "model_bytes": model.model_bytes_,
              "rss_before_fit_bytes": before.peak_bytes, "fit_peak_rss_bytes": during.peak_bytes}
    rows = np.unique(np.linspace(0, len(queries) - 1, min(one_core_queries, len(queries))).round().astype(int))
    predictions = {}
    for n_jobs, part in ((2, np.arange(len(queries))), (1, rows)):
        model.set_params(n_jobs=n_jobs)
        started = time.perf_counter()
        predictions[n_jobs] = model.predict([queries[i] for i in part])
        result[f"predict_seconds_{n_jobs}"] = time.perf_counter() - started
        result[f"predict_queries_{n_jobs}"] = len(part)
    result["predictions_agree"] = bool(np.array_equal(predictions[1], predictions[2][rows]))
    result["accuracy"] = float(np.mean(predictions[2] == np.asarray(truth)))
    return result


def project(measured: dict, workers: int, bandwidth_mb: float, chunk_rows: int, task_overhead_ms: float) -> dict:
    """Wall seconds of the job on one machine (2 cores) and on a ``workers``-worker Dask cluster."""
    rate_1 = measured["predict_queries_1"] / measured["predict_seconds_1"]
    transfer = workers * measured["model_bytes"] / (bandwidth_mb * 1e6)
    tasks = -(-measured["queries"] // chunk_rows)
    cluster_predict = transfer + measured["queries"] / (workers * rate_1) + tasks * task_overhead_ms / 1000
    return {"one_machine_seconds": measured["fit_seconds"] + measured["predict_seconds_2"],
            "cluster_model_transfer_seconds": transfer, "cluster_tasks": tasks,
            "cluster_predict_seconds": cluster_predict,
            "cluster_seconds": measured["fit_seconds"] + cluster_predict}


def to_markdown(record: dict) -> str:
    m, p, a = record["measured"], record["projection"], record["assumptions"]
    rate_1, rate_2 = (m[f"predict_queries_{n}"] / m[f"predict_seconds_{n}"] for n in (1, 2))
    enough = p["one_machine_seconds"] <= 60 * a["enough_minutes"]
    rows = [["training texts", f"{m['train_texts']:,} ({m['train_bytes'] / 1e6:.1f} MB)"],
            ["queries", f"{m['queries']:,} ({m['query_bytes'] / 1e6:.1f} MB)"],
            ["classes", m["classes"]],
            ["fit", f"{m['fit_seconds']:.1f} s, {m['train_bytes'] / 1e6 / m['fit_seconds']:.1f} MB/s"],
            ["model", f"{m['model_bytes'] / 2**20:.1f} MiB"],
            ["peak RSS during the fit, above the RSS before it",
             f"{(m['fit_peak_rss_bytes'] - m['rss_before_fit_bytes']) / 2**20:.0f} MiB "
             f"(before: {m['rss_before_fit_bytes'] / 2**20:.0f} MiB: the texts and the kernels)"],
            ["peak RSS of the whole job (ru_maxrss)", f"{m['max_rss_bytes'] / 2**20:.0f} MiB"],
            [f"predict, 1 core ({m['predict_queries_1']:,} queries)",
             f"{m['predict_seconds_1']:.1f} s, {rate_1:,.0f} per s"],
            [f"predict, 2 cores (n_jobs=2, {m['predict_queries_2']:,} queries)",
             f"{m['predict_seconds_2']:.1f} s, {rate_2:,.0f} per s "
             f"({rate_2 / rate_1:.2f}x; same predictions: {m['predictions_agree']})"],
            ["accuracy (assembled set, not DBpedia's)", f"{m['accuracy']:.4f}"],
            ["one machine: fit + 2-core predict", f"{p['one_machine_seconds']:.1f} s"],
            [f"{a['workers']}-worker Dask cluster: fit + predict",
             f"{p['cluster_seconds']:.1f} s (model sent {a['workers']}x: {p['cluster_model_transfer_seconds']:.1f} s; "
             f"{p['cluster_tasks']:,} tasks)"]]
    verdict = (f"One machine is enough: the job takes {p['one_machine_seconds'] / 60:.1f} min on it "
               f"(at most {a['enough_minutes']} min); class-model prediction on a cluster is not needed."
               if enough else
               f"One machine is not enough ({p['one_machine_seconds'] / 60:.1f} min > {a['enough_minutes']} min): "
               f"the cluster would take {p['cluster_seconds'] / 60:.1f} min.")
    return "\n".join([
        f"# A DBpedia-sized job for PPMClassifier (scale {record['scale']})", "",
        markdown_table(["", ""], rows), "", verdict, "",
        ("- The job is assembled from the shared sets with DBpedia-14's sizes (see the docstring of "
         "experiments/bench_dbpedia.py): 14 classes, windows of 100-500 characters of their texts."),
        ("- Projection assumptions: every worker predicts at the measured one-core rate; the model goes "
         f"to each worker one after another at {a['bandwidth_mb']} MB/s; chunks of {a['chunk_rows']:,} "
         f"queries, {a['task_overhead_ms']} ms of scheduling per task; the fit stays on one machine."),
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.bench_dbpedia", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of DBpedia's per-class counts (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--bandwidth-mb", type=float, default=125.0, help="MB/s to each worker (default: 1 Gbit/s)")
    parser.add_argument("--chunk-rows", type=int, default=1000)
    parser.add_argument("--task-overhead-ms", type=float, default=1.0)
    parser.add_argument("--enough-minutes", type=float, default=10.0)
    parser.add_argument("--one-core-queries", type=int, default=10_000, help="queries predicted on 1 core")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "bench_dbpedia")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the subprocess's part: the job file
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    if args.measure:
        print(json.dumps(measure(args.measure, args.one_core_queries)))
        return 0
    started = time.perf_counter()
    train_texts, train_labels, queries, truth = assemble(args.scale, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        # The job goes to the subprocess as a file: it then holds only the texts, not the source sets.
        job = Path(folder) / "job.json"
        job.write_text(json.dumps({"train": train_texts, "train_labels": train_labels.tolist(), "queries": queries,
                                   "truth": truth.tolist()}))
        del train_texts, queries
        child = subprocess.run([sys.executable, "-m", "experiments.bench_dbpedia", "--measure", str(job),
                                "--one-core-queries", str(args.one_core_queries)],
                               capture_output=True, text=True, cwd=ROOT)
    if child.returncode:
        sys.exit(f"the measuring subprocess failed:\n{child.stderr}")
    measured = json.loads(child.stdout) | {
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}
    assumptions = {"workers": args.workers, "bandwidth_mb": args.bandwidth_mb, "chunk_rows": args.chunk_rows,
                   "task_overhead_ms": args.task_overhead_ms, "enough_minutes": args.enough_minutes}
    record = new_record("experiments.bench_dbpedia", argv, scale=args.scale, seed=args.seed, measured=measured,
                        assumptions=assumptions,
                        projection=project(measured, args.workers, args.bandwidth_mb, args.chunk_rows,
                                           args.task_overhead_ms),
                        wall_seconds=round(time.perf_counter() - started, 1))
    write_record(record, to_markdown(record), args.out)
    print(to_markdown(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
