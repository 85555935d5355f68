"""npc: compression-based text classification with the normalized compression distance."""

__version__ = "0.1.0"

from npc.classifier import NCDClassifier
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
