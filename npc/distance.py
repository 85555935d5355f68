"""The normalized compression distance on arrays of compressed sizes."""

from __future__ import annotations

import numpy as np

__all__ = ["ncd"]


def ncd(c_xy, c_x, c_y) -> np.ndarray:
    """Normalized compression distance from compressed sizes.

    Parameters
    ----------
    c_xy : array_like of int
        Compressed sizes of the concatenations.
    c_x, c_y : array_like of int
        Compressed sizes of each part; broadcast against ``c_xy``.

    Returns
    -------
    ndarray of float64

    Notes
    -----
    ``NCD(x, y) = (C(xy) - min(C(x), C(y))) / max(C(x), C(y))``. The sizes are integers
    below 2**53, so each is exact in float64 and the single IEEE division gives the same
    bits as Python's ``(cxy - min(cx, cy)) / max(cx, cy)``. A pair whose parts both
    compress to zero bytes (possible only with a user-defined compressor) has distance 0.

    Examples
    --------
    >>> ncd([30], [20], [25]).tolist()
    [0.4]
    """
    c_xy = np.asarray(c_xy, dtype=np.int64)
    c_x = np.asarray(c_x, dtype=np.int64)
    c_y = np.asarray(c_y, dtype=np.int64)
    low = np.minimum(c_x, c_y)
    high = np.maximum(c_x, c_y)
    numerator = c_xy - low
    return np.divide(
        numerator,
        high,
        out=np.zeros(np.broadcast_shapes(numerator.shape, high.shape), dtype=np.float64),
        where=high != 0,
    )
