"""An object's state as a JSON tree plus numpy arrays, and back, building only trusted classes.

The tree walks any estimator generically: an object is its class name and its
``__getstate__()`` (its ``__dict__`` for most classes), recursively, so an attribute added
to an estimator needs no change here. Values:

- ``None``, bool, int, float, str: JSON literals;
- numpy arrays (not of object dtype), bytes and long lists of one plain type (str, bytes,
  int, float: a vocabulary's keys and values, a corpus's texts): arrays, saved as ``.npy``
  and loaded with ``allow_pickle=False``;
- lists, tuples, dicts, sets, object and masked arrays, numpy scalars and dtypes, SciPy
  sparse matrices: tagged JSON nodes;
- classes used as values (``dtype=np.float64``) and objects: by qualified name, built on
  load only when trusted (:func:`is_trusted`: npc's and scikit-learn's estimators, npc's
  compressors and corpora, numpy's scalar types, Python's value types). Functions are
  refused when saving.

Loading reads the tree, lists every class it names and refuses the whole tree if one is
not trusted, before building anything; objects are then made with ``cls.__new__`` and
their own ``__setstate__`` (or ``__dict__.update``), as pickle would, without running
anything the file names.
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable

import numpy as np

__all__ = ["StateTreeError", "decode", "encode", "is_trusted", "named_classes"]

# Lists at least this long of one plain type are stored as one array rather than one node per item.
_PACK_AT = 16
_BUILTIN_TYPES = ("bool", "int", "float", "complex", "str", "bytes", "object")
_SPARSE = ("csr_matrix", "csr_array", "csc_matrix", "csc_array")


class StateTreeError(ValueError):
    """A value that cannot be stored, or a tree that cannot be (or may not be) rebuilt."""


def _qualified(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _resolve(name: str):
    module, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError):
        return None


def _defined_in(name: str, package: str, bases: tuple[type, ...]) -> bool:
    """Whether ``name`` is a subclass of ``bases`` defined under ``package`` (only that package's
    modules, never a ``__dunder__`` one, are imported to check)."""
    module = name.rpartition(".")[0]
    if not re.fullmatch(rf"{package}(\.(?!__)[A-Za-z_][A-Za-z0-9_]*)*", module):
        return False
    cls = _resolve(name)
    return isinstance(cls, type) and issubclass(cls, bases) and _qualified(cls) == name


def is_trusted(name: str, trusted: frozenset[str] = frozenset()) -> bool:
    """Whether the class ``name`` may be built or referred to.

    Trusted: the names in ``trusted``; numpy's scalar types and Python's value types;
    scikit-learn's estimators (``BaseEstimator`` subclasses defined in ``sklearn``); npc's
    estimators, compressors and :class:`~npc.corpus.Corpus` (subclasses of those defined in
    ``npc``). Functions, and every other class, are not.
    """
    if name in trusted or name in (f"builtins.{builtin}" for builtin in _BUILTIN_TYPES):
        return True
    module, _, attribute = name.rpartition(".")
    if module == "numpy":
        return isinstance(getattr(np, attribute, None), type) and issubclass(getattr(np, attribute), np.generic)
    if module.split(".")[0] not in ("sklearn", "npc"):
        return False
    from sklearn.base import BaseEstimator

    from npc.compressors import Compressor
    from npc.corpus import Corpus

    return _defined_in(name, "sklearn", (BaseEstimator,)) or _defined_in(name, "npc", (BaseEstimator, Compressor,
                                                                                      Corpus))


def _pack(items: list):
    """One array for a long list of one plain type, with how to turn it back (or None)."""
    if len(items) < _PACK_AT:
        return None
    kind = type(items[0])
    if kind not in (str, bytes, int, float) or any(type(item) is not kind for item in items):
        return None
    if kind in (str, bytes):
        encoded = [item.encode("utf-8", "surrogatepass") for item in items] if kind is str else items
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(item) for item in encoded], out=offsets[1:])
        return kind.__name__, [np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets]
    try:
        return kind.__name__, [np.array(items, dtype=np.int64 if kind is int else np.float64)]
    except OverflowError:  # ints beyond int64 stay JSON
        return None


def _unpack(kind: str, arrays: list[np.ndarray]) -> list:
    if kind in ("int", "float"):
        return arrays[0].tolist()
    blob, bounds = arrays[0].tobytes(), arrays[1].tolist()
    items = [blob[a:b] for a, b in itertools.pairwise(bounds)]
    return [item.decode("utf-8", "surrogatepass") for item in items] if kind == "str" else items


def encode(value, arrays: list[np.ndarray], trusted: frozenset[str] = frozenset(), where: str = "model",
           _path=()):
    """The JSON tree of ``value``; arrays are appended to ``arrays`` and named by position.

    Raises
    ------
    StateTreeError
        For a function, an untrusted class, or a reference cycle, naming where it was.
    """
    if value is None or type(value) in (bool, str, int, float):
        return value
    if id(value) in _path:
        raise StateTreeError(f"{where} refers back to an object that contains it (a cycle)")
    _path = (*_path, id(value))

    def child(item, suffix):
        return encode(item, arrays, trusted, where + suffix, _path)

    def array(data: np.ndarray) -> dict:
        arrays.append(np.ascontiguousarray(data))
        return {"t": "array", "i": len(arrays) - 1}

    if isinstance(value, np.ma.MaskedArray):
        return {"t": "masked", "data": child(np.ma.getdata(value), ".data"),
                "mask": child(np.ma.getmaskarray(value), ".mask")}
    if type(value) is np.ndarray:
        if value.dtype.hasobject:
            return {"t": "objects", "shape": list(value.shape),
                    "items": [child(item, f"[{i}]") for i, item in enumerate(value.ravel().tolist())]}
        return array(value)
    if isinstance(value, np.generic):
        return {"t": "scalar", "dtype": np.lib.format.dtype_to_descr(value.dtype), "v": child(value.item(), "")}
    if isinstance(value, np.dtype):
        return {"t": "dtype", "v": np.lib.format.dtype_to_descr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "i": array(np.frombuffer(bytes(value), dtype=np.uint8))["i"]}
    if isinstance(value, (list, tuple)):
        container = "tuple" if isinstance(value, tuple) else "list"
        packed = _pack(list(value))
        if packed is not None:
            return {"t": "packed", "container": container, "kind": packed[0],
                    "i": [array(data)["i"] for data in packed[1]]}
        return {"t": container, "items": [child(item, f"[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        return _dict_node(value, child, "[{!r}]")
    if isinstance(value, (set, frozenset)):
        return {"t": type(value).__name__, "items": child(sorted(value, key=repr), "")}
    if type(value).__module__.startswith("scipy.sparse"):
        matrix = value if type(value).__name__ in _SPARSE else value.tocsr()
        return {"t": "sparse", "class": type(matrix).__name__, "format": value.format, "shape": list(matrix.shape),
                "data": child(matrix.data, ".data"), "indices": child(matrix.indices, ".indices"),
                "indptr": child(matrix.indptr, ".indptr")}
    if isinstance(value, type):
        name = _qualified(value)
        if not is_trusted(name, trusted):
            raise StateTreeError(f"{where} is the class {name}, which model files do not trust")
        return {"t": "type", "name": name}
    if callable(value) or not hasattr(value, "__dict__"):
        raise StateTreeError(f"{where} is a {type(value).__name__} ({value!r:.60}), which model files cannot "
                             "store (functions, methods and built-in objects are not saved)")
    name = _qualified(type(value))
    if not is_trusted(name, trusted):
        raise StateTreeError(f"{where} is a {name}, which model files do not trust")
    state = value.__getstate__() if hasattr(value, "__getstate__") else value.__dict__  # Python < 3.11
    return {"t": "object", "class": name,
            "state": _dict_node(state, child, ".{}") if isinstance(state, dict) else child(state, "")}


def _dict_node(value: dict, child, key_suffix: str) -> dict:
    """A dict's node: its keys, then its values, each packed into one array when they can be."""
    keys, values = list(value), list(value.values())
    packed = _pack(values)
    return {"t": "dict", "keys": child(keys, ".keys()"),
            "values": child(values, "") if packed is not None
            else {"t": "list", "items": [child(item, key_suffix.format(key)) for key, item in zip(keys, values)]}}


