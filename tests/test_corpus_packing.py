import hashlib
import pickle

import numpy as np

from npc.corpus import as_corpus


def test_digest_is_sha256_of_offsets_then_texts():
    # Cache folders are named from this digest: its definition must not drift.
    corpus = as_corpus(["ab", "", "cde"])
    offsets = np.array([0, 2, 2, 5], dtype=np.int64)
    assert corpus.digest == hashlib.sha256(offsets.tobytes() + b"abcde").hexdigest()


def test_pickle_round_trip_keeps_texts_and_digest():
    corpus = as_corpus(["ab", "", "cde", "ñ"])
    restored = pickle.loads(pickle.dumps(corpus))
    assert restored.items == corpus.items
    assert restored.digest == corpus.digest
