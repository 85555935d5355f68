"""npc: compression-based text classification with the normalized compression distance.

Everything a user needs is importable from here; see the README's "How npc is built"
for which module holds what.
"""

import importlib

__version__ = "0.1.0"

from npc._validation import InvalidInputError
from npc.cache import CacheMismatchError
from npc.compressors import Compressor, available_compressors, get_compressor, register_compressor
from npc.distance import ncd
from npc.kernel import KernelStats, WorkerDiedError, compressed_sizes, nearest, pairwise_ncd

__all__ = [
    # estimators
    "NCDClassifier",
    "NCDClassifierCV",
    "NCDTransformer",
    "CompressorClassifier",
    # baselines
    "CosineKNNClassifier",
    "tfidf_logistic_regression",
    "make_baseline",
    # kernel
    "pairwise_ncd",
    "nearest",
    "compressed_sizes",
    "ncd",
    "KernelStats",
    # compressors
    "Compressor",
    "get_compressor",
    "register_compressor",
    "available_compressors",
    # data
    "load_dataset",
    # errors
    "InvalidInputError",
    "WorkerDiedError",
    "CacheMismatchError",
]

# The estimators bring in scikit-learn (~1 s and ~100 MB) and the data sets pyarrow: load
# them on first use, so the kernel's worker processes, which import npc to run their
# tasks, stay small.
_LAZY = {
    "NCDClassifier": "npc.classifier",
    "NCDClassifierCV": "npc.model_selection",
    "NCDTransformer": "npc.transformer",
    "CompressorClassifier": "npc.compressor_classifier",
    "CosineKNNClassifier": "npc.baselines",
    "tfidf_logistic_regression": "npc.baselines",
    "make_baseline": "npc.baselines",
    "load_dataset": "npc.datasets",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'npc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
