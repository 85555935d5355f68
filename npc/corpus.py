"""Corpus: texts validated and encoded to bytes once, cheap to ship to workers."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable

import numpy as np

from npc._validation import check_texts, encode_text

# encode_text is here as the one encoding every npc text goes through.
__all__ = ["Corpus", "as_corpus", "encode_text"]


class Corpus:
    """A sequence of texts as bytes.

    Strings are encoded as UTF-8 with ``surrogatepass``: lone surrogates (which some
    scraped corpora contain) become their three-byte form instead of an error. Bytes are
    taken as they are.

    When pickled (to go to a joblib or Dask worker) a corpus travels as two numpy arrays,
    so joblib's process backend memory-maps it once for all workers, and ``sys.getsizeof``
    reports the texts' memory, so joblib's Dask backend scatters it once instead of
    sending it with every task.

    Parameters
    ----------
    items : list of bytes
        The encoded texts.
    """

    def __init__(self, items: list[bytes]):
        self.items = items
        self._digest: str | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __sizeof__(self) -> int:
        # The memory of the texts, not of the list's pointers alone: Dask (through joblib)
        # scatters an argument to the workers once instead of sending it with every task
        # only when ``sys.getsizeof`` reports it as large.
        return object.__sizeof__(self) + sys.getsizeof(self.items) + sum(map(sys.getsizeof, self.items))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Corpus(self.items[index])
        return self.items[index]

    def take(self, indices: Iterable[int]) -> Corpus:
        """The sub-corpus at ``indices``."""
        return Corpus([self.items[i] for i in indices])

    def _offsets(self) -> np.ndarray:
        lengths = np.fromiter(map(len, self.items), dtype=np.int64, count=len(self.items))
        offsets = np.zeros(len(self.items) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return offsets

    @property
    def digest(self) -> str:
        """SHA-256 of the texts and their boundaries (identifies the corpus in caches)."""
        if self._digest is None:
            sha = hashlib.sha256(self._offsets().tobytes())
            for item in self.items:
                sha.update(item)
            self._digest = sha.hexdigest()
        return self._digest

    def __getstate__(self):
        # Packed afresh for each pickling rather than kept: a second copy of the texts
        # would double the corpus's memory for the whole life of the object.
        return np.frombuffer(b"".join(self.items), dtype=np.uint8), self._offsets()

    def __setstate__(self, state):
        data, offsets = state
        buffer = data.tobytes()
        bounds = offsets.tolist()
        self.items = [buffer[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self._digest = None


def as_corpus(texts, *, name: str = "X", allow_empty: bool = False) -> Corpus:
    """Validate ``texts`` and encode them once (see :func:`npc._validation.check_texts`).

    Parameters
    ----------
    texts : Corpus or iterable of str or bytes
        A list, tuple, 1-D numpy array or pandas Series of texts.
    name : str
        How to call the argument in error messages.
    allow_empty : bool
        Accept a corpus with no text.
    """
    if isinstance(texts, Corpus):
        if not allow_empty and len(texts) == 0:
            raise ValueError(f"{name} is empty: at least one text is needed.")
        return texts
    return Corpus(check_texts(texts, name=name, allow_empty=allow_empty))
