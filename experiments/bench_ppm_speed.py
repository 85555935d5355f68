"""Speed of PPMClassifier's kernel: prediction, the ratio to pyppmd, workers, fit, first compile.

Sections (PPMClassifier defaults: order 3, escape C, full updates):

- ``predict``: ms per prediction on R8, R52, Ohsumed, 20News and IMDb, the model fitted
  on the full training split and ``--queries`` test rows spread evenly over the test
  split; each query is coded alone (``code_lengths([text])``) ``--repeats`` times after a
  warm-up and its time is the median (this process's CPU time); the table gives the
  median and mean over queries, and the time per query of all of them in one call (as
  ``predict`` codes them: with many classes, in blocks, class by class), the median of
  ``--repeats`` calls. Beside it, pyppmd (``pyppmd.compress(query, max_order=3)``, one
  call per query), timed in the same process turn about with PPMClassifier (after each
  repeat of a query alone, and after each call over all of them), so that the machine's
  drift touches both alike; its time per prediction, the query coded once per class (its
  time per query times the classes); and the ratio of throughputs in query bytes x classes per
  second: PPMClassifier codes each query under every class; pyppmd's throughput is the
  query bytes it compresses per second, as if it coded the same bytes once per class.
  ``--before COMMIT`` times that commit's PPMClassifier on the same rows too (``git
  archive`` of its ``npc/`` in a subprocess).
- ``workers``: wall seconds of one ``predict`` of ``--workers-rows`` R52 test texts with
  ``n_jobs=1`` and ``n_jobs=2`` (median of ``--repeats``, alternated), for PPMClassifier
  and CompressorClassifier.
- ``fit``: a subprocess fits the full IMDb training split (``--fit-dataset``): wall
  seconds, MB of text per second, the model's bytes and the process's peak RSS above
  what it held before the fit (the training texts and the loaded kernels).
- ``compile``: a subprocess fits and predicts two tiny texts with ``NUMBA_CACHE_DIR`` an
  empty directory (compiling every kernel), then again with that cache filled; the
  difference is the first call's compile time.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.bench_ppm speed   # results/bench_ppm_speed.{json,md}
    NPC_DATA_DIR=/path/to/data python -m experiments.bench_ppm speed --small --out /tmp/speed   # a check
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyppmd

from experiments.report import new_record, record_text, write_record

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("r8", "r52", "ohsumed", "20news", "imdb")
ORDER = 3

# Run in a subprocess (``python -c``) so that its npc may be another commit's; prints JSON.
_TIME_PREDICTIONS = """
import json, statistics, sys, time
import numpy as np
import pyppmd
from npc.datasets import load_dataset
from npc.ppm import PPMClassifier
import npc
name, n, repeats, order = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
train, test = load_dataset(name, "train"), load_dataset(name, "test")
rows = np.unique(np.linspace(0, len(test.texts) - 1, n).round().astype(int))
queries = [test.texts[i] for i in rows]
raw = [query.encode("utf-8", "surrogatepass") for query in queries]
model = PPMClassifier().fit(train.texts, train.labels)
model.code_lengths(queries[:2])

def cpu_seconds(call, *args):
    started = time.process_time()
    call(*args)
    return time.process_time() - started

def pyppmd_one(query_bytes):
    pyppmd.compress(query_bytes, max_order=order)

def pyppmd_all():
    for query_bytes in raw:
        pyppmd_one(query_bytes)

seconds, pyppmd_seconds = [], []
for query, query_bytes in zip(queries, raw):
    runs = [(cpu_seconds(model.code_lengths, [query]), cpu_seconds(pyppmd_one, query_bytes))
            for _ in range(repeats)]
    seconds.append(statistics.median(ours for ours, _ in runs))
    pyppmd_seconds.append(statistics.median(theirs for _, theirs in runs))
batch = [(cpu_seconds(model.code_lengths, queries), cpu_seconds(pyppmd_all)) for _ in range(repeats)]
print(json.dumps({"rows": rows.tolist(), "seconds": seconds, "pyppmd_seconds": pyppmd_seconds,
                  "batch_seconds": statistics.median(ours for ours, _ in batch),
                  "pyppmd_batch_seconds": statistics.median(theirs for _, theirs in batch),
                  "query_bytes": sum(map(len, raw)), "classes": len(model.classes_), "npc": npc.__file__}))
"""

_FIT = """
import json, resource, sys, time
from experiments.resources import PeakMemory
from npc.datasets import load_dataset
from npc.ppm import PPMClassifier
train = load_dataset(sys.argv[1], "train")
n_bytes = sum(len(t.encode("utf-8", "surrogatepass")) + 1 for t in train.texts)
PPMClassifier().fit(["ab", "cd"], [0, 1]).predict(["abc"])  # loads the compiled kernels: not the fit's memory
with PeakMemory(interval=0.05) as before:
    pass
with PeakMemory(interval=0.05) as during:
    started = time.perf_counter()
    model = PPMClassifier().fit(train.texts, train.labels)
    seconds = time.perf_counter() - started
