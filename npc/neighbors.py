"""Neighbour bookkeeping shared by every k-NN estimator: the k smallest of each row."""

from __future__ import annotations

import numpy as np

# Internal: the k-NN estimators and the kernel use these; nothing here is public API.
__all__: list[str] = []


def top_k(block: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """The ``k`` smallest entries of each row, ordered by (distance, column).

    Parameters
    ----------
    block : ndarray of shape (n_rows, n_columns)
        Distances.
    k : int
        How many to keep per row (all of them when ``k >= n_columns``).

    Returns
    -------
    dict
        ``"distances"`` and ``"indices"`` (column positions), each of shape
        ``(n_rows, min(k, n_columns))``; equal distances keep column order.

    Examples
    --------
    >>> top_k(np.array([[0.5, 0.1, 0.5, 0.1]]), 3)["indices"].tolist()
    [[1, 3, 0]]
    """
    if k >= block.shape[1]:
        order = np.argsort(block, axis=1, kind="stable")
    else:
        kth = np.partition(block, k - 1, axis=1)[:, k - 1]
        order = np.empty((block.shape[0], k), dtype=np.int64)
        for row, (values, bound) in enumerate(zip(block, kth)):
            candidates = np.flatnonzero(values <= bound)
            order[row] = candidates[np.argsort(values[candidates], kind="stable")[:k]]
    return {"distances": np.take_along_axis(block, order, axis=1), "indices": order}


def drop_self(distances: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index (row i, index i), or its last neighbour if absent.

    For a training set searched against itself: scikit-learn's ``kneighbors()`` without
    ``X`` leaves each point out of its own neighbours.
    """
    n, width = indices.shape
    own = indices == np.arange(n)[:, None]
    own[~own.any(axis=1), width - 1] = True
    keep = ~own
    return distances[keep].reshape(n, width - 1), indices[keep].reshape(n, width - 1)
