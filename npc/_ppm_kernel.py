"""Numba kernels of the PPM class models: counting a class text, and code lengths of queries.

Symbols are int32 ids (bytes 0..255, or hashed tokens); the alphabet size is a parameter.
A context of order ``k`` at a position is its ``k`` preceding symbols, identified by a
64-bit hash chained symbol by symbol from the order-0 seed (the hash of order ``k``
extends the one of order ``k - 1``). Two distinct contexts share a hash with probability
about ``n**2 / 2**65`` for ``n`` contexts (1e-6 for 6 million).

A class model is a context table and its pairs. The table is open addressing (linear
probing, load at most 1/2) with one row of four int64 per slot, so that one cache line
answers a look-up: the context hash (0: empty), its first pair, its number of distinct
symbols and its total count. Its pairs are int64 ``symbol << 32 | count``, sorted by
symbol, so a context's symbols are one contiguous run.

Counting a class text and merging its counts into a model: ``npc/_ppm_count.py``.

Coding (``code_lengths``) prepares each query once for all classes: the distinct strings of
up to ``order + 1`` symbols ending at its positions, as a trie (a string is the one a
symbol shorter and the symbol before that: one probe of a small map per position and
length; each distinct string's context hash computed once). A string of ``k`` symbols is
the order-``k`` context of the next position and the pair (order ``k - 1`` context,
symbol) of its own position. The counts a query adds while it is coded, and each class's
answers for its contexts and pairs, then live in small arrays indexed by string ids,
reset per class; only the first ``order`` positions, whose contexts reach into the class
text, get strings per class. With ``_BLOCK_CLASSES`` classes or more, queries are prepared
in blocks and each block is coded class by class, so that a class's table is read for
every query of the block while it is in cache; with fewer, a query's preparation is what
stays in cache, and queries are coded one at a time. A class's answers are looked up
before coding, in independent passes (the processor overlaps their cache misses, and each
look-up prefetches the one ``_PREFETCH_AHEAD`` places on): in a small table (fewer than
``_PRUNE_SLOTS`` slots, in cache) every context, then every pair; in a large one order by
order from the top, skipping the lower orders of the positions whose symbol the class has
at a higher order (the coder stops there); the top order needs every string of ``order``
and ``order + 1`` symbols, which come from the query's strings grouped by length (once
per query) without a pass over its positions per class. Under full updates a pair of at
most ``order`` symbols is counted from its string's row as a context, and the query's own
count of a context from its string's count as a pair (``_query_total``). The counts of
excluded symbols in a context come from one walk of its symbols or a binary search each,
whichever is shorter. Probabilities are multiplied, with one ``log2`` per query and class.

Where the time went (order 3, full updates, 300 test rows spread over each test split;
busy machine, same process, timing variants of the kernel that skip a part). The
previous kernel, per query: on R52, preparing 3%, class look-ups 45%, coding the escapes
and exclusions about 35%, the query's own updates 18%; on 20News the look-ups 58% (about
4 MB of table per class: misses to memory); on IMDb preparing 48% (two probes per
position and order in an id map sized for the worst case, 786 KB for a 1,300-byte
review). The trie made preparing 4-5x faster (IMDb 1.9x overall); the top-down look-ups
gave 1.12-1.17x on 20News, Ohsumed and IMDb (there 91-99% of the symbols are found at
order 3), the walk 1.05-1.1x. Then, in one call over the 300 rows: prefetching 1.25-1.3x
on 20News (a probe's loop ends on the data, so the processor does not run ahead of it by
itself), nothing on R52 (its 14 MB model is in the last-level cache); blocks of queries
1.2x on R52 and 20News, 1.09x on Ohsumed, and 0.8x on R8 and IMDb (hence the class
threshold); pair counts from context rows 1.03-1.04x; the top order's strings grouped by
length 1.04-1.1x in one call on 20News, Ohsumed, IMDb and R8, none on R52 (a scan of the
strings' lengths per class instead: 0.94-0.95x on 20News and Ohsumed) (idle machine,
one pair of workers: ``python -m experiments.ab_ppm_kernel --before 6c84830``); the
query's context counts from its pair counts 1.04-1.08x in one call on all five (three
pairs: ``--before 45a85cc``). Left before those two, in one call: on 20News look-ups 55%,
coding 23%, the query's own updates 18%, preparing 4%; on R52 look-ups 37%, coding 40%,
updates 22%. Per position and class: on
R52 0.26 escapes, and for exclusions about 2.9 class symbols walked, 1.1 marked and 1.5
query symbols checked (a third of the time); on 20News 0.08 escapes, but 27 symbols walked
per exclusion; the query's own updates about a fifth. Tried and dropped: an index of all
classes' contexts and pairs grouped by context (one probe per query string for all
classes): 1.05-1.1x on R8, R52 and Ohsumed, none on 20News, 0.65x on IMDb, an index as
large as the model; inlining the helpers, touching the slots to look up in a first pass,
copying each context's class total and symbol count next to the query's, another walk
threshold, a lower top-down threshold (all within 5% or slower); branch-free or
scan-ended binary searches, skipping the contexts or pairs whose shorter suffix a small
table lacks (none or slower); slots indexed by the top bits of the key and each query's
strings looked up in key order, so that a table is read in one sweep (0.85-0.9x on
20News); tables at load 1/4 or 3/4 instead of at most 1/2 (160, 80 or 50 MB of 20News
table, all beyond the 32 MB last-level cache: the same time); exclusion sums kept in the
model (each context's symbols' counts in its suffix, with suffix links: under full updates
the excluded symbols are those of the last context visited, so their class counts are one
number) in place of the walks: 0.93-0.97x on R52 and 20News (the query's own excluded
symbols then need a binary search each); small tables looked up by scanning the class's
contexts against a map of the query's (0.97-1.0x on R52, 0.75x for every small table);
each probability's numerator and denominator multiplied apart, with no division per symbol
(0.98-1.02x). Memory is not what is left: with every query
coded 16 times in a row, so that its look-ups hit the cache, 100 20News rows took 2.15
ms per query against 3.16. What it would take: the classes coded side by side, position
by position, with the query's own updates (the same for every class under full updates)
done once; per-class state for every query string then outgrows the cache on R52 and
20News, so the gain is uncertain. Its bound: skipping the query's own updates altogether
(wrong code lengths) was 1.20x on R52 and 1.14x on 20News, where look-ups alone are 38% and
52% of the time (9 interleaved repeats, idle machine); 47 of R52's 52 classes have small
tables, and they take most of its time.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LOW = np.int64(0xFFFFFFFF)
_WALK = 8  # excluded symbols: walk a context's symbols if it has fewer than _WALK per excluded one
_PRUNE_SLOTS = 1 << 14  # tables of 512 KB and more are looked up top-down (smaller ones, in cache, gain nothing)

_BLOCK_SYMBOLS = 1 << 15  # symbols of the queries coded together, class by class, ...
_BLOCK_CLASSES = 16  # ... when there are this many classes (measured: R52, Ohsumed, 20News 1.1-1.25x; R8, IMDb 0.8x)
_PREFETCH_AHEAD = 16  # look-ups in flight: the slot of the look-up this many places ahead is prefetched

_jit = numba.njit(cache=True, nogil=True)
_helper = numba.njit(cache=True)  # compiled once each, not inlined: a shorter first compile
_part = numba.njit(inline="always")  # a stage of code_lengths, compiled into it: no longer first compile


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the processor to bring the cache line of ``array[index]`` (first row element of a
    2-D array) while the look-ups before it run: a probe's loop ends on the data, so the
    processor does not run far ahead of it by itself."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        indices = [args[1]] + [context.get_constant(signature.args[1], 0)] * (array_type.ndim - 1)
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, indices, wraparound=False)
        byte_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0i8")
        # read, keep in every cache level, data
        builder.call(function, [builder.bitcast(pointer, byte_pointer), ir.Constant(i32, 0), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


@_helper
def _prefetch_row(slots, start, capacity, key):
    """Prefetch the slot where the look-up of context ``key`` starts."""
    _prefetch(slots, start + np.int64(key & np.uint64(capacity - 1)))


@_helper
def _prefetch_pairs(slots, pairs, pair_start, row):
    """Prefetch the middle of the symbols of the class context at slot ``row`` (the binary search's first step)."""
    if row >= 0:
        _prefetch(pairs, pair_start + slots[row, 1] + (slots[row, 2] >> 1))


@_helper
def _extend(h, symbol, order):
    """Hash of the context one symbol longer (splitmix64 finaliser; never 0, the empty key)."""
    z = h ^ (np.uint64(symbol) + np.uint64(1) + (np.uint64(order) << np.uint64(8)))
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return z if z != np.uint64(0) else np.uint64(1)


@_helper
def _find_row(slots, start, capacity, key):
    """Slot of context ``key`` in a class table (absolute index), or -1."""
    slot = np.int64(key & np.uint64(capacity - 1))
    signed = np.int64(key)
    while True:
        stored = slots[start + slot, 0]
        if stored == signed:
            return start + slot
        if stored == 0:
            return -1
        slot = (slot + 1) & (capacity - 1)


@_helper
def _class_count(slots, pairs, pair_start, row, symbol):
    """Count of ``symbol`` in the class context at slot ``row`` (binary search of its pairs)."""
    if row < 0:
        return 0
    lo = pair_start + slots[row, 1]
    hi = lo + slots[row, 2]
    while lo < hi:
        mid = (lo + hi) >> 1
        found = pairs[mid] >> 32
        if found == symbol:
            return pairs[mid] & _LOW
        if found < symbol:
            lo = mid + 1
        else:
            hi = mid
    return 0


@_helper
def _count_as_context(slots, row, ends_tail, size, string):
    """Class count of the pair that is ``string`` (of ``size`` symbols, at most the order),
    from the string's own row as a context: under full updates every occurrence of a string
    counts once as the pair and once as the context of the next position, except at the
    very end of the class text, whose last strings are ``ends_tail[size]``."""
    count = slots[row, 3] if row >= 0 else 0
    return count + 1 if ends_tail[size] == string else count


@_helper
def _string_ids(e, lengths, query, tail, prev, cur, map_key, map_id, ctx_key, size_of, pair_ctx, pair_sym, n_ids,
                undo, n_undo):
    """Ids of the strings ending at query position ``e`` (-1: the class tail's last symbol) of
    lengths 0..``lengths`` into ``cur``, with the ids of those ending at ``e - 1`` in ``prev``.

    A string is its string one symbol shorter (towards ``e``) and the symbol before it, a
    row of the query's string map ``map_key/map_id``; a new string gets id ``n_ids``, its
    context hash, and (ending in the query) its pair: the string before its last symbol
    and that symbol. With ``undo``, the slots filled are appended to it from ``n_undo``
    on. Returns the id count and ``n_undo``.
    """
    mask = np.int64(map_key.shape[0] - 1)
    n_tail = tail.shape[0]
    cur[0] = 0
    for j in range(1, lengths + 1):
        i = e - j + 1
        symbol = query[i] if i >= 0 else tail[n_tail + i]
        key = (np.int64(cur[j - 1]) << 32) | np.int64(symbol)
        slot = np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(32)) & mask
        while map_key[slot] != key and map_key[slot] != -1:
            slot = (slot + 1) & mask
        if map_key[slot] == -1:
            map_key[slot], map_id[slot] = key, n_ids
            ctx_key[n_ids] = _extend(ctx_key[cur[j - 1]], symbol, j)
            size_of[n_ids] = j
            pair_ctx[n_ids] = -1
            n_ids += 1
            if undo.shape[0] > 0:
                undo[n_undo] = slot
                n_undo += 1
        string = map_id[slot]
        if e >= 0 and pair_ctx[string] < 0:
            pair_ctx[string], pair_sym[string] = prev[j - 1], query[e]
        cur[j] = string
    return n_ids, n_undo


