"""Ctrl-C on the ``npc`` command: real subprocesses, SIGINT to the whole process group as a
terminal sends it, on an install without psutil (joblib's loky then kills workers with pgrep)."""

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from joblib import Parallel, delayed

from npc import kernel
from npc._interrupt import interrupted_message

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find processes")

# Seconds after npc took charge of SIGINT (during the imports and data loading), then seconds
# after the "computing … NCD pairs" note (workers starting, then working): ten interrupts,
# ~30 s. An interrupt in the first tens of milliseconds, before npc's first line runs, is
# Python's own (it ends the process by the signal, or with a traceback from its start-up).
AFTER_START = [0.0, 0.3, 0.8, 1.3]
AFTER_COMPUTING = [0.0, 0.05, 0.2, 0.5, 1.0, 2.0]


@pytest.fixture(scope="module")
def no_psutil(tmp_path_factory):
    """PYTHONPATH whose first folder has a psutil.py that fails to import, as on a plain install."""
    folder = tmp_path_factory.mktemp("no_psutil")
    (folder / "psutil.py").write_text('raise ImportError("psutil is not installed (hidden by the test)")\n')
    path = os.pathsep.join([str(folder), str(Path(__file__).parents[1])])
    probe = "from joblib.externals.loky.backend import utils; print(utils.psutil)"
    loky = subprocess.run([sys.executable, "-c", probe], env=dict(os.environ, PYTHONPATH=path), capture_output=True,
                          text=True, check=True)
    assert loky.stdout.strip() == "None"  # loky falls back to pgrep, as on a plain install
    return path