def named_classes(tree) -> set[str]:
    """Every class name the tree would build or refer to."""
    found, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("t") in ("object", "type"):
                found.add(node.get("class", node.get("name")))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def decode(node, array: Callable[[int], np.ndarray]):
    """The value of a tree made by :func:`encode`; ``array(i)`` reads the i-th array.

    Check :func:`named_classes` against the trust list first: this builds what it names.
    """
    if not isinstance(node, dict):
        if isinstance(node, list):
            raise StateTreeError("malformed tree (an untagged list)")
        return node
    kind = node["t"]
    if kind == "array":
        return array(node["i"])
    if kind == "bytes":
        return array(node["i"]).tobytes()
    if kind == "packed":
        items = _unpack(node["kind"], [array(i) for i in node["i"]])
        return tuple(items) if node["container"] == "tuple" else items
    if kind in ("list", "tuple"):
        items = [decode(item, array) for item in node["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return dict(zip(decode(node["keys"], array), decode(node["values"], array)))
    if kind in ("set", "frozenset"):
        return (set if kind == "set" else frozenset)(decode(node["items"], array))
    if kind == "objects":
        values = [decode(item, array) for item in node["items"]]
        result = np.empty(len(values), dtype=object)
        result[:] = values
        return result.reshape(node["shape"])
    if kind == "masked":
        return np.ma.MaskedArray(decode(node["data"], array), mask=decode(node["mask"], array))
    if kind == "scalar":
        return np.lib.format.descr_to_dtype(node["dtype"]).type(decode(node["v"], array))
    if kind == "dtype":
        return np.lib.format.descr_to_dtype(node["v"])
    if kind == "sparse":
        import scipy.sparse

        if node["class"] not in _SPARSE:
            raise StateTreeError(f"malformed tree (sparse class {node['class']!r})")
        parts = (decode(node["data"], array), decode(node["indices"], array), decode(node["indptr"], array))
        matrix = getattr(scipy.sparse, node["class"])(parts, shape=tuple(node["shape"]))
        return matrix.asformat(node["format"])
    if kind == "type":
        return _resolve(node["name"])
    if kind == "object":
        cls = _resolve(node["class"])
        if not isinstance(cls, type):
            raise StateTreeError(f"class {node['class']} not found")
        obj = cls.__new__(cls)
        state = decode(node["state"], array)
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        elif state is not None:
            obj.__dict__.update(state)
        return obj
    raise StateTreeError(f"malformed tree (node type {kind!r})")
