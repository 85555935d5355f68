"""On-disk cache of kernel chunks: atomic writes, resume after interruption, no pickle.

A job (compressor, separator, query texts, reference texts, result kind, chunking) has a
fingerprint; its chunks live in ``<cache_dir>/<fingerprint[:24]>/`` beside a
``manifest.json`` that records what the job is. Each finished chunk is one ``.npz`` file
written to a temporary name and renamed (:func:`atomic_write`, which every file npc writes
goes through), so a killed run leaves only whole chunks, and two runs of the same job can
share the folder (their writes are identical). A chunk that fails its zip CRC or shape
check is reported and recomputed, never used; a manifest that describes another job is
refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from npc.errors import NPCError

# The public part; ChunkCache, NullCache, open_cache, wider_caches and fingerprint serve
# the kernel only. atomic_write is the one atomic writer of every file npc (and experiments/)
# writes.
__all__ = ["CacheMismatchError", "atomic_write", "user_cache_dir"]

CACHE_FORMAT = 1


def user_cache_dir() -> Path:
    """npc's user cache folder: ``$NPC_CACHE_DIR``, or ``~/.cache/npc`` when it is unset or empty.

    Data sets fetched from the hub go under ``datasets/``, the experiments' kernel chunks
    under ``kernel/``.
    """
    return Path(os.environ.get("NPC_CACHE_DIR") or Path.home() / ".cache" / "npc").expanduser()


class CacheMismatchError(NPCError, ValueError):
    """The cache folder holds results of a different job."""


def fingerprint(description: dict) -> str:
    """SHA-256 of a JSON-serialisable job description."""
    text = json.dumps({"format": CACHE_FORMAT, **description}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class NullCache:
    """The cache of a job run without ``cache_dir``: never hits, never writes."""

    path = None

    def load(self, index: int, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray] | None:
        return None

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        pass


class ChunkCache:
    """Chunks of one job in one folder.

    Parameters
    ----------
    root : path-like
        The user's cache directory.
    description : dict
        What the job is; its fingerprint names the folder and it is written to the
        manifest.
    """

    def __init__(self, root, description: dict):
        self.fingerprint = fingerprint(description)
        self.description = description
        self.path = Path(root).expanduser() / self.fingerprint[:24]
        self.path.mkdir(parents=True, exist_ok=True)
        manifest = {"fingerprint": self.fingerprint, **description}
        manifest_path = self.path / "manifest.json"
        if manifest_path.exists():
            try:
                found = json.loads(manifest_path.read_text())
            except (OSError, ValueError) as error:
                raise CacheMismatchError(
                    f"The cache manifest {manifest_path} is unreadable ({error}); "
                    "delete that folder to start the job afresh."
                ) from error
            if found != json.loads(json.dumps(manifest)):
                raise CacheMismatchError(
                    f"The cache folder {self.path} belongs to another job (its manifest does not "
                    "match this one's fingerprint, shapes or settings); refusing to use it. "
                    "Delete the folder or choose another cache_dir."
                )
        else:
            atomic_write(manifest_path, json.dumps(manifest, indent=1))
        self._writable = True

    def _chunk_path(self, index: int) -> Path:
        return self.path / f"chunk-{index:06d}.npz"

    def load(self, index: int, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray] | None:
        """The arrays of chunk ``index``, or None if absent or damaged (then it is recomputed)."""
        path = self._chunk_path(index)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in shapes}
        except Exception as error:
            # Damaged bytes surface as BadZipFile, ValueError, NotImplementedError (a flipped
            # compression method), RuntimeError (a flipped encryption flag), ...: whatever
            # the error, the chunk is recomputed.
            warnings.warn(f"Cache chunk {path} is damaged ({error}); recomputing it.", stacklevel=2)
            return None
        for name, shape in shapes.items():
            if arrays[name].shape != tuple(shape):
                warnings.warn(
                    f"Cache chunk {path} has {name} of shape {arrays[name].shape}, expected "
                    f"{tuple(shape)}; recomputing it.",
                    stacklevel=2,
                )
                return None
        return arrays

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        """Write chunk ``index`` atomically; on a write failure warn once and stop caching."""
        if not self._writable:
            return
        try:
            atomic_write(self._chunk_path(index), lambda handle: np.savez(handle, **arrays))
        except OSError as error:
            self._writable = False
            warnings.warn(
                f"Cannot write to the cache folder {self.path} ({error}); "
                "continuing without caching the remaining chunks.",
                stacklevel=2,
            )


def atomic_write(path, content) -> Path:
    """Write ``path`` through a temporary file beside it, then rename it into place.

    Readers see the old file or the whole new one, never a part; on failure the temporary
    file is removed and the error re-raised.

    Parameters
    ----------
    path : path-like
    content : bytes, str or callable
        The bytes (a str is written as UTF-8), or ``content(handle)`` writing to a binary
        file handle.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", "done").read_text()
    'done'
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    path = Path(path)
    if isinstance(content, str):
        content = content.encode("utf-8")
    write = content if callable(content) else (lambda handle: handle.write(content))
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            write(handle)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise
    return path


def open_cache(cache_dir, description: dict) -> ChunkCache | NullCache:
    """The cache for a job: a :class:`ChunkCache` under ``cache_dir``, or a :class:`NullCache`.

    An unusable ``cache_dir`` (not creatable, not writable) gives a warning and a
    :class:`NullCache`: the job still runs, without resume.
    """
    if cache_dir is None:
        return NullCache()
    try:
        return ChunkCache(cache_dir, description)
    except CacheMismatchError:
        raise
    except OSError as error:
        warnings.warn(
            f"Cannot use cache_dir={str(cache_dir)!r} ({error}); running without a cache.",
            stacklevel=2,
        )
        return NullCache()


def wider_caches(cache) -> list[tuple[int, ChunkCache]]:
    """Caches beside ``cache`` of the same nearest-neighbour job that kept more neighbours.

    Their chunks hold the first ``n_neighbors`` of each row in (distance, index) order, so
    the first columns of such a chunk are exactly this job's chunk. Returned as
    ``(n_neighbors, cache)``, narrowest first; unreadable manifests are skipped; none for
    a :class:`NullCache`.
    """
    if cache.path is None:
        return []
    wanted = json.loads(json.dumps({**cache.description, "n_neighbors": None}))
    found = []
    for manifest_path in cache.path.parent.glob("*/manifest.json"):
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            continue
        manifest.pop("fingerprint", None)
        width = manifest.get("n_neighbors")
        if isinstance(width, int) and width > cache.description["n_neighbors"] and \
                {**manifest, "n_neighbors": None} == wanted:
            found.append((width, ChunkCache(cache.path.parent, manifest)))
    return sorted(found, key=lambda pair: pair[0])
