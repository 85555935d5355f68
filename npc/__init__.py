"""npc: compression-based text classification with the normalized compression distance."""

__version__ = "0.1.0"

from npc.compressors import Compressor, available_compressors, get_compressor, register_compressor
from npc.distance import ncd
from npc.kernel import compressed_sizes, nearest, pairwise_ncd

__all__ = [
    # estimators
    "NCDClassifier",
    # kernel
    "pairwise_ncd",
    "nearest",
    "compressed_sizes",
    "ncd",
    # compressors
    "Compressor",
    "get_compressor",
    "register_compressor",
    "available_compressors",
]


def __getattr__(name):
    # NCDClassifier brings in scikit-learn (~1 s and ~100 MB): load it on first use, so the
    # kernel's worker processes, which import npc to run their tasks, stay small.
    if name == "NCDClassifier":
        from npc.classifier import NCDClassifier

        return NCDClassifier
    raise AttributeError(f"module 'npc' has no attribute {name!r}")