@_part
def _block_end(query_starts, first, last, limit):
    """End of the block of queries from ``first``: as many as fit ``limit`` symbols, at least one."""
    end = first + 1
    while end < last and query_starts[end + 1] - query_starts[first] <= limit:
        end += 1
    return end


@_part
def _block_sizes(query_starts, first, last, order):
    """Where each query of a block starts in the block's string arrays and in its string maps."""
    id_starts = np.zeros(last - first + 1, dtype=np.int64)
    map_starts = np.zeros(last - first + 1, dtype=np.int64)
    for b in range(last - first):
        length = query_starts[first + b + 1] - query_starts[first + b]
        bound = 1 + (order + 1) * (length + order + 1)  # every string of 0..order + 1 symbols ending in the query
        size = 64
        while size < 2 * bound:
            size *= 2
        id_starts[b + 1] = id_starts[b] + bound
        map_starts[b + 1] = map_starts[b] + size
    return id_starts, map_starts


@_part
def _query_arrays(queries, query_starts, block_first, b, id_starts, map_starts, all_ctx_id, all_pair_id, all_ctx_key,
                  all_size_of, all_pair_ctx, all_pair_sym, all_by_size, all_map_key, all_map_id):
    """Query ``b`` of the block from ``block_first`` and its parts of the block's preparation arrays."""
    start = query_starts[block_first + b]
    end = query_starts[block_first + b + 1]
    rows = slice(start - query_starts[block_first], end - query_starts[block_first])
    ids, map_slots = slice(id_starts[b], id_starts[b + 1]), slice(map_starts[b], map_starts[b + 1])
    return (queries[start:end], all_ctx_id[rows], all_pair_id[rows], all_ctx_key[ids], all_size_of[ids],
            all_pair_ctx[ids], all_pair_sym[ids], all_by_size[ids], all_map_key[map_slots], all_map_id[map_slots])


