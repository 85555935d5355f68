"""Input checks and text encoding shared by every estimator, the kernel and the CLI.

One policy everywhere: a ``str`` is compressed as ``s.encode("utf-8", "surrogatepass")``
(a lone surrogate becomes its three-byte form, never an error or other bytes), ``bytes``
as given; errors name the argument, the first bad index and what was expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Set
from numbers import Integral

import numpy as np

from npc.errors import NPCError

__all__ = ["InvalidInputError", "encode_text", "decode_text", "check_texts", "check_labels", "check_stream_classes",
           "check_int",
           "check_n_neighbors"]


class InvalidInputError(NPCError, ValueError, TypeError):
    """The caller's texts, labels or parameter values are unusable (the message says why).

    Both a ``ValueError`` and a ``TypeError``, like scikit-learn's
    ``InvalidParameterError``, so code that catches either keeps working; the command
    line reports it as a usage error (exit 2) and any other exception as a failure.
    """


def encode_text(text: str | bytes) -> bytes:
    """The bytes npc compresses for ``text``: UTF-8 with ``surrogatepass``, or bytes as given.

    Examples
    --------
    >>> encode_text("a\\ud83d")
    b'a\\xed\\xa0\\xbd'
    """
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise InvalidInputError(f"expected str or bytes; got {type(text).__name__}.")


def decode_text(data: bytes) -> str:
    """The inverse of :func:`encode_text` for text that came from a ``str``.

    Bytes that are not UTF-8 (a user may pass any bytes) decode with ``surrogateescape``,
    so they survive a round trip instead of raising.
    """
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape")


def _describe(item) -> str:
    text = repr(item)
    return text if len(text) <= 40 else text[:37] + "..."


def check_texts(texts, *, name: str = "X", allow_empty: bool = False) -> list[bytes]:
    """Validate a sequence of texts and encode each once (see :func:`encode_text`).

    Parameters
    ----------
    texts : iterable of str or bytes
        A list, tuple, 1-D numpy array or pandas Series of texts.
    name : str
        How to call the argument in error messages.
    allow_empty : bool
        Accept a sequence with no text.

    Raises
    ------
    TypeError
        When ``texts`` is a single string, an unordered collection (set, dict) or an
        item is not ``str``/``bytes`` (the message names the first bad index).
    ValueError
        When ``texts`` is empty (unless allowed) or not one-dimensional.
    """
    if isinstance(texts, (str, bytes)):
        raise InvalidInputError(f"{name} must be a sequence of texts, not a single {type(texts).__name__}.")
    if isinstance(texts, (Set, Mapping)):
        # Their iteration order is not the order the caller meant, so texts would
        # silently part from their labels.
        raise InvalidInputError(f"{name} must be an ordered sequence of texts (a list), not a {type(texts).__name__}.")
    if getattr(texts, "ndim", 1) != 1:
        raise InvalidInputError(f"{name} must be one-dimensional (one text per row); got shape {texts.shape}.")
    try:
        items = list(texts)
    except TypeError:
        raise InvalidInputError(f"{name} must be an iterable of texts; got {type(texts).__name__}.") from None
    encoded = []
    for index, item in enumerate(items):
        if not isinstance(item, (str, bytes, bytearray, memoryview)):
            raise InvalidInputError(
                f"{name}[{index}] is {type(item).__name__} ({_describe(item)}), not str or bytes. "
                "Every text must be a string; drop or fill missing values first."
            )
        encoded.append(encode_text(item))
    if not allow_empty and not encoded:
        raise InvalidInputError(f"{name} is empty: at least one text is needed.")
    return encoded


def check_labels(y, n_samples: int) -> np.ndarray:
    """Validate class labels: one per text, none missing, ints or strings.

    Raises
    ------
    ValueError
        On a length mismatch, a missing label (``None``, NaN or ``pandas.NA``; the
        message names the first index) or labels that are not one-dimensional.

    Warns
    -----
    DataConversionWarning
        For a column vector of shape ``(n_samples, 1)``, which is then flattened (as
        scikit-learn does).
    """
    if y is None:
        raise InvalidInputError("This estimator requires y to be passed, but the target y is None.")
    labels = np.asarray(y, dtype=object if not hasattr(y, "dtype") else None)
    if labels.ndim == 2 and labels.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning  # here: the kernel's workers never need sklearn

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape of y "
                      "to (n_samples, ), for example using ravel().", DataConversionWarning, stacklevel=2)
        labels = labels.ravel()
    if labels.ndim != 1:
        raise InvalidInputError(f"y must be one-dimensional (one label per text); got shape {labels.shape}.")
    if len(labels) != n_samples:
        raise InvalidInputError(f"X and y have different lengths: {n_samples} texts but {len(labels)} labels.")
    for index, label in enumerate(labels.tolist()):
        if _is_missing(label):
            raise InvalidInputError(f"y[{index}] is missing ({label!r}); every text needs a label.")
    if labels.dtype == object:
        kinds = {type(label) for label in labels.tolist()}
        if len(kinds) > 1 and not all(issubclass(kind, (int, np.integer)) for kind in kinds):
            names = ", ".join(sorted(kind.__name__ for kind in kinds))
            raise InvalidInputError(f"y mixes label types ({names}); use all strings or all integers.")
        labels = np.asarray(labels.tolist())
    return labels


def _is_missing(label) -> bool:
    """None, NaN of any float type, NaT or ``pandas.NA``."""
    try:
        return label is None or bool(label != label)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def check_stream_classes(fitted_classes, labels: np.ndarray, classes) -> np.ndarray:
    """The classes of a ``partial_fit`` call, under scikit-learn's incremental contract.

    ``classes`` is required on the first call (``fitted_classes`` None) and, when given
    later, must equal the classes of the first; every label must be one of them.

    Returns
    -------
    ndarray
        The sorted classes (``classes`` on the first call, else ``fitted_classes``).
    """
    if classes is not None:
        declared = np.unique(check_labels(classes, len(classes)))
        if fitted_classes is not None and not np.array_equal(declared, fitted_classes):
            raise InvalidInputError(f"classes={declared.tolist()} is not the classes of the first partial_fit call, "
                                    f"{fitted_classes.tolist()}.")
    elif fitted_classes is None:
        raise InvalidInputError("classes must be passed on the first call to partial_fit.")
    known = declared if fitted_classes is None else fitted_classes
    unknown = ~np.isin(labels, known)
    if unknown.any():
        first = np.flatnonzero(unknown)[0]
        raise InvalidInputError(f"y[{first}] = {labels[first].tolist()!r} is not one of the classes {known.tolist()}; "
                                "declare every class with `classes` on the first call.")
    return known


def check_int(value, name: str, minimum: int | None = 1) -> int:
    """``value`` as an int, refusing bools, non-integers and values below ``minimum`` (if given)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or (minimum is not None and value < minimum):
        bound = {None: "an int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise InvalidInputError(f"{name} must be {bound}; got {value!r}.")
    return int(value)


def check_n_neighbors(n_neighbors, n_samples: int, *, what: str = "training set") -> int:
    """``n_neighbors`` as an int in ``[1, n_samples]`` (``what`` names the set in the message)."""
    n_neighbors = check_int(n_neighbors, "n_neighbors")
    if n_neighbors > n_samples:
        raise InvalidInputError(f"n_neighbors={n_neighbors} is larger than the {what} ({n_samples} texts): "
                                f"n_neighbors must be at most n_samples = {n_samples}.")
    return n_neighbors
