"""Compressors: the C(.) of the normalized compression distance.

Every compressor reports ``compressed_size(data)``, equal to the byte to ``len()`` of the
library's own one-shot call, and hands out a :class:`Prefix` that computes
``C(head + tail)`` for many tails. The deflate family (gzip, zlib, deflate) reuses the
compressor state after ``head`` instead of recompressing it; zstd reuses one context.
"""

from __future__ import annotations

import bz2
import lzma
import sys
import zlib
from collections.abc import Callable, Sequence

import lz4.frame
import numpy as np
import pyppmd
import pyzstd

from npc._validation import InvalidInputError, check_int

__all__ = [
    "Compressor",
    "Prefix",
    "GzipCompressor",
    "ZlibCompressor",
    "DeflateCompressor",
    "Bz2Compressor",
    "LzmaCompressor",
    "Lz4Compressor",
    "ZstdCompressor",
    "PpmdCompressor",
    "get_compressor",
    "register_compressor",
    "available_compressors",
    "STATE_COPY_MIN_BYTES",
]

# Copying a deflate state (with the smallest exact window, below) costs about as much as
# recompressing 1 KB of text at level 9: shorter heads are recompressed with every tail
# instead. experiments/bench_kernel.py measures both per query length on IMDb and AG News
# (copy / one-shot CPU time: ~1.2 below 256 bytes, ~1.04 at 768-1024, ~1.0 at 1024-1536,
# ~0.85 above 2 KB).
STATE_COPY_MIN_BYTES = 1024

# zlib finds the same matches with a smaller window as long as the whole input fits in it
# (positions never slide and no distance exceeds the window's reach, 2**wbits - 262), and
# copying a small window is cheaper. zlib-ng builds differ, so only the reference zlib
# gets small windows; level 0 also caps stored blocks at the window size, so it is excluded.
_MIN_WINDOW_BITS = 9
_WINDOW_LOOKAHEAD = 262
_SMALL_WINDOWS = "ng" not in zlib.ZLIB_RUNTIME_VERSION.lower()


class Prefix:
    """``C(head + tail)`` for many tails, with the work on ``head`` done once.

    Parameters
    ----------
    head : bytes
        The shared prefix (in the kernel: the query text plus the separator).
    size : callable
        ``size(data) -> int``, the compressed size of one buffer.
    """

    def __init__(self, head: bytes, size: Callable[[bytes], int]):
        self.head = head
        self._size = size

    def size_with(self, tail: bytes) -> int:
        """Compressed size of ``head + tail``."""
        return self._size(self.head + tail)

    def sizes_with(self, tails: Sequence[bytes], out: np.ndarray | None = None) -> np.ndarray:
        """Compressed sizes of ``head + t`` for every ``t`` in ``tails``, as int64."""
        if out is None:
            out = np.empty(len(tails), dtype=np.int64)
        size, head = self._size, self.head
        out[:] = [size(head + tail) for tail in tails]
        return out


class Compressor:
    """Base class of all compressors.

    Subclasses set ``name``, ``default_level`` and ``levels`` (the valid levels, or
    ``None`` when the codec has no level) and implement :meth:`compress`. ``window`` is
    how many bytes back the codec can refer: in ``C(x + sep + y)``, ``y`` can be matched
    only against the last ``window`` bytes before it (``None``: unknown, or megabytes as
    for zstd and lzma).

    Parameters
    ----------
    level : int, optional
        Compression level; ``None`` takes the compressor's default.
    """

    name: str = ""
    default_level: int | None = None
    levels: range | None = None
    window: int | None = None

    def __init__(self, level: int | None = None):
        if level is None:
            level = self.default_level
        elif self.levels is None:
            raise InvalidInputError(f"Compressor {self.name!r} takes no level; got level={level!r}.")
        elif check_int(level, f"The level of compressor {self.name!r}", minimum=None) not in self.levels:
            raise InvalidInputError(
                f"Level {level} is out of range for compressor {self.name!r} "
                f"(valid: {self.levels.start}..{self.levels.stop - 1})."
            )
        self.level = None if level is None else int(level)

    def compress(self, data: bytes) -> bytes:
        """Compress ``data`` in one shot."""
        raise NotImplementedError

    def compressed_size(self, data: bytes) -> int:
        """Length in bytes of :meth:`compress` ``(data)``."""
        return len(self.compress(data))

    def prefix(self, head: bytes) -> Prefix:
        """A :class:`Prefix` that computes ``C(head + tail)`` for many tails."""
        return Prefix(head, self.compressed_size)

    @property
    def spec(self) -> str:
        """``name-level`` (or ``name``), as used in file names and fingerprints."""
        return self.name if self.level is None else f"{self.name}-{self.level}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self.level!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.level == self.level

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self.level))