@_part
def _prepare(query, order, prev, cur, map_key, map_id, ctx_key, size_of, pair_ctx, pair_sym, ctx_id, pair_id,
             no_undo):
    """The strings of ``query`` (see ``_string_ids``), shared by the classes: fills the
    string arrays and each position's context and pair ids; returns the number of strings."""
    ctx_key[0], size_of[0], pair_ctx[0] = SEED, 0, -1  # the empty string: the order-0 context
    n_shared = 1
    prev[0] = 0
    for p in range(query.shape[0]):
        n_shared, _ = _string_ids(p, min(order + 1, p + 1), query, query, prev, cur, map_key, map_id, ctx_key,
                                  size_of, pair_ctx, pair_sym, n_shared, no_undo, 0)
        for k in range(min(order, p) + 1):
            ctx_id[p, k], pair_id[p, k] = prev[k], cur[k + 1]
        for j in range(order + 2):
            prev[j] = cur[j]
    return n_shared


@_part
def _group_by_size(n_shared, order, size_of, by_size, size_first):
    """The query's strings grouped by length (a counting sort) into ``by_size``: those of
    ``k`` symbols are ``by_size[size_first[k]:size_first[k + 1]]``."""
    for k in range(order + 3):
        size_first[k] = 0
    for i in range(n_shared):
        size_first[size_of[i] + 1] += 1
    for k in range(order + 2):
        size_first[k + 1] += size_first[k]
    for i in range(n_shared):
        by_size[size_first[size_of[i]]] = i
        size_first[size_of[i]] += 1
    for k in range(order + 1, 0, -1):
        size_first[k] = size_first[k - 1]
    size_first[0] = 0


