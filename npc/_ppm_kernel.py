"""Numba kernels of :class:`npc.ppm.PPMClassifier`: context hashes, tables and code lengths.

A context of order ``k`` at position ``i`` of a byte string is its ``k`` preceding bytes;
it is identified by a 64-bit hash chained from the order-0 seed byte by byte (so the
hash of order ``k`` extends the one of order ``k - 1``). Two distinct contexts share a
hash with probability about ``n**2 / 2**65`` for ``n`` contexts (1e-6 for 6 million).

The class statistics are read-only during prediction: one open-addressing table per
class maps a context hash to its row in ``ctx_info`` (first pair, distinct symbols,
total count); the pairs of a context are ``pair_syms``/``pair_counts`` sorted by symbol.
The counts a query adds while it is coded live in an overlay (two small hash tables
stamped with a generation number, so that starting the next query or class is free).
"""

from __future__ import annotations

import math

import numba
import numpy as np

SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0)

_jit = numba.njit(cache=True, nogil=True)


@numba.njit(cache=True, inline="always")
def _extend(h, byte, order):
    """Hash of the context one byte longer (splitmix64 finaliser; never 0, the empty key)."""
    z = h ^ (np.uint64(byte) + np.uint64(1) + (np.uint64(order) << np.uint64(8)))
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return z if z != _EMPTY else np.uint64(1)


@_jit
def context_hashes(data, order):
    """``h[i, k]``: hash of the order-``k`` context of position ``i`` (0 where ``k > i``)."""
    n = data.shape[0]
    h = np.zeros((n, order + 1), dtype=np.uint64)
    for i in range(n):
        h[i, 0] = SEED
        for k in range(1, min(order, i) + 1):
            h[i, k] = _extend(h[i, k - 1], data[i - k], k)
    return h


@_jit
def build_table(keys, capacity):
    """Open-addressing table (linear probing) of ``keys``: rows ``(key, index)``."""
    table = np.zeros((capacity, 2), dtype=np.int64)
    mask = np.uint64(capacity - 1)
    for index in range(keys.shape[0]):
        key = keys[index]
        slot = np.int64(key & mask)
        while table[slot, 0] != 0:
            slot = (slot + 1) & (capacity - 1)
        table[slot, 0] = np.int64(key)
        table[slot, 1] = index
    return table


@numba.njit(cache=True, inline="always")
def _find_context(table, offset, capacity, key):
    """Row of ``key`` in ``ctx_info`` (global index), or -1."""
    slot = np.int64(key & np.uint64(capacity - 1))
    signed = np.int64(key)
    while True:
        stored = table[offset + slot, 0]
        if stored == signed:
            return table[offset + slot, 1]
        if stored == 0:
            return -1
        slot = (slot + 1) & (capacity - 1)


