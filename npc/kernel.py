"""The pairwise NCD kernel: full matrices and the streaming nearest-neighbour search.

Work is split into chunks of query rows. Each chunk compresses ``query + sep + reference``
for every reference (the query is the prefix whose compressor state is reused), turns the
sizes into NCD in one vectorised step and, for :func:`nearest`, keeps only the
``n_neighbors`` smallest distances of each row. Chunks run through :class:`joblib.Parallel`,
so ``joblib.parallel_config(backend=...)`` picks the engine (processes, threads), except
that with the Dask backend they run as Dask futures (:mod:`npc._cluster`), which report a
task the cluster gave up on; finished chunks go to the cache (:mod:`npc.cache`) as they
arrive.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from tqdm.auto import tqdm

from npc import _cluster
from npc._validation import InvalidInputError, check_int, check_n_neighbors, encode_text
from npc.cache import open_cache, wider_caches
from npc.compressors import Compressor, get_compressor
from npc.corpus import Corpus, as_corpus
from npc.distance import ncd
from npc.errors import NPCError
from npc.neighbors import top_k

__all__ = ["pairwise_ncd", "nearest", "compressed_sizes", "seconds_per_pair", "chunk_bounds", "KernelStats",
           "WorkerDiedError", "PAIRS_PER_CHUNK", "MIN_PAIRS_PER_CHUNK", "CHUNKS_PER_JOB"]

# Default chunking, from the job's size alone (never from the worker count, so that a rerun
# on a different number of workers or a resized cluster still finds its cached chunks): about
# CHUNKS_PER_JOB chunks, enough for every worker of a large cluster to get several, but no
# chunk above PAIRS_PER_CHUNK (~5-10 s of gzip-9: an interruption loses little) nor below
# MIN_PAIRS_PER_CHUNK (~0.06-0.2 s of gzip-9, against ~1-2 ms of dispatch and cache write).
PAIRS_PER_CHUNK = 250_000
MIN_PAIRS_PER_CHUNK = 4_096
CHUNKS_PER_JOB = 1_024


class WorkerDiedError(NPCError, RuntimeError):
    """A worker process died (killed, out of memory, crashed) before its chunks finished."""

    exit_code = 1  # a failure while running: the command itself was fine


@dataclass(frozen=True)
class KernelStats:
    """What a kernel call did: pairs in the job, pairs computed (not from cache), time, and
    the Dask cluster that ran it (scheduler address, workers and threads at the start), if any."""

    n_pairs: int
    n_pairs_computed: int
    n_chunks: int
    n_chunks_cached: int
    seconds: float
    cluster: dict | None = None


def compressed_sizes(texts, compressor: str | Compressor = "gzip", level: int | None = None) -> np.ndarray:
    """``C(x)`` of every text, as int64.

    Examples
    --------
    >>> compressed_sizes(["", "abc"], "gzip").tolist()
    [20, 23]
    """
    corpus = as_corpus(texts, allow_empty=True)
    size = get_compressor(compressor, level).compressed_size
    return np.fromiter(map(size, corpus.items), dtype=np.int64, count=len(corpus))


def _compute_chunk(index, queries, query_sizes, references, reference_sizes, compressor, sep, n_neighbors):
    """NCD of a block of queries against every reference (top-k rows if ``n_neighbors``)."""
    sizes = np.empty((len(queries), len(references)), dtype=np.int64)
    tails = references.items
    for row, query in enumerate(queries):
        compressor.prefix(query + sep).sizes_with(tails, out=sizes[row])
    block = ncd(sizes, query_sizes[:, None], reference_sizes[None, :])
    if n_neighbors is None:
        return index, {"distances": block}
    return index, top_k(block, n_neighbors)


def _default_chunk_rows(n_queries: int, n_references: int) -> int:
    """Query rows per chunk: about the pairs :data:`CHUNKS_PER_JOB` asks, then evened out over the chunks."""
    n_references = max(n_references, 1)
    target = min(PAIRS_PER_CHUNK, max(MIN_PAIRS_PER_CHUNK, n_queries * n_references // CHUNKS_PER_JOB))
    rows = max(1, round(target / n_references))
    return math.ceil(n_queries / math.ceil(n_queries / rows))


def chunk_bounds(n_queries: int, n_references: int, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """The ``(start, stop)`` query rows of each chunk of a job, as :func:`nearest` splits it.

    ``chunk_size`` rows per chunk, or by default a size from the job's shape alone (see
    :func:`pairwise_ncd`'s ``chunk_size``).

    Examples
    --------
    >>> chunk_bounds(5, 10, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if chunk_size is None:
        chunk_size = _default_chunk_rows(n_queries, n_references)
    else:
        chunk_size = check_int(chunk_size, "chunk_size")
    return [(start, min(start + chunk_size, n_queries)) for start in range(0, n_queries, chunk_size)]


def _progress(total: int, initial: int, verbose: int):
    terminal = sys.stderr.isatty()
    enabled = verbose >= 2 or (bool(verbose) and terminal)
    return tqdm(
        total=total,
        initial=initial,
        unit="pair",
        unit_scale=True,
        desc="NCD pairs",
        file=sys.stderr,
        disable=not enabled,
        smoothing=0.05,
        # in a log file, a line every 30 s rather than a redraw ten times a second
        mininterval=0.1 if terminal else 30,
    )


def _encode_separator(sep) -> bytes:
    if not isinstance(sep, (str, bytes)):
        raise TypeError(f"sep must be str or bytes; got {type(sep).__name__}.")
    return encode_text(sep)


def _run(queries, references, *, compressor, level, sep, n_neighbors, n_jobs, cache_dir, chunk_size,
         verbose, query_sizes=None, reference_sizes=None):
    """Run a kernel job chunk by chunk; return the per-chunk arrays in order and the stats."""
    started = time.perf_counter()
    compressor = get_compressor(compressor, level)
    sep = _encode_separator(sep)
    queries = as_corpus(queries, name="X")
    references = as_corpus(references, name="Y")
    _warn_beyond_window(compressor, queries, sep)
    if n_neighbors is not None:
        check_n_neighbors(n_neighbors, len(references), what="reference set")
    if query_sizes is None:
        query_sizes = compressed_sizes(queries, compressor)
    if reference_sizes is None:
        reference_sizes = query_sizes if references is queries else compressed_sizes(references, compressor)
    query_sizes = _check_sizes(query_sizes, len(queries), "query_sizes")
    reference_sizes = _check_sizes(reference_sizes, len(references), "reference_sizes")
    bounds = chunk_bounds(len(queries), len(references), chunk_size)
    cache = _job_cache(cache_dir, compressor, sep, queries, references, n_neighbors, bounds)
    results, pending = _load_finished(cache, bounds, n_neighbors, len(references))
    n_pairs = len(queries) * len(references)
    pending_pairs = sum(bounds[i][1] - bounds[i][0] for i in pending) * len(references)

    def chunk_args(index):
        start, stop = bounds[index]
        return index, queries.items[start:stop], query_sizes[start:stop]

    shared = (references, reference_sizes, compressor, sep, n_neighbors)
    client = None if n_jobs == 1 else _cluster.active_client()  # n_jobs=1 stays in-process, as in joblib
    cluster = None if client is None else _cluster.describe(client)
    with _progress(n_pairs, n_pairs - pending_pairs, verbose) as bar:
        chunks = _computed(pending, chunk_args, shared, n_jobs, client)
        try:
            for index, arrays in chunks:
                cache.save(index, arrays)
                results[index] = arrays
                bar.update((bounds[index][1] - bounds[index][0]) * len(references))
        except BrokenProcessPool as error:
            unfinished = [index for index in pending if index not in results]
            raise WorkerDiedError(_describe_unfinished(
                "A worker process died (killed, out of memory or crashed)", unfinished, bounds, cache.path)) from error
        except _cluster.ChunksFailed as error:
            unfinished = error.failed + [i for i in pending if i not in results and i not in error.failed]
            raise WorkerDiedError(_describe_unfinished(
                f"On the Dask cluster at {cluster['scheduler']}, {error.reason}", unfinished, bounds, cache.path)
            ) from error
        finally:
            _stop(chunks)
    stats = KernelStats(
        n_pairs=n_pairs,
        n_pairs_computed=pending_pairs,
        n_chunks=len(bounds),
        n_chunks_cached=len(bounds) - len(pending),
        seconds=time.perf_counter() - started,
        cluster=cluster,
    )
    return [results[index] for index in range(len(bounds))], stats


def _job_cache(cache_dir, compressor: Compressor, sep: bytes, queries: Corpus, references: Corpus, n_neighbors,
               bounds):
    """The cache of this job: its description is everything the results depend on."""
    return open_cache(
        cache_dir,
        {
            "kind": "matrix" if n_neighbors is None else "nearest",
            "n_neighbors": n_neighbors,
            "compressor": f"{type(compressor).__module__}.{type(compressor).__qualname__}",
            "level": compressor.level,
            "sep": sep.hex(),
            "queries": queries.digest,
            "references": references.digest,
            "n_queries": len(queries),
            "n_references": len(references),
            "chunk_rows": bounds[0][1] - bounds[0][0] if bounds else 0,
        },
    )


def _load_finished(cache, bounds, n_neighbors, n_references: int) -> tuple[dict[int, dict], list[int]]:
    """The chunks already in the cache (by index) and the indices of those still to compute."""
    width = n_references if n_neighbors is None else n_neighbors
    names = ("distances",) if n_neighbors is None else ("distances", "indices")
    # a cached search of the same job that kept more neighbours serves this one by slicing
    wider = [] if n_neighbors is None else wider_caches(cache)
    results, pending = {}, []
    for index, (start, stop) in enumerate(bounds):
        stored = cache.load(index, {name: (stop - start, width) for name in names})
        if stored is None:
            stored = _load_sliced(wider, index, stop - start, width)
        if stored is None:
            pending.append(index)
        else:
            results[index] = stored
    return results, pending


def _load_sliced(wider, index: int, n_rows: int, width: int) -> dict[str, np.ndarray] | None:
    """Chunk ``index`` cut to its first ``width`` neighbours, from the first wider cache that has it."""
    for wide, cache in wider:
        stored = cache.load(index, {"distances": (n_rows, wide), "indices": (n_rows, wide)})
        if stored is not None:
            return {name: array[:, :width] for name, array in stored.items()}
    return None


def _warn_beyond_window(compressor: Compressor, queries: Corpus, sep: bytes) -> None:
    window = compressor.window
    if window is None:
        return
    lengths = np.fromiter(map(len, queries.items), dtype=np.int64, count=len(queries)) + len(sep)
    beyond = lengths > window
    if beyond.any():
        warnings.warn(
            f"{beyond.sum():,} of {len(queries):,} query texts are longer than {compressor.spec}'s window of "
            f"{window:,} bytes (the longest: {lengths.max() - len(sep):,} bytes): in C(query + sep + reference) "
            f"the reference can be matched only against the last {window:,} bytes before it, so even an exact "
            "copy of such a query is far from it (NCD near 1). zstd and lzma see megabytes back.",
            stacklevel=4,
        )


def _computed(pending: list[int], chunk_args, shared: tuple, n_jobs, client):
    """``(index, arrays)`` of every pending chunk as they finish: as Dask futures of ``client``, else joblib's."""
    if client is None:
        return _parallel(n_jobs)(delayed(_compute_chunk)(*chunk_args(i), *shared) for i in pending)
    # joblib's own wait for workers (parallel_config(backend="dask", wait_for_workers_timeout=...)) bounds ours.
    return _cluster.compute_chunks(client, _compute_chunk, {i: chunk_args(i) for i in pending}, shared,
                                   wait_for_workers=get_active_backend()[0].wait_for_workers_timeout)


def _stop(chunks) -> None:
    """Stop a stream of chunks left early (interrupted, or a chunk failed) without joblib's
    warning that the chunks in flight were cancelled: the message that stopped the run
    already says which chunks are kept."""
    if hasattr(chunks, "close"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*You could benefit from adjusting the input task iterator",
                                    category=UserWarning)
            chunks.close()


def _parallel(n_jobs) -> Parallel:
    # Streaming lets each chunk reach the cache as soon as it is done; joblib's
    # "multiprocessing" backend cannot stream, so there the chunks arrive all at the end.
    streams = getattr(get_active_backend()[0], "supports_return_generator", False)
    return Parallel(n_jobs=n_jobs, return_as="generator_unordered" if streams else "list")


def _describe_unfinished(what: str, unfinished: list[int], bounds, cache_path) -> str:
    shown = ", ".join(f"{i} (query rows {bounds[i][0]}-{bounds[i][1] - 1})" for i in unfinished[:5])
    more = f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else ""
    resume = (f"The finished chunks are in the cache at {cache_path}; rerun to resume." if cache_path
              else "Pass cache_dir to keep finished chunks across reruns.")
    return f"{what} while chunk(s) {shown}{more} of {len(bounds)} were unfinished. {resume}"


def _check_sizes(sizes, n_texts: int, name: str) -> np.ndarray:
    sizes = np.asarray(sizes)
    if sizes.shape != (n_texts,) or sizes.dtype.kind not in "iu":
        raise InvalidInputError(f"{name} must be {n_texts} integers (one C(x) per text); got {sizes.dtype} of shape "
                         f"{sizes.shape}.")
    return sizes.astype(np.int64, copy=False)


def pairwise_ncd(X, Y=None, *, compressor: str | Compressor = "gzip", sep: str | bytes = " ", n_jobs=None,
                 level=None, cache_dir=None, chunk_size=None, verbose=0, return_stats=False):
    """Full matrix of normalized compression distances ``NCD(X[i], Y[j])``.

    Parameters
    ----------
    X : sequence of str or bytes
        Query texts (rows); each is the prefix of its concatenations.
    Y : sequence of str or bytes, optional
        Reference texts (columns); ``None`` means ``X``.
    compressor : str or Compressor, default "gzip"
        A registered name or a :class:`~npc.compressors.Compressor`.
    sep : str or bytes, default " "
        Separator between the two texts: ``C(X[i] + sep + Y[j])``.
    n_jobs : int, optional
        Parallel workers (joblib semantics; ``None`` follows ``joblib.parallel_config``).
    level : int, optional
        Compression level (default: the compressor's).
    cache_dir : path-like, optional
        Keep finished chunks there; a rerun of the same job reads them back.
    chunk_size : int, optional
        Query rows per chunk. The default depends on the job's size only (not on
        ``n_jobs``, so a rerun on other workers finds its cached chunks): about 1,024
        chunks of 4,096 to 250,000 pairs, so every worker of a large cluster gets several.
    verbose : int, default 0
        1 shows a progress bar on stderr when it is a terminal; 2 or more shows it
        also when stderr is a file or pipe (updated every 30 s).
    return_stats : bool, default False
        Also return a :class:`KernelStats`.

    Returns
    -------
    ndarray of shape (len(X), len(Y)), float64

    Raises
    ------
    WorkerDiedError
        A worker process died (killed, out of memory); the message names the unfinished
        chunks, and the finished ones are in ``cache_dir``.

    Warns
    -----
    UserWarning
        When a query is longer than the compressor's ``window`` (its distances then say
        little), or ``cache_dir`` cannot be written (the job runs on without caching).

    Notes
    -----
    ``NCD(x, y) = (C(x + sep + y) - min(C(x), C(y))) / max(C(x), C(y))``, bit-identical to
    that formula evaluated with the compressor's one-shot call. The matrix is not
    symmetric: the query is compressed first, as in the gzip paper's code.

    Examples
    --------
    >>> D = pairwise_ncd(["abc abc", "xyz"], ["abc"])
    >>> D.shape
    (2, 1)
    """
    chunks, stats = _run(X, X if Y is None else Y, compressor=compressor, level=level, sep=sep,
                         n_neighbors=None, n_jobs=n_jobs, cache_dir=cache_dir, chunk_size=chunk_size,
                         verbose=verbose)
    matrix = np.concatenate([chunk["distances"] for chunk in chunks], axis=0)
    return (matrix, stats) if return_stats else matrix


def nearest(X, Y, n_neighbors: int, *, compressor: str | Compressor = "gzip", sep: str | bytes = " ", n_jobs=None,
            level=None, cache_dir=None, chunk_size=None, verbose=0, return_stats=False,
            query_sizes=None, reference_sizes=None):
    """The ``n_neighbors`` nearest references of every query by NCD, streamed.

    Only ``len(X) * n_neighbors`` results and one chunk of the matrix are held at a time.
    Parameters are those of :func:`pairwise_ncd`, plus:

    Parameters
    ----------
    n_neighbors : int
        How many neighbours to keep per query (at most ``len(Y)``).
    query_sizes, reference_sizes : ndarray of int64, optional
        Precomputed ``C(x)`` of the queries / references (from :func:`compressed_sizes`).

    Returns
    -------
    distances : ndarray of shape (len(X), n_neighbors), float64
        Ascending in each row.
    indices : ndarray of shape (len(X), n_neighbors), int64
        Positions in ``Y``; equal distances are ordered by position, so the result never
        depends on ``n_jobs`` or chunking.

    Examples
    --------
    >>> distances, indices = nearest(["the cat sat"], ["a dog ran", "the cat sat down"], 1)
    >>> indices.tolist()
    [[1]]
    """
    chunks, stats = _run(X, Y, compressor=compressor, level=level, sep=sep, n_neighbors=n_neighbors,
                         n_jobs=n_jobs, cache_dir=cache_dir, chunk_size=chunk_size, verbose=verbose,
                         query_sizes=query_sizes, reference_sizes=reference_sizes)
    distances = np.concatenate([chunk["distances"] for chunk in chunks], axis=0)
    indices = np.concatenate([chunk["indices"] for chunk in chunks], axis=0).astype(np.int64, copy=False)
    return (distances, indices, stats) if return_stats else (distances, indices)


def seconds_per_pair(X, Y, *, compressor: str | Compressor = "gzip", sep: str | bytes = " ", level=None,
                     n_queries: int = 16, n_references: int = 256, reference_sizes=None) -> float:
    """Seconds one worker spends per NCD pair of ``X`` against ``Y``, timed on a sample.

    The sample is ``n_queries`` queries and ``n_references`` references spread evenly over
    their sets, searched in this process, so ``len(X) * len(Y) * seconds_per_pair(X, Y) /
    n_workers`` estimates what :func:`nearest` of ``X`` against ``Y`` costs.

    Parameters
    ----------
    X, Y : sequence of str or bytes
        Queries and references, as for :func:`nearest`.
    compressor, sep, level
        As for :func:`nearest`.
    n_queries, n_references : int
        Sample size on each side (all of a smaller set).
    reference_sizes : ndarray of int64, optional
        Precomputed ``C(y)`` of all of ``Y``.

    Examples
    --------
    >>> 0 < seconds_per_pair(["the cat sat", "a dog ran"], ["the cat sat down"]) < 1
    True
    """
    queries, references = as_corpus(X, name="X"), as_corpus(Y, name="Y")
    sampled_queries = _spread(len(queries), check_int(n_queries, "n_queries"))
    sampled_references = _spread(len(references), check_int(n_references, "n_references"))
    sizes = None if reference_sizes is None else _check_sizes(reference_sizes, len(references), "reference_sizes")
    started = time.perf_counter()
    nearest(queries.take(sampled_queries), references.take(sampled_references), 1, compressor=compressor, sep=sep,
            level=level, n_jobs=1, reference_sizes=None if sizes is None else sizes[sampled_references])
    return (time.perf_counter() - started) / (len(sampled_queries) * len(sampled_references))


def _spread(n: int, m: int) -> np.ndarray:
    """Up to ``m`` evenly spaced positions in ``range(n)``."""
    return np.unique(np.linspace(0, n - 1, min(n, m)).astype(np.int64))