def _group_processes(group: int) -> list[str]:
    """Live (not zombie) processes of a process group, as 'pid state command'."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        command, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(f"{stat.parent.name} {fields[0]} {command}")
    return found


def _blocks(pid: int, signum: int) -> bool:
    """Whether the main thread of ``pid`` has ``signum`` blocked (npc's first step)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    blocked = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:")), 16)
    return bool(blocked & (1 << (signum - 1)))


def _sigint_as_in_a_terminal() -> None:
    """Run in the child before exec: Ctrl-C's default disposition, as a terminal gives it.

    A test run started in the background of a non-interactive shell (``pytest &``) ignores
    SIGINT, and an ignored signal is inherited and discarded even by ``sigwait``: npc would
    rightly ignore the Ctrl-C, as ``nohup``-style callers ask, and the test would prove nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(env, delay: float, wait_for: str | None, signum=signal.SIGINT, to_group=True, arguments=(),
               ready=lambda: True):
    """Run ``npc classify --n-jobs 2 ARGUMENTS``, send ``signum`` (to its process group, as a terminal does,
    or to the process alone, as ``timeout`` does) ``delay`` s after ``wait_for`` appears on stderr (or after
    npc took charge of the signal) and ``ready()``; return the exit code, stderr and the processes of the group
    still alive."""
    process = subprocess.Popen([sys.executable, "-m", "npc", "classify", "--n-jobs", "2", *arguments], env=env,
                               text=True,
                               preexec_fn=_sigint_as_in_a_terminal,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    stderr, seen = [], threading.Event()

    def read():
        for chunk in iter(lambda: process.stderr.read(1), ""):
            stderr.append(chunk)
            if wait_for and chunk == "\n" and wait_for in "".join(stderr[-200:]):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while not _blocks(process.pid, signum) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if wait_for:
        assert seen.wait(60), "".join(stderr)
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    (os.killpg if to_group else os.kill)(process.pid, signum)
    returncode = process.wait(timeout=60)
    reader.join(10)
    deadline = time.monotonic() + 5
    while _group_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return returncode, "".join(stderr), _group_processes(process.pid)


@pytest.mark.slow
def test_every_interrupt_is_one_line_exit_130_and_no_worker_left(no_psutil, tmp_path):
    env = dict(os.environ, PYTHONPATH=no_psutil, HF_DATASETS_OFFLINE="1", NPC_CACHE_DIR=str(tmp_path))
    env.pop("NPC_DATA_DIR", None)
    expected = interrupted_message()
    moments = [(delay, None) for delay in AFTER_START] + [(delay, "NCD pairs (") for delay in AFTER_COMPUTING]
    for delay, wait_for in moments:
        returncode, stderr, left = _interrupt(env, delay, wait_for)
        when = f"SIGINT {delay} s after {'the computing note' if wait_for else 'start'}"
        assert returncode == 130, f"{when}: exit {returncode}\n{stderr}"
        assert "Traceback" not in stderr and "Error" not in stderr and "warn" not in stderr.lower(), \
            f"{when}:\n{stderr}"
        lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
        assert [line for line in lines if "interrupted" in line] == [expected], f"{when}:\n{stderr}"
        assert lines[-1] == expected, f"{when}:\n{stderr}"
        assert not left, f"{when}: processes left: {left}"


@pytest.mark.parametrize("to_group", [False, True], ids=["to the process (timeout)", "to the group (scheduler)"])
def test_sigterm_ends_like_ctrl_c_with_exit_143_keeping_finished_chunks(to_group, no_psutil, tmp_path):
    env = dict(os.environ, PYTHONPATH=no_psutil, HF_DATASETS_OFFLINE="1", NPC_CACHE_DIR=str(tmp_path))
    env.pop("NPC_DATA_DIR", None)
    cache = tmp_path / "chunks"
    returncode, stderr, left = _interrupt(env, 0.0, "NCD pairs (", signal.SIGTERM, to_group,
                                          ["--cache-dir", str(cache)], ready=lambda: list(cache.rglob("*.npz")))
    assert returncode == 143, stderr
    assert "Traceback" not in stderr and "Error" not in stderr and "warn" not in stderr.lower(), stderr
    lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert lines[-1] == interrupted_message(cache, signal.SIGTERM) == (
        f"npc: stopped by SIGTERM. Chunks finished so far are kept in {cache}; run the same command again to "
        "resume from them."), stderr
    assert not left, f"processes left: {left}"
    assert list(cache.rglob("*.npz")), "no finished chunk was kept"


def test_kill_9_of_npc_leaves_no_worker_or_resource_tracker_behind(tmp_path):
    """SIGKILL (or the out-of-memory killer) gives npc no chance to stop its workers: they stop themselves."""
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", NPC_CACHE_DIR=str(tmp_path))
    env.pop("NPC_DATA_DIR", None)
    cache = tmp_path / "chunks"
    process = subprocess.Popen([sys.executable, "-m", "npc", "classify", "--n-jobs", "2", "--cache-dir", str(cache)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(cache.rglob("*.npz")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    others = [line for line in _group_processes(process.pid) if not line.startswith(f"{process.pid} ")]
    assert len(others) >= 2, others  # the workers (and resource trackers) are running
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while _group_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _group_processes(process.pid)
    for line in left:  # do not leave them to the next test
        os.kill(int(line.split()[0]), signal.SIGKILL)
    assert not left, f"processes left: {left}"


ROUTED = """
import multiprocessing, time
from npc._interrupt import route_interrupts_to_main_thread

if __name__ == "__main__":
    route_interrupts_to_main_thread()
    child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(60,))
    child.start()
    print(child.pid, flush=True)
    while True:  # a shutdown that never ends: only the second Ctrl-C can stop it
        try:
            time.sleep(0.02)
        except KeyboardInterrupt:
            print("KeyboardInterrupt in the main thread", flush=True)
"""


def test_child_processes_never_see_ctrl_c_and_a_second_one_stops_at_once(no_psutil, tmp_path):
    script = tmp_path / "routed.py"
    script.write_text(ROUTED)
    process = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=no_psutil), text=True,
                               preexec_fn=_sigint_as_in_a_terminal,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    child = int(process.stdout.readline())
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)  # to the whole group, the child included
    assert process.stdout.readline() == "KeyboardInterrupt in the main thread\n"
    assert child in [int(line.split()[0]) for line in _group_processes(process.pid)]  # blocked: not killed
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert process.stderr.read().strip() == "npc: interrupted; stopped at once."
    deadline = time.monotonic() + 5
    while _group_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_processes(process.pid)


def test_a_stream_of_chunks_stopped_early_ends_without_joblibs_warning():
    # Ctrl-C or a failed chunk leaves joblib's stream of chunks early; closing it, joblib
    # warns that the chunks in flight were cancelled, a line the stop message already covers.
    stream = Parallel(n_jobs=2, return_as="generator_unordered")(delayed(time.sleep)(0.2) for _ in range(6))
    next(stream)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kernel._stop(stream)
    assert [str(warning.message) for warning in caught] == []
