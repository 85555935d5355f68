"""Benchmark of the NCD kernel against the naive loop and the npc-gzip package, on real texts.

Everything is timed in one process tree, in interleaved rounds (each round runs every
method once, in the same order; the median round is reported), so that load from other
processes on a shared machine hits all methods alike. Sections:

- ``per_core``: µs per pair on one core, on IMDb (~1,300 chars) and AG News (~240 chars):
  the naive formula (C(x), C(y) once; ``len(C((x + " " + y).encode()))`` per pair), the
  floor ``C(y)`` alone per pair (no exact method can do less: every pair compresses y's
  bytes), ``npc-gzip`` 0.1.1's ``KnnClassifier`` (construction + ``predict``), and
  ``npc.nearest(..., n_jobs=1)`` for gzip-9, zstd-3, lz4, bz2-9.
- ``crossover``: for the deflate family, state copy against one-shot recompression per
  query length (the figures behind ``npc.compressors.STATE_COPY_MIN_BYTES``).
- ``scaling``: ``nearest`` with 1 and 2 workers (loky processes) on a larger job.
- ``dask``: the same job on a ``LocalCluster`` (2 workers), checked equal to ``n_jobs=1``,
  and the per-task overhead of the cluster.
- ``memory``: peak RSS of ``nearest`` against the full IMDb training set (25,000 texts).
- ``projection``: pairs and projected wall time of every full test x train job.

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.bench_kernel   # writes results/bench_kernel.{json,md}
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # npc-gzip draws progress bars on every predict

import lz4.frame  # noqa: E402
import numpy as np  # noqa: E402
import pyzstd  # noqa: E402

from experiments.report import RESULTS_DIR, new_record, write_record  # noqa: E402
from experiments.resources import PeakMemory, tree_cpu_seconds  # noqa: E402
from npc.compressors import STATE_COPY_MIN_BYTES, get_compressor  # noqa: E402
from npc.datasets import DatasetNotFoundError, available_datasets, load_dataset  # noqa: E402
from npc.kernel import nearest  # noqa: E402

COMPRESSORS = [("gzip", 9), ("zstd", 3), ("lz4", 0), ("bz2", 9)]
ONE_SHOT = {
    "gzip": lambda data: gzip.compress(data, 9),
    "zstd": lambda data: pyzstd.compress(data, 3),
    "lz4": lambda data: lz4.frame.compress(data),
    "bz2": lambda data: bz2.compress(data, 9),
}
# The exact floor per pair: y compressed alone, the cheapest exact way (gzip: its raw
# deflate stream; zstd: through one reused context, as npc does).
_ZSTD_CONTEXT = pyzstd.ZstdCompressor(3)
FLOOR = {**ONE_SHOT, "gzip": lambda data: zlib.compress(data, 9, -15),
         "zstd": lambda data: _ZSTD_CONTEXT.compress(data, pyzstd.ZstdCompressor.FLUSH_FRAME)}
# (name, split of the queries, split of the references); AG News has no train split here.
SOURCES = {"imdb": ("test", "train"), "ag_news": ("test", "test")}


def read_texts(name: str, split: str) -> list[str]:
    """Texts of one split of a data set (through :func:`npc.datasets.load_dataset`)."""
    try:
        return load_dataset(name, split).texts
    except DatasetNotFoundError as error:
        raise SystemExit(f"{error} (set NPC_DATA_DIR to the folder with the data sets)") from error


def sample_job(name: str, n_queries: int, n_references: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Seeded disjoint samples of queries and references from a data set."""
    rng = np.random.default_rng(seed)
    query_split, reference_split = SOURCES[name]
    queries = read_texts(name, query_split)
    references = queries if reference_split == query_split else read_texts(name, reference_split)
    if reference_split == query_split:
        order = rng.permutation(len(queries))
        return [queries[i] for i in order[:n_queries]], [queries[i] for i in order[n_queries:n_queries + n_references]]
    return ([queries[i] for i in rng.choice(len(queries), n_queries, replace=False)],
            [references[i] for i in rng.choice(len(references), n_references, replace=False)])


# --- the methods timed -------------------------------------------------------------------

