"""The class models behind PPM estimators: counting, merging, and coding symbol sequences.

A class model is numpy arrays only: its context table, its pairs (layout:
``npc/_ppm_kernel.py``), the last ``order`` symbols of its text (where the next text or
query continues) and its ``max_memory`` budget state. ``pack`` concatenates those of
every class into the estimator's fitted attributes (plain arrays, so that they can be
saved from ``__dict__``); counting is in ``npc/_ppm_count.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from npc import _ppm_count, _ppm_kernel

# Symbols counted per call of the counting kernel: the class text is streamed in blocks.
_BLOCK = 1 << 20


def empty_model(order: int) -> dict:
    """A class model that has seen nothing."""
    return {"slots": np.zeros((16, 4), dtype=np.int64), "pairs": np.zeros(0, dtype=np.int64),
            "tail": np.zeros(0, dtype=np.int32), "budget": np.zeros(2, dtype=np.int64), "n_contexts": 0}


def learn(model: dict, texts, sep: np.ndarray, order: int, update_exclusion: bool, max_memory: int | None) -> dict:
    """``model`` after the symbol sequences ``texts`` (each followed by ``sep``), streamed in blocks."""
    capacity = 1 << 12
    keys = np.zeros(capacity, dtype=np.uint64)
    syms = np.zeros(capacity, dtype=np.int32)
    counts = np.zeros(capacity, dtype=np.int32)
    contexts = np.zeros(capacity, dtype=np.uint64)
    state = np.array([0, 0, model["budget"][0], model["budget"][1], -1 if max_memory is None else max_memory],
                     dtype=np.int64)
    history = model["tail"]
    block, size = [history], len(history)
    for text in [*texts, None]:
        if text is not None:
            block += [text, sep]
            size += len(text) + len(sep)
        if size >= _BLOCK or (text is None and size > len(history)):
            stream = np.concatenate(block).astype(np.int32, copy=False)
            keys, syms, counts, contexts = _ppm_count.count_text(
                stream, len(history), model["slots"], model["pairs"], keys, syms, counts, contexts, state,
                order, bool(update_exclusion))
            history = stream[len(stream) - min(order, len(stream)):].copy()
            block, size = [history], len(history)
    slots, pairs = _ppm_count.merge(model["slots"], model["pairs"], keys, syms, counts, contexts)
    del keys, syms, counts, contexts
    return {"slots": slots, "pairs": pairs, "tail": history, "budget": state[2:4].copy(),
            "n_contexts": int(np.count_nonzero(slots[:, 0]))}


FIELDS = ("slots", "slot_starts", "pairs", "pair_starts", "tails", "tail_starts", "budgets", "n_contexts")


def pack(models: list[dict]) -> dict:
    """Every class model concatenated: the arrays of ``FIELDS``."""
    return {"slots": np.concatenate([m["slots"] for m in models]),
            "slot_starts": np.cumsum([0] + [len(m["slots"]) for m in models]).astype(np.int64),
            "pairs": np.concatenate([m["pairs"] for m in models]),
            "pair_starts": np.cumsum([0] + [len(m["pairs"]) for m in models]).astype(np.int64),
            "tails": np.concatenate([m["tail"] for m in models]).astype(np.int32),
            "tail_starts": np.cumsum([0] + [len(m["tail"]) for m in models]).astype(np.int64),
            "budgets": np.array([m["budget"] for m in models], dtype=np.int64).reshape(-1, 2),
            "n_contexts": np.array([m["n_contexts"] for m in models], dtype=np.int64)}


def unpack(state: dict, c: int) -> dict:
    """Class ``c``'s model (views) from packed ``state``."""
    return {"slots": state["slots"][state["slot_starts"][c]:state["slot_starts"][c + 1]],
            "pairs": state["pairs"][state["pair_starts"][c]:state["pair_starts"][c + 1]],
            "tail": state["tails"][state["tail_starts"][c]:state["tail_starts"][c + 1]],
            "budget": state["budgets"][c], "n_contexts": int(state["n_contexts"][c])}


def code_lengths(state: dict, queries: list[np.ndarray], order: int, escape_d: bool, update_exclusion: bool,
                 alphabet: int, n_jobs) -> np.ndarray:
    """Bits of every query (an int32 symbol array) under every class model, over ``n_jobs`` threads."""
    bits = np.zeros((len(queries), len(state["slot_starts"]) - 1))
    if not queries:
        return bits
    symbols = np.concatenate(queries).astype(np.int32, copy=False)
    starts = np.cumsum([0] + [len(q) for q in queries]).astype(np.int64)
    frozen = np.ascontiguousarray(state["budgets"][:, 1])

    def run(first, last):
        _ppm_kernel.code_lengths(symbols, starts, first, last, state["tails"], state["tail_starts"], state["slots"],
                                 state["slot_starts"], state["pairs"], state["pair_starts"], frozen, int(order),
                                 bool(escape_d), bool(update_exclusion), int(alphabet), bits)

    n_chunks = min(effective_n_jobs(n_jobs), len(queries))
    if n_chunks == 1:
        run(0, len(queries))
    else:
        # One chunk of about equal symbols (the cost) per worker; the kernel releases the GIL.
        bounds = np.searchsorted(starts, np.linspace(0, starts[-1], n_chunks + 1)[1:-1])
        edges = np.unique([0, *bounds.tolist(), len(queries)]).tolist()
        Parallel(n_jobs=n_chunks, prefer="threads")(delayed(run)(a, b) for a, b in itertools.pairwise(edges))
    return bits
