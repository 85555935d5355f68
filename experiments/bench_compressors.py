"""Speed of each compressor cell of ``results/compressors.md``: µs per NCD pair on the cell's own texts.

Usage (``NPC_DATA_DIR`` names the folder of ``<name>/<split>.parquet``)::

    python -m experiments.bench_compressors              # every stored sample cell
    python -m experiments.bench_compressors --queries 2 --references 20 --repeats 1  # a quick check

For every sample cell of the compressors plan (100 test × 500 training items) whose run
file is stored: the median of ``--repeats`` timings of :func:`npc.nearest` in one process
on the run's first ``--queries`` queries × first ``--references`` references. Writes
``results/bench_compressors.json`` and ``.md``; ``python -m experiments.tables compressors``
reads its µs-per-pair column from there and measures nothing itself. Compare compressors
with each other, on an otherwise idle machine, not with other machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from experiments import plan
from experiments.report import RESULTS_DIR, markdown_table, new_record, provenance, write_record
from experiments.runs import RunSpec, load_run, load_split
from npc.kernel import nearest

OUTPUT = RESULTS_DIR / "bench_compressors"


def sample_cells() -> list[RunSpec]:
    """The compressors plan's sample cells (the full-split runs are not timed)."""
    return [spec for spec in plan.compressors() if spec.train_sample is not None]


def pair_speed(spec: RunSpec, n_queries: int, n_references: int, repeats: int) -> float:
    """Median µs per NCD pair of ``spec``'s compressor on its own first queries and references."""
    run = load_run(spec.path)
    query_texts, _ = load_split(spec.dataset, run["config"]["query_split"])
    reference_texts, _ = load_split(spec.dataset, run["config"]["reference_split"])
    queries = [query_texts[i] for i in run["test_index"][:n_queries]]
    references = [reference_texts[i] for i in run["train_index"][:n_references]]
    timings = []
    for _ in range(repeats):
        begin = time.perf_counter()
        nearest(queries, references, 1, compressor=spec.compressor, sep=spec.separator, n_jobs=1, level=spec.level)
        timings.append(time.perf_counter() - begin)
    return 1e6 * statistics.median(timings) / (len(queries) * len(references))


def markdown(record: dict) -> str:
    """The report: one row per cell."""
    rows = [[name, f"{cell['us_per_pair']:.1f}", f"`{cell['commit'][:12]}`"] for name, cell in record["cells"].items()]
    settings = record["settings"]
    return "\n\n".join([
        "# Compressors: µs per NCD pair of each cell",
        f"Median of {settings['repeats']} timings of `npc.nearest` (one process) on each run's first "
        f"{settings['queries']} queries × first {settings['references']} references "
        "(`results/runs/<cell>.npz`). The compressors table takes its µs-per-pair column from here.",
        markdown_table(["cell", "µs per pair", "measured at commit"], rows),
        record.get("carried_over", ""),
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.bench_compressors",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=8)
    parser.add_argument("--references", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    settings = {"queries": args.queries, "references": args.references, "repeats": args.repeats}
    record = new_record("experiments.bench_compressors", argv, settings=settings, cells={})
    for spec in sample_cells():
        if spec.path.exists():
            speed = pair_speed(spec, args.queries, args.references, args.repeats)
            record["cells"][spec.name] = {"us_per_pair": speed, "commit": record["commit"]}
            print(f"{spec.name}: {speed:.1f} µs per pair", flush=True)
    write_record(record, markdown(record), OUTPUT)
    print(provenance(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
