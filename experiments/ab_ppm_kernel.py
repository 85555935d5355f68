"""Same-process A/B timing of the PPM coding kernel: this checkout's against another commit's.

``python -m experiments.bench_ppm speed`` times whole runs, each in its own process, and on
this shared VM absolute times drift by up to 2x between runs minutes apart: more than a
kernel change of 5-10% moves them. Here both kernels (``npc/_ppm_kernel.py`` of this
checkout and of ``--before``, loaded side by side) code the same test rows under the same
fitted model (PPMClassifier defaults, through ``code_lengths``) in one process, in
alternating order from repeat to repeat, and must give equal code lengths. Timed (this
process's CPU time per row): all rows in one call, as ``predict`` codes them, and each row
in its own call. The table gives the median over the repeats and the median of the
repeats' before/after ratios (above 1: this checkout is faster).

Usage::

    NPC_DATA_DIR=/path/to/data python -m experiments.ab_ppm_kernel --before 6c84830   # results/ab_ppm_kernel.{json,md}
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

from experiments.plan import ROOT
from experiments.report import RESULTS_DIR, markdown_table, new_record, record_text, write_record
from npc import _ppm_kernel, _ppm_model
from npc.datasets import load_dataset
from npc.ppm import PPMClassifier

DATASETS = ("r8", "r52", "ohsumed", "20news", "imdb")


def kernel_at(commit: str, folder: str):
    """``npc/_ppm_kernel.py`` of ``commit`` as a module of its own."""
    source = subprocess.run(["git", "show", f"{commit}:npc/_ppm_kernel.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    path = Path(folder) / f"ppm_kernel_{commit}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_dataset(name: str, before, n_rows: int, repeats: int) -> dict:
    train, test = load_dataset(name, "train"), load_dataset(name, "test")
    model = PPMClassifier().fit(train.texts, train.labels)
    rows = np.unique(np.linspace(0, len(test.texts) - 1, n_rows).round().astype(int))
    texts = [test.texts[i] for i in rows]
    kernels = {"before": before, "after": _ppm_kernel}

    def code(kernel, one_call: bool) -> tuple[float, np.ndarray]:
        with mock.patch.object(_ppm_model, "_ppm_kernel", kernel):
            started = time.process_time()
            bits = model.code_lengths(texts) if one_call else np.vstack([model.code_lengths([t]) for t in texts])
            return 1000 * (time.process_time() - started) / len(texts), bits

    found = {"rows": len(texts), "classes": len(model.classes_)}
    for mode, one_call in (("one_call", True), ("alone", False)):
        results = {label: code(kernel, one_call)[1] for label, kernel in kernels.items()}  # warm-up, compiles
        if not np.array_equal(results["before"], results["after"]):
            raise SystemExit(f"{name}: the two kernels give different code lengths")
        ms = {label: [] for label in kernels}
        for repeat in range(repeats):
            for label in (("before", "after") if repeat % 2 == 0 else ("after", "before")):
                ms[label].append(code(kernels[label], one_call)[0])
        found[mode] = {"before_ms": statistics.median(ms["before"]), "after_ms": statistics.median(ms["after"]),
                       "ratio": statistics.median(b / a for b, a in zip(ms["before"], ms["after"]))}
    return found


def to_markdown(record: dict) -> str:
    rows = [[name, r["rows"], r["classes"], *(f"{r[mode][key]:.3f}" if key != "ratio" else f"{r[mode][key]:.2f}"
                                              for mode in ("one_call", "alone")
                                              for key in ("before_ms", "after_ms", "ratio"))]
            for name, r in record["datasets"].items()]
    header = ["data set", "rows", "classes", "one call: before ms", "after ms", "before / after",
              "alone: before ms", "after ms", "before / after"]
    return "\n".join([
        "# PPM kernel A/B in one process", "",
        (f"The coding kernel of this commit against that of {record['before']}, on the same model and rows in one "
         f"process, alternating, {record['repeats']} repeats (CPU ms per row, medians; the ratio is the median of "
         "the repeats' ratios). Code lengths equal on every row. One call: all rows in one `code_lengths`, as "
         "`predict`; alone: one call per row."), "",
        markdown_table(header, rows)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.ab_ppm_kernel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit whose kernel to time against (e.g. 6c84830)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "ab_ppm_kernel")
    args = parser.parse_args(argv)
    record = new_record("experiments.ab_ppm_kernel", argv, before=args.before, repeats=args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        before = kernel_at(args.before, folder)
        record["datasets"] = {name: time_dataset(name, before, args.rows, args.repeats) for name in args.datasets}
    write_record(record, to_markdown(record), args.out)
    print(record_text(record, to_markdown(record)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
