"""Kernel chunks on a Dask cluster, as futures rather than through joblib's ``Parallel``.

Used when joblib's Dask backend is active (``joblib.parallel_config(backend="dask")``, which
``npc classify --scheduler`` sets up). Futures let the kernel see what ``Parallel`` hides:
a task that the scheduler gave up on (it killed ``allowed-failures + 1`` workers ends as
:class:`distributed.scheduler.KilledWorker`), a cluster left without any worker, input data
lost with the workers that held it. Each ends the job with an error naming the chunks
instead of a wait that never returns.

The shared inputs (the reference corpus and its sizes) go to the cluster once, as tasks
whose values are their arguments, rather than with ``Client.scatter``: the scheduler can
recompute a task whose every holder died, but scattered data lost that way is gone for
good (the scheduler says it "can't be recovered") and every chunk waiting on it would be
cancelled.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from joblib.parallel import get_active_backend

from npc.errors import NPCError

__all__ = ["CONNECT_TIMEOUT", "ChunksFailed", "ClusterUnavailableError", "active_client", "compute_chunks",
           "connect", "describe"]

# Seconds to reach a scheduler before `connect` gives up (distributed's own default is 30 s).
CONNECT_TIMEOUT = 10.0
# How often a waiting job checks that the cluster still has workers.
POLL_SECONDS = 0.05
WORKER_CHECK_SECONDS = 1.0
INSTALL_HINT = 'Dask is not installed; install it with: pip install "npc[dask]"'


class ClusterUnavailableError(NPCError, ConnectionError):
    """No Dask cluster can be reached at the given address or scheduler file."""


class ChunksFailed(RuntimeError):
    """The cluster will not finish some chunks; ``reason`` says why (one sentence)."""

    def __init__(self, failed: list[int], reason: str):
        super().__init__(reason)
        self.failed = failed
        self.reason = reason


def _distributed():
    try:
        import distributed
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return distributed


def connect(address: str | None = None, *, scheduler_file=None, timeout: float | None = None):
    """A ``distributed.Client`` of the scheduler at ``address`` or named in ``scheduler_file``.

    ``timeout`` (seconds to reach the scheduler) defaults to :data:`CONNECT_TIMEOUT`.

    Raises
    ------
    ImportError
        ``distributed`` is not installed (the message says how to install it).
    ClusterUnavailableError
        The address is malformed, or no Dask scheduler answers there within ``timeout``
        seconds (nothing listens, something else does), or the scheduler file is missing
        or unreadable.
    """
    distributed = _distributed()
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if scheduler_file is not None:
        address = _address_in(scheduler_file)
    try:
        _identify(address, timeout)
        return distributed.Client(address, timeout=timeout)
    except ClusterUnavailableError:
        raise
    except OSError as error:
        raise ClusterUnavailableError(f"cannot reach a Dask scheduler at {address} within {timeout:g} s "
                                      f"({error})") from error
    except (ValueError, TypeError, KeyError) as error:  # a malformed address
        raise ClusterUnavailableError(f"cannot connect to a Dask scheduler at {address}: {type(error).__name__}: "
                                      f"{error}") from error


def _address_in(scheduler_file) -> str:
    """The scheduler's address written in ``scheduler_file`` (``dask scheduler --scheduler-file FILE``)."""
    path = Path(scheduler_file).expanduser()
    if not path.is_file():  # Client would wait forever for a missing file to appear
        raise ClusterUnavailableError(f"scheduler file {scheduler_file} does not exist (it is written by "
                                      "`dask scheduler --scheduler-file FILE`)")
    try:
        return json.loads(path.read_text())["address"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ClusterUnavailableError(f"cannot read the scheduler's address in {scheduler_file} "
                                      f"({type(error).__name__}: {error})") from error


def _identify(address: str, timeout: float) -> None:
    """Return if a Dask scheduler answers at ``address`` within ``timeout`` seconds, else raise.

    ``distributed.Client`` itself waits without end for the handshake of a server that
    accepts a connection and says nothing, and reads an HTTP reply as the length of a
    message (then fails to allocate exbibytes): ask the server who it is first, with a deadline.
    """
    import asyncio

    from distributed.comm import connect as open_comm

    async def identity():
        # connection attempts end first (OSError: nothing listens), the handshake's deadline after
        comm = await open_comm(address, timeout=0.8 * timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as thread:  # an event loop of its own, even where the caller runs one
        try:
            reply = thread.submit(asyncio.run, asyncio.wait_for(identity(), timeout)).result()
        except TimeoutError:
            raise ClusterUnavailableError(f"no Dask scheduler at {address} answered within {timeout:g} s") from None
        except (OSError, ValueError, TypeError, KeyError):
            raise  # unreachable or malformed: connect words them
        except Exception as error:  # noqa: BLE001 -- whatever reading a foreign protocol raises
            raise ClusterUnavailableError(
                f"no Dask scheduler at {address}: the server there does not speak Dask's protocol "
                f"({type(error).__name__}; a web server? A scheduler listens on port 8786 by default, its dashboard "
                "on 8787)") from error
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        kind = f"a Dask {reply['type']}" if isinstance(reply, dict) and reply.get("type") else "something else"
        raise ClusterUnavailableError(f"no Dask scheduler at {address}: {kind} answers there")


def active_client():
    """The ``distributed.Client`` of joblib's active Dask backend, or None for any other backend."""
    if "distributed" not in sys.modules:  # no Dask backend can be active without it
        return None
    from distributed import Client

    client = getattr(get_active_backend()[0], "client", None)
    return client if isinstance(client, Client) else None


def describe(client) -> dict:
    """Scheduler address, workers and threads of a cluster (as it is now)."""
    nthreads = client.nthreads()
    return {"scheduler": client.scheduler.address, "workers": len(nthreads), "threads": sum(nthreads.values())}


def _value(value):
    return value


def _raise_failures(failed, chunk_of: dict, shared_futures: list) -> None:
    """Raise for the chunks that did not finish (``ChunksFailed``, or the task's own error)."""
    from distributed.scheduler import KilledWorker

    killed = [(chunk_of[future.key], result[1]) for future, result in failed
              if future.status == "error" and isinstance(result[1], KilledWorker)]
    if killed:
        indices = sorted(index for index, _ in killed)
        allowed = killed[0][1].allowed_failures
        raise ChunksFailed(indices, f"the scheduler gave up on chunk(s) {', '.join(map(str, indices))} (each was "
                                    f"running on {allowed + 1} workers that died; "
                                    f"distributed.scheduler.allowed-failures = {allowed})") from killed[0][1]
    for future, result in failed:
        if not isinstance(result, BaseException):  # (type, exception, traceback) of the task's own error
            raise result[1].with_traceback(result[2])
        for shared_future in shared_futures:
            if shared_future.status == "error":
                shared_future.result()  # why the inputs never arrived, e.g. the scheduler lacks npc
        index = chunk_of[future.key]
        raise ChunksFailed([index], f"chunk {index} was cancelled ({result or type(result).__name__})")


def compute_chunks(client, function, chunk_args: dict[int, tuple], shared: tuple, *, wait_for_workers: float):
    """Yield ``function(*chunk_args[i], *shared)`` for every chunk ``i``, in the order they finish.

    ``shared`` goes to the cluster once; each chunk is one task. Stops with
    :class:`ChunksFailed` when a task is given up on (``KilledWorker``), when its inputs are
    lost, or when the cluster has had no worker for ``wait_for_workers`` seconds; other
    errors raised by ``function`` propagate as they are. Unfinished tasks are cancelled
    whenever the generator stops early.
    """
    distributed = _distributed()
    token = uuid.uuid4().hex[:12]
    with warnings.catch_warnings():
        # The references are meant to travel in the graph (see the module docstring).
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        shared_futures = [client.submit(_value, value, key=f"npc-shared-{n}-{token}", pure=False)
                          for n, value in enumerate(shared)]
        indices = list(chunk_args)
        columns = [*zip(*(chunk_args[i] for i in indices)), *([future] * len(indices) for future in shared_futures)]
        futures = client.map(function, *columns, key=[f"npc-chunk-{i}-{token}" for i in indices]) if indices else []
    chunk_of = {future.key: index for future, index in zip(futures, indices)}
    # With results: gathered in the background, so that a result lost with its worker (then
    # recomputed, if any worker is left) never blocks the loop that watches for workers.
    completed = distributed.as_completed(futures, with_results=True, raise_errors=False)
    next_check, no_workers_since = 0.0, None
    try:
        while not completed.is_empty():
            batch = completed.next_batch(block=False)
            # A result in hand counts even if the status moved on (a worker that died after
            # sending it: the scheduler then recomputes the key, we need not wait for that).
            failed = []
            for future, result in batch:
                if future.status == "error" or isinstance(result, BaseException):
                    failed.append((future, result))
                else:
                    yield result
                    future.release()
            _raise_failures(failed, chunk_of, shared_futures)
            if batch:
                continue
            now = time.monotonic()
            if now >= next_check:
                next_check = now + WORKER_CHECK_SECONDS
                if client.nthreads():
                    no_workers_since = None
                elif no_workers_since is None:
                    no_workers_since = now
                elif now - no_workers_since > wait_for_workers:
                    raise ChunksFailed([], f"no worker has been connected for {wait_for_workers:g} s")
            time.sleep(POLL_SECONDS)
    finally:
        unfinished = [future for future in futures if not future.done()]
        if unfinished:
            client.cancel(unfinished)
        for future in shared_futures:
            future.release()
