import json

import numpy as np
import pytest

import npc.kernel
from npc import nearest, pairwise_ncd
from npc.cache import CacheMismatchError
from npc.compressors import get_compressor
from tests.test_compressors import ONE_SHOT


def naive_ncd(x: str, y: str, one_shot, level) -> float:
    def size(text):
        return len(one_shot(text.encode(), level))

    cx, cy = size(x), size(y)
    return (size(x + " " + y) - min(cx, cy)) / max(cx, cy)


# lzma's naive formula costs milliseconds per pair: its case is slow.
@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name == "lzma" else name
                                  for name in sorted(ONE_SHOT)])
def test_pairwise_ncd_is_bit_identical_to_naive_formula(name, real_texts):
    """20 queries x all 220 real texts (long IMDb and short AG News), every compressor."""
    level = get_compressor(name).level
    queries = real_texts[::11]
    got = pairwise_ncd(queries, real_texts, compressor=name)
    expected = np.array([[naive_ncd(x, y, ONE_SHOT[name], level) for y in real_texts] for x in queries])
    assert got.dtype == np.float64
    assert np.array_equal(got, expected)


def test_hand_computed_matrix_with_fake_compressor(distinct_bytes):
    # sizes: "ab" -> 2, "bc" -> 2, "ab bc" -> 4 (a, b, c, space), "ab ab" -> 3
    got = pairwise_ncd(["ab", "bc"], compressor=distinct_bytes)
    assert got.tolist() == [[0.5, 1.0], [1.0, 0.5]]


def test_query_comes_first(distinct_bytes):
    calls = []

    class Recording(type(distinct_bytes)):
        def compressed_size(self, data):
            calls.append(data)
            return super().compressed_size(data)

    pairwise_ncd(["x"], ["y"], compressor=Recording(), sep="|")
    assert b"x|y" in calls and b"y|x" not in calls


def full_sort(matrix):
    order = np.argsort(matrix, axis=1, kind="stable")
    return np.take_along_axis(matrix, order, axis=1), order


@pytest.mark.parametrize("k", [1, 3, 50])
def test_nearest_matches_stable_sort_of_full_matrix(k, real_texts):
    queries, refs = real_texts[100:130], real_texts[::2]
    matrix = pairwise_ncd(queries, refs, compressor="zstd")
    want_d, want_i = full_sort(matrix)
    distances, indices = nearest(queries, refs, k, compressor="zstd", chunk_size=7)
    assert np.array_equal(indices, want_i[:, :k])
    assert np.array_equal(distances, want_d[:, :k])


def test_ties_are_ordered_by_reference_index(distinct_bytes):
    refs = ["ab", "ba", "ab", "zz", "ab"]
    distances, indices = nearest(["ab"], refs, 4, compressor=distinct_bytes)
    assert indices.tolist() == [[0, 1, 2, 4]]


@pytest.mark.parametrize("chunk_size", [1, 4, None])
def test_results_do_not_depend_on_n_jobs_or_chunking(chunk_size, real_texts):
    queries, refs = real_texts[90:130], real_texts[:120]
    serial = nearest(queries, refs, 5, n_jobs=1, chunk_size=chunk_size)
    parallel = nearest(queries, refs, 5, n_jobs=2, chunk_size=chunk_size)
    assert np.array_equal(serial[0], parallel[0]) and np.array_equal(serial[1], parallel[1])
    full = pairwise_ncd(queries, refs, n_jobs=2, chunk_size=chunk_size)
    assert np.array_equal(full, pairwise_ncd(queries, refs, n_jobs=1))


def test_n_neighbors_validation():
    with pytest.raises(ValueError, match="larger than the reference set"):
        nearest(["a"], ["b", "c"], 3)
    with pytest.raises(ValueError, match="positive int"):
        nearest(["a"], ["b"], 0)


