"""The kernel and ``npc classify`` on a real Dask cluster: a scheduler and workers started
with the ``dask scheduler`` / ``dask worker`` commands on loopback, as a user starts them.

A lost worker is survived with identical results; a task that kills every worker it runs
on, or a cluster left without workers, ends the job with ``WorkerDiedError`` naming the
chunk (finished chunks cached) instead of waiting forever.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from joblib import parallel_config

import npc._cluster
from npc import nearest
from npc.cli import main
from npc.compressors import Compressor
from npc.kernel import WorkerDiedError
from tests.test_faults import QUERIES, REFERENCES, K, SlowGzip, assert_same, chunk_files

distributed = pytest.importorskip("distributed", reason="dask[distributed] not installed (extra 'dask')")

REPO = Path(__file__).resolve().parent.parent
DASK = Path(sys.executable).with_name("dask")
STARTUP_SECONDS = 60


class ExitsOnMarker(Compressor):
    """zlib-9 sizes; inside a test's Dask worker, a text holding ``b"<die> "`` ends the worker process."""

    name = "exits-on-marker"

    def compress(self, data: bytes) -> bytes:
        if b"<die> " in data and os.environ.get("NPC_TEST_DASK_WORKER"):
            os._exit(1)
        return zlib.compress(data, 9)


class Cluster:
    """``dask scheduler`` and ``dask worker`` subprocesses on loopback, each in its own process group."""

    def __init__(self, folder: Path, n_workers: int, *, nanny: bool = False, allowed_failures: int | None = None):
        self.folder, self.processes, self.workers = folder, [], []
        self.scheduler_file = folder / "scheduler.json"
        env = {**os.environ, "PYTHONPATH": str(REPO)}  # tasks unpickle npc and these tests' compressors
        if allowed_failures is not None:
            env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
        # The idle timeout ends a scheduler (and its --no-nanny workers with it) that a killed
        # test run left behind without its finalizer.
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--idle-timeout", "120s", "--scheduler-file", self.scheduler_file], env)
        worker_env = {**env, "NPC_TEST_DASK_WORKER": "1"}
        for n in range(n_workers):
            self.workers.append(self._start(f"worker-{n}", [
                "worker", "--scheduler-file", self.scheduler_file, "--nthreads", "1", "--no-dashboard",
                "--host", "127.0.0.1", "--nanny" if nanny else "--no-nanny"], worker_env))
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.scheduler_file.exists():
            assert time.monotonic() < deadline, self.logs()
            time.sleep(0.05)
        self.client = distributed.Client(scheduler_file=str(self.scheduler_file), timeout=STARTUP_SECONDS)
        self.client.wait_for_workers(n_workers, timeout=STARTUP_SECONDS)
        self.address = self.client.scheduler.address

    def _start(self, name: str, arguments: list, env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        process = subprocess.Popen([str(DASK), *map(str, arguments)], cwd=REPO, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.folder.glob("*.log")))

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close(timeout=5)
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def start_cluster(tmp_path_factory):
    """Start a cluster (``start_cluster(n_workers, ...)``); every process is killed at teardown."""
    if not DASK.exists():
        pytest.skip(f"no dask command beside {sys.executable}")
    clusters = []

    def start(n_workers: int, **options) -> Cluster:
        cluster = Cluster(tmp_path_factory.mktemp("cluster"), n_workers, **options)
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.close()


@pytest.fixture
def expected():
    return nearest(QUERIES, REFERENCES, K, compressor="gzip", n_jobs=1)


def on_cluster(cluster: Cluster, *args, wait_for_workers_timeout=10, **options):
    with parallel_config(backend="dask", client=cluster.client, wait_for_workers_timeout=wait_for_workers_timeout):
        return nearest(*args, return_stats=True, **options)


def count_unfinished(message: str) -> int:
    """Chunks a WorkerDiedError lists as unfinished (it shows five, then "and N more")."""
    more = re.search(r" and (\d+) more of ", message)
    return message.count("(query rows ") + (int(more.group(1)) if more else 0)


