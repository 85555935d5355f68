"""Numba kernels that count a class text and merge its counts into a class model.

Counting (``count_text``) streams a class text once, block by block, and accumulates
its counts in a growing hash table of (context, symbol) pairs and a set of the contexts
new to the model; ``merge`` then folds them into the model's table and pairs in one
linear pass (layout: ``npc/_ppm_kernel.py``), so a model can keep learning
(``partial_fit``). The previous fit sorted every position's context hashes at once
(32 s and 3.8 GB for the IMDb training split).
"""

from __future__ import annotations

import numba
import numpy as np

from npc._ppm_kernel import _GOLDEN, SEED, _class_count, _extend, _find_row

# Budget of max_memory: a context costs 56 bytes, a (context, symbol) pair 5 (the byte
# models' size per context and pair when the rule was set; the pinned tests keep it).
CONTEXT_BYTES = 56
PAIR_BYTES = 5

_jit = numba.njit(cache=True, nogil=True)
_helper = numba.njit(cache=True)


@_helper
def _pair_hash(key, symbol):
    return key + np.uint64(symbol + 1) * _GOLDEN


@_helper
def _delta_slot(keys, syms, key, symbol):
    """Slot of pair ``(key, symbol)`` in the counting table: its own, or the empty one to fill."""
    mask = np.int64(keys.shape[0] - 1)
    slot = np.int64(_pair_hash(key, symbol)) & mask
    while keys[slot] != 0:
        if keys[slot] == key and syms[slot] == symbol:
            return slot
        slot = (slot + 1) & mask
    return slot


@_helper
def _set_slot(keys, key):
    mask = np.int64(keys.shape[0] - 1)
    slot = np.int64(key) & mask
    while keys[slot] != 0 and keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@_jit
def _grown(keys, syms, counts, contexts):
    """The counting tables at twice their size (pairs and the set of new contexts)."""
    new_keys = np.zeros(2 * keys.shape[0], dtype=np.uint64)
    new_syms = np.zeros(2 * keys.shape[0], dtype=np.int32)
    new_counts = np.zeros(2 * keys.shape[0], dtype=np.int32)
    for slot in range(keys.shape[0]):
        if keys[slot] != 0:
            target = _delta_slot(new_keys, new_syms, keys[slot], syms[slot])
            new_keys[target], new_syms[target], new_counts[target] = keys[slot], syms[slot], counts[slot]
    new_contexts = np.zeros(2 * contexts.shape[0], dtype=np.uint64)
    for slot in range(contexts.shape[0]):
        if contexts[slot] != 0:
            new_contexts[_set_slot(new_contexts, contexts[slot])] = contexts[slot]
    return new_keys, new_syms, new_counts, new_contexts


@_jit
def count_text(text, start, slots, pairs, keys, syms, counts, contexts, state, order, update_exclusion):
    """Count the symbols ``text[start:]`` (``text[:start]`` is the history before them).

    Counts go to the counting tables ``keys/syms/counts`` (pairs) and ``contexts`` (the
    contexts new to the model ``slots/pairs``), grown as needed and returned.
    ``state`` is ``[pairs in the tables, contexts in the set, budget used, frozen,
    budget (-1: none)]``; once a new pair does not fit the budget, no new pair is added
    (frozen), while known pairs keep counting. Pairs new at one position are added in the
    order of their context hashes.
    """
    capacity = slots.shape[0]
    hashes = np.zeros(order + 1, dtype=np.uint64)
    in_model = np.zeros(order + 1, dtype=np.bool_)
    new_order = np.zeros(order + 1, dtype=np.int64)
    budget = state[4]
    needs_lookup = update_exclusion or budget >= 0
    for p in range(start, text.shape[0]):
        symbol = text[p]
        top = min(order, p)
        hashes[0] = SEED
        for k in range(1, top + 1):
            hashes[k] = _extend(hashes[k - 1], text[p - k], k)
        if 10 * (state[0] + top + 1) > 7 * keys.shape[0] or 10 * (state[1] + top + 1) > 7 * contexts.shape[0]:
            keys, syms, counts, contexts = _grown(keys, syms, counts, contexts)
        lowest = 0
        if needs_lookup:
            lowest = -1
            for k in range(top, -1, -1):
                row = _find_row(slots, 0, capacity, hashes[k])
                seen = _class_count(slots, pairs, 0, row, symbol) > 0
                if not seen:
                    seen = counts[_delta_slot(keys, syms, hashes[k], symbol)] > 0
                in_model[k] = seen
                if seen and lowest < 0:
                    lowest = k
            if lowest < 0 or not update_exclusion:
                lowest = 0
        n_new = 0
        for k in range(lowest, top + 1):
            key = hashes[k]
            if needs_lookup and not in_model[k]:
                # New pairs wait for the budget, in the order of their context hashes.
                j = n_new
                while j > 0 and hashes[new_order[j - 1]] > key:
                    new_order[j] = new_order[j - 1]
                    j -= 1
                new_order[j] = k
                n_new += 1
                continue
            slot = _delta_slot(keys, syms, key, symbol)
            if counts[slot] == 0:
                keys[slot], syms[slot] = key, symbol
                state[0] += 1
                context = _set_slot(contexts, key)
                if contexts[context] == 0 and _find_row(slots, 0, capacity, key) < 0:
                    contexts[context] = key
                    state[1] += 1
            counts[slot] += 1
        for j in range(n_new):
            key = hashes[new_order[j]]
            context = _set_slot(contexts, key)
            new_context = contexts[context] == 0 and _find_row(slots, 0, capacity, key) < 0
            if budget >= 0:
                cost = PAIR_BYTES + (CONTEXT_BYTES if new_context else 0)
                if state[3] != 0 or state[2] + cost > budget:
                    state[3] = 1
                    continue
                state[2] += cost
            slot = _delta_slot(keys, syms, key, symbol)
            keys[slot], syms[slot], counts[slot] = key, symbol, 1
            state[0] += 1
            if new_context:
                contexts[context] = key
                state[1] += 1
    return keys, syms, counts, contexts


