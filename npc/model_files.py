"""Model files: save a fitted estimator, load it back without running code from the file.

A model file is a zip archive:

- ``npc-model.json``, the header: the file format and its version, the npc version that
  wrote it, the model's class and parameters, its classes, a fingerprint and the size of
  the training data, and the SHA-256 and size of the payload;
- the payload: ``model.json``, the estimator's state as a JSON tree, and
  ``arrays/<i>.npy``, its arrays (deflated: an NCD model's training texts are stored
  compressed), read with ``numpy.load(allow_pickle=False)`` (see :mod:`npc._state_tree`).

Why an own format rather than ``skops.io``: skops does the same job (a typed JSON tree,
arrays without pickle, trusted types) and was tried first, but it stores every entry of a
dict as its own JSON node. A TF-IDF vocabulary is such a dict (the word bigrams of 5,000
IMDb reviews: 474,000 entries, more for all 25,000); a 100,000-entry one already made a 35 MB schema that took seconds
to write, to list the types of and to load, so IMDb's would take minutes and gigabytes.
The own tree stores a long list of one plain type (a vocabulary's keys, a corpus's texts)
as one array, keeps skops's safety rules, and walks any estimator generically (its
``__getstate__``), so a fitted attribute added or renamed in an estimator needs no change
here. ``pickle`` and ``joblib`` are never used on file contents.

What is trusted (:func:`npc._state_tree.is_trusted`, checked for the whole file before
anything is built): npc's estimators, compressors and :class:`~npc.corpus.Corpus`,
scikit-learn's estimators, numpy's scalar types and Python's value types; no function.
``load_model(..., trusted=[...])`` adds types (e.g. your own registered compressor).

Every refusal is a :class:`ModelFileError` with a one-line message: not a model file,
damaged or truncated, another format version, written by an npc newer than this one or of
another minor version (0.x versions change estimators' internals), or naming untrusted
types.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from npc import __version__
from npc._state_tree import StateTreeError, decode, encode, is_trusted, named_classes
from npc.errors import NPCError

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "load_model",
    "read_model_header",
    "save_model",
    "training_fingerprint",
]

FORMAT = "npc-model"
FORMAT_VERSION = 1
HEADER_NAME, TREE_NAME = "npc-model.json", "model.json"
_ZIP_MAGIC = b"PK\x03\x04"

class ModelFileError(NPCError, ValueError):
    """A model file that cannot be loaded (not one, damaged, incompatible or untrusted), or a
    model that cannot be saved; the command line ends with exit code 2."""


def training_fingerprint(X, y=None) -> dict:
    """Size and SHA-256 fingerprints of training texts (and labels), as a model file records them.

    ``texts_sha256`` is :attr:`npc.corpus.Corpus.digest` (the texts and their
    boundaries, as npc's caches identify a corpus); ``labels_sha256`` hashes the labels'
    JSON list.

    Examples
    --------
    >>> info = training_fingerprint(["a cat", "a dog"], ["pets", "pets"])
    >>> info["n_texts"], info["n_bytes"], len(info["texts_sha256"])
    (2, 10, 64)
    """
    from npc.corpus import as_corpus

    corpus = as_corpus(X, name="X")
    info = {"n_texts": len(corpus), "n_bytes": int(sum(map(len, corpus.items))), "texts_sha256": corpus.digest}
    if y is not None:
        labels = json.dumps(np.asarray(y).tolist(), separators=(",", ":")).encode()
        info["labels_sha256"] = hashlib.sha256(labels).hexdigest()
    return info


def _qualified_name(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _json_safe(value):
    """``value`` as JSON (params of the header are a record; the payload is what loads)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return repr(value)


def _array_name(index: int) -> str:
    return f"arrays/{index}.npy"


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def save_model(model, path, *, X=None, y=None, trusted=()) -> dict:
    """Write a fitted estimator to a model file that :func:`load_model` reads back.

    Parameters
    ----------
    model : fitted estimator
        Any npc estimator, or a scikit-learn estimator or pipeline built from trusted types.
    path : path-like
        The file to write (replaced atomically: a crash never leaves half a file there).
    X, y : training texts and labels, optional
        Recorded in the header as their size and fingerprint (:func:`training_fingerprint`).
    trusted : sequence of str, optional
        More class names to trust (give them to
        :func:`load_model` too).

    Returns
    -------
    dict
        The header written to the file.

    Raises
    ------
    ModelFileError
        When the model holds something a model file cannot store (a function, an object
        of an untrusted class); the message names the attribute.

    Examples
    --------
    >>> import tempfile, os
    >>> from npc import PPMClassifier
    >>> texts, labels = ["the cat sat", "stocks fell"], ["pets", "finance"]
    >>> clf = PPMClassifier().fit(texts, labels)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npc")
    >>> header = save_model(clf, path, X=texts, y=labels)
    >>> header["model"]["class"], header["classes"], header["training_data"]["n_texts"]
    ('npc.ppm.PPMClassifier', ['finance', 'pets'], 2)
    >>> load_model(path).predict(["a cat sat"]).tolist()
    ['pets']
    """
    arrays: list[np.ndarray] = []
    try:
        tree = json.dumps(encode(model, arrays, frozenset(trusted))).encode()
    except StateTreeError as error:
        raise ModelFileError(f"cannot save the model: {error}") from error
    entries = [(TREE_NAME, tree)] + [(_array_name(i), _npy(array)) for i, array in enumerate(arrays)]
    digest = hashlib.sha256()
    for _, data in entries:
        digest.update(data)
    classes = getattr(model, "classes_", None)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "npc_version": __version__,
        "model": {"class": _qualified_name(model),
                  "params": _json_safe(model.get_params(deep=False)) if hasattr(model, "get_params") else None},
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "training_data": None if X is None else training_fingerprint(X, y),
        "payload": {"n_arrays": len(arrays), "bytes": sum(len(data) for _, data in entries),
                    "sha256": digest.hexdigest()},
    }
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(HEADER_NAME, json.dumps(header, indent=1))
        for name, data in entries:
            archive.writestr(name, data)
    partial.replace(path)
    return header


