"""Faults: a killed run, two runs on one cache, a full or read-only cache, a dead worker.

The subprocess tests pace their job with :class:`SlowGzip` (gzip-9 sizes, a few
milliseconds late) so that a kill lands midway on any machine without burning CPU.
"""

import errno
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import joblib
import numpy as np
import pytest

import npc.cache
from npc import nearest
from npc.compressors import Compressor

REPO = Path(__file__).resolve().parent.parent
QUERIES = [f"query {i}: {'cats purr on warm mats' if i % 2 else 'stocks fell on wall street'} #{i}" for i in range(24)]
REFERENCES = [f"reference {j} about {['cats', 'stocks', 'bonds', 'dogs'][j % 4]} and more {j * 7}" for j in range(16)]
K = 3


class SlowGzip(Compressor):
    """gzip-9 sizes, each 2 ms late."""

    name = "slow-gzip"

    def compress(self, data: bytes) -> bytes:
        time.sleep(0.002)
        return gzip.compress(data, 9, mtime=0)


class DiesOnMarker(Compressor):
    """zlib-9 sizes; a worker process (not the main one) that meets ``b"<die> "`` kills itself."""

    name = "dies-on-marker"

    def compress(self, data: bytes) -> bytes:
        if b"<die> " in data and os.getpid() != int(os.environ["NPC_TEST_MAIN_PID"]):
            os.kill(os.getpid(), signal.SIGKILL)
        return zlib.compress(data, 9)


# One query row per chunk: 24 chunks of 16 pairs, ~35 ms each.
RUN_JOB = """
import json, sys
import numpy as np
from npc import nearest
from tests.test_faults import K, QUERIES, REFERENCES, SlowGzip
distances, indices, stats = nearest(QUERIES, REFERENCES, K, compressor=SlowGzip(), cache_dir=sys.argv[1], chunk_size=1,
                                    n_jobs=1, return_stats=True)
np.savez(sys.argv[2], distances=distances, indices=indices)
print(json.dumps({"chunks_cached": stats.n_chunks_cached}))
"""


def start(script: str, *args) -> subprocess.Popen:
    # A session of its own, so that a kill reaches the child's workers too.
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def chunk_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*/chunk-*.npz"))