@_part
def _strings_of_size(size, n_shared, n_ids_c, size_of, by_size, size_first, todo):
    """Every string of ``size`` symbols into ``todo``: the query's, then the class's; returns their number."""
    n = 0
    for j in range(size_first[size], size_first[size + 1]):
        todo[n] = by_size[j]
        n += 1
    for i in range(n_shared, n_ids_c):
        if size_of[i] == size:
            todo[n] = i
            n += 1
    return n


@_part
def _class_strings(query, tail, order, prev, cur, map_key, map_id, ctx_key, size_of, pair_ctx, pair_sym, ctx_id,
                   pair_id, n_shared, undo, ends_tail):
    """The strings of the first positions that reach into the class text ``tail``, as ids
    after ``n_shared`` (the map slots they fill go to ``undo``), and in ``ends_tail`` the ids
    of the strings that end the class text. Returns the number of ids and of undo slots."""
    n_tail = tail.shape[0]
    length = query.shape[0]
    n_ids_c, n_undo = _string_ids(-1, min(order, n_tail), query, tail, prev, prev, map_key, map_id, ctx_key, size_of,
                                  pair_ctx, pair_sym, n_shared, undo, 0)
    for j in range(order + 2):
        ends_tail[j] = prev[j] if 1 <= j <= min(order, n_tail) else -1
    for p in range(min(order, length)):
        n_ids_c, n_undo = _string_ids(p, min(order + 1, n_tail + p + 1), query, tail, prev, cur, map_key, map_id,
                                      ctx_key, size_of, pair_ctx, pair_sym, n_ids_c, undo, n_undo)
        for k in range(p + 1, min(order, n_tail + p) + 1):
            ctx_id[p, k], pair_id[p, k] = prev[k], cur[k + 1]
        for j in range(order + 2):
            prev[j] = cur[j]
    return n_ids_c, n_undo


@_part
def _is_top_down(capacity, update_exclusion, frozen):
    """Whether a class table is looked up order by order from the top (``_look_up_top_down``):
    a large one whose symbol sets are nested or that learns by update exclusion."""
    return capacity >= _PRUNE_SLOTS and (update_exclusion or frozen == 0)


