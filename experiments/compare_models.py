"""Which model? ``npc compare`` on one data set, written as a results table with its provenance.

Runs ``npc compare DATASET [--n-train N] [--n-test N] [--budget S]`` (every ``--model`` at its
defaults, on the same rows) and writes its table to OUTPUT.md and the whole JSON report to
OUTPUT.json, closed by the command, commit and machine. Times and sizes are the machine's;
run it on an idle one.

    python -m experiments.compare_models                       # imdb-sample, 1,000 train / 500 test
    python -m experiments.compare_models --n-train 100 --n-test 50 --output /tmp/compare   # quick check
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from experiments.report import markdown_table, new_record, record_text, write_record
from npc.cli import main as npc_main
from npc.comparison import format_size

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="imdb-sample")
    parser.add_argument("--n-train", type=int)
    parser.add_argument("--n-test", type=int)
    parser.add_argument("--budget", type=float,
                        help="seconds the NCD kNN may take (npc compare's default if not given)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, help="writes OUTPUT.md/.json (default results/compare_<dataset>)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    output = args.output or ROOT / "results" / f"compare_{args.dataset}"
    compare = ["compare", args.dataset, "--seed", str(args.seed), "-q"]
    for flag, value in (("--n-train", args.n_train), ("--n-test", args.n_test), ("--budget", args.budget)):
        if value is not None:
            compare += [flag, str(value)]
    record = new_record("experiments.compare_models", argv, npc_command="npc " + " ".join(compare))
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "compare.json"
        code = npc_main([*compare, "--output", str(report_path)])
        if code != 0:
            return code
        record["report"] = json.loads(report_path.read_text())
    result, config = record["report"]["comparison"], record["report"]["config"]
    run = sorted((row for row in result["models"] if row["status"] == "ok"), key=lambda row: -row["accuracy"])
    rows = [[f"`{row['name']}`", f"{row['accuracy']:.3f}", f"{row['accuracy_low']:.3f}–{row['accuracy_high']:.3f}",
             f"{row['macro_f1']:.3f}", f"{row['fit_seconds']:.1f}", f"{row['ms_per_prediction']:.2f}",
             format_size(row["model_bytes"]), "best" if row["p_value"] is None else f"{row['p_value']:.3g}"]
            for row in run]
    skipped = [f"`{row['name']}`: {row['note']}." for row in result["models"] if row["status"] != "ok"]
    text = "\n\n".join([
        f"# Which model? Every model on {args.dataset}",
        (f"`{record['npc_command']}`: {config['n_train']:,} training and {config['n_test']:,} test texts (test split "
        f"`{config['test_split']}`), every model at its defaults on the same rows. The interval is Wilson's 95 %; "
        "p is McNemar's exact test of each model against the most accurate on the same rows."),
        markdown_table(["model", "accuracy", "95% interval", "macro-F1", "fit (s)", "ms / text", "model file",
                        "p vs best"], rows),
        *skipped,
    ])
    write_record(record, text, output)
    print(record_text(record, text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
