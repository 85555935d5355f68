"""The ``--model`` registry: each model, how to build it from the options, the options it takes.

Adding a model is one :class:`Model` entry in :data:`MODELS`. A model option is declared
with no argparse default and gets its default in :data:`MODEL_OPTIONS`, so that "given"
and "not given" stay apart: an option given to a model that does not take it is refused
(exit 2), never silently ignored.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from npc.baselines import BASELINES, make_baseline
from npc.classifier import NCDClassifier
from npc.cli.errors import UsageError
from npc.cli.options import flag, n_jobs, positive_int
from npc.compressor_classifier import CompressorClassifier
from npc.compressors import available_compressors
from npc.model_selection import NCDClassifierCV
from npc.vote import TIE_BREAKS

__all__ = ["AUTO_FOLDS", "AUTO_K", "MODELS", "MODEL_OPTIONS", "Model", "add_model_arguments", "apply_model_options",
           "default_model", "models_help"]

# --k auto: the candidates and folds of NCDClassifierCV
AUTO_K, AUTO_FOLDS = (1, 2, 3, 5, 7, 9), 5


def _ncd_model(options: argparse.Namespace) -> NCDClassifier | NCDClassifierCV:
    shared = dict(compressor=options.compressor, level=options.level, n_jobs=options.n_jobs,
                  cache_dir=options.cache_dir, random_state=options.seed, verbose=0 if options.quiet else 2)
    if options.k == "auto":
        grid = {"n_neighbors": list(AUTO_K), "tie_break": [options.tie_break]}
        return NCDClassifierCV(grid, cv=AUTO_FOLDS, **shared)
    return NCDClassifier(options.k, tie_break=options.tie_break, **shared)


def _baseline_model(name: str) -> Callable[[argparse.Namespace], object]:
    def build(options: argparse.Namespace):
        if name.endswith("-knn") and options.k == "auto":
            raise UsageError("--k auto is for --model ncd; give a number of neighbours")
        if name.endswith("-knn"):
            return make_baseline(name, n_neighbors=options.k, tie_break=options.tie_break, random_state=options.seed)
        return make_baseline(name)
    return build


def _compressor_classifier_model(options: argparse.Namespace) -> CompressorClassifier:
    level = {} if options.level is None else {"level": options.level}
    return CompressorClassifier(**level, n_jobs=options.n_jobs)


# numba loads only for the models that use the PPM kernel.
def _ppm_model(options: argparse.Namespace):
    from npc.ppm import PPMClassifier

    return PPMClassifier(n_jobs=options.n_jobs)


def _token_ppm_model(options: argparse.Namespace):
    from npc.token_ppm import TokenPPMClassifier

    return TokenPPMClassifier(n_jobs=options.n_jobs)


def _mixture_model(options: argparse.Namespace):
    from npc.mixture import CodeLengthMixer, default_sources

    # Fitted in one process (each worker of its folds would hold whole source models); the
    # sources predict on n_jobs threads.
    return CodeLengthMixer(default_sources(n_jobs=options.n_jobs))


def _ppm_needs_compiling() -> bool:
    import npc.ppm

    return npc.ppm.needs_compiling()


@dataclass(frozen=True)
class Model:
    """One ``--model``: what it is, how to build it, and which :data:`MODEL_OPTIONS` it takes.

    Giving an option the model does not take is a usage error, never silently ignored.
    """

    about: str
    build: Callable[[argparse.Namespace], object]
    options: tuple[str, ...] = ()
    needs_compiling: Callable[[], bool] | None = None
    """Whether the model's numba kernels compile on their next use (once per installation), if it has any."""

    @property
    def votes_among_neighbours(self) -> bool:
        return "k" in self.options


MODEL_OPTIONS = {"compressor": "gzip", "level": None, "k": 2, "tie_break": "nearest", "n_jobs": -1,
                 "cache_dir": None, "scheduler": None, "scheduler_file": None}
"""Options that only some models take (argparse ``dest`` -> default)."""