@_part
def _look_up_whole(n_ids_c, size_of, ctx_key, pair_ctx, pair_sym, slots, t_start, t_capacity, pairs, p_start, nested,
                   order, ends_tail, row_of, class_count):
    """The class's row of every query context, then its count of every pair."""
    for i in range(n_ids_c):
        if i + _PREFETCH_AHEAD < n_ids_c and size_of[i + _PREFETCH_AHEAD] <= order:
            _prefetch_row(slots, t_start, t_capacity, ctx_key[i + _PREFETCH_AHEAD])
        if size_of[i] <= order:
            row_of[i] = _find_row(slots, t_start, t_capacity, ctx_key[i])
    for i in range(n_ids_c):
        ahead = i + _PREFETCH_AHEAD
        if ahead < n_ids_c and pair_ctx[ahead] >= 0 and not (nested and size_of[ahead] <= order):
            _prefetch_pairs(slots, pairs, p_start, row_of[pair_ctx[ahead]])
        if pair_ctx[i] >= 0:
            if nested and size_of[i] <= order:
                class_count[i] = _count_as_context(slots, row_of[i], ends_tail, size_of[i], i)
            else:
                class_count[i] = _class_count(slots, pairs, p_start, row_of[pair_ctx[i]], pair_sym[i])


@_part
def _look_up_top_down(length, n_tail, order, ctx_id, pair_id, ctx_key, size_of, pair_ctx, pair_sym, slots, t_start,
                      t_capacity, pairs, p_start, nested, ends_tail, row_of, class_count, active, todo, n_ids_c,
                      n_shared, by_size, size_first):
    """The class's rows and counts a coder needs, order by order from the top: a
    position whose symbol the class has seen at order k is coded at k or above, so its lower
    orders are not looked up. Its pairs there are known to be seen (class_count -1: seen,
    count not needed) as the class's symbol sets are nested (full updates, no pair left out
    by the memory budget); update exclusion updates only the visited orders. The top order
    needs every string of ``order`` and ``order + 1`` symbols, taken from ``by_size``
    without a pass over the positions."""
    row_of[:n_ids_c] = -2
    class_count[:n_ids_c] = -1
    n_active = length
    for p in range(length):
        active[p] = p
    for k in range(order, -1, -1):
        if k == order:  # every position is looked up at the top: take its strings as they are
            n_todo = _strings_of_size(order, n_shared, n_ids_c, size_of, by_size, size_first, todo)
        else:
            n_todo = 0
            kept = 0
            for i in range(n_active):
                p = active[i]
                top = min(order, n_tail + p)
                if k < top and class_count[pair_id[p, k + 1]] > 0:
                    continue
                active[kept] = p
                kept += 1
                if k <= top and row_of[ctx_id[p, k]] == -2:
                    row_of[ctx_id[p, k]] = -1
                    todo[n_todo] = ctx_id[p, k]
                    n_todo += 1
            n_active = kept
        for j in range(n_todo):
            if j + _PREFETCH_AHEAD < n_todo:
                _prefetch_row(slots, t_start, t_capacity, ctx_key[todo[j + _PREFETCH_AHEAD]])
            row_of[todo[j]] = _find_row(slots, t_start, t_capacity, ctx_key[todo[j]])
        if k == order:
            n_todo = _strings_of_size(order + 1, n_shared, n_ids_c, size_of, by_size, size_first, todo)
        else:
            n_todo = 0
            for i in range(n_active):
                p = active[i]
                if k <= min(order, n_tail + p) and class_count[pair_id[p, k]] == -1:
                    class_count[pair_id[p, k]] = 0
                    todo[n_todo] = pair_id[p, k]
                    n_todo += 1
        for j in range(n_todo):
            i = todo[j]
            if j + _PREFETCH_AHEAD < n_todo:
                ahead = todo[j + _PREFETCH_AHEAD]
                if nested and k < order and row_of[ahead] == -2:
                    _prefetch_row(slots, t_start, t_capacity, ctx_key[ahead])
                else:
                    _prefetch_pairs(slots, pairs, p_start, row_of[pair_ctx[ahead]])
            if nested and k < order:
                if row_of[i] == -2:
                    row_of[i] = _find_row(slots, t_start, t_capacity, ctx_key[i])
                class_count[i] = _count_as_context(slots, row_of[i], ends_tail, size_of[i], i)
            else:
                class_count[i] = _class_count(slots, pairs, p_start, row_of[pair_ctx[i]], pair_sym[i])