def test_bad_texts_are_named():
    with pytest.raises(TypeError, match=r"Y\[1\] is NoneType"):
        pairwise_ncd(["a"], ["b", None])
    with pytest.raises(ValueError, match="Y is empty"):
        nearest(["a"], [], 1)
    with pytest.raises(TypeError, match="not a single str"):
        pairwise_ncd("abc")


def test_empty_strings_are_valid():
    assert np.isfinite(pairwise_ncd(["", "a"], ["", "b"])).all()


class TestCache:
    texts = [f"document number {i} about {'cats' if i % 2 else 'stocks'} " * (1 + i % 3) for i in range(30)]

    def run(self, tmp_path, **options):
        return nearest(self.texts[:12], self.texts, 3, cache_dir=tmp_path, chunk_size=4, return_stats=True,
                       **options)

    def test_second_run_computes_no_pair(self, tmp_path):
        first = self.run(tmp_path)
        second = self.run(tmp_path)
        assert first[2].n_pairs_computed == 12 * 30
        assert second[2].n_pairs_computed == 0 and second[2].n_chunks_cached == 3
        assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])

    def test_interrupted_run_resumes_from_finished_chunks(self, tmp_path, monkeypatch):
        uninterrupted = nearest(self.texts[:12], self.texts, 3, chunk_size=4)
        compute = npc.kernel._compute_chunk

        def failing(index, *args):
            if index == 2:
                raise KeyboardInterrupt
            return compute(index, *args)

        monkeypatch.setattr(npc.kernel, "_compute_chunk", failing)
        with pytest.raises(KeyboardInterrupt):
            self.run(tmp_path, n_jobs=1)
        monkeypatch.setattr(npc.kernel, "_compute_chunk", compute)
        distances, indices, stats = self.run(tmp_path)
        assert stats.n_chunks_cached == 2 and stats.n_pairs_computed == 4 * 30
        assert np.array_equal(distances, uninterrupted[0]) and np.array_equal(indices, uninterrupted[1])

    def test_different_inputs_use_different_entries(self, tmp_path):
        self.run(tmp_path)
        _, _, stats = nearest(self.texts[:12], self.texts, 3, cache_dir=tmp_path, chunk_size=4, sep="\n",
                              return_stats=True)
        assert stats.n_pairs_computed == 12 * 30

    def test_mismatched_manifest_is_refused(self, tmp_path):
        self.run(tmp_path)
        (manifest,) = tmp_path.glob("*/manifest.json")
        content = json.loads(manifest.read_text())
        content["n_references"] = 31
        manifest.write_text(json.dumps(content))
        with pytest.raises(CacheMismatchError, match="belongs to another job"):
            self.run(tmp_path)

    @pytest.mark.parametrize("damage", ["truncate", "flip"])
    def test_damaged_chunk_is_recomputed_not_used(self, tmp_path, damage):
        expected = self.run(tmp_path)
        chunk = sorted(tmp_path.glob("*/chunk-*.npz"))[1]
        payload = bytearray(chunk.read_bytes())
        if damage == "truncate":
            payload = payload[: len(payload) // 2]
        else:
            payload[len(payload) // 2] ^= 0xFF
        chunk.write_bytes(bytes(payload))
        with pytest.warns(UserWarning, match="damaged"):
            distances, indices, stats = self.run(tmp_path)
        assert stats.n_chunks_cached == 2
        assert np.array_equal(distances, expected[0]) and np.array_equal(indices, expected[1])

    def test_wrong_shape_chunk_is_recomputed(self, tmp_path):
        expected = self.run(tmp_path)
        chunk = sorted(tmp_path.glob("*/chunk-*.npz"))[0]
        np.savez(chunk, distances=np.zeros((4, 2)), indices=np.zeros((4, 2), dtype=np.int64))
        with pytest.warns(UserWarning, match="shape"):
            distances, _, _ = self.run(tmp_path)
        assert np.array_equal(distances, expected[0])

    def test_unusable_cache_dir_warns_and_still_computes(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        with pytest.warns(UserWarning, match="running without a cache"):
            distances, _, stats = self.run(blocker)
        assert stats.n_pairs_computed == 12 * 30

    def test_no_pickle_in_cache(self, tmp_path):
        self.run(tmp_path)
        for chunk in tmp_path.glob("*/chunk-*.npz"):
            with np.load(chunk, allow_pickle=False) as stored:
                assert {name: stored[name].dtype.kind for name in stored.files} == {"distances": "f", "indices": "i"}


def test_cache_dir_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    nearest(["a b"], ["a", "b"], 1, cache_dir="~/npc-cache")
    assert list((tmp_path / "npc-cache").glob("*/manifest.json"))


def test_a_cached_wider_search_serves_narrower_ones_without_computing(tmp_path):
    queries = ["the cat sat", "a dog ran", "stocks fell", "the cat ran", "dogs sat"]
    references = queries + ["shares fell", "a cat", "the dog sat on the mat"]
    nearest(queries, references, 5, cache_dir=tmp_path, chunk_size=2)
    for k in (1, 3, 5):
        distances, indices, stats = nearest(queries, references, k, cache_dir=tmp_path, chunk_size=2,
                                            return_stats=True)
        assert stats.n_pairs_computed == 0 and stats.n_chunks_cached == stats.n_chunks
        plain = nearest(queries, references, k, chunk_size=2)
        assert np.array_equal(distances, plain[0]) and np.array_equal(indices, plain[1])
    assert nearest(queries, references, 6, cache_dir=tmp_path, chunk_size=2, return_stats=True)[2].n_pairs_computed \
        == len(queries) * len(references)
    # another job (other references) is never served from this one
    assert nearest(queries, references[:-1], 2, cache_dir=tmp_path, chunk_size=2,
                   return_stats=True)[2].n_pairs_computed == len(queries) * (len(references) - 1)


@pytest.mark.parametrize("n_queries, n_references, n_chunks, rows", [
    (128, 400, 13, 10),  # a few seconds of gzip-9 on IMDb reviews: enough chunks for every worker
    (25_000, 25_000, 2_500, 10),  # full IMDb: 250,000 pairs a chunk
    (7_600, 120_000, 3_800, 2),  # AG News against its full training set
    (5, 5, 1, 5),  # a tiny job is one chunk
])
def test_default_chunking_follows_the_job_size(n_queries, n_references, n_chunks, rows):
    bounds = npc.kernel.chunk_bounds(n_queries, n_references, None)
    assert len(bounds) == n_chunks and bounds[0] == (0, rows) and bounds[-1][1] == n_queries
    assert max(stop - start for start, stop in bounds) * n_references <= npc.kernel.PAIRS_PER_CHUNK


def test_a_rerun_on_another_number_of_workers_resumes_from_the_cache(tmp_path):
    queries, references = [f"query {i}" for i in range(128)], [f"reference {j}" for j in range(400)]
    *first, stats = nearest(queries, references, 2, n_jobs=1, cache_dir=tmp_path, return_stats=True)
    assert stats.n_chunks == 13
    *rerun, stats = nearest(queries, references, 2, n_jobs=2, cache_dir=tmp_path, return_stats=True)
    assert stats.n_chunks_cached == 13 and stats.n_pairs_computed == 0
    assert np.array_equal(rerun[0], first[0]) and np.array_equal(rerun[1], first[1])


def test_seconds_per_pair_times_the_spread_sample(monkeypatch):
    searched = []
    real_nearest = npc.kernel.nearest
    monkeypatch.setattr(npc.kernel, "nearest", lambda X, Y, *args, **kwargs: searched.append((len(X), len(Y)))
                        or real_nearest(X, Y, *args, **kwargs))
    texts = [f"text number {i}" for i in range(10)]
    assert 0 < npc.kernel.seconds_per_pair(texts[:3], texts, n_queries=2, n_references=4) < 1
    assert searched == [(2, 4)]
