"""npc: compression-based text classification with the normalized compression distance.

Everything a user needs is importable from here; see docs/architecture.md ("How npc is built")
for which module holds what.
"""

import importlib
import os

__version__ = "0.1.0"

# Every public name and the module that defines it, grouped as docs/library.md presents them.
# Everything loads on first use: the estimators bring in scikit-learn (~1 s and ~100 MB)
# and the data sets pyarrow, which the kernel's worker processes (they import npc to run
# their tasks) do not need; and `import npc` itself stays instant, so the `npc` command can
# take charge of Ctrl-C (npc/_interrupt.py) before anything heavy is imported.
_LAZY = {
    # estimators
    "NCDClassifier": "npc.classifier",
    "NCDClassifierCV": "npc.model_selection",
    "NCDTransformer": "npc.transformer",
    "CompressorClassifier": "npc.compressor_classifier",
    "PPMClassifier": "npc.ppm",
    "TokenPPMClassifier": "npc.token_ppm",
    "CodeLengthMixer": "npc.mixture",
    # baselines
    **dict.fromkeys(["CosineKNNClassifier", "tfidf_logistic_regression", "make_baseline"], "npc.baselines"),
    # kernel
    **dict.fromkeys(["pairwise_ncd", "nearest", "compressed_sizes", "KernelStats"], "npc.kernel"),
    "ncd": "npc.distance",
    # compressors
    **dict.fromkeys(["Compressor", "get_compressor", "register_compressor", "available_compressors"],
                    "npc.compressors"),
    # data
    "load_dataset": "npc.datasets",
    # model files
    **dict.fromkeys(["save_model", "load_model", "read_model_header"], "npc.model_files"),
    # comparison
    "compare_models": "npc.comparison",
    # errors
    "NPCError": "npc.errors",
    "InvalidInputError": "npc._validation",
    "WorkerDiedError": "npc.kernel",
    "CacheMismatchError": "npc.cache",
    "ModelFileError": "npc.model_files",
}

__all__ = list(_LAZY)


if os.environ.get("NPC_EXIT_WITH") == str(os.getppid()):  # a worker process of the `npc` command
    from npc._interrupt import exit_with_parent

    exit_with_parent()


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'npc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