def test_a_worker_killed_mid_job_changes_nothing(start_cluster, tmp_path, expected):
    cluster = start_cluster(2)
    queries = QUERIES * 2  # 48 chunks of 16 pairs, ~35 ms each: ~0.8 s on two workers
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(on_cluster, cluster, queries, REFERENCES, K, compressor=SlowGzip(), chunk_size=1,
                          cache_dir=tmp_path)
        deadline = time.monotonic() + 60
        while len(chunk_files(tmp_path)) < 6:
            assert time.monotonic() < deadline and not job.done(), cluster.logs()
            time.sleep(0.005)
        os.killpg(cluster.workers[0].pid, signal.SIGKILL)
        assert cluster.workers[0].wait(timeout=10) == -signal.SIGKILL
        killed_with = len(chunk_files(tmp_path))
        distances, indices, stats = job.result(timeout=120)
    assert killed_with < len(queries), "the job finished before the worker was killed"
    assert stats.cluster == {"scheduler": cluster.address, "workers": 2, "threads": 2}
    assert_same((distances[:24], indices[:24]), expected)
    assert_same((distances[24:], indices[24:]), expected)


def test_a_task_that_kills_every_worker_it_runs_on_is_an_error_naming_its_chunk(start_cluster, tmp_path):
    # The scheduler gives up on a task after its allowed failures (here 1: the task may kill
    # two workers); npc turns the scheduler's KilledWorker into WorkerDiedError.
    cluster = start_cluster(2, allowed_failures=1)
    queries = [f"query {i}" for i in range(16)]
    queries[9] = "<die>"
    options = dict(compressor=ExitsOnMarker(), chunk_size=2, cache_dir=tmp_path)
    started = time.monotonic()
    with pytest.raises(WorkerDiedError) as raised:
        on_cluster(cluster, queries, REFERENCES, 2, **options)
    assert time.monotonic() - started < 30
    message = str(raised.value)
    # With one thread per worker, the scheduler also gives a worker the next task to hold:
    # that task may be charged with the same deaths and be given up on too.
    assert re.match(rf"On the Dask cluster at {cluster.address}, the scheduler gave up on chunk\(s\) (\d, )*4(, \d)* "
                    r"\(each was running on 2 workers that died; distributed.scheduler.allowed-failures = 1\) "
                    r"while chunk\(s\) .*4 \(query rows 8-9\)", message), message
    assert "rerun to resume" in message
    finished = len(chunk_files(tmp_path))
    assert finished == 8 - count_unfinished(message)
    # Here (not a test worker) the marker is harmless: the rerun computes only what was missing.
    *_, stats = nearest(queries, REFERENCES, 2, n_jobs=1, return_stats=True, **options)
    assert stats.n_chunks_cached == finished


def test_a_cluster_left_without_workers_is_an_error_not_a_wait(start_cluster, tmp_path):
    # With --no-nanny nothing restarts the one worker that the task kills, so the scheduler
    # never reaches its allowed failures: npc stops after joblib's wait_for_workers_timeout.
    cluster = start_cluster(1)
    queries = [f"query {i}" for i in range(8)]
    queries[5] = "<die>"
    started = time.monotonic()
    with pytest.raises(WorkerDiedError, match=r", no worker has been connected for 2 s while chunk\(s\) ") as raised:
        on_cluster(cluster, queries, REFERENCES, 2, compressor=ExitsOnMarker(), chunk_size=2, cache_dir=tmp_path,
                   wait_for_workers_timeout=2)
    assert time.monotonic() - started < 30
    assert "2 (query rows 4-5)" in str(raised.value)
    assert len(chunk_files(tmp_path)) == 4 - count_unfinished(str(raised.value))


