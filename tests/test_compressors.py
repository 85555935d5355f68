import bz2
import gzip
import lzma
import random
import zlib

import lz4.frame
import pyppmd
import pytest
import pyzstd

from npc.compressors import (
    Compressor,
    available_compressors,
    get_compressor,
    register_compressor,
)


def _raw_deflate(data, level):
    state = zlib.compressobj(level, zlib.DEFLATED, -15)
    return state.compress(data) + state.flush()


ONE_SHOT = {
    "gzip": lambda data, level: gzip.compress(data, level),
    "zlib": lambda data, level: zlib.compress(data, level),
    "deflate": _raw_deflate,
    "bz2": lambda data, level: bz2.compress(data, level),
    "lzma": lambda data, level: lzma.compress(data, preset=level),
    "lz4": lambda data, level: lz4.frame.compress(data, compression_level=level),
    "zstd": lambda data, level: pyzstd.compress(data, level),
    "ppmd": lambda data, level: pyppmd.compress(data, max_order=level, mem_size=16 << 20, variant="H"),
}
LEVELS = {
    "gzip": [1, 9], "zlib": [0, 6], "deflate": [9], "bz2": [1, 9], "lzma": [0, 6],
    "lz4": [0, 3, 16], "zstd": [-5, 1, 3, 19], "ppmd": [2, 6, 16],
}
EDGE_CASES = [b"", b"\x00", b"\x00" * 1000, bytes(range(256)) * 4, "ñ 日本 🙂 مرحبا".encode()]


def test_builtin_names_are_registered():
    assert set(ONE_SHOT) <= set(available_compressors())


@pytest.mark.parametrize("name", sorted(ONE_SHOT))
def test_compressed_size_equals_one_shot_call(name, real_texts):
    for level in LEVELS[name]:
        compressor = get_compressor(name, level)
        for data in EDGE_CASES + [text.encode() for text in real_texts[::10]]:
            assert compressor.compressed_size(data) == len(ONE_SHOT[name](data, level))


@pytest.mark.parametrize("name", ["gzip", "zlib", "deflate"])
@pytest.mark.parametrize("level", range(10))
@pytest.mark.parametrize("reuse_state", [True, False, None])
def test_deflate_prefix_equals_one_shot_at_every_level(name, level, reuse_state, real_texts):
    compressor = get_compressor(name, level)
    tails = [text.encode() for text in real_texts[::7]] + EDGE_CASES
    for head in (b"", b"short ", real_texts[0].encode() + b" ", real_texts[-1].encode() + b" "):
        prefix = compressor.prefix(head, reuse_state=reuse_state)
        expected = [len(ONE_SHOT[name](head + tail, level)) for tail in tails]
        assert prefix.sizes_with(tails).tolist() == expected
        assert [prefix.size_with(tail) for tail in tails] == expected


@pytest.mark.parametrize("name", sorted(ONE_SHOT))
def test_prefix_equals_one_shot_for_every_compressor(name, real_texts):
    compressor = get_compressor(name)
    tails = [text.encode() for text in real_texts[::20]]
    head = real_texts[5].encode() + b" "
    expected = [len(ONE_SHOT[name](head + tail, compressor.level)) for tail in tails]
    assert compressor.prefix(head).sizes_with(tails).tolist() == expected


def test_default_levels():
    assert get_compressor("gzip").level == 9
    assert get_compressor("zstd").level == 3


def test_unknown_compressor_lists_known_names():
    with pytest.raises(ValueError, match=r"Unknown compressor 'brotli'.*gzip.*zstd"):
        get_compressor("brotli")


@pytest.mark.parametrize("name, level", [("gzip", 10), ("gzip", -1), ("bz2", 0), ("zstd", 23)])
def test_level_out_of_range(name, level):
    with pytest.raises(ValueError, match=rf"Level {level} is out of range for compressor '{name}'"):
        get_compressor(name, level)


def test_level_must_be_int():
    with pytest.raises(TypeError, match="must be an int"):
        get_compressor("gzip", "9")


def test_instance_passes_through_and_level_overrides():
    compressor = get_compressor("zstd", 5)
    assert get_compressor(compressor) is compressor
    assert get_compressor(compressor, 7).level == 7


