"""Model files: save a fitted estimator, load it back without running code from the file.

A model file is a zip archive of two entries:

- ``npc-model.json``, the header: the file format and its version, the npc version that
  wrote it, the model's class and parameters, its classes, a fingerprint and the size of
  the training data, and the SHA-256 and size of the payload;
- ``model.skops``, the payload: the fitted estimator in the ``skops.io`` format, its
  arrays deflated (an NCD model holds its training texts, stored compressed).

Why skops with an explicit list of trusted types rather than an own format: skops is the
scikit-learn ecosystem's code-free persistence. It writes an estimator's state as a JSON
tree of typed nodes and numpy arrays (read with ``allow_pickle=False``), walks any
estimator generically (its ``__getstate__``: arrays, scalars, strings, bytes, lists,
dicts, sparse matrices, dtypes and nested scikit-learn objects such as the baselines'
pipelines), and builds on load only the types it is told to trust. An own format would
have to re-implement exactly that walk and that allowlist; with skops, a fitted attribute
added or renamed in an estimator needs no change here. ``pickle`` and ``joblib`` are
never used on file contents.

What is trusted (:data:`TRUSTED_TYPES`): skops's own defaults (builtins, numpy,
scikit-learn's estimators), npc's estimators, compressors and :class:`~npc.corpus.Corpus`,
and SciPy's CSR matrix. A file naming any other type is refused before anything is built
(``load_model(..., trusted=[...])`` adds types, e.g. your own registered compressor).

Every refusal is a :class:`ModelFileError` with a one-line message: not a model file,
damaged or truncated, another format version, written by an npc newer than this one or of
another minor version (0.x versions change estimators' internals), or holding untrusted
types.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from npc import __version__
from npc._validation import InvalidInputError

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "ModelFileError",
    "load_model",
    "read_model_header",
    "save_model",
    "training_fingerprint",
]

FORMAT = "npc-model"
FORMAT_VERSION = 1
HEADER_NAME, PAYLOAD_NAME = "npc-model.json", "model.skops"
_ZIP_MAGIC = b"PK\x03\x04"

_COMPRESSORS = ("Gzip", "Zlib", "Deflate", "Bz2", "Lzma", "Lz4", "Zstd", "Ppmd")
TRUSTED_TYPES = (
    "npc.classifier.NCDClassifier",
    "npc.model_selection.NCDClassifierCV",
    "npc.transformer.NCDTransformer",
    "npc.compressor_classifier.CompressorClassifier",
    "npc.ppm.PPMClassifier",
    "npc.baselines.CosineKNNClassifier",
    "npc.corpus.Corpus",
    *(f"npc.compressors.{name}Compressor" for name in _COMPRESSORS),
    "scipy.sparse._csr.csr_matrix",
)
"""Fully qualified names of the types a model file may hold besides skops's defaults."""


class ModelFileError(InvalidInputError):
    """A model file that cannot be loaded: not one, damaged, incompatible or untrusted."""


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


def save_model(model, path, *, X=None, y=None) -> dict:
    """Write a fitted estimator to a model file that :func:`load_model` reads back.

    Parameters
    ----------
    model : fitted estimator
        Any npc estimator, or a scikit-learn estimator or pipeline built from trusted types.
    path : path-like
        The file to write (replaced atomically: a crash never leaves half a file there).
    X, y : training texts and labels, optional
        Recorded in the header as their size and fingerprint (:func:`training_fingerprint`).

    Returns
    -------
    dict
        The header written to the file.

    Examples
    --------
    >>> import tempfile, os
    >>> from npc import PPMClassifier
    >>> texts, labels = ["the cat sat", "stocks fell"], ["pets", "finance"]
    >>> clf = PPMClassifier().fit(texts, labels)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npc")
    >>> header = save_model(clf, path, X=texts, y=labels)
    >>> load_model(path).predict(["a cat sat"]).tolist()
    ['pets']
    """
    import skops.io

    payload = io.BytesIO()
    skops.io.dump(model, payload, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    payload = payload.getvalue()
    classes = getattr(model, "classes_", None)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "npc_version": __version__,
        "model": {"class": _qualified_name(model),
                  "params": _json_safe(model.get_params(deep=False)) if hasattr(model, "get_params") else None},
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "training_data": None if X is None else training_fingerprint(X, y),
        "payload": {"name": PAYLOAD_NAME, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()},
    }
    path = Path(path).expanduser()
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        archive.writestr(HEADER_NAME, json.dumps(header, indent=1), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(PAYLOAD_NAME, payload)  # already deflated inside
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
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
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
        More fully qualified type names to trust besides :data:`TRUSTED_TYPES` (e.g. a
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
    import skops.io

    with _open(path) as archive:
        header = _header(archive, path)
        payload = _read(archive, path, PAYLOAD_NAME)
    expected = header.get("payload") or {}
    if len(payload) != expected.get("bytes") or hashlib.sha256(payload).hexdigest() != expected.get("sha256"):
        raise _refuse(path, "damaged model file (its payload does not match the checksum in its header)")
    allowed = set(TRUSTED_TYPES) | set(trusted)
    try:
        untrusted = skops.io.get_untrusted_types(data=payload)
    except Exception as error:  # skops's parse errors have no common base class
        raise _refuse(path, f"damaged model file (unreadable payload: {type(error).__name__})") from error
    refused = sorted(set(untrusted) - allowed)
    if refused:
        raise _refuse(path, f"refused: it holds types npc does not trust ({', '.join(refused)}); nothing was loaded")
    try:
        model = skops.io.loads(payload, trusted=sorted(untrusted))
    except Exception as error:
        raise _refuse(path, f"damaged model file (cannot rebuild the model: {type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''})") from error
    if _qualified_name(model) != header["model"]["class"]:
        raise _refuse(path, f"damaged model file (header says {header['model']['class']}, payload holds "
                            f"{_qualified_name(model)})")
    return model
