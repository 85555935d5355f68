"""Full IMDb (25,000 test x 25,000 train = 625 million pairs): top-10 neighbours per compressor.

Each run goes through npc's chunk cache (default ``results/cache/imdb_full``, 100 test rows
per chunk, ~16 KB a chunk), so an interrupted run resumes where it stopped, in this session
or the next. A finished run writes the neighbour file ``results/runs/imdb__<spec>.npz``
(the run-file format of the paper tables) and its figures (wall time of the completing
session, pairs per second, peak RSS of the process tree, accuracy at k=1 and k=2 with the
``nearest`` tie rule) into ``results/imdb_full.json`` and ``.md``.

Usage (each run in the background, lowest priority)::

    NPC_DATA_DIR=/path/to/data nohup nice -n 19 python experiments/imdb_full.py lz4 > imdb_lz4.log 2>&1 &
    python experiments/imdb_full.py --status          # chunks done per compressor (rewrites the ledger)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from experiments.plan import IMDB_FULL  # noqa: E402
from experiments.resources import PeakMemory, machine  # noqa: E402
from experiments.runs import RunSpec, compute, load_run  # noqa: E402
from npc.compressors import get_compressor  # noqa: E402

RESULTS = ROOT / "results"
CHUNK_ROWS = 100
PLANNED = [f"{name}-{level}" for name, level in IMDB_FULL]


def chunk_status(cache_dir: Path) -> dict[str, tuple[int, int]]:
    """``{spec: (chunks done, chunks in the job)}`` for every IMDb job in ``cache_dir``."""
    status = {}
    for manifest in sorted(cache_dir.glob("*/manifest.json")):
        job = json.loads(manifest.read_text())
        spec = job["compressor"].rsplit(".", 1)[1].removesuffix("Compressor").lower()
        spec = f"{spec}-{job['level']}" if job["level"] is not None else spec
        total = -(-job["n_queries"] // job["chunk_rows"])
        status[spec] = (len(list(manifest.parent.glob("chunk-*.npz"))), total)
    return status


def _results() -> dict:
    """``{spec: entry}`` of the finished runs in results/imdb_full.json."""
    path = RESULTS / "imdb_full.json"
    return json.loads(path.read_text())["runs"] if path.exists() else {}


def update_results(spec: str, entry: dict) -> None:
    """Merge one finished compressor's entry into results/imdb_full.json."""
    runs = _results()
    runs[spec] = entry
    (RESULTS / "imdb_full.json").write_text(json.dumps({"runs": runs}, indent=1) + "\n")


def write_report(cache_dir: Path) -> None:
    """results/imdb_full.md: the finished runs and the ledger of every planned run."""
    runs = _results()
    status = chunk_status(cache_dir)
    lines = [
        "# Full IMDb, 25,000 x 25,000 pairs (top-10 neighbours by NCD)",
        "",
        "Made by `python experiments/imdb_full.py <compressor> [--level L] --n-jobs 2`, run in the",
        "background under `nice -n 19` on a 2-core machine shared with other jobs (so wall times",
        "say more about that machine's load than about npc). Accuracy: k-NN vote over the nearest",
        "neighbours, ties to the nearest neighbour's class (`tie_break=\"nearest\"`). Wall time and",
        "pairs/s are those of the session that finished the run (pairs it computed itself / its",
        "wall time); peak RSS is the sum over the process tree (script + workers).",
        "",
        "How long each run takes is projected before starting in the `imdb` row of the projection",
        "table in `results/bench_kernel.md` (measured µs per pair x 625 million pairs / cores).",
        "",
        "## Ledger",
        "",
        "Chunks (100 test rows each) live in `results/cache/imdb_full/` (committed, ~16 KB each), so",
        "rerunning the same command anywhere resumes from them. `python experiments/imdb_full.py",
        "--status` refreshes this ledger.",
        "",
        "| run | state | chunks done |",
        "|---|---|---|",
    ]
    for spec in PLANNED:
        done, total = status.get(spec, (0, -(-25_000 // CHUNK_ROWS)))
        state = "done" if spec in runs else ("partial" if done else "pending")
        lines.append(f"| {spec} | {state} | {done} / {total} |")
    lines += [
        "",
        "## Finished runs",
        "",
        "| compressor | accuracy k=1 | accuracy k=2 | pairs computed | wall time (s) | pairs/s | peak RSS (MiB) | commit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, run in sorted(runs.items()):
        lines.append(
            f"| {name} | {run['accuracy_k1']:.4f} | {run['accuracy_k2_nearest']:.4f} | "
            f"{run['pairs_computed']:,} | {run['wall_seconds']:,.0f} | {run['pairs_per_second']:,.0f} | "
            f"{run['peak_rss_mib']:,.0f} | `{run['commit'][:12]}` |"
        )
    if not runs:
        lines.append("| (none yet) | | | | | | | |")
    (RESULTS / "imdb_full.md").write_text("\n".join(lines) + "\n")


def run(compressor_name: str, level: int | None, n_jobs: int, cache_dir: Path, verbose: int) -> dict:
    """Compute (or resume) one compressor's run file and record its figures.

    A session that only reassembles cached chunks rewrites the run file but keeps the
    figures of the session that computed them.
    """
    compressor = get_compressor(compressor_name, level)
    spec = RunSpec("imdb", compressor.name, compressor.level)
    started = time.time()
    with PeakMemory() as memory:
        compute(spec, n_jobs=n_jobs, cache_dir=cache_dir, verbose=verbose, chunk_rows=CHUNK_ROWS)
    config = load_run(spec.path)["config"]
    previous = _results().get(compressor.spec)
    if config["n_pairs_computed"] == 0 and previous is not None:
        return previous
    # Imported only now: it brings scikit-learn (~130 MB), which the parent need not hold
    # during the hours of the kernel run.
    from experiments.cells import neighbours

    nb = neighbours(spec)
    entry = {
        "command": "python experiments/imdb_full.py " + " ".join(sys.argv[1:]),
        "run_file": str(spec.path.relative_to(ROOT)),
        "commit": config["commit"],
        "machine": machine(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "session_started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "n_pairs": config["n_pairs"],
        "pairs_computed": config["n_pairs_computed"],
        "chunks_from_cache": config["n_chunks_cached"],
        "n_chunks": config["n_chunks"],
        "wall_seconds": config["seconds"],
        "pairs_per_second": config["n_pairs_computed"] / config["seconds"] if config["n_pairs_computed"] else None,
        "peak_rss_mib": memory.peak_mib,
        "n_jobs": n_jobs,
        "accuracy_k1": nb.accuracy(1),
        "accuracy_k2_nearest": nb.accuracy(2),
    }
    update_results(compressor.spec, entry)
    write_report(cache_dir)
    return entry


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("compressor", nargs="?", help="gzip, zstd, lz4, ... (omit with --status)")
    parser.add_argument("--level", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=RESULTS / "cache" / "imdb_full")
    parser.add_argument("--status", action="store_true", help="print chunks done per job and exit")
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)
    if args.status:
        for spec, (done, total) in chunk_status(args.cache_dir).items():
            print(f"{spec}: {done}/{total} chunks")
        write_report(args.cache_dir)
        return 0
    if args.compressor is None:
        parser.error("a compressor is required (or --status)")
    entry = run(args.compressor, args.level, args.n_jobs, args.cache_dir, args.verbose)
    print(json.dumps(entry, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