@numba.njit(cache=True, inline="always")
def _class_count(ctx_info, pair_syms, pair_counts, row, symbol):
    """Count of ``symbol`` in the class context ``row`` (binary search of its sorted pairs)."""
    if row < 0:
        return 0
    lo = ctx_info[row, 0]
    hi = lo + ctx_info[row, 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        found = pair_syms[mid]
        if found == symbol:
            return pair_counts[mid]
        if found < symbol:
            lo = mid + 1
        else:
            hi = mid
    return 0


@numba.njit(cache=True, inline="always")
def _context_slot(keys, stamps, generation, mask, key):
    """Slot of context ``key`` in the context overlay: its own, or the empty one to fill."""
    slot = np.int64(key & mask)
    while stamps[slot] == generation:
        if keys[slot] == key:
            return slot
        slot = (slot + 1) & np.int64(mask)
    return slot


@numba.njit(cache=True, inline="always")
def _overlay_slot(keys, syms, stamps, generation, mask, key, symbol):
    """Slot of ``(key, symbol)`` in an overlay table: its own, or the empty one to fill."""
    slot = np.int64((key + np.uint64(symbol + 1) * _GOLDEN) & mask)
    while stamps[slot] == generation:
        if keys[slot] == key and syms[slot] == symbol:
            return slot
        slot = (slot + 1) & np.int64(mask)
    return slot


@numba.njit(cache=True, inline="always")
def _overlay_capacity(order, length):
    """Slots for the (at most ``(order + 1) * length``) entries of one query, at half load."""
    capacity = 64
    while capacity < 2 * (order + 1) * length:
        capacity *= 2
    return capacity


@_jit
def code_lengths(queries, query_starts, tails, tail_starts, table, table_starts, ctx_info, pair_syms,
                 pair_counts, order, escape_d, update_exclusion):
    """Adaptive code length in bits of every query after every class's text.

    ``queries[query_starts[q]:query_starts[q + 1]]`` is query ``q``; ``tails`` holds the
    last ``order`` bytes of each class text (the first contexts of a query);
    ``table[table_starts[c]:table_starts[c + 1]]`` is class ``c``'s context table.
    Returns float64 of shape (n_queries, n_classes).
    """
    n_queries = query_starts.shape[0] - 1
    n_classes = table_starts.shape[0] - 1
    bits = np.zeros((n_queries, n_classes))
    longest = 0
    for q in range(n_queries):
        longest = max(longest, query_starts[q + 1] - query_starts[q])
    capacity = _overlay_capacity(order, longest)
    # Overlay of contexts: query-time total, new distinct symbols, head of their list.
    c_keys = np.zeros(capacity, dtype=np.uint64)
    c_stamps = np.zeros(capacity, dtype=np.int64)
    c_total = np.zeros(capacity, dtype=np.int64)
    c_new = np.zeros(capacity, dtype=np.int64)
    c_head = np.zeros(capacity, dtype=np.int64)
    # Overlay of (context, symbol) pairs: query-time count, next new symbol of the context.
    p_keys = np.zeros(capacity, dtype=np.uint64)
    p_syms = np.zeros(capacity, dtype=np.int16)
    p_stamps = np.zeros(capacity, dtype=np.int64)
    p_count = np.zeros(capacity, dtype=np.int64)
    p_next = np.zeros(capacity, dtype=np.int64)
    excluded = np.zeros(256, dtype=np.int64)  # stamp per symbol: excluded at this position
    ex_list = np.zeros(256, dtype=np.int64)
    hashes = np.zeros(order + 1, dtype=np.uint64)
    rows = np.zeros(order + 1, dtype=np.int64)
    buffer = np.zeros(order + longest, dtype=np.uint8)
    generation = 0
    position_stamp = 0
    for c in range(n_classes):
        t_offset = table_starts[c]
        t_capacity = table_starts[c + 1] - t_offset
        tail = tails[tail_starts[c]:tail_starts[c + 1]]
        n_tail = tail.shape[0]
        buffer[:n_tail] = tail
        for q in range(n_queries):
            generation += 1
            start, stop = query_starts[q], query_starts[q + 1]
            length = stop - start
            # Each query uses the start of the overlay arrays, sized to it: a short query
            # after a long one keeps its slots close together (in cache).
            mask = np.uint64(_overlay_capacity(order, length) - 1)
            buffer[n_tail:n_tail + length] = queries[start:stop]
            total_bits = 0.0
            for p in range(n_tail, n_tail + length):
                symbol = np.int64(buffer[p])
                top = min(order, p)
                hashes[0] = SEED
                for k in range(1, top + 1):
                    hashes[k] = _extend(hashes[k - 1], buffer[p - k], k)
                position_stamp += 1
                n_excluded = 0
                found = -1
                for k in range(top, -1, -1):
                    key = hashes[k]
                    row = _find_context(table, t_offset, t_capacity, key)
                    rows[k] = row
                    slot = _context_slot(c_keys, c_stamps, generation, mask, key)
                    live = c_stamps[slot] == generation
                    total = (ctx_info[row, 2] if row >= 0 else 0) + (c_total[slot] if live else 0)
                    if total == 0:
                        continue
                    distinct = (ctx_info[row, 1] if row >= 0 else 0) + (c_new[slot] if live else 0)
                    for j in range(n_excluded):
                        seen = _class_count(ctx_info, pair_syms, pair_counts, row, ex_list[j])
                        if live:
                            ps = _overlay_slot(p_keys, p_syms, p_stamps, generation, mask, key, ex_list[j])
                            if p_stamps[ps] == generation:
                                seen += p_count[ps]
                        if seen > 0:
                            total -= seen
                            distinct -= 1
                    if distinct == 0:
                        continue  # every symbol of the context is excluded: nothing to code here
                    count = _class_count(ctx_info, pair_syms, pair_counts, row, symbol)
                    if live:
                        ps = _overlay_slot(p_keys, p_syms, p_stamps, generation, mask, key, symbol)
                        if p_stamps[ps] == generation:
                            count += p_count[ps]
                    if count > 0:
                        if escape_d:
                            total_bits -= math.log2((2.0 * count - 1.0) / (2.0 * total))
                        else:
                            total_bits -= math.log2(count / (total + distinct))
                        found = k
                        break
                    if escape_d:
                        total_bits -= math.log2(distinct / (2.0 * total))
                    else:
                        total_bits -= math.log2(distinct / (total + distinct))
                    if row >= 0:
                        first = ctx_info[row, 0]
                        for j in range(first, first + ctx_info[row, 1]):
                            s = pair_syms[j]
                            if excluded[s] != position_stamp:
                                excluded[s] = position_stamp
                                ex_list[n_excluded] = s
                                n_excluded += 1
                    if live:
                        ps = c_head[slot]
                        while ps >= 0:
                            s = p_syms[ps]
                            if excluded[s] != position_stamp:
                                excluded[s] = position_stamp
                                ex_list[n_excluded] = s
                                n_excluded += 1
                            ps = p_next[ps]
                if found < 0:
                    total_bits += math.log2(256 - n_excluded)
                # Learn the symbol in the contexts of the position: all (full updates), or
                # those the coder visited, where it was coded or escaped (update exclusion).
                for k in range(max(found, 0) if update_exclusion else 0, top + 1):
                    key = hashes[k]
                    row = rows[k] if k >= found else _find_context(table, t_offset, t_capacity, key)
                    slot = _context_slot(c_keys, c_stamps, generation, mask, key)
                    if c_stamps[slot] != generation:
                        c_stamps[slot] = generation
                        c_keys[slot] = key
                        c_total[slot] = 0
                        c_new[slot] = 0
                        c_head[slot] = -1
                    c_total[slot] += 1
                    ps = _overlay_slot(p_keys, p_syms, p_stamps, generation, mask, key, symbol)
                    if p_stamps[ps] == generation:
                        p_count[ps] += 1
                    else:
                        p_stamps[ps] = generation
                        p_keys[ps] = key
                        p_syms[ps] = symbol
                        p_count[ps] = 1
                        p_next[ps] = -1
                        if _class_count(ctx_info, pair_syms, pair_counts, row, symbol) == 0:
                            c_new[slot] += 1
                            p_next[ps] = c_head[slot]
                            c_head[slot] = ps
            bits[q, c] = total_bits
    return bits