@_helper
def _insert(table, key):
    """Slot of context ``key`` in a class table being built (filled with the key if new)."""
    mask = np.int64(table.shape[0] - 1)
    slot = np.int64(key) & mask
    while table[slot, 0] != 0 and table[slot, 0] != np.int64(key):
        slot = (slot + 1) & mask
    table[slot, 0] = np.int64(key)
    return slot


@_helper
def _find_pair(pairs, lo, hi, symbol):
    """Index of ``symbol`` in the sorted run ``pairs[lo:hi]``, or -1."""
    while lo < hi:
        mid = (lo + hi) >> 1
        found = pairs[mid] >> 32
        if found == symbol:
            return mid
        if found < symbol:
            lo = mid + 1
        else:
            hi = mid
    return -1


@_jit
def merge(slots, pairs, keys, syms, counts, contexts):
    """The class table and pairs of a model plus the counts of the counting tables.

    Returns the new table (at most half full) and pairs, each context's symbols a run
    sorted by symbol. Linear in the model's and the tables' sizes.
    """
    n_contexts = 0
    for slot in range(slots.shape[0]):
        n_contexts += slots[slot, 0] != 0
    for slot in range(contexts.shape[0]):
        n_contexts += contexts[slot] != 0
    capacity = 16
    while capacity <= 2 * n_contexts:
        capacity *= 2
    table = np.zeros((capacity, 4), dtype=np.int64)
    base_first = np.zeros(capacity, dtype=np.int64)
    base_size = np.zeros(capacity, dtype=np.int64)
    for slot in range(slots.shape[0]):
        if slots[slot, 0] != 0:
            target = _insert(table, np.uint64(slots[slot, 0]))
            base_first[target], base_size[target] = slots[slot, 1], slots[slot, 2]
            table[target, 2], table[target, 3] = slots[slot, 2], slots[slot, 3]
    for slot in range(contexts.shape[0]):
        if contexts[slot] != 0:
            _insert(table, contexts[slot])
    n_pairs = pairs.shape[0]
    for i in range(keys.shape[0]):
        if keys[i] != 0:
            target = _insert(table, keys[i])
            table[target, 3] += counts[i]
            if _find_pair(pairs, base_first[target], base_first[target] + base_size[target], syms[i]) < 0:
                table[target, 2] += 1
                n_pairs += 1
    merged = np.zeros(n_pairs, dtype=np.int64)
    fill = np.zeros(capacity, dtype=np.int64)
    first = 0
    for slot in range(capacity):
        if table[slot, 0] != 0:
            table[slot, 1] = first
            size = base_size[slot]
            for j in range(size):  # not a slice copy, whose shape check compiles string formatting
                merged[first + j] = pairs[base_first[slot] + j]
            fill[slot] = first + size
            first += table[slot, 2]
    for i in range(keys.shape[0]):
        if keys[i] != 0:
            target = _insert(table, keys[i])
            at = _find_pair(merged, table[target, 1], table[target, 1] + base_size[target], syms[i])
            if at >= 0:
                merged[at] += counts[i]
            else:
                merged[fill[target]] = (np.int64(syms[i]) << 32) | counts[i]
                fill[target] += 1
    for slot in range(capacity):
        if table[slot, 0] != 0 and table[slot, 2] > base_size[slot]:
            merged[table[slot, 1]:table[slot, 1] + table[slot, 2]].sort()
    return table, merged