def naive_loop(queries, references, one_shot):
    """The gzip paper's formula as a plain loop (C(x), C(y) computed once, C(xy) per pair)."""
    c_y = [len(one_shot(y.encode())) for y in references]
    rows = []
    for x in queries:
        c_x = len(one_shot(x.encode()))
        rows.append([(len(one_shot((x + " " + y).encode())) - min(c_x, cy)) / max(c_x, cy)
                     for y, cy in zip(references, c_y)])
    return rows


def floor_loop(queries, references, one_shot):
    """C(y) alone for every pair: the work no exact C(x + y) can avoid."""
    encoded = [y.encode() for y in references]
    for _ in queries:
        for y in encoded:
            len(one_shot(y))


def npc_gzip_knn(queries, references):
    """npc-gzip 0.1.1: ``KnnClassifier`` with its ``GZipCompressor`` (gzip level 9)."""
    from npc_gzip.compressors.gzip_compressor import GZipCompressor
    from npc_gzip.knn_classifier import KnnClassifier

    model = KnnClassifier(compressor=GZipCompressor(), training_inputs=list(references),
                          training_labels=[0] * len(references))
    return model.predict(list(queries), top_k=1)


def interleaved(methods: dict, rounds: int, clock=time.process_time) -> dict[str, float]:
    """Median seconds of each method over ``rounds`` rounds that run every method in turn.

    The default clock is this process's CPU time: on a machine shared with other jobs it
    measures the work of a single-process method without the time spent waiting for a core.
    """
    times = {name: [] for name in methods}
    for _ in range(rounds):
        for name, method in methods.items():
            started = clock()
            method()
            times[name].append(clock() - started)
    return {name: statistics.median(values) for name, values in times.items()}


# --- sections ----------------------------------------------------------------------------

def per_core(name: str, n_queries: int, n_references: int, rounds: int) -> dict:
    """µs per pair of every method on one core, for one data set."""
    queries, references = sample_job(name, n_queries, n_references)
    methods = {"naive gzip-9": lambda: naive_loop(queries, references, ONE_SHOT["gzip"])}
    try:
        import npc_gzip  # noqa: F401

        methods["npc-gzip 0.1.1 KnnClassifier"] = lambda: npc_gzip_knn(queries, references)
    except ImportError:
        pass
    for compressor, level in COMPRESSORS:
        spec = f"{compressor}-{level}"
        methods[f"floor {spec}"] = lambda c=compressor: floor_loop(queries, references, FLOOR[c])
        if compressor != "gzip":
            methods[f"naive {spec}"] = lambda c=compressor: naive_loop(queries, references, ONE_SHOT[c])
        methods[f"npc {spec}"] = lambda c=compressor, lv=level: nearest(queries, references, 10, compressor=c, level=lv,
                                                                        n_jobs=1)
    seconds = interleaved(methods, rounds)
    n_pairs = n_queries * n_references
    return {
        "n_queries": n_queries,
        "n_references": n_references,
        "mean_chars": round(float(np.mean([len(t) for t in queries + references])), 1),
        "rounds": rounds,
        "us_per_pair": {method: round(s / n_pairs * 1e6, 3) for method, s in seconds.items()},
    }


def crossover(names: list[str], n_queries: list[int], n_references: int, rounds: int) -> dict:
    """gzip-9 state copy against one-shot recompression, per query, by query length."""
    compressor = get_compressor("gzip", 9)
    rows = []
    for name, n_name in zip(names, n_queries):
        queries, references = sample_job(name, 20 * n_name, n_references, seed=1)
        queries = sorted(queries, key=len)[10::20]  # spread over the lengths of the data set
        tails = [y.encode() for y in references]
        for query in queries:
            head = query.encode() + b" "
            seconds = interleaved({
                "copy": lambda head=head, tails=tails: compressor.prefix(head, reuse_state=True).sizes_with(tails),
                "one_shot": lambda head=head, tails=tails: compressor.prefix(head, reuse_state=False).sizes_with(tails),
            }, rounds)
            rows.append({"data": name, "head_bytes": len(head),
                         "copy_us": round(seconds["copy"] / len(tails) * 1e6, 2),
                         "one_shot_us": round(seconds["one_shot"] / len(tails) * 1e6, 2)})
    bins = [0, 256, 512, 768, 1024, 1536, 2048, 10**9]
    summary = []
    for low, high in zip(bins[:-1], bins[1:]):
        inside = [r for r in rows if low <= r["head_bytes"] < high]
        if inside:
            summary.append({"head_bytes": f"{low}-{high if high < 10**9 else ''}", "queries": len(inside),
                            "median_copy_over_one_shot": round(statistics.median(
                                r["copy_us"] / r["one_shot_us"] for r in inside), 3)})
    return {"threshold_in_use": STATE_COPY_MIN_BYTES, "by_length": summary, "queries": rows}