_KNN = ("k", "tie_break")
MODELS: dict[str, Model] = {
    "ncd": Model("k-nearest neighbours by normalized compression distance", _ncd_model,
                 ("compressor", "level", *_KNN, "n_jobs", "cache_dir", "scheduler", "scheduler_file")),
    **{name: Model(f"scikit-learn baseline ({'cosine kNN' if name.endswith('-knn') else 'logistic regression'})",
                   _baseline_model(name), _KNN if name.endswith("-knn") else ()) for name in BASELINES},
    "compressor-classifier": Model("one zstd compressor primed per class; --level is zstd's",
                                   _compressor_classifier_model, ("level", "n_jobs")),
    "ppm": Model("a PPM model per class (npc.PPMClassifier): the class that codes the text in the fewest bits",
                 _ppm_model, ("n_jobs",), needs_compiling=_ppm_needs_compiling),
    "token-ppm": Model("the same over words and word bigrams (npc.TokenPPMClassifier)",
                       _token_ppm_model, ("n_jobs",), needs_compiling=_ppm_needs_compiling),
    "mix": Model("byte PPM of orders 2-4, zstd and token PPM class models, weights fitted out of fold "
                 "(npc.CodeLengthMixer)", _mixture_model, ("n_jobs",), needs_compiling=_ppm_needs_compiling),
}
"""``--model`` name -> :class:`Model`."""


def _k(text: str) -> int | str:
    return "auto" if text == "auto" else positive_int(text)


def add_model_arguments(model: argparse._ArgumentGroup, run: argparse._ArgumentGroup) -> None:
    """``--model`` and the model options (in ``model``), and those that set how it runs (in ``run``)."""
    model.add_argument("--model", choices=sorted(MODELS), default="ncd",
                       help="classifier (default: ncd); the list below says which options each takes")
    model.add_argument("--compressor", choices=available_compressors(),
                       help="compressor of the NCD (default: gzip)")
    model.add_argument("--level", type=int, help="compression level (default: the compressor's, gzip 9)")
    model.add_argument("-k", "--k", type=_k,
                       help="neighbours that vote (default 2), or auto: chosen among "
                            f"{', '.join(map(str, AUTO_K))} by {AUTO_FOLDS}-fold cross-validation on the training set")
    model.add_argument("--tie-break", choices=TIE_BREAKS,
                       help="rule for tied votes (default: nearest, the class of the closest tied neighbour)")
    run.add_argument("--n-jobs", type=n_jobs, metavar="N",
                     help="parallel workers (the NCD search, or the class models' predictions), joblib semantics "
                          "(default -1: all cores)")
    run.add_argument("--cache-dir", metavar="DIR",
                     help="keep finished chunks there; an interrupted run resumes when repeated")


def models_help() -> str:
    """The list of models and the options each takes (the epilog of a command's help)."""
    width = max(map(len, MODELS))
    lines = [f"  {name:<{width}}  {model.about}\n  {'':<{width}}  options: "
             f"{' '.join(map(flag, model.options)) or 'none'}" for name, model in MODELS.items()]
    return ("models (--model) and the model options each takes; giving it any other of\n"
            f"{', '.join(map(flag, MODEL_OPTIONS))} is an error (exit 2):\n" + "\n".join(lines))


def apply_model_options(options: argparse.Namespace) -> None:
    """Refuse options the chosen model does not take; fill in the defaults of those it does."""
    model = MODELS[options.model]
    # A command without the cluster options (train, compare) has no such attribute.
    stray = [flag(name) for name in MODEL_OPTIONS
             if getattr(options, name, None) is not None and name not in model.options]
    if stray:
        takes = ", ".join(map(flag, model.options)) or "none of them"
        raise UsageError(f"{', '.join(stray)} {'does' if len(stray) == 1 else 'do'} not apply to --model "
                         f"{options.model} (it takes {takes}; see npc {options.command} --help)")
    for name, default in MODEL_OPTIONS.items():
        if getattr(options, name, None) is None:
            setattr(options, name, default)


def default_model(name: str, *, seed: int = 0, quiet: bool = True):
    """The model ``name`` as ``npc classify --model NAME`` builds it when no model option is given."""
    return MODELS[name].build(argparse.Namespace(**MODEL_OPTIONS, model=name, seed=seed, quiet=quiet))