if sys.version_info >= (3, 11):

    def _raw_deflate_size(data: bytes, level: int) -> int:
        return len(zlib.compress(data, level, -zlib.MAX_WBITS))

else:  # pragma: no cover - zlib.compress has no wbits before Python 3.11

    def _raw_deflate_size(data: bytes, level: int) -> int:
        state = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        return len(state.compress(data)) + len(state.flush())


def _window_bits(level: int, lengths: np.ndarray) -> np.ndarray:
    """Smallest raw-deflate windows that compress inputs of ``lengths`` bytes exactly as a full one."""
    if not _SMALL_WINDOWS or level == 0:
        return np.full(np.shape(lengths), zlib.MAX_WBITS, dtype=np.int64)
    needed = np.ceil(np.log2(np.asarray(lengths, dtype=np.float64) + _WINDOW_LOOKAHEAD))
    return np.clip(needed, _MIN_WINDOW_BITS, zlib.MAX_WBITS).astype(np.int64)


class _DeflatePrefix(Prefix):
    """Deflate-family prefix: copy the compressor state after ``head``, or recompress it.

    Copying the state saves recompressing ``head`` but costs a copy of zlib's tables and a
    slower search of each tail against the head, so it wins only for long heads (see
    ``STATE_COPY_MIN_BYTES``). Both ways give the one-shot sizes.
    """

    def __init__(self, head: bytes, level: int, overhead: int, reuse_state: bool | None):
        super().__init__(head, lambda data: _raw_deflate_size(data, level) + overhead)
        self._level = level
        self._overhead = overhead
        self.reuse_state = len(head) >= STATE_COPY_MIN_BYTES if reuse_state is None else reuse_state
        self._states: dict[int, tuple[object, int]] = {}

    def _state(self, wbits: int):
        """``(compressobj after head, bytes it has already output + overhead)`` for a window."""
        found = self._states.get(wbits)
        if found is None:
            state = zlib.compressobj(self._level, zlib.DEFLATED, -wbits)
            found = self._states[wbits] = (state, len(state.compress(self.head)) + self._overhead)
        return found

    def size_with(self, tail: bytes) -> int:
        if not self.reuse_state:
            return super().size_with(tail)
        state, base = self._state(int(_window_bits(self._level, len(self.head) + len(tail))))
        state = state.copy()
        return base + len(state.compress(tail)) + len(state.flush())

    def sizes_with(self, tails: Sequence[bytes], out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.empty(len(tails), dtype=np.int64)
        head, level = self.head, self._level
        if not self.reuse_state:
            if sys.version_info >= (3, 11):
                compress = zlib.compress
                out[:] = [len(compress(head + tail, level, -zlib.MAX_WBITS)) for tail in tails]
                out += self._overhead
                return out
            return super().sizes_with(tails, out)  # pragma: no cover
        # Group the tails by the window they need, so each group copies one state.
        lengths = np.fromiter(map(len, tails), dtype=np.int64, count=len(tails))
        needed = _window_bits(level, lengths + len(head))
        for wbits in np.unique(needed).tolist():
            state, base = self._state(wbits)
            copy = state.copy
            group = np.flatnonzero(needed == wbits)
            out[group] = [len((copied := copy()).compress(tails[j])) + len(copied.flush()) for j in group.tolist()]
            out[group] += base
        return out


class _DeflateFamily(Compressor):
    """Raw deflate plus a constant container ``overhead`` (header and trailer bytes)."""

    default_level = 9
    levels = range(0, 10)
    overhead = 0
    window = 32_768 - 262  # zlib's MAX_DIST: the 32 KiB window less the match lookahead

    def compressed_size(self, data: bytes) -> int:
        return _raw_deflate_size(data, self.level) + self.overhead

    def prefix(self, head: bytes, *, reuse_state: bool | None = None) -> Prefix:
        """A :class:`Prefix` for ``head``.

        Parameters
        ----------
        head : bytes
            The shared prefix.
        reuse_state : bool, optional
            Copy the compressor state after ``head`` (True) or recompress ``head`` with
            every tail (False). ``None`` copies when ``head`` has at least
            ``STATE_COPY_MIN_BYTES`` bytes. The sizes are the same either way.
        """
        return _DeflatePrefix(head, self.level, self.overhead, reuse_state)


class GzipCompressor(_DeflateFamily):
    """``gzip.compress`` (level 9 by default, as in the gzip paper)."""

    name = "gzip"
    overhead = 18  # 10-byte header without file name + CRC32 + ISIZE

    def compress(self, data: bytes) -> bytes:
        import gzip

        return gzip.compress(data, self.level, mtime=0)


class ZlibCompressor(_DeflateFamily):
    """``zlib.compress``: deflate in the zlib container."""

    name = "zlib"
    overhead = 6  # 2-byte header + Adler-32

    def compress(self, data: bytes) -> bytes:
        return zlib.compress(data, self.level)


class DeflateCompressor(_DeflateFamily):
    """Raw deflate (``zlib.compress(data, level, wbits=-15)``), no container."""

    name = "deflate"

    def compress(self, data: bytes) -> bytes:
        state = zlib.compressobj(self.level, zlib.DEFLATED, -zlib.MAX_WBITS)
        return state.compress(data) + state.flush()


class Bz2Compressor(Compressor):
    """``bz2.compress``."""

    name = "bz2"
    default_level = 9
    levels = range(1, 10)

    @property
    def window(self) -> int:
        return 100_000 * self.level  # blocks of level x 100 kB are compressed independently

    def compress(self, data: bytes) -> bytes:
        return bz2.compress(data, self.level)

    def compressed_size(self, data: bytes) -> int:
        # The level only sets the block size and the header's digit: an input that fits in
        # one level-1 block gives a stream of the same length at every level, and level 1
        # sets up a ninth of the memory.
        return len(bz2.compress(data, 1 if len(data) <= _BZ2_ONE_BLOCK else self.level))


# The largest input that fits one level-1 bzip2 block: 100,000 - 19 bytes after the first
# run-length pass, which turns every run of four equal bytes into five.
_BZ2_ONE_BLOCK = (100_000 - 19) * 4 // 5


class LzmaCompressor(Compressor):
    """``lzma.compress`` (xz container) with ``preset=level``."""

    name = "lzma"
    default_level = 6
    levels = range(0, 10)

    def compress(self, data: bytes) -> bytes:
        return lzma.compress(data, preset=self.level)


class Lz4Compressor(Compressor):
    """``lz4.frame.compress`` (levels 3 and up use LZ4-HC).

    Prefixes call the one-shot function for every pair: python-lz4's reusable frame
    context (``compress_begin``/``compress_chunk``/``compress_flush``) and ``lz4.block``
    both give sizes that differ from it, so neither is exact.
    """

    name = "lz4"
    default_level = 0
    levels = range(0, lz4.frame.COMPRESSIONLEVEL_MAX + 1)
    window = 65_535  # the largest match offset of the LZ4 block format

    def compress(self, data: bytes) -> bytes:
        return lz4.frame.compress(data, compression_level=self.level)


class ZstdCompressor(Compressor):
    """``pyzstd.compress`` (level 3 by default); prefixes reuse one compression context."""

    name = "zstd"
    default_level = 3
    levels = range(pyzstd.compressionLevel_values.min, pyzstd.compressionLevel_values.max + 1)

    def compress(self, data: bytes) -> bytes:
        return pyzstd.compress(data, self.level)

    def prefix(self, head: bytes) -> Prefix:
        # A reused context gives the same frame as a fresh one (FLUSH_FRAME on a whole
        # input records its size just as the one-shot call does) at ~1.7x the speed.
        context = pyzstd.ZstdCompressor(self.level)
        compress, mode = context.compress, pyzstd.ZstdCompressor.FLUSH_FRAME
        return Prefix(head, lambda data: len(compress(data, mode)))


class PpmdCompressor(Compressor):
    """``pyppmd.compress``: PPMd (variant H by default, as in 7-Zip); the level is the model order.

    Parameters
    ----------
    level : int, optional
        Model order, 2 to 64 (default 6).
    mem_size : int, default 16 MiB
        Model memory in bytes (pyppmd's default). PPMd restarts (variant H) or trims
        (variant I) its model when it is full; texts of a few KB never fill 16 MiB.
    variant : {"H", "I"}, default "H"
        PPMd variant: "H" is 7-Zip's PPMd7, "I" (revision 1) pyppmd's own default.

    Notes
    -----
    pyppmd's encoder state cannot be copied, so a prefix recompresses the head with every
    tail. ``spec`` names the memory and variant only when they differ from the defaults.
    """

    name = "ppmd"
    default_level = 6
    levels = range(2, 65)

    def __init__(self, level: int | None = None, *, mem_size: int = 16 << 20, variant: str = "H"):
        super().__init__(level)
        if variant not in ("H", "I"):
            raise InvalidInputError(f"The PPMd variant must be 'H' or 'I'; got {variant!r}.")
        if not check_int(mem_size, "mem_size", minimum=2048) < 2**32:
            raise InvalidInputError(f"mem_size must be below 2**32 bytes; got {mem_size!r}.")
        self.mem_size = int(mem_size)
        self.variant = variant

    def compress(self, data: bytes) -> bytes:
        return pyppmd.compress(data, max_order=self.level, mem_size=self.mem_size, variant=self.variant)

    @property
    def spec(self) -> str:
        spec = super().spec
        if self.mem_size != 16 << 20:
            spec += f"-m{self.mem_size}"
        return spec if self.variant == "H" else spec + f"-{self.variant}"

    def __repr__(self) -> str:
        return f"PpmdCompressor(level={self.level!r}, mem_size={self.mem_size!r}, variant={self.variant!r})"

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and (other.mem_size, other.variant) == (self.mem_size, self.variant)

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self.level, self.mem_size, self.variant))


