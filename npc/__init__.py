"""npc: compression-based text classification with the normalized compression distance.

Everything a user needs is importable from here; see the README's "How npc is built"
for which module holds what.
"""

import importlib
import os

__version__ = "0.1.0"

__all__ = [
    # estimators
    "NCDClassifier",
    "NCDClassifierCV",
    "NCDTransformer",
    "CompressorClassifier",
    "PPMClassifier",
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
    "NPCError",
    "InvalidInputError",
    "WorkerDiedError",
    "CacheMismatchError",
]

# Everything loads on first use: the estimators bring in scikit-learn (~1 s and ~100 MB)
# and the data sets pyarrow, which the kernel's worker processes (they import npc to run
# their tasks) do not need; and `import npc` itself stays instant, so the `npc` command can
# take charge of Ctrl-C (npc/_interrupt.py) before anything heavy is imported.
_LAZY = {
    "NPCError": "npc.errors",
    "InvalidInputError": "npc._validation",
    "CacheMismatchError": "npc.cache",
    **dict.fromkeys(["Compressor", "available_compressors", "get_compressor", "register_compressor"],
                    "npc.compressors"),
    "ncd": "npc.distance",
    **dict.fromkeys(["KernelStats", "WorkerDiedError", "compressed_sizes", "nearest", "pairwise_ncd"], "npc.kernel"),
    "NCDClassifier": "npc.classifier",
    "NCDClassifierCV": "npc.model_selection",
    "NCDTransformer": "npc.transformer",
    "CompressorClassifier": "npc.compressor_classifier",
    "PPMClassifier": "npc.ppm",
    "CosineKNNClassifier": "npc.baselines",
    "tfidf_logistic_regression": "npc.baselines",
    "make_baseline": "npc.baselines",
    "load_dataset": "npc.datasets",
}


if os.environ.get("NPC_EXIT_WITH") == str(os.getppid()):  # a worker process of the `npc` command
    from npc._interrupt import exit_with_parent

    exit_with_parent()


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'npc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