print(json.dumps({"text_bytes": n_bytes, "seconds": seconds, "model_bytes": model.model_bytes_,
                  "rss_before_bytes": before.peak_bytes, "peak_rss_bytes": during.peak_bytes}))
"""

_TINY = """
import time
started = time.perf_counter()
from npc.ppm import PPMClassifier, needs_compiling
needed = needs_compiling()
PPMClassifier().fit(["abc abc", "xyz"], [0, 1]).predict(["abd"])
print(needed, time.perf_counter() - started)
"""


def _python(code: str, *args, env: dict | None = None, pythonpath: str | None = None) -> str:
    environment = os.environ | (env or {})
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, str(ROOT)]))
    # `python -c` puts its working directory first on sys.path: run in ``pythonpath`` so that
    # its npc, not this checkout's, is the one imported.
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=pythonpath or ROOT, env=environment,
                          capture_output=True, text=True, check=True).stdout


def export_npc(commit: str, folder: str) -> str:
    """``npc/`` of ``commit`` unpacked into ``folder``; the folder to put first on PYTHONPATH."""
    archive = subprocess.run(["git", "archive", commit, "npc"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def predict_section(name: str, n: int, repeats: int, before: str | None) -> dict:
    """ms per prediction of this commit (and ``before``) and pyppmd's on the same rows."""
    ours = json.loads(_python(_TIME_PREDICTIONS, name, n, repeats, ORDER))
    n_rows, classes = len(ours["rows"]), ours["classes"]
    pyppmd_median = statistics.median(ours["pyppmd_seconds"])
    # Throughput in query bytes x classes per second against pyppmd's query bytes per
    # second: the ratio of pyppmd's time, times the classes, to ours on the same queries.
    result = {"rows": n_rows, "classes": classes, "query_bytes": ours["query_bytes"],
              "ms_median": 1000 * statistics.median(ours["seconds"]),
              "ms_mean": 1000 * statistics.fmean(ours["seconds"]),
              "pyppmd_ms_median_per_class": 1000 * pyppmd_median,
              # pyppmd's time to code the query once per class: what one prediction costs at its speed
              "pyppmd_ms_median": 1000 * classes * pyppmd_median,
              "pyppmd_ms_mean": 1000 * classes * statistics.fmean(ours["pyppmd_seconds"]),
              "pyppmd_ms_batch": 1000 * classes * ours["pyppmd_batch_seconds"] / n_rows,
              "ms_batch": 1000 * ours["batch_seconds"] / n_rows,
              "throughput_ratio_to_pyppmd": classes * sum(ours["pyppmd_seconds"]) / sum(ours["seconds"]),
              "batch_throughput_ratio_to_pyppmd": classes * ours["pyppmd_batch_seconds"] / ours["batch_seconds"]}
    if before:
        with tempfile.TemporaryDirectory() as folder:
            old = json.loads(_python(_TIME_PREDICTIONS, name, n, repeats, ORDER,
                                     pythonpath=export_npc(before, folder)))
            if not old["npc"].startswith(folder):
                raise RuntimeError(f"the timing of {before} imported {old['npc']}, not that commit's npc")
        result["before_ms_median"] = 1000 * statistics.median(old["seconds"])
        result["before_ms_mean"] = 1000 * statistics.fmean(old["seconds"])
        result["before_ms_batch"] = 1000 * old["batch_seconds"] / n_rows
    return result


def workers_section(n_rows: int, repeats: int) -> dict:
    """Wall seconds of one predict of ``n_rows`` R52 test texts with 1 and 2 threads, for
    PPMClassifier and CompressorClassifier."""
    from npc.compressor_classifier import CompressorClassifier
    from npc.datasets import load_dataset
    from npc.ppm import PPMClassifier

    train, test = load_dataset("r52", "train"), load_dataset("r52", "test")
    queries = [test.texts[i] for i in np.unique(np.linspace(0, len(test.texts) - 1, n_rows).round().astype(int))]
    found = {}
    for model in (PPMClassifier(), CompressorClassifier()):
        model.fit(train.texts, train.labels).predict(queries[:2])
        seconds = {1: [], 2: []}
        for _ in range(repeats):
            for n_jobs, runs in seconds.items():
                model.set_params(n_jobs=n_jobs)
                started = time.perf_counter()
                model.predict(queries)
                runs.append(time.perf_counter() - started)
        one, two = statistics.median(seconds[1]), statistics.median(seconds[2])
        found[type(model).__name__] = {"seconds_1_worker": one, "seconds_2_workers": two, "speedup": one / two}
    return {"rows": len(queries), "models": found}


def fit_section(name: str) -> dict:
    found = json.loads(_python(_FIT, name))
    return found | {"dataset": name, "mb_per_second": found["text_bytes"] / 1e6 / found["seconds"],
                    "peak_over_model": (found["peak_rss_bytes"] - found["rss_before_bytes"]) / found["model_bytes"]}