@_helper
def _query_total(p, k, cid, update_exclusion, q_total, q_count, ends_tail):
    """How often the query so far has had context ``cid`` (of ``k`` symbols, at position
    ``p``) and learned a symbol in it. Under full updates that is every time it was a
    context, so no count of its own is kept: the empty context at every position before; a
    longer one wherever it ended before ``p - 1``, the count of the same string as a pair
    (learned at each position where it ends) but for the one ending at ``p - 1``, plus
    once if it also ends the class text (the context of the query's first position)."""
    if update_exclusion:
        return q_total[cid]
    if k == 0:
        return p
    return q_count[cid] - 1 + (1 if ends_tail[k] == cid else 0)


@_part
def _code(length, n_tail, order, escape_d, update_exclusion, alphabet, ctx_id, pair_id, pair_sym, slots, pairs,
          p_start, ends_tail, row_of, class_count, q_total, q_new, q_head, q_count, q_next, excluded, ex_list, stamp,
          n_ids_c):
    """Code length in bits of the query under the class, learning it as it goes; returns
    it and the last exclusion stamp used."""
    if update_exclusion:  # full updates keep no context counts (``_query_total``)
        q_total[:n_ids_c] = 0
    q_new[:n_ids_c] = 0
    q_head[:n_ids_c] = -1
    q_count[:n_ids_c] = 0
    # The probabilities are multiplied and the product's exponent moved to
    # ``exponent`` when it gets small: one log2 per query and class, not per symbol.
    product = 1.0
    exponent = 0
    for p in range(length):
        top = min(order, n_tail + p)
        stamp += 1
        if stamp == 2**31 - 1:
            excluded[:] = 0
            stamp = 1
        n_excluded = 0
        found = -1
        for k in range(top, -1, -1):
            cid = ctx_id[p, k]
            row = row_of[cid]
            total = _query_total(p, k, cid, update_exclusion, q_total, q_count, ends_tail)
            total += slots[row, 3] if row >= 0 else 0
            if total == 0:
                continue
            distinct = q_new[cid] + (slots[row, 2] if row >= 0 else 0)
            if n_excluded > 0:
                if row >= 0 and slots[row, 2] < _WALK * n_excluded:
                    # A walk of the context's symbols costs less than a search for each excluded one.
                    first = p_start + slots[row, 1]
                    for j in range(first, first + slots[row, 2]):
                        if excluded[pairs[j] >> 32] == stamp and pairs[j] & _LOW > 0:
                            total -= pairs[j] & _LOW
                            distinct -= 1
                elif row >= 0:
                    for j in range(n_excluded):
                        seen = _class_count(slots, pairs, p_start, row, ex_list[j])
                        if seen > 0:
                            total -= seen
                            distinct -= 1
                e = q_head[cid]
                while e >= 0:
                    if excluded[pair_sym[e]] == stamp:
                        total -= q_count[e]
                        if class_count[e] == 0:
                            distinct -= 1
                    e = q_next[e]
                if distinct == 0:
                    continue  # every symbol of the context is excluded: nothing to code here
            pid = pair_id[p, k]
            count = q_count[pid] + class_count[pid]
            if count > 0:
                if escape_d:
                    product *= (2.0 * count - 1.0) / (2.0 * total)
                else:
                    product *= count / (total + distinct)
                found = k
                break
            if escape_d:
                product *= distinct / (2.0 * total)
            else:
                product *= distinct / (total + distinct)
            if k == 0:
                # Only order -1 is left: it needs the number of excluded symbols, not
                # which they are (a token model's order 0 holds its whole vocabulary).
                n_excluded += distinct
                continue
            if row >= 0:
                first = p_start + slots[row, 1]
                for j in range(first, first + slots[row, 2]):
                    s = pairs[j] >> 32
                    if excluded[s] != stamp:
                        excluded[s] = stamp
                        ex_list[n_excluded] = s
                        n_excluded += 1
            e = q_head[cid]
            while e >= 0:
                s = pair_sym[e]
                if excluded[s] != stamp:
                    excluded[s] = stamp
                    ex_list[n_excluded] = s
                    n_excluded += 1
                e = q_next[e]
        if found < 0:
            product /= alphabet - n_excluded
        if product < 1e-250:
            mantissa, shift = math.frexp(product)
            product = mantissa
            exponent += shift
        # Learn the symbol in the contexts of the position: all (full updates), or
        # those the coder visited, where it was coded or escaped (update exclusion).
        for k in range(max(found, 0) if update_exclusion else 0, top + 1):
            pid = pair_id[p, k]
            if update_exclusion:
                q_total[ctx_id[p, k]] += 1
            if q_count[pid] == 0:
                cid = ctx_id[p, k]
                q_next[pid] = q_head[cid]
                q_head[cid] = pid
                if class_count[pid] == 0:
                    q_new[cid] += 1
            q_count[pid] += 1
    return -(math.log2(product) + exponent), stamp