def test_joblib_dask_backend_and_cli_give_the_local_results_and_resume_from_the_cache(start_cluster, tmp_path,
                                                                                        capsys):
    cluster = start_cluster(2)
    result = on_cluster(cluster, QUERIES, REFERENCES, K, compressor="gzip", chunk_size=5)
    assert_same(result[:2], nearest(QUERIES, REFERENCES, K, compressor="gzip", n_jobs=1))

    argv = ["classify", "--n-train", "120", "--n-test", "30", "-q"]
    assert main([*argv, "--n-jobs", "1", "--output", str(tmp_path / "local.json")]) == 0
    cluster_argv = [*argv, "--scheduler", cluster.address, "--cache-dir", str(tmp_path / "cache")]
    for run in ("first", "rerun"):
        assert main([*cluster_argv, "--output", str(tmp_path / f"{run}.json")]) == 0
    local, first, rerun = (json.loads((tmp_path / f"{run}.json").read_text()) for run in ("local", "first", "rerun"))
    assert first["predictions"] == local["predictions"] == rerun["predictions"]
    assert first["report"]["kernel"]["cluster"] == {"scheduler": cluster.address, "workers": 2, "threads": 2}
    assert local["report"]["kernel"]["cluster"] is None
    assert rerun["report"]["kernel"]["n_pairs_from_cache"] == 120 * 30

    capsys.readouterr()
    assert main([*argv, "--scheduler-file", str(cluster.scheduler_file)]) == 0
    assert capsys.readouterr().out.splitlines()[1:3] == [f"accuracy  {local['report']['accuracy']:.4f}",
                                                         f"macro-F1  {local['report']['macro_f1']:.4f}"]


@pytest.mark.parametrize("option, value, error", [
    ("--scheduler", "tcp://127.0.0.1:1", "--scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:1 within 1 s"),
    ("--scheduler", "nonsense://x", "--scheduler: cannot connect to a Dask scheduler at nonsense://x: ValueError"),
    ("--scheduler-file", "missing.json", "--scheduler-file: scheduler file missing.json does not exist"),
])
def test_cli_without_a_reachable_cluster_says_so_in_one_line_and_exits_2(option, value, error, monkeypatch,
                                                                         capsys):
    monkeypatch.setattr(npc._cluster, "CONNECT_TIMEOUT", 1)
    started = time.monotonic()
    assert main(["classify", option, value]) == 2
    assert time.monotonic() - started < 10
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"npc classify: error: {error}") and stderr.count("\n") == 1, stderr


class NotAScheduler:
    """A TCP server on loopback that is no Dask scheduler: it says nothing, or answers as HTTP does."""

    HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request"

    def __init__(self, kind: str):
        import socket
        import threading

        self.kind, self.connections = kind, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)  # kept open, as a server that keeps the connection alive
            if self.kind == "http":
                connection.recv(65536)
                connection.sendall(self.HTTP_REPLY)

    def close(self):
        self.server.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["silent", "http"])
def test_cli_at_a_server_that_is_no_dask_scheduler_says_so_within_the_timeout(kind, monkeypatch, capsys):
    """A listening server that never answers, or one that answers HTTP, is no Dask scheduler: exit 2 in one
    line within the connection timeout (not a wait without end, nor "out of memory" from reading HTTP as Dask)."""
    monkeypatch.setattr(npc._cluster, "CONNECT_TIMEOUT", 1)
    server = NotAScheduler(kind)
    try:
        started = time.monotonic()
        assert main(["classify", "--scheduler", server.address, "-q"]) == 2
        assert time.monotonic() - started < 5
    finally:
        server.close()
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"npc classify: error: --scheduler: no Dask scheduler at {server.address}"), stderr
    assert stderr.count("\n") == 1, stderr


def test_cli_without_dask_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    assert main(["classify", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert capsys.readouterr().err == ('npc classify: error: --scheduler: Dask is not installed; install it with: '
                                       'pip install "npc[dask]"\n')


def test_cli_refuses_one_local_job_with_a_cluster(capsys):
    assert main(["classify", "--n-jobs", "1", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--n-jobs 1 computes in this process" in capsys.readouterr().err