def scaling(n_queries: int, n_references: int, rounds: int) -> dict:
    """Wall time of one gzip-9 job on IMDb with 1 worker and with 2 loky workers."""
    queries, references = sample_job("imdb", n_queries, n_references, seed=2)
    chunk = max(1, n_queries // 4)  # 4 tasks of ~0.5-1 s: dispatch is amortised, the 2 workers balanced
    nearest(queries[:2], references[:10], 1, compressor="gzip", n_jobs=2)  # start the worker pool outside the timing
    load_before = os.getloadavg()
    with PeakMemory() as memory:
        methods = {
            "n_jobs=1": lambda: nearest(queries, references, 10, compressor="gzip", n_jobs=1, chunk_size=chunk),
            "n_jobs=2": lambda: nearest(queries, references, 10, compressor="gzip", n_jobs=2, chunk_size=chunk),
        }
        seconds = interleaved(methods, rounds, clock=time.perf_counter)
        cpu = interleaved(methods, rounds, clock=tree_cpu_seconds)
    n_pairs = n_queries * n_references
    return {
        "job": f"IMDb gzip-9, {n_queries} x {n_references} pairs, {chunk} rows per chunk",
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "pairs_per_second": {k: round(n_pairs / v) for k, v in seconds.items()},
        "speedup_2_workers": round(seconds["n_jobs=1"] / seconds["n_jobs=2"], 3),
        # CPU seconds of the whole process tree: what 2 workers would give on 2 free cores is
        # 2 x (serial CPU / parallel CPU); it shows the cost of parallelism apart from other load.
        "cpu_seconds": {k: round(v, 3) for k, v in cpu.items()},
        "cpu_efficiency_2_workers": round(cpu["n_jobs=1"] / cpu["n_jobs=2"], 3),
        "peak_rss_mib_process_tree": memory.peak_mib,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def dask_section(n_queries: int, n_references: int) -> dict:
    """The kernel on a 2-worker LocalCluster: equal to serial, and its per-task overhead."""
    try:
        import distributed
        from joblib import parallel_config
    except ImportError:
        return {"skipped": "dask[distributed] is not installed"}
    queries, references = sample_job("ag_news", n_queries, n_references, seed=3)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        serial = nearest(queries, references, 5, compressor="zstd", n_jobs=1)
        with parallel_config(backend="dask"):
            started = time.perf_counter()
            on_cluster = nearest(queries, references, 5, compressor="zstd", chunk_size=max(1, n_queries // 8))
            job_seconds = time.perf_counter() - started
            # Per-task overhead: many tasks with almost no work (one query, five references each).
            tiny_tasks = 200
            started = time.perf_counter()
            nearest(queries[:tiny_tasks], references[:5], 1, compressor="lz4", chunk_size=1)
            overhead = (time.perf_counter() - started) / tiny_tasks
    return {
        "cluster": "LocalCluster(n_workers=2, processes=True, threads_per_worker=1)",
        "job": f"AG News zstd-3, {n_queries} x {n_references} pairs",
        "identical_to_n_jobs_1": bool(np.array_equal(serial[0], on_cluster[0])
                                      and np.array_equal(serial[1], on_cluster[1])),
        "job_seconds": round(job_seconds, 3),
        "seconds_per_task_overhead": round(overhead, 5),
    }


def memory_section(n_queries: int) -> dict:
    """Peak RSS of ``nearest`` (lz4, 2 workers, 100-row chunks) against all 25,000 IMDb train texts."""
    queries = read_texts("imdb", "test")[:n_queries]
    references = read_texts("imdb", "train")
    with PeakMemory() as memory:
        nearest(queries, references, 10, compressor="lz4", n_jobs=2, chunk_size=100)
    return {
        "job": f"IMDb lz4, {n_queries} test x {len(references)} train, K=10, 2 workers, 100 rows per chunk",
        "peak_rss_mib_process_tree": memory.peak_mib,
        "note": "A worker holds the 25,000 reference texts (~35 MB) and, per chunk, 100 x 25,000 int64 "
                "sizes, float64 distances and their temporaries (~80 MB); the parent keeps K=10 neighbours "
                "per query (4 MB for 25,000 queries) besides the query texts themselves (~70 MB as str and bytes "
                "for the full IMDb test split, not loaded here).",
    }


def projection(points: dict, overhead_per_task: float | None, speedup_2: float, rows_per_chunk: int = 100):
    """Pairs and projected wall time of every full test x train job, per compressor."""
    from_paper = {  # sets not on this machine: sizes and mean chars from the paper's loaders
        "ag_news (full, 120,000 train)": (7_600, 120_000, 236),
        "dbpedia": (70_000, 560_000, 301),
        "yahoo_answers": (60_000, 1_400_000, 521),
        "sogou_news": (60_000, 450_000, 2_780),
    }
    jobs = {}
    for entry in available_datasets():
        if entry["location"] != "NPC_DATA_DIR" or not {"test", "train"} <= set(entry["splits"]):
            continue
        test, train = read_texts(entry["name"], "test"), read_texts(entry["name"], "train")
        chars = float(np.mean([len(t) for t in test])) + float(np.mean([len(t) for t in train]))
        jobs[entry["name"]] = (len(test), len(train), chars / 2)
    jobs.update(from_paper)
    rows = []
    for name, (n_test, n_train, mean_chars) in jobs.items():
        pairs = n_test * n_train
        n_tasks = -(-n_test // rows_per_chunk)
        row = {"data": name, "test": n_test, "train": n_train, "mean_chars": round(mean_chars), "pairs": pairs}
        for spec, measured in points.items():
            us = cost_at(measured, 2 * mean_chars + 1)
            row[f"{spec} hours, 2 cores"] = round(pairs * us * 1e-6 / speedup_2 / 3600, 2)
            task_overhead = n_tasks * (overhead_per_task or 0.0)
            row[f"{spec} hours, 64 Dask workers"] = round((pairs * us * 1e-6 / 64 + task_overhead) / 3600, 3)
        rows.append(row)
    return rows


def cost_points(per_core_results: dict) -> dict:
    """``{spec: [(bytes per pair, µs per pair), ...]}`` measured by npc, shortest texts first."""
    points = {}
    for compressor, level in COMPRESSORS:
        spec = f"{compressor}-{level}"
        points[spec] = sorted((2 * r["mean_chars"] + 1, r["us_per_pair"][f"npc {spec}"])
                              for r in per_core_results.values())
    return points


def cost_at(points: list[tuple[float, float]], length: float) -> float:
    """µs per pair at ``length`` bytes: interpolated between the measured points, and
    proportional to the length (from the nearest point) outside them."""
    (l1, c1), (l2, c2) = points[0], points[-1]
    if length <= l1:
        return c1 * length / l1
    if length >= l2:
        return c2 * length / l2
    return c1 + (c2 - c1) * (length - l1) / (l2 - l1)


def ratios(result: dict) -> dict:
    """The speed targets (npc against the naive loop, npc-gzip and one worker), from the measured sections."""
    imdb, ag = result["per_core"]["imdb"]["us_per_pair"], result["per_core"]["ag_news"]["us_per_pair"]
    out = {
        "IMDb: gzip-9 npc / naive (per core), want >= 1.08": imdb["naive gzip-9"] / imdb["npc gzip-9"],
        "AG News: gzip-9 npc / naive (per core), want >= 1.05": ag["naive gzip-9"] / ag["npc gzip-9"],
        "IMDb: zstd-3 npc / naive gzip-9, want >= 3": imdb["naive gzip-9"] / imdb["npc zstd-3"],
        "2 workers / 1 worker, want >= 1.8": result["scaling"]["speedup_2_workers"],
    }
    if "npc-gzip 0.1.1 KnnClassifier" in imdb:
        out["IMDb: gzip-9 npc / npc-gzip 0.1.1, want >= 1.4"] = (imdb["npc-gzip 0.1.1 KnnClassifier"]
                                                                 / imdb["npc gzip-9"])
    return {k: round(v, 3) for k, v in out.items()}


def run_benchmark(*, n_queries: int = 16, n_references: int = 500, rounds: int = 5,
                  scaling_job: tuple[int, int] = (64, 800), memory_queries: int = 200) -> dict:
    """Run every section and return the results (see the module docstring)."""
    started = time.perf_counter()
    with PeakMemory() as memory:
        result = new_record("experiments.bench_kernel", versions=_versions())
        result["per_core"] = {name: per_core(name, n_queries, n_references, rounds) for name in SOURCES}
        result["crossover"] = crossover(list(SOURCES), [30, 10], 200, 5)
        result["scaling"] = scaling(*scaling_job, rounds=3)
        result["dask"] = dask_section(64, 400)
        result["memory"] = memory_section(memory_queries)
    result["peak_rss_mib_whole_benchmark"] = memory.peak_mib
    points = cost_points(result["per_core"])
    result["cost_model_us_per_pair"] = {spec: [{"bytes": round(length), "us": c} for length, c in measured]
                                        for spec, measured in points.items()}
    result["projection"] = projection(points, result["dask"].get("seconds_per_task_overhead"),
                                      min(2.0, 2 * result["scaling"]["cpu_efficiency_2_workers"]))
    result["ratios"] = ratios(result)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _versions() -> dict:
    import importlib.metadata as metadata

    found = {"zlib": zlib.ZLIB_RUNTIME_VERSION}
    for package in ("npc", "numpy", "joblib", "pyzstd", "lz4", "dask", "distributed", "npc-gzip"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def to_markdown(result: dict) -> str:
    """The results as a Markdown report."""
    lines = (_header_and_per_core(result) + _crossover(result) + _cores_dask_memory(result) + _projection(result)
             + _targets(result))
    return "\n".join(lines) + "\n"


def _header_and_per_core(result: dict) -> list[str]:
    lines = [
        "# Kernel benchmark",
        "",
        f"Wall time {result['seconds']} s (data sets from `NPC_DATA_DIR`); load average at end "
        f"{result['load_average_at_end']} (command, commit and machine at the end of the report).",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ".",
        "",
        "## µs per pair on one core (median of interleaved rounds)",
        "",
        "CPU time of the benchmark process (every method here runs in that one process), so that other "
        "jobs on the machine do not inflate it; the wall-clock figures with 2 workers are under Cores.",
        "",
        "Naive: `len(C((x + \" \" + y).encode()))` per pair, C(x) and C(y) once. Floor: C(y) alone per pair "
        "(raw deflate for gzip). npc-gzip: its `KnnClassifier`, construction + `predict`. "
        "npc: `nearest(X, Y, 10, compressor=compressor, n_jobs=1)`, everything included.",
        "",
    ]
    names = list(result["per_core"])
    header = "| method | " + " | ".join(
        f"{n} ({result['per_core'][n]['n_queries']}x{result['per_core'][n]['n_references']}, "
        f"{result['per_core'][n]['mean_chars']:.0f} chars)" for n in names) + " |"
    lines += [header, "|---|" + "---|" * len(names)]
    for method in result["per_core"][names[0]]["us_per_pair"]:
        lines.append(f"| {method} | " + " | ".join(
            f"{result['per_core'][n]['us_per_pair'][method]:.2f}" for n in names) + " |")
    lines += ["", "Ratios per data set (higher is faster): npc against naive gzip-9, against the same "
              "compressor's naive loop, and the floor's share (floor µs / npc µs; 1 would be optimal).", "",
              "| compressor | " + " | ".join(f"{n}: vs naive gzip-9 / vs own naive / floor share" for n in names)
              + " |", "|---|" + "---|" * len(names)]
    for compressor, level in COMPRESSORS:
        spec = f"{compressor}-{level}"
        cells = []
        for n in names:
            us = result["per_core"][n]["us_per_pair"]
            own = us.get(f"naive {spec}", us["naive gzip-9"])
            cells.append(f"{us['naive gzip-9'] / us[f'npc {spec}']:.2f} / {own / us[f'npc {spec}']:.2f} / "
                         f"{us[f'floor {spec}'] / us[f'npc {spec}']:.2f}")
        lines.append(f"| {spec} | " + " | ".join(cells) + " |")
    return lines


def _crossover(result: dict) -> list[str]:
    c = result["crossover"]
    lines = ["", "## gzip-9: copy the state after the query, or recompress it?", "",
              f"Per query, CPU µs per pair of both exact ways (copy / one-shot, median over queries in the bin); "
              f"npc copies from {c['threshold_in_use']} bytes of query.", "",
              "| query bytes | queries | copy / one-shot |", "|---|---|---|"]
    return lines + [f"| {r['head_bytes']} | {r['queries']} | {r['median_copy_over_one_shot']:.3f} |"
                    for r in c["by_length"]]


def _cores_dask_memory(result: dict) -> list[str]:
    s = result["scaling"]
    lines = ["", "## Cores", "", f"{s['job']}: " + ", ".join(
        f"{k}: {v} s ({s['pairs_per_second'][k]:,} pairs/s)" for k, v in s["seconds"].items())
        + f"; speedup {s['speedup_2_workers']}×. CPU seconds of the process tree: "
        + ", ".join(f"{k}: {v}" for k, v in s["cpu_seconds"].items())
        + f" (serial / parallel CPU = {s['cpu_efficiency_2_workers']}: the work and overhead of 2 workers, "
        "whatever other load does to the wall time); peak RSS of the process tree "
        f"{s['peak_rss_mib_process_tree']} MiB; "
        f"load average before {s['load_average_before']}, after {s['load_average_after']}."]
    d = result["dask"]
    lines += ["", "## Dask", ""]
    if "skipped" in d:
        lines.append(f"Skipped: {d['skipped']}.")
    else:
        lines.append(f"{d['cluster']}, {d['job']}: results identical to `n_jobs=1`: {d['identical_to_n_jobs_1']}; "
                     f"{d['job_seconds']} s; overhead per task {d['seconds_per_task_overhead'] * 1000:.1f} ms.")
    mem = result["memory"]
    return lines + ["", "## Memory", "", f"{mem['job']}: peak RSS {mem['peak_rss_mib_process_tree']} MiB "
                    f"(script + workers). {mem['note']} Whole benchmark: {result['peak_rss_mib_whole_benchmark']} MiB."]


def _projection(result: dict) -> list[str]:
    lines = ["", "## Projection: full test x train jobs", "",
              "µs per pair at L = 2 × mean chars + 1 bytes: interpolated between npc's measured figures above "
              "(AG News, IMDb), proportional to L outside them ("
              + "; ".join(f"{k}: " + ", ".join(f"{p['us']} µs at {p['bytes']} B" for p in v)
                          for k, v in result["cost_model_us_per_pair"].items())
              + "). 2 cores: pairs × cost / (2 × the measured CPU efficiency of 2 workers), i.e. two cores free "
              "for the job. 64 Dask workers: pairs × cost / 64 plus, "
              "conservatively, the measured per-task overhead counted serially (100 test rows per task). "
              "Rows without a local copy use the paper's sizes and mean lengths.", ""]
    proj = result["projection"]
    keys = [k for k in proj[0] if k not in ("data",)]
    lines += ["| data | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for row in proj:
        lines.append(f"| {row['data']} | " + " | ".join(
            f"{row[k]:,}" if isinstance(row[k], int) else f"{row[k]:,}" for k in keys) + " |")
    return lines


def _targets(result: dict) -> list[str]:
    m, s = result["machine"], result["scaling"]
    lines = ["", "## Speed targets", ""]
    lines += [f"- {k}: **{v}**" for k, v in result["ratios"].items()]
    busy = s["load_average_before"][0]
    if busy > m["cores"]:
        lines += ["", f"The wall-clock speedup of 2 workers was measured with a load average of {busy} on "
                  f"{m['cores']} cores (other jobs running): the benchmark could not have both cores, so that "
                  f"figure measures the machine, not npc. The CPU seconds of the process tree show what 2 "
                  f"workers cost: serial / parallel CPU = {s['cpu_efficiency_2_workers']}, so on 2 free cores "
                  f"the speedup could reach at most about {min(2.0, 2 * s['cpu_efficiency_2_workers']):.2f}x "
                  "(re-run on an idle machine to measure it)."]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.bench_kernel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=16, help="queries per data set for the per-core timings")
    parser.add_argument("--references", type=int, default=500, help="references per data set")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "bench_kernel")
    args = parser.parse_args(argv)
    result = run_benchmark(n_queries=args.queries, n_references=args.references, rounds=args.rounds)
    write_record(result, to_markdown(result), args.out)
    print(to_markdown(result).split("## Speed targets", 1)[0][-2000:])
    print("Speed targets:")
    for key, value in result["ratios"].items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
