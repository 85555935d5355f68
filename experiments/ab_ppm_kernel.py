"""A/B timing of PPMClassifier's coding: this checkout against another commit, interleaved.

``python -m experiments.bench_ppm speed`` times whole runs, and on this shared VM absolute
times drift by up to 2x between runs minutes apart: more than a kernel change of 5-10%
moves them. Here two worker processes, one with this checkout's npc and one with
``--before``'s (``npc/`` of that commit), fit the same model (PPMClassifier defaults) and
code the same test rows with ``code_lengths``, taking turns (one works while the other
waits, in alternating order from repeat to repeat), and must give equal code lengths. A
process's memory layout alone moves its times by up to 10-20% on the smaller models, so
``--pairs`` pairs of fresh workers each time the repeats. Timed (each worker's CPU time
per row): all rows in one call, as ``predict`` codes them, and each row in its own call.
The table gives the median over all repeats and the median of the repeats' before/after
ratios (above 1: this checkout is faster).

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.ab_ppm_kernel --before 6c84830   # results/ab_ppm_kernel.{json,md}
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from experiments.bench_ppm_speed import export_npc
from experiments.plan import ROOT
from experiments.report import RESULTS_DIR, markdown_table, new_record, record_text, write_record

DATASETS = ("r8", "r52", "ohsumed", "20news", "imdb")
MODES = ("one_call", "alone")

_WORKER = """
import hashlib, json, sys, time
import numpy as np
import npc
from npc.datasets import load_dataset
from npc.ppm import PPMClassifier
name, n_rows = sys.argv[1], int(sys.argv[2])
train, test = load_dataset(name, "train"), load_dataset(name, "test")
rows = np.unique(np.linspace(0, len(test.texts) - 1, n_rows).round().astype(int))
texts = [test.texts[i] for i in rows]
model = PPMClassifier().fit(train.texts, train.labels)
print(json.dumps({"npc": npc.__file__, "rows": len(texts), "classes": len(model.classes_)}), flush=True)
for mode in sys.stdin:
    started = time.process_time()
    if mode.strip() == "one_call":
        bits = model.code_lengths(texts)
    else:
        bits = np.vstack([model.code_lengths([text]) for text in texts])
    ms = 1000 * (time.process_time() - started) / len(texts)
    print(json.dumps({"ms": ms, "digest": hashlib.sha256(bits.tobytes()).hexdigest()}), flush=True)
"""


class Worker:
    """A process that fits the model of ``name`` with the npc of ``folder`` and times requests."""

    def __init__(self, name: str, n_rows: int, folder: Path):
        environment = os.environ | {"PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
        # `python -c` puts its working directory first on sys.path: run in ``folder``.
        self.process = subprocess.Popen([sys.executable, "-c", _WORKER, name, str(n_rows)], cwd=folder,
                                        env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.header = json.loads(self.process.stdout.readline())
        if not Path(self.header["npc"]).is_relative_to(folder):
            raise SystemExit(f"the worker for {folder} imported {self.header['npc']}")

    def time(self, mode: str) -> dict:
        self.process.stdin.write(mode + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def time_pair(name: str, before: Path, n_rows: int, repeats: int, ms: dict) -> dict:
    """One pair of workers: their repeats appended to ``ms[mode][label]``; returns the header."""
    workers = {"before": Worker(name, n_rows, before), "after": Worker(name, n_rows, ROOT)}
    try:
        for mode in MODES:
            digests = {label: worker.time(mode)["digest"] for label, worker in workers.items()}  # warm-up
            if digests["before"] != digests["after"]:
                raise SystemExit(f"{name}: the two commits give different code lengths")
            for repeat in range(repeats):
                for label in (("before", "after") if repeat % 2 == 0 else ("after", "before")):
                    ms[mode][label].append(workers[label].time(mode)["ms"])
        return workers["after"].header
    finally:
        for worker in workers.values():
            worker.close()


def time_dataset(name: str, before: Path, n_rows: int, repeats: int, pairs: int) -> dict:
    ms = {mode: {"before": [], "after": []} for mode in MODES}
    for _ in range(pairs):
        header = time_pair(name, before, n_rows, repeats, ms)
    found = {"rows": header["rows"], "classes": header["classes"]}
    for mode, times in ms.items():
        found[mode] = {"before_ms": statistics.median(times["before"]), "after_ms": statistics.median(times["after"]),
                       "ratio": statistics.median(b / a for b, a in zip(times["before"], times["after"]))}
    return found


def to_markdown(record: dict) -> str:
    rows = [[name, r["rows"], r["classes"],
             *(f"{r[mode][key]:.2f}" if key == "ratio" else f"{r[mode][key]:.3f}"
               for mode in MODES for key in ("before_ms", "after_ms", "ratio"))]
            for name, r in record["datasets"].items()]
    header = ["data set", "rows", "classes", "one call: before ms", "after ms", "before / after",
              "alone: before ms", "after ms", "before / after"]
    return "\n".join([
        "# PPMClassifier coding, A/B interleaved", "",
        (f"This commit's npc against {record['before']}'s, each in a worker process with the same model and rows, "
         f"taking turns: {record['pairs']} pairs of workers, {record['repeats']} repeats each (CPU ms per row, "
         "medians; the ratio is the median of the repeats' ratios). Code lengths equal on every row. One call: "
         "all rows in one `code_lengths`, as `predict`; alone: one call per row."), "",
        markdown_table(header, rows)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.ab_ppm_kernel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to time against (e.g. 6c84830)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=3, help="pairs of fresh worker processes")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ab_ppm_kernel")
    args = parser.parse_args(argv)
    record = new_record("experiments.ab_ppm_kernel", argv, before=args.before, repeats=args.repeats,
                        pairs=args.pairs)
    with tempfile.TemporaryDirectory() as folder:
        before = Path(export_npc(args.before, folder))
        record["datasets"] = {name: time_dataset(name, before, args.rows, args.repeats, args.pairs)
                              for name in args.datasets}
    write_record(record, to_markdown(record), args.out)
    print(record_text(record, to_markdown(record)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