def _refuse(path, problem: str) -> ModelFileError:
    return ModelFileError(f"{path}: {problem}")


def _open(path) -> zipfile.ZipFile:
    try:
        with open(path, "rb") as file:
            start = file.read(len(_ZIP_MAGIC))
    except FileNotFoundError:
        raise _refuse(path, "no such model file") from None
    except IsADirectoryError:
        raise _refuse(path, "is a folder, not a model file") from None
    if start != _ZIP_MAGIC:
        raise _refuse(path, "not an npc model file (it is not a zip archive)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise _refuse(path, f"damaged or truncated model file ({error})") from error


def _check_header(path, header) -> dict:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _refuse(path, "not an npc model file (its header is not npc's)")
    if not isinstance(header.get("model"), dict) or not isinstance(header["model"].get("class"), str):
        raise _refuse(path, "damaged header (no model class)")
    if header.get("format_version") != FORMAT_VERSION:
        raise _refuse(path, f"model-file format version {header.get('format_version')!r}; npc {__version__} reads "
                            f"version {FORMAT_VERSION} only: retrain the model with this npc")
    from packaging.version import InvalidVersion, Version

    try:
        written, running = Version(str(header.get("npc_version"))), Version(__version__)
    except InvalidVersion:
        raise _refuse(path, f"damaged header (npc version {header.get('npc_version')!r})") from None
    if written > running:
        raise _refuse(path, f"written by npc {written}, newer than this npc {running}: upgrade npc to load it")
    if written.release[:2] != running.release[:2]:
        raise _refuse(path, f"written by npc {written}; npc {running} loads files of npc "
                            f"{running.major}.{running.minor}.x only: retrain the model with this npc")
    return header


def _read(archive: zipfile.ZipFile, path, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise _refuse(path, f"not an npc model file (no {name} in the archive)") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, zlib.error) as error:
        raise _refuse(path, f"damaged or truncated model file ({error})") from error


def read_model_header(path) -> dict:
    """The checked header of a model file (see :func:`save_model`), without loading the model.

    Raises
    ------
    ModelFileError
        When the file is not an npc model file, is damaged, or comes from another format
        version or an incompatible npc version.
    """
    with _open(path) as archive:
        return _header(archive, path)


def _header(archive, path) -> dict:
    try:
        header = json.loads(_read(archive, path, HEADER_NAME))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _refuse(path, "not an npc model file (its header is not JSON)") from None
    return _check_header(path, header)


def load_model(path, *, trusted=()):
    """Load a fitted estimator that :func:`save_model` wrote, building only trusted types.

    Parameters
    ----------
    path : path-like
        The model file.
    trusted : sequence of str, optional
        More fully qualified class names to trust (e.g. a
        :class:`~npc.compressors.Compressor` subclass of your own).

    Returns
    -------
    estimator
        The fitted estimator, predicting exactly as the one saved.

    Raises
    ------
    ModelFileError
        When the file is not an npc model file, is damaged or truncated, comes from
        another format version or an incompatible npc version, or names a type that is
        not trusted (nothing from the file is built then).

    Examples
    --------
    See :func:`save_model`.
    """
    with _open(path) as archive:
        header = _header(archive, path)
        expected = header.get("payload") or {}
        n_arrays = expected.get("n_arrays")
        if not isinstance(n_arrays, int) or n_arrays < 0:
            raise _refuse(path, "damaged header (no payload description)")
        entries = [_read(archive, path, name) for name in [TREE_NAME, *map(_array_name, range(n_arrays))]]
    digest = hashlib.sha256()
    for data in entries:
        digest.update(data)
    if sum(map(len, entries)) != expected.get("bytes") or digest.hexdigest() != expected.get("sha256"):
        raise _refuse(path, "damaged model file (its payload does not match the checksum in its header)")
    try:
        tree = json.loads(entries[0])
        named = named_classes(tree)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError) as error:
        raise _refuse(path, f"damaged model file (unreadable model tree: {error})") from error
    allowed = frozenset(trusted)
    refused = sorted(name for name in named if not isinstance(name, str) or not is_trusted(name, allowed))
    if refused:
        raise _refuse(path, f"refused: it names types npc does not trust ({', '.join(map(str, refused))}); "
                            "nothing was loaded")
    try:
        model = decode(tree, lambda i: np.load(io.BytesIO(entries[1 + i]), allow_pickle=False))
    except Exception as error:  # a malformed tree fails in many ways; none of them is the caller's bug
        detail = str(error).splitlines()[0] if str(error) else ""
        raise _refuse(path, f"damaged model file (cannot rebuild the model: {type(error).__name__}: {detail})") \
            from error
    if _qualified_name(model) != header["model"]["class"]:
        raise _refuse(path, f"damaged model file (header says {header['model']['class']}, payload holds "
                            f"{_qualified_name(model)})")
    return model