def wait_for_chunks(process: subprocess.Popen, cache_dir: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(chunk_files(cache_dir)) < count:
        assert process.poll() is None, f"the job ended before writing {count} chunks: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {count} chunks after {timeout} s"
        time.sleep(0.005)


@pytest.fixture(scope="module")
def expected():
    """The uninterrupted, uncached result (gzip-9 has SlowGzip's sizes)."""
    return nearest(QUERIES, REFERENCES, K, compressor="gzip")


def assert_same(result, expected):
    assert np.array_equal(result[0], expected[0]) and np.array_equal(result[1], expected[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigkill_at_a_random_point_then_resume_gives_identical_results(tmp_path, expected, seed):
    rng = random.Random(seed)
    process = start(RUN_JOB, tmp_path, tmp_path / "out.npz")
    wait_for_chunks(process, tmp_path, rng.randint(1, len(QUERIES) - 6))
    time.sleep(rng.uniform(0, 0.035))  # anywhere inside the next chunk
    assert process.poll() is None, "the job finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    finished = len(chunk_files(tmp_path))
    assert 1 <= finished < len(QUERIES)

    distances, indices, stats = nearest(QUERIES, REFERENCES, K, compressor=SlowGzip(), cache_dir=tmp_path, chunk_size=1,
                                        return_stats=True)
    assert stats.n_chunks_cached == finished
    assert stats.n_pairs_computed == (len(QUERIES) - finished) * len(REFERENCES)
    assert_same((distances, indices), expected)


def test_two_processes_on_one_cache_folder_both_finish_and_leave_it_consistent(tmp_path, expected):
    first = start(RUN_JOB, tmp_path, tmp_path / "first.npz")
    wait_for_chunks(first, tmp_path, 2)
    second = start(RUN_JOB, tmp_path, tmp_path / "second.npz")  # reads some chunks, races on the rest
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert json.loads(outputs[1][0])["chunks_cached"] >= 2
    for name in ("first", "second"):
        with np.load(tmp_path / f"{name}.npz") as result:
            assert_same((result["distances"], result["indices"]), expected)

    assert len(chunk_files(tmp_path)) == len(QUERIES) and not list(tmp_path.rglob("*.tmp"))
    distances, indices, stats = nearest(QUERIES, REFERENCES, K, compressor=SlowGzip(), cache_dir=tmp_path, chunk_size=1,
                                        return_stats=True)
    assert stats.n_pairs_computed == 0
    assert_same((distances, indices), expected)


DIE_IN_WORKER = """
import json, os, sys
from npc import nearest
from npc.kernel import WorkerDiedError
from tests.test_faults import DiesOnMarker
os.environ["NPC_TEST_MAIN_PID"] = str(os.getpid())
queries = [f"query {i}" for i in range(8)]
queries[5] = "<die>"
options = dict(n_neighbors=2, compressor=DiesOnMarker(), cache_dir=sys.argv[1], chunk_size=2, return_stats=True)
try:
    nearest(queries, [f"reference {j}" for j in range(6)], n_jobs=2, **options)
except WorkerDiedError as error:
    print(json.dumps({"error": str(error)}))
# In the main process the marker is harmless: the rerun resumes from the finished chunks.
_, _, stats = nearest(queries, [f"reference {j}" for j in range(6)], n_jobs=1, **options)
print(json.dumps({"chunks_cached": stats.n_chunks_cached}))
"""


def test_a_worker_dying_inside_joblib_is_an_error_naming_the_chunk_not_a_hang(tmp_path):
    process = start(DIE_IN_WORKER, tmp_path)
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == 2, stdout
    error = lines[0]["error"]
    assert error.startswith("A worker process died (killed, out of memory or crashed) while chunk(s) ")
    assert "2 (query rows 4-5)" in error and "rerun to resume" in error
    unfinished = error.count("(query rows ")
    assert lines[1]["chunks_cached"] == 4 - unfinished


def test_backend_that_cannot_stream_still_computes_and_caches(tmp_path, expected):
    """joblib's "multiprocessing" backend returns all chunks at the end (and, like
    multiprocessing.Pool, cannot notice a dead worker: use loky or Dask for that)."""
    with joblib.parallel_config(backend="multiprocessing"):
        result = nearest(QUERIES, REFERENCES, K, n_jobs=2, cache_dir=tmp_path, chunk_size=5)
    assert_same(result, expected)
    assert len(chunk_files(tmp_path)) == 5


# --- a cache folder that cannot be written: warn, keep computing, lose nothing computed ---

def run_cached(cache_dir, **options):
    return nearest(QUERIES, REFERENCES, K, cache_dir=cache_dir, chunk_size=8, n_jobs=1, return_stats=True,
                   **options)


def test_disk_full_mid_run_warns_once_and_keeps_the_chunks_already_written(tmp_path, expected, monkeypatch):
    savez = np.savez
    calls = []

    def fills_the_disk(handle, **arrays):
        calls.append(1)
        if len(calls) == 1:
            return savez(handle, **arrays)
        handle.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(npc.cache.np, "savez", fills_the_disk)
    with pytest.warns(UserWarning, match="No space left on device.*continuing without caching") as warned:
        distances, indices, _ = run_cached(tmp_path)
    assert len(warned) == 1 and len(calls) == 2  # no further write is tried
    assert_same((distances, indices), expected)
    assert len(chunk_files(tmp_path)) == 1 and not list(tmp_path.rglob("*.tmp"))

    monkeypatch.setattr(npc.cache.np, "savez", savez)
    *result, stats = run_cached(tmp_path)
    assert stats.n_chunks_cached == 1
    assert_same(result, expected)


def refuse_writes(monkeypatch):
    # Tests may run as root, for whom chmod does not stop writes: refuse them at the source.
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(npc.cache.tempfile, "NamedTemporaryFile", refused)


def test_read_only_cache_folder_is_still_read(tmp_path, expected, monkeypatch):
    run_cached(tmp_path)
    chunk_files(tmp_path)[1].unlink()
    refuse_writes(monkeypatch)
    with pytest.warns(UserWarning, match=r"Cannot write to the cache folder .*Permission denied\); continuing"):
        distances, indices, stats = run_cached(tmp_path)
    assert stats.n_chunks_cached == 2
    assert_same((distances, indices), expected)


def test_unwritable_new_cache_folder_runs_without_cache(tmp_path, expected, monkeypatch):
    refuse_writes(monkeypatch)
    with pytest.warns(UserWarning, match="Cannot use cache_dir=.*Permission denied.*running without a cache"):
        distances, indices, stats = run_cached(tmp_path / "runs")
    assert stats.n_pairs_computed == len(QUERIES) * len(REFERENCES)
    assert_same((distances, indices), expected)


def test_a_bit_flip_anywhere_in_a_chunk_is_detected_or_harmless(tmp_path):
    """Flip one bit at every byte of a real chunk file: loading either reports damage
    (the chunk would be recomputed) or returns exactly the stored arrays (the flip hit
    bytes that do not carry data, such as a timestamp)."""
    cache = npc.cache.ChunkCache(tmp_path, {"job": "bit flips"})
    stored = {"distances": np.linspace(0, 1, 12).reshape(4, 3), "indices": np.arange(12).reshape(4, 3)}
    cache.save(0, stored)
    path = chunk_files(tmp_path)[0]
    pristine = path.read_bytes()
    shapes = {name: array.shape for name, array in stored.items()}
    outcomes = {"detected": 0, "harmless": 0}
    for position in range(len(pristine)):
        damaged = bytearray(pristine)
        damaged[position] ^= 1 << (position % 8)
        path.write_bytes(bytes(damaged))
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            loaded = cache.load(0, shapes)
        if loaded is None:
            outcomes["detected"] += 1
        else:
            assert all(np.array_equal(loaded[name], stored[name]) for name in stored), f"byte {position}"
            outcomes["harmless"] += 1
    assert outcomes["detected"] > len(pristine) // 2, outcomes
