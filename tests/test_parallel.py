"""The kernel on joblib's process backend and on a Dask cluster: same results, and the
reference corpus travels to the workers once, not with every task."""

import sys

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_config

from npc import nearest
from npc.corpus import Corpus, as_corpus


class _Recorded(Corpus):
    """Records the type of the packed texts it is rebuilt from."""

    def __setstate__(self, state):
        super().__setstate__(state)
        self.received_type = type(state[0]).__name__


def _received_as(corpus):
    return corpus.received_type, len(corpus), corpus.items[-1]


def test_loky_workers_receive_the_corpus_memory_mapped():
    # Above joblib's max_nbytes (1 MB) the packed texts are dumped once to shared memory
    # and every task gets a memory map of them instead of a pickled copy.
    corpus = _Recorded(as_corpus([f"text {i} " * 40 for i in range(4000)]).items)
    assert sum(map(len, corpus.items)) > 1_000_000
    received = Parallel(n_jobs=2, backend="loky")(delayed(_received_as)(corpus) for _ in range(4))
    assert received == [("memmap", len(corpus), corpus.items[-1])] * 4


def test_corpus_reports_its_texts_to_sizeof():
    corpus = as_corpus(["x" * 5000, "y" * 5000])
    assert sys.getsizeof(corpus) > 10_000


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask[distributed] not installed (extra 'dask')")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_dask_backend_gives_the_serial_results(dask_client, real_texts):
    queries, refs = real_texts[::9], real_texts
    serial = nearest(queries, refs, 3, compressor="zstd", n_jobs=1)
    with parallel_config(backend="dask"):
        on_cluster = nearest(queries, refs, 3, compressor="zstd", chunk_size=5)
    assert np.array_equal(on_cluster[0], serial[0]) and np.array_equal(on_cluster[1], serial[1])


def test_dask_backend_ships_the_references_once_whatever_the_number_of_tasks(dask_client, real_texts, monkeypatch):
    # Pickled in this process by the client (the graph) and by LocalCluster's scheduler, which
    # runs here too (to the first worker that needs them; the others fetch them from it).
    pickled = []
    original = Corpus.__getstate__

    def counting_getstate(self):
        pickled.append(len(self))
        return original(self)

    monkeypatch.setattr(Corpus, "__getstate__", counting_getstate)
    queries, refs = real_texts[:40], real_texts
    counts = []
    for chunk_size in (20, 2):  # 2 tasks, then 20
        pickled.clear()
        with parallel_config(backend="dask"):
            nearest(queries, refs, 2, compressor="lz4", chunk_size=chunk_size)
        counts.append(pickled.count(len(refs)))
    assert counts[0] == counts[1] <= 3, counts
