"""Model files: size, save time and load time of every command-line model trained on one data set.

Each model (the ``--model`` choices of ``npc classify`` at their defaults) is fitted on the
training split, saved with :func:`npc.save_model`, and loaded back with
:func:`npc.load_model`: in this process (median of ``--repeats`` loads) and once in a
fresh interpreter (what ``npc predict`` pays, imports included). The loaded model must
predict exactly what the fitted one does on ``--n-check`` test texts (checked, else the
script fails).

    python -m experiments.bench_model_files                  # full IMDb (25,000 texts), every model
    python -m experiments.bench_model_files --n-train 500 --output /tmp/model_files   # quick check
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from experiments.report import markdown_table, new_record, record_text, write_record
from npc import load_model, save_model
from npc.cli.models import MODELS, default_model
from npc.datasets import load_dataset

ROOT = Path(__file__).resolve().parent.parent

_COLD_LOAD = ("import sys, time; from npc import load_model; started = time.perf_counter(); "
              "load_model(sys.argv[1]); print(time.perf_counter() - started)")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="imdb")
    parser.add_argument("--n-train", type=int, help="stratified sample of the training split (default: all)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--n-check", type=int, default=20, help="test texts on which loaded = fitted is checked")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=ROOT / "results" / "model_files",
                        help="writes OUTPUT.md/.json")
    return parser.parse_args(argv)


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def measure(name: str, train, check_texts, repeats: int, folder: Path) -> dict:
    model, fit_seconds = timed(lambda: default_model(name).fit(train.texts, train.labels))
    path = folder / f"{name}.npc"
    _, save_seconds = timed(lambda: save_model(model, path, X=train.texts, y=train.labels))
    loads = []
    for _ in range(repeats):
        loaded, seconds = timed(lambda: load_model(path))
        loads.append(seconds)
    if loaded.predict(check_texts).tolist() != model.predict(check_texts).tolist():
        raise AssertionError(f"{name}: the loaded model predicts differently from the fitted one")
    cold = subprocess.run([sys.executable, "-c", _COLD_LOAD, str(path)], capture_output=True, text=True, check=True,
                          cwd=ROOT)
    return {"model": name, "file_bytes": path.stat().st_size, "fit_seconds": fit_seconds,
            "save_seconds": save_seconds, "load_seconds": loads, "median_load_seconds": float(np.median(loads)),
            "cold_load_seconds": float(cold.stdout.strip())}


def main(argv=None) -> int:
    args = parse_args(argv)
    train = load_dataset(args.dataset, "train", n=args.n_train, seed=args.seed)
    test = load_dataset(args.dataset, "test", n=args.n_check, seed=args.seed)
    n_bytes = sum(len(text.encode("utf-8", "surrogatepass")) for text in train.texts)
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for name in args.models:
            print(f"{name} ...", file=sys.stderr, flush=True)
            rows.append(measure(name, train, list(test.texts), args.repeats, Path(folder)))
    record = new_record("experiments.bench_model_files", argv, dataset=args.dataset, n_train=len(train),
                        train_bytes=n_bytes, n_check=len(test), repeats=args.repeats, models=rows)
    table = [[row["model"], f"{row['file_bytes'] / 1e6:.2f}", f"{row['file_bytes'] / n_bytes:.2f}",
              f"{row['fit_seconds']:.1f}", f"{row['save_seconds']:.2f}", f"{row['median_load_seconds']:.3f}",
              f"{row['cold_load_seconds']:.2f}"] for row in rows]
    text = "\n\n".join([
        "# Model files: size and load time",
        (f"{args.dataset} train, {len(train):,} texts ({n_bytes / 1e6:.1f} MB of UTF-8)"
        f"{'' if args.n_train is None else f' (stratified sample, seed {args.seed})'}; each model at the command "
        "line's defaults, saved with `npc.save_model` (a JSON tree and deflated numpy arrays in a zip) and loaded with "
        f"`npc.load_model`. The loaded model predicted exactly as the fitted one on {len(test)} test texts (checked)."),
        markdown_table(["model", "file (MB)", "file / training text", "fit (s)", "save (s)",
                        f"load (s, median of {args.repeats})", "load in a new process (s)"], table),
        ("Load in a new process: `load_model` alone, timed in a fresh interpreter after `import npc` (the numpy and "
        "scikit-learn imports it triggers are included)."),
    ])
    write_record(record, text, args.output)
    print(record_text(record, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