_REGISTRY: dict[str, Callable[..., Compressor]] = {}


def register_compressor(name: str, factory: Callable[..., Compressor], *, force: bool = False) -> None:
    """Make a compressor available by name.

    Parameters
    ----------
    name : str
        The name that :func:`get_compressor` and ``compressor=`` arguments accept.
    factory : callable
        ``factory(level=None) -> Compressor``, typically a :class:`Compressor` subclass.
    force : bool, default False
        Replace an existing registration of ``name``.

    Examples
    --------
    >>> class Identity(Compressor):
    ...     name = "identity"
    ...     def compress(self, data):
    ...         return data
    >>> register_compressor("identity", Identity)
    >>> get_compressor("identity").compressed_size(b"abc")
    3
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"A compressor name must be a non-empty str; got {name!r}.")
    if not callable(factory):
        raise TypeError(f"The factory for compressor {name!r} must be callable; got {factory!r}.")
    if name in _REGISTRY and not force:
        raise ValueError(f"Compressor {name!r} is already registered; pass force=True to replace it.")
    _REGISTRY[name] = factory


def available_compressors() -> list[str]:
    """Names of the registered compressors, sorted."""
    return sorted(_REGISTRY)


def get_compressor(compressor: str | Compressor = "gzip", level: int | None = None) -> Compressor:
    """Return a compressor from its name (and level) or pass an instance through.

    Parameters
    ----------
    compressor : str or Compressor
        A registered name (see :func:`available_compressors`) or a compressor object.
    level : int, optional
        Compression level; ``None`` keeps the default (or the instance's own level).

    Examples
    --------
    >>> get_compressor("zstd", level=9)
    ZstdCompressor(level=9)
    """
    if isinstance(compressor, Compressor):
        if level is None or level == compressor.level:
            return compressor
        return type(compressor)(level)
    if not isinstance(compressor, str):
        raise InvalidInputError(f"compressor must be a name or a Compressor instance; got {compressor!r}.")
    try:
        factory = _REGISTRY[compressor]
    except KeyError:
        known = ", ".join(available_compressors())
        raise InvalidInputError(f"Unknown compressor {compressor!r}. Known compressors: {known}.") from None
    made = factory(level=level)
    if not isinstance(made, Compressor):
        raise TypeError(f"The factory of compressor {compressor!r} returned {made!r}, not a Compressor.")
    return made


for _cls in (
    GzipCompressor,
    ZlibCompressor,
    DeflateCompressor,
    Bz2Compressor,
    LzmaCompressor,
    Lz4Compressor,
    ZstdCompressor,
    PpmdCompressor,
):
    register_compressor(_cls.name, _cls)
del _cls