@_jit
def code_lengths(queries, query_starts, q_first, q_last, tails, tail_starts, slots, slot_starts, pairs, pair_starts,
                 frozen, order, escape_d, update_exclusion, alphabet, bits):
    """Adaptive code length in bits of queries ``q_first..q_last - 1`` after every class's text.

    ``queries[query_starts[q]:query_starts[q + 1]]`` is query ``q``; ``tails`` holds the
    last ``order`` symbols of each class text (the first contexts of a query). Class
    ``c``'s table is ``slots[slot_starts[c]:slot_starts[c + 1]]`` and its pairs start at
    ``pairs[pair_starts[c]]``; ``frozen[c]`` is nonzero if a memory budget kept pairs out
    of class ``c``. Writes ``bits[q, c]`` (float64).
    """
    n_classes = slot_starts.shape[0] - 1
    prev = np.zeros(order + 2, dtype=np.int32)
    cur = np.zeros(order + 2, dtype=np.int32)
    no_undo = np.zeros(0, dtype=np.int64)
    undo = np.zeros((order + 1) * (order + 2), dtype=np.int64)
    ends_tail = np.full(order + 2, -1, dtype=np.int32)
    excluded = np.zeros(alphabet, dtype=np.int32)
    ex_list = np.empty(alphabet, dtype=np.int32)
    stamp = 0
    # With many classes, a block of queries is prepared, then coded class by class: a
    # class's table is read for all of them while it is in cache. With few, each query
    # alone: its preparation stays in cache while every class codes it.
    limit = _BLOCK_SYMBOLS if n_classes >= _BLOCK_CLASSES else 0
    ids_needed, map_needed, rows_needed, most_ids, longest = 1, 1, 1, 1, 1
    block_first = q_first
    while block_first < q_last:
        block_last = _block_end(query_starts, block_first, q_last, limit)
        ids, map_size = _block_sizes(query_starts, block_first, block_last, order)
        ids_needed, map_needed = max(ids_needed, ids[-1]), max(map_needed, map_size[-1])
        rows_needed = max(rows_needed, query_starts[block_last] - query_starts[block_first])
        for b in range(block_last - block_first):
            most_ids = max(most_ids, ids[b + 1] - ids[b])
        block_first = block_last
    for q in range(q_first, q_last):
        longest = max(longest, query_starts[q + 1] - query_starts[q])
    # Query preparation, shared by the classes: ids of the strings of up to order + 1
    # symbols, each a context (its hash ``ctx_key``) and a pair (``pair_ctx``, ``pair_sym``).
    all_map_key = np.full(map_needed, -1, dtype=np.int64)
    all_map_id = np.zeros(map_needed, dtype=np.int32)
    all_ctx_id = np.zeros((rows_needed, order + 1), dtype=np.int32)
    all_pair_id = np.zeros_like(all_ctx_id)
    all_pair_sym = np.zeros(ids_needed, dtype=np.int32)
    all_pair_ctx = np.zeros(ids_needed, dtype=np.int32)
    all_size_of = np.zeros(ids_needed, dtype=np.int32)
    all_ctx_key = np.zeros(ids_needed, dtype=np.uint64)
    top_down = False
    for c in range(n_classes):
        top_down |= _is_top_down(slot_starts[c + 1] - slot_starts[c], update_exclusion, frozen[c])
    all_by_size = np.zeros(ids_needed if top_down else 0, dtype=np.int32)
    # Per class: its table slot of each query context, its count of each pair, and what
    # the query added (totals, new symbols, counts, and each context's list of pairs).
    row_of = np.zeros(most_ids, dtype=np.int64)
    class_count = np.zeros(most_ids, dtype=np.int64)
    q_total = np.zeros(most_ids, dtype=np.int32)
    q_new = np.zeros(most_ids, dtype=np.int32)
    q_head = np.zeros(most_ids, dtype=np.int32)
    q_count = np.zeros(most_ids, dtype=np.int32)
    q_next = np.zeros(most_ids, dtype=np.int32)
    active = np.zeros(longest, dtype=np.int32)
    todo = np.zeros(most_ids, dtype=np.int32)
    block_first = q_first
    while block_first < q_last:
        block_last = _block_end(query_starts, block_first, q_last, limit)
        n_block = block_last - block_first
        id_starts, map_starts = _block_sizes(query_starts, block_first, block_last, order)
        all_map_key[:map_starts[n_block]] = -1
        n_shared_of = np.zeros(n_block, dtype=np.int64)
        size_first = np.zeros((n_block, order + 3), dtype=np.int64)
        for b in range(n_block):
            query, ctx_id, pair_id, ctx_key, size_of, pair_ctx, pair_sym, by_size, map_key, map_id = _query_arrays(
                queries, query_starts, block_first, b, id_starts, map_starts, all_ctx_id, all_pair_id, all_ctx_key,
                all_size_of, all_pair_ctx, all_pair_sym, all_by_size, all_map_key, all_map_id)
            n_shared_of[b] = _prepare(query, order, prev, cur, map_key, map_id, ctx_key, size_of, pair_ctx, pair_sym,
                                      ctx_id, pair_id, no_undo)
            if top_down:
                _group_by_size(n_shared_of[b], order, size_of, by_size, size_first[b])
        for c in range(n_classes):
            t_start = slot_starts[c]
            t_capacity = slot_starts[c + 1] - t_start
            p_start = pair_starts[c]
            tail = tails[tail_starts[c]:tail_starts[c + 1]]
            nested = not update_exclusion and frozen[c] == 0
            for b in range(n_block):
                q = block_first + b
                query, ctx_id, pair_id, ctx_key, size_of, pair_ctx, pair_sym, by_size, map_key, map_id = _query_arrays(
                    queries, query_starts, block_first, b, id_starts, map_starts, all_ctx_id, all_pair_id,
                    all_ctx_key, all_size_of, all_pair_ctx, all_pair_sym, all_by_size, all_map_key, all_map_id)
                n_ids_c, n_undo = _class_strings(query, tail, order, prev, cur, map_key, map_id, ctx_key, size_of,
                                                 pair_ctx, pair_sym, ctx_id, pair_id, n_shared_of[b], undo, ends_tail)
                # The class answers the coder can need, looked up in independent passes (the
                # processor overlaps their cache misses): contexts, then pairs.
                if not _is_top_down(t_capacity, update_exclusion, frozen[c]):
                    _look_up_whole(n_ids_c, size_of, ctx_key, pair_ctx, pair_sym, slots, t_start, t_capacity, pairs,
                                   p_start, nested, order, ends_tail, row_of, class_count)
                else:
                    _look_up_top_down(query.shape[0], tail.shape[0], order, ctx_id, pair_id, ctx_key, size_of,
                                      pair_ctx, pair_sym, slots, t_start, t_capacity, pairs, p_start, nested,
                                      ends_tail, row_of, class_count, active, todo, n_ids_c, n_shared_of[b], by_size,
                                      size_first[b])
                bits[q, c], stamp = _code(query.shape[0], tail.shape[0], order, escape_d, update_exclusion, alphabet,
                                          ctx_id, pair_id, pair_sym, slots, pairs, p_start, ends_tail, row_of,
                                          class_count, q_total, q_new, q_head, q_count, q_next, excluded, ex_list,
                                          stamp, n_ids_c)
                for j in range(n_undo - 1, -1, -1):  # newest first: linear probing is then exactly undone
                    map_key[undo[j]] = -1
        block_first = block_last


def needs_compiling() -> bool:
    """Whether the first fit or prediction will compile the kernels (seconds) instead of loading them.

    They are compiled once per installation and Python/numba version, then read from
    numba's on-disk cache (``NUMBA_CACHE_DIR`` or ``__pycache__``).

    Examples
    --------
    >>> isinstance(needs_compiling(), bool)
    True
    """
    from npc import _ppm_count

    for kernel in (_ppm_count._grown, _ppm_count.count_text, _ppm_count.merge, code_lengths):
        if kernel.signatures:
            continue
        try:
            if not kernel._cache._cache_file._load_index():
                return True
        except (AttributeError, OSError, ValueError):  # numba's cache internals changed: assume the worst
            return True
    return False