@pytest.fixture
def scratch_registry(monkeypatch):
    """The compressor registry, restored after the test (a test's compressors must not leak)."""
    import npc.compressors

    monkeypatch.setattr(npc.compressors, "_REGISTRY", dict(npc.compressors._REGISTRY))


@pytest.mark.usefixtures("scratch_registry")
def test_register_user_compressor(distinct_bytes):
    register_compressor("test-distinct", type(distinct_bytes), force=True)
    assert get_compressor("test-distinct").compressed_size(b"abca") == 3
    with pytest.raises(ValueError, match="already registered"):
        register_compressor("test-distinct", type(distinct_bytes))
    with pytest.raises(TypeError, match="must be callable"):
        register_compressor("test-other", 42)


@pytest.mark.usefixtures("scratch_registry")
def test_factory_must_return_a_compressor():
    register_compressor("test-bad-factory", lambda level=None: "nope", force=True)
    with pytest.raises(TypeError, match="not a Compressor"):
        get_compressor("test-bad-factory")


def test_compressors_compare_by_type_and_level():
    assert get_compressor("gzip", 9) == get_compressor("gzip")
    assert get_compressor("gzip", 9) != get_compressor("zlib", 9)
    assert isinstance(get_compressor("lz4"), Compressor)


@pytest.mark.parametrize("name", ["gzip", "deflate"])
@pytest.mark.parametrize("level", [1, 6, 9])
def test_deflate_state_copy_with_small_windows_equals_one_shot(name, level, real_texts):
    # Inputs around each window's reach (2**w - 262 bytes), where a window one size too
    # small would give different output: the copied states pick windows exactly.
    text = " ".join(real_texts).encode()
    head = text[:300]
    compressor = get_compressor(name, level)
    tails = [text[300:300 + n] for w in range(9, 16) for n in range((1 << w) - 600, (1 << w) - 300, 5)]
    expected = [len(ONE_SHOT[name](head + tail, level)) for tail in tails]
    assert compressor.prefix(head, reuse_state=True).sizes_with(tails).tolist() == expected


def test_deflate_prefix_copies_the_state_only_for_long_heads():
    from npc.compressors import STATE_COPY_MIN_BYTES

    compressor = get_compressor("gzip")
    assert compressor.prefix(b"x" * STATE_COPY_MIN_BYTES).reuse_state
    assert not compressor.prefix(b"x" * (STATE_COPY_MIN_BYTES - 1)).reuse_state
    assert not compressor.prefix(b"x" * 5000, reuse_state=False).reuse_state


def test_bz2_size_at_every_level_around_the_one_block_limit():
    # Runs of four equal bytes grow by a quarter in bzip2's first pass: the worst case for
    # the level-1 shortcut of Bz2Compressor.compressed_size.
    random_bytes = random.Random(0).randbytes(120_000)
    inputs = []
    for limit in (79_984, 79_985, 99_981, 100_000, 120_000):
        inputs += [(b"aaaab" * limit)[:limit], random_bytes[:limit]]
    for level in range(1, 10):
        compressor = get_compressor("bz2", level)
        assert [compressor.compressed_size(data) for data in inputs] == [
            len(bz2.compress(data, level)) for data in inputs
        ]


def test_ppmd_memory_and_variant_are_constructor_arguments(real_texts):
    from npc.compressors import PpmdCompressor

    compressor = PpmdCompressor(4, mem_size=1 << 20, variant="I")
    data = " ".join(real_texts[:40]).encode()
    assert compressor.compressed_size(data) == len(pyppmd.compress(data, max_order=4, mem_size=1 << 20, variant="I"))
    assert compressor.spec == "ppmd-4-m1048576-I" and get_compressor("ppmd").spec == "ppmd-6"
    assert compressor != PpmdCompressor(4) and PpmdCompressor(4) == get_compressor("ppmd", 4)
    with pytest.raises(ValueError, match="variant must be 'H' or 'I'"):
        PpmdCompressor(variant="J")
    with pytest.raises(ValueError, match="mem_size must be an int >= 2048"):
        PpmdCompressor(mem_size=100)
    with pytest.raises(ValueError, match="mem_size must be below 2\\*\\*32"):
        PpmdCompressor(mem_size=2**32)
    with pytest.raises(ValueError, match="Level 1 is out of range for compressor 'ppmd'"):
        get_compressor("ppmd", 1)