def compile_section() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold_needed, cold = _python(_TINY, env=env).split()
        warm_needed, warm = _python(_TINY, env=env).split()
    return {"cold_seconds": float(cold), "warm_seconds": float(warm), "compile_seconds": float(cold) - float(warm),
            "needs_compiling_cold": cold_needed == "True", "needs_compiling_warm": warm_needed == "True"}


def run(args) -> dict:
    started = time.perf_counter()
    result = new_record("experiments.bench_ppm", ["speed", *args.argv], versions={"pyppmd": pyppmd.__version__},
                        before=args.before)
    result["compile"] = compile_section()
    result["predict"] = {name: predict_section(name, args.queries, args.repeats, args.before) for name in args.datasets}
    result["workers"] = workers_section(args.workers_rows, args.repeats)
    result["fit"] = fit_section(args.fit_dataset)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def to_markdown(result: dict) -> str:
    before = result["before"]
    lines = ["# PPMClassifier speed", "",
             (f"{result['seconds']} s with the data sets of `NPC_DATA_DIR`; pyppmd {result['versions']['pyppmd']}; "
              f"load average {result['load_average_at_end']} at the end (at the start: below)."), "",
             "## Prediction (one core, warm kernel; CPU ms per prediction, median of repeats)", "",
             ("Each query alone (`code_lengths([text])`: median and mean over the queries), and all of them in "
              "one call (`code_lengths(texts)`, as `predict` does: its time over the rows). pyppmd: its time to "
              "code each query once per class (its time per query times the classes), alone and in one call. "
              "Throughput against pyppmd's: query bytes x classes per second, queries alone and in one call."), "",
             "| data set | rows | classes | alone: median | mean | in one call |"
             + (f" before ({before}): median | mean | in one call |" if before else "")
             + " pyppmd, once per class: median | mean | in one call | throughput / pyppmd's: alone | in one call |",
             "| --- | --- | --- | --- | --- | --- |" + (" --- | --- | --- |" if before else "")
             + " --- | --- | --- | --- | --- |"]
    for name, r in result["predict"].items():
        old = (f" {r['before_ms_median']:.2f} | {r['before_ms_mean']:.2f} | {r['before_ms_batch']:.2f} |"
               if before else "")
        lines.append(f"| {name} | {r['rows']} | {r['classes']} | {r['ms_median']:.2f} | {r['ms_mean']:.2f} | "
                     f"{r['ms_batch']:.2f} |{old} {r['pyppmd_ms_median']:.2f} | {r['pyppmd_ms_mean']:.2f} | "
                     f"{r['pyppmd_ms_batch']:.2f} | "
                     f"{r['throughput_ratio_to_pyppmd']:.2f} | {r['batch_throughput_ratio_to_pyppmd']:.2f} |")
    w, f, c = result["workers"], result["fit"], result["compile"]
    lines += ["", f"## Workers: predict of {w['rows']} R52 test texts (wall seconds, median)", "",
              *(f"- {name}: 1 worker {m['seconds_1_worker']:.2f} s, 2 workers {m['seconds_2_workers']:.2f} s: "
                f"{m['speedup']:.2f}x." for name, m in w["models"].items()), "",
              f"## Fit ({f['dataset']} training split, {f['text_bytes'] / 1e6:.1f} MB of text)", "",
              (f"{f['seconds']:.1f} s ({f['mb_per_second']:.1f} MB/s); model {f['model_bytes'] / 2**20:.1f} MiB; "
               "peak RSS "
              f"{f['peak_rss_bytes'] / 2**20:.0f} MiB, {(f['peak_rss_bytes'] - f['rss_before_bytes']) / 2**20:.0f} MiB "
              f"above the process before the fit ({f['peak_over_model']:.1f}x the model)."), "",
              "## First call", "",
              (f"Fit and predict of two tiny texts from an empty numba cache: {c['cold_seconds']:.1f} s; "
               "with the cache "
              f"filled: {c['warm_seconds']:.1f} s; compile time {c['compile_seconds']:.1f} s "
              f"(`npc.ppm.needs_compiling()`: {c['needs_compiling_cold']} before, {c['needs_compiling_warm']} after)."),
              ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.bench_ppm speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers-rows", type=int, default=1000)
    parser.add_argument("--fit-dataset", default="imdb", choices=list(DATASETS))
    parser.add_argument("--before", help="also time this commit's PPMClassifier (e.g. e92a6f1)")
    parser.add_argument("--small", action="store_true", help="tiny sizes, to check the script")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench_ppm_speed")
    args = parser.parse_args(argv)
    args.argv = sys.argv[2:] if argv is None else list(argv)
    if args.small:
        args.datasets, args.queries, args.repeats, args.workers_rows, args.fit_dataset = ["r8"], 10, 2, 60, "r8"
    result = run(args)
    write_record(result, to_markdown(result), args.out)
    print(record_text(result, to_markdown(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
