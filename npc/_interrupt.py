"""Ctrl-C and SIGTERM for the ``npc`` command: one clean stop at any moment, with or without psutil.

A terminal sends SIGINT to every process of the foreground group, so npc's worker
processes would each die with a traceback of their own, and so would the ``pgrep`` that
joblib's loky runs to find a worker's children when psutil is absent (its fallback then
fails with more tracebacks and leaves workers behind). Instead the command blocks SIGINT
before it starts any thread or process: every thread and child process inherits the
blocked signal and never sees it, and one watcher thread takes it with ``sigwait`` and
raises ``KeyboardInterrupt`` in the main thread, where the command stops its workers
through joblib and prints one line. A second Ctrl-C kills the workers and exits at once.

SIGTERM (what ``timeout``, ``kill`` and batch schedulers send, to the process or its whole
group) takes the same route: the same clean stop, finished chunks kept, one line, and the
exit code of the signal's convention, 128 + its number (130 for SIGINT, 143 for SIGTERM).

``kill -9`` (or the out-of-memory killer) gives the command no chance to stop its workers:
each worker stops itself when the command is gone. The command names itself in
``$NPC_EXIT_WITH`` (:func:`tie_children_to_this_process`), which its worker processes
inherit; a process that imports npc and whose parent is that process watches it
(:func:`exit_with_parent`) and exits when it is gone. The resource trackers then see their
last writer close and exit too.

This module imports nothing heavy: it runs before the command's imports, so that an
interrupt during them is handled too.
"""

from __future__ import annotations

import _thread
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing import resource_tracker

__all__ = ["EXIT_INTERRUPTED", "STOP_SIGNALS", "exit_code", "exit_with_parent", "interrupted_message",
           "received_signal", "route_interrupts_to_main_thread", "stop_routing", "tie_children_to_this_process"]

EXIT_INTERRUPTED = 128 + signal.SIGINT
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_finished = threading.Event()
EXIT_WITH = "NPC_EXIT_WITH"  # the environment variable naming the process whose children exit with it
PARENT_POLL_SECONDS = 0.5
_received: list[int] = []  # the stop signals the watcher took, in order


def received_signal() -> int:
    """The signal that stopped the command: the first the watcher took, else SIGINT (Python's own Ctrl-C)."""
    return _received[0] if _received else signal.SIGINT


def exit_code(signum: int | None = None) -> int:
    """128 + the signal's number, the shell's convention (default: :func:`received_signal`)."""
    return 128 + (received_signal() if signum is None else signum)


def interrupted_message(cache_dir=None, signum: int | None = None) -> str:
    """The one line printed when a run is stopped by ``signum`` (default: :func:`received_signal`)."""
    signum = received_signal() if signum is None else signum
    stopped = "npc: interrupted" if signum == signal.SIGINT else f"npc: stopped by {signal.Signals(signum).name}"
    if cache_dir:
        return (f"{stopped}. Chunks finished so far are kept in {cache_dir}; "
                "run the same command again to resume from them.")
    return f"{stopped}; nothing was kept (give --cache-dir DIR to make long runs resumable)."


def route_interrupts_to_main_thread() -> bool:
    """Block SIGINT and SIGTERM for this process and its future children; a watcher thread handles them.

    Call once, first thing in the main thread of a command-line process, before any
    other thread or child process exists. Returns False (and changes nothing) where
    signal masks do not exist (Windows), where Ctrl-C stays Python's ``KeyboardInterrupt``.
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    _quiet_loky_tracker()
    # The standard library's resource tracker (which joblib starts) unblocks SIGINT and SIGTERM in the
    # thread that starts it (`pthread_sigmask(SIG_UNBLOCK)` after its spawn): start it now,
    # then block again; later starts find it running and change nothing.
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    threading.Thread(target=_watch, name="npc-interrupts", daemon=True).start()
    return True


def _quiet_loky_tracker() -> None:
    """Silence the exit warnings of loky's resource tracker in the processes this one starts.

    When Ctrl-C stops a worker pool, the tracker (a child process, started later with this
    environment) removes the pool's semaphore itself and then warns that it "appears to be
    leaked" (and, in a race, that it was already gone): noise after the one interrupted line,
    not something a user can act on.
    """
    rule = "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker"
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), rule]))


def stop_routing() -> None:
    """The command has returned: a Ctrl-C from now on (during interpreter exit) stops at once."""
    _finished.set()


def _watch() -> None:
    _received.append(signal.sigwait(STOP_SIGNALS))
    if not _finished.is_set():
        _thread.interrupt_main(signal.SIGINT)  # a KeyboardInterrupt, whichever signal it was
        _received.append(signal.sigwait(STOP_SIGNALS))
    _stop_now()


def _stop_now() -> None:
    """Kill the worker processes and exit (128 + the last signal) without waiting for anything (a
    second Ctrl-C or SIGTERM, or one while the interpreter exits after the command)."""
    for child in multiprocessing.active_children():
        try:
            os.kill(child.pid, signal.SIGKILL)
        except OSError:  # already gone
            pass
    print("\nnpc: interrupted; stopped at once.", file=sys.stderr, flush=True)
    os._exit(exit_code(_received[-1]))


def tie_children_to_this_process() -> None:
    """Have the child processes this process starts from now on (that import npc) exit when it is gone."""
    os.environ[EXIT_WITH] = str(os.getpid())


def exit_with_parent() -> bool:
    """In a child of the process named in ``$NPC_EXIT_WITH``: exit when that parent is gone.

    A daemon thread polls the parent's id (a child whose parent dies is adopted by another
    process); nothing happens in any other process. Returns whether it watches.
    """
    parent = os.environ.get(EXIT_WITH)
    if parent is None or str(os.getppid()) != parent:
        return False

    def watch():
        while os.getppid() == int(parent):
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="npc-exit-with-parent", daemon=True).start()
    return True
