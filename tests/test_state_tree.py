"""The state tree: every kind of value comes back equal and of the same type; untrusted names are listed."""

import json

import numpy as np
import pytest
import scipy.sparse

from npc._state_tree import StateTreeError, decode, encode, is_trusted, named_classes

TRUSTED = frozenset()


def round_trip(value):
    arrays = []
    tree = json.loads(json.dumps(encode(value, arrays, TRUSTED)))  # through JSON, as in a file
    return decode(tree, arrays.__getitem__), tree, arrays


VALUES = [
    None, True, 3, -2**70, 1.5, float("inf"), "a\ud83d lone surrogate", b"\x00\xff",
    (1, "two", (3.0,)), [1, [2, [3]]], {"b": 1, "a": (2, 3), 4: None}, {1, 2}, frozenset({"x"}),
    [f"word {i} \ud800" for i in range(40)], [bytes([i]) * i for i in range(40)], list(range(-20, 20)),
    [i / 7 for i in range(30)], tuple(range(20)), [2**70] * 20, [True] * 20,
    {f"w{i}": i for i in range(50)},
    np.float32(0.1), np.int64(-5), np.str_("label"), np.dtype("<U7"), np.dtype(np.float64), np.float64, float,
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
def test_values_come_back_equal_and_of_the_same_type(value):
    back = round_trip(value)[0]
    assert type(back) is type(value)
    if isinstance(value, float) or value is None:
        assert back == value or back is value
    else:
        assert back == value
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        assert [type(item) for item in back] == [type(item) for item in value]


def test_long_lists_of_one_plain_type_are_one_array():
    _, tree, arrays = round_trip({f"w{i}": i for i in range(1000)})
    assert tree["keys"]["t"] == "packed" and tree["values"]["t"] == "packed"
    assert len(arrays) == 3  # key bytes, key offsets, values


def test_arrays_come_back_exactly():
    values = [np.arange(12, dtype=np.int32).reshape(3, 4), np.array([0.1, np.nan]), np.array(["a", "bc"]),
              np.array([b"x", b"yz"]), np.array([1, "a", None], dtype=object), np.zeros((0, 3))]
    for value in values:
        back = round_trip(value)[0]
        assert back.dtype == value.dtype and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
    masked = np.ma.MaskedArray(np.array([1, None, "k"], dtype=object), mask=[False, True, False])
    back = round_trip(masked)[0]
    assert isinstance(back, np.ma.MaskedArray) and back.mask.tolist() == [False, True, False]
    assert back[0] == 1 and back[2] == "k"


@pytest.mark.parametrize("kind", ["csr_matrix", "csc_matrix", "csr_array", "dia_matrix", "coo_matrix"])
def test_sparse_matrices_come_back_exactly(kind):
    dense = np.array([[0, 1.5, 0], [2, 0, 0], [0, 0, 3]])
    matrix = getattr(scipy.sparse, kind)(dense)
    back = round_trip(matrix)[0]
    assert type(back) is type(matrix)
    np.testing.assert_array_equal(back.toarray(), dense)
    if kind.startswith("csr"):
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(back, part), getattr(matrix, part))


def test_trusted_objects_are_rebuilt_through_their_state():
    from npc.corpus import Corpus

    back = round_trip(Corpus([b"one", b"two", b""]))[0]
    assert isinstance(back, Corpus) and back.items == [b"one", b"two", b""]


def test_functions_cycles_and_untrusted_classes_are_refused_when_encoding():
    with pytest.raises(StateTreeError, match=r"model\[0\] is a builtin_function_or_method"):
        encode([len], [], TRUSTED)
    loop = [1]
    loop.append({"back": loop})
    with pytest.raises(StateTreeError, match=r"model\[1\]\['back'\] refers back to an object that contains it"):
        encode(loop, [], TRUSTED)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.me_ = model
    with pytest.raises(StateTreeError, match=r"model.me_ refers back"):
        encode(model, [], TRUSTED)
    with pytest.raises(StateTreeError, match="model is the class collections.OrderedDict, which model files do not"):
        encode(__import__("collections").OrderedDict, [], TRUSTED)


def test_named_classes_lists_every_object_and_type():
    tree = {"t": "list", "items": [{"t": "type", "name": "os.system"},
                                   {"t": "object", "class": "a.B", "state": {"t": "type", "name": "numpy.int64"}}]}
    assert named_classes(tree) == {"os.system", "a.B", "numpy.int64"}


@pytest.mark.parametrize(("name", "trusted"), [
    ("numpy.float64", True), ("numpy.load", False), ("builtins.float", True), ("builtins.eval", False),
    ("sklearn.linear_model._logistic.LogisticRegression", True), ("sklearn.utils.Bunch", False),
    ("sklearn.nope.Thing", False), ("os.system", False), ("npc.corpus.Corpus", True), ("npc.corpus.as_corpus", False),
    ("npc.compressors.GzipCompressor", True), ("npc.classifier.NCDClassifier", True),
    ("collections.OrderedDict", False),
    ("tests.test_state_tree.Local", False),
])
def test_trust_rules(name, trusted):
    assert is_trusted(name) is trusted
    assert is_trusted(name, frozenset({name}))  # what the caller names is trusted
