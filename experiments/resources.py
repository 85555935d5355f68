"""Measuring helpers shared by the experiments: commit, machine description and peak memory.

Peak RSS is taken over the whole process tree (the script and its joblib/loky workers):
a thread samples ``/proc`` (Linux) and keeps the largest total. Elsewhere it falls back
to ``resource.getrusage``, which sees only this process and finished children.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["machine", "describe_machine", "git_commit", "PeakMemory", "tree_cpu_seconds"]


def git_commit() -> str:
    """``git rev-parse HEAD`` of this repository, plus ``-dirty`` when its code (``npc/``,
    ``experiments/``, ``pyproject.toml``) has uncommitted changes; ``unknown`` outside git.

    Changes under ``results/`` do not count: experiments rewrite those files as they run.
    """
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "npc", "experiments",
                                "pyproject.toml"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def machine() -> dict:
    """CPU model, core count, memory, OS and Python of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        memory_gib = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def describe_machine(found: dict) -> str:
    """One line for a results file: ``AMD EPYC, 2 cores, 23.5 GiB, Linux-…, Python 3.11.7``."""
    return (f"{found['cpu']}, {found['cores']} cores, {found['memory_gib']} GiB, {found['os']}, "
            f"Python {found['python']}")


def _descendants(pid: int) -> list[int]:
    # Scan every process's parent: loky starts its workers from a helper thread, so the
    # main thread's /proc children list would miss them.
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in parents.get(parent, [])]
        found += frontier
    return found


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_cpu_seconds() -> float:
    """User + system CPU seconds used so far by this process and its live descendants (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in [os.getpid(), *_descendants(os.getpid())]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


class PeakMemory:
    """Context manager recording the peak resident memory of this process tree.

    Attributes (after exit): ``peak_bytes`` (largest sampled sum of RSS over the tree) and
    ``peak_mib``.
    """

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _total(self) -> int:
        pid = os.getpid()
        return sum(_rss_bytes(p) for p in [pid, *_descendants(pid)])

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._total())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._proc = Path("/proc/self/status").exists()
        if self._proc:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._proc:
            self._stop.set()
            self._thread.join()
            self.peak_bytes = max(self.peak_bytes, self._total())
        else:  # pragma: no cover - non-Linux
            usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.peak_bytes = max(usage, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)

    @property
    def peak_mib(self) -> float:
        return round(self.peak_bytes / 2**20, 1)
