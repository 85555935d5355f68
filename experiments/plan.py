"""Which run files each table needs, in the order they are worth computing.

Each ``PLANS`` entry returns a list of :class:`RunSpec`. A plan is the same on every machine:
whether a set's data are here is decided when running, not when planning. Sets whose data
are not available offline stay in the plans: ``python -m experiments.runs`` reports them
as not available, and computes them for a user who has the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = ROOT / "results" / "runs"
# Query rows per cache chunk (default of RunSpec.chunk_rows), fixed so that the cache
# fingerprint of a run never changes.
CHUNK_ROWS = 32
K_MAX = 10


@dataclass(frozen=True)
class RunSpec:
    """What one run file holds.

    Parameters
    ----------
    dataset : str
        Data set name (a folder of ``NPC_DATA_DIR``).
    compressor, level : str, int
        The compressor and its level.
    queries : {"test", "validation", "holdout"}
        Whose neighbours: the test split, the validation split, or a stratified
        ``HOLDOUT_FRACTION`` of train (then the references are the rest of train).
    test_sample : int, optional
        A stratified subsample of that many queries (always seed 0, so that every
        compressor and every few-shot seed meets the same queries).
    train_sample : int, optional
        A stratified subsample (seed 0) of the references (with ``pool="test-rest"``: a
        stratified sample of the test split, seed 1, less the queries).
    shots : int, optional
        Few-shot references: ``shots`` training items per class.
    pool : {"train", "test-rest"}
        Where references come from. ``"test-rest"`` (for sets shipped with a test split
        only): the queries are the stratified ``test_sample`` of the test split, the
        references (or the shots) come from the rest of it.
    seed : int
        Seeds every sample of this run.
    chunk_rows : int
        Query rows per cache chunk (part of the cache fingerprint, so resuming needs the
        value the run started with).
    """

    dataset: str
    compressor: str = "gzip"
    level: int = 9
    queries: str = "test"
    test_sample: int | None = None
    train_sample: int | None = None
    shots: int | None = None
    pool: str = "train"
    seed: int = 0
    separator: str = " "
    k_max: int = K_MAX
    chunk_rows: int = CHUNK_ROWS

    @property
    def name(self) -> str:
        parts = [self.dataset, f"{self.compressor}-{self.level}"]
        if self.queries != "test":
            parts.append("val" if self.queries == "validation" else "holdout")
        if self.pool != "train":
            parts.append(self.pool)
        if self.shots is not None:
            parts.append(f"shots{self.shots}-seed{self.seed}")
        if self.train_sample is not None:
            parts.append(f"train{self.train_sample}")
        if self.test_sample is not None:
            parts.append(f"test{self.test_sample}")
        return "__".join(parts)

    @property
    def path(self) -> Path:
        return RUNS_DIR / f"{self.name}.npz"



IN_DISTRIBUTION = ["r8", "r52", "ohsumed", "20news", "ag_news", "dbpedia", "yahoo_answers"]
MASAKHANEWS = ["masakhanews_" + code for code in ("run", "yor", "ibo", "lin", "lug", "orm", "pcm", "sna", "som", "xho")]
PAPER_LOW_RESOURCE = ["kinnews", "kirnews", "filipino", "swahili_news", "sogou_news"]
FEW_SHOT = ["ag_news", "r8", "masakhanews_run", "masakhanews_yor", "ohsumed", "20news"]
SHOTS = (5, 10, 50, 100)
SEEDS = range(5)
# Few-shot cells are cheap (at most 2,000 shots x the test split): they use the full test split,
# except AG News, which has only a test split here: a stratified half (seed 0) is queried and
# the shots come from the other half.
AG_NEWS_TEST_HALF = 3800
# Sets whose sample cells (few-shot, compressors) draw queries and references from the test
# split alone, on every machine, so that the plan and its run files are the same wherever
# they are computed: AG News' copy here has no train split (its full-split rows need one).
TEST_SPLIT_ONLY = {"ag_news"}
COMPRESSOR_DATASETS = ["r8", "masakhanews_run", "ag_news", "masakhanews_yor", "r52", "ohsumed", "imdb"]
# Fastest first: bz2, zstd-19 and lzma cost milliseconds per pair on these texts.
COMPRESSORS = [("gzip", 9), ("gzip", 1), ("zstd", 1), ("zstd", 3), ("zstd", 9), ("lz4", 0), ("lz4", 12),
               ("bz2", 9), ("zstd", 19), ("lzma", 6)]
# Compressors with sample cells only: PPMd (pyppmd, order 6, 16 MiB) costs ~0.2-1 ms per
# pair, so its full-split cells (R8's 12 M pairs: ~1 CPU-hour) are not planned.
SAMPLE_ONLY_COMPRESSORS = [("ppmd", 6)]
# Every compressor cell: the same 100 test items against the same 500 training items per set,
# so that even lzma fits in the budget; the comparison is between compressors.
COMPRESSOR_TEST_SAMPLE = 100
COMPRESSOR_TRAIN_SAMPLE = 500
# The same compressors on the full splits of these sets (the test split subsampled to
# BUDGET_TEST_SAMPLE items where the full cell costs about 2 CPU-hours or more: µs per pair
# measured in results/compressors.md x pairs; lzma-6 at 0.5-0.7 ms on R52's 17 M and
# Ohsumed's 14 M pairs; R8's 12 M at 0.5-0.57 ms, 1.7-1.9 CPU-hours, is near the line and
# shares the other lzma-6 cells' design). Cheapest compressors first, small sets first.
COMPRESSOR_FULL_SETS = ["masakhanews_run", "masakhanews_yor", "r8", "ohsumed", "r52"]
OVER_BUDGET = {("r8", "lzma", 6), ("r52", "lzma", 6), ("ohsumed", "lzma", 6)}
BUDGET_TEST_SAMPLE = 1000
IMDB_TEST_SAMPLE = 1000
# Full IMDb (625 million pairs each: hours per run), cheapest first, in chunks of 100 test
# rows (the chunk size these runs were computed with, which their cache fingerprint keeps).
IMDB_FULL = [("lz4", 0), ("zstd", 3), ("gzip", 9)]
IMDB_FULL_CHUNK_ROWS = 100
# Sets whose full run may not finish in one session also get a stratified 500-item test
# subsample; a table uses it (with Wilson intervals) only while the full run is missing.
SUBSAMPLE_FALLBACK = {"ohsumed": 500, "20news": 500}
# 20 Newsgroups with the text the paper compressed (experiments/make_20news_paper_text.py),
# on the same test subsample: how much the text preparation moves honest k=1.
TEXT_PREPARATION = {"20news": "20news_paper_text"}


def in_distribution() -> list[RunSpec]:
    return ([RunSpec(d) for d in IN_DISTRIBUTION] + [RunSpec(d, queries="holdout") for d in IN_DISTRIBUTION]
            + [RunSpec(d, test_sample=n) for d, n in SUBSAMPLE_FALLBACK.items()]
            + [RunSpec(variant, test_sample=SUBSAMPLE_FALLBACK[d]) for d, variant in TEXT_PREPARATION.items()])


def low_resource() -> list[RunSpec]:
    sets = MASAKHANEWS + PAPER_LOW_RESOURCE
    return [RunSpec(d) for d in sets] + [RunSpec(d, queries="validation") for d in MASAKHANEWS]


def few_shot() -> list[RunSpec]:
    specs = []
    for d in FEW_SHOT:
        split_test = d in TEST_SPLIT_ONLY
        specs += [RunSpec(d, shots=shots, seed=seed, test_sample=AG_NEWS_TEST_HALF if split_test else None,
                          pool="test-rest" if split_test else "train")
                  for shots in SHOTS for seed in SEEDS]
    return specs


def compressors() -> list[RunSpec]:
    return [
        RunSpec(d, compressor, level, test_sample=COMPRESSOR_TEST_SAMPLE, train_sample=COMPRESSOR_TRAIN_SAMPLE,
                pool="test-rest" if d in TEST_SPLIT_ONLY else "train")
        for d in COMPRESSOR_DATASETS for compressor, level in COMPRESSORS + SAMPLE_ONLY_COMPRESSORS
    ] + [compressor_full_split(d, compressor, level) for compressor, level in COMPRESSORS for d in COMPRESSOR_FULL_SETS]


def compressor_full_split(dataset: str, compressor: str, level: int) -> RunSpec:
    """The full-split run of one compressor cell (test subsampled when over budget)."""
    over = (dataset, compressor, level) in OVER_BUDGET
    return RunSpec(dataset, compressor, level, test_sample=BUDGET_TEST_SAMPLE if over else None)


def imdb() -> list[RunSpec]:
    return [RunSpec("imdb", test_sample=IMDB_TEST_SAMPLE)]


def imdb_full() -> list[RunSpec]:
    return [RunSpec("imdb", compressor, level, chunk_rows=IMDB_FULL_CHUNK_ROWS) for compressor, level in IMDB_FULL]


# Models fitted on a run's rows for the tables' baseline and class-model columns (names of
# npc.baselines.make_baseline, "compressor-classifier-<n per class>", "ppm", "token-ppm", "mix").
MODELS = ("bow-knn", "tfidf-knn", "tfidf-lr", "compressor-classifier-1", "compressor-classifier-3", "ppm",
          "token-ppm", "mix")
FEW_SHOT_MODELS = ("tfidf-knn", "tfidf-lr", "compressor-classifier-1", "ppm", "token-ppm", "mix")
# Models whose per-query predictions a model run stores, so that each compression cell gets
# an exact McNemar p against TF-IDF+LR on the same rows.
PREDICTION_MODELS = ("tfidf-lr", "ppm", "token-ppm", "mix")
# The class models, which score ModelRun.ppm_test_sample of the queries where it is set.
CLASS_MODELS = ("ppm", "token-ppm", "mix")
# PPMClassifier (and the token PPM and the mixture) score this stratified sample (seed 0) of
# each few-shot run's queries: on the full test splits its 120 runs would take hours here
# (20news: ~60 ms per prediction).
FEW_SHOT_PPM_TEST_SAMPLE = 500


@dataclass(frozen=True)
class ModelRun:
    """The models fitted on the rows of the run ``run`` (file ``<run name>.models.json``).

    ``ppm_test_sample``: the class models (:data:`CLASS_MODELS`) score a stratified seeded
    (0) sample of that many of the run's queries when it is smaller than their number.
    """

    run: RunSpec
    models: tuple[str, ...]
    ppm_test_sample: int | None = None

    @property
    def path(self) -> Path:
        return RUNS_DIR / f"{self.run.name}.models.json"


def model_runs() -> dict[str, ModelRun]:
    """Every model run the tables read, by the name of its neighbour run.

    The test subsamples that stand in while a full run is missing (``SUBSAMPLE_FALLBACK``,
    IMDb's) get every model but the class models of :data:`CLASS_MODELS`, whose fits on a
    full training split are the slowest: their tables show them pending until the full run
    is there.
    """
    main = [RunSpec(d) for d in IN_DISTRIBUTION + MASAKHANEWS + PAPER_LOW_RESOURCE] + [RunSpec("imdb")]
    fallbacks = [RunSpec(d, test_sample=n) for d, n in SUBSAMPLE_FALLBACK.items()] + imdb()
    found = {spec.name: ModelRun(spec, MODELS) for spec in main}
    found.update({spec.name: ModelRun(spec, tuple(m for m in MODELS if m not in CLASS_MODELS)) for spec in fallbacks})
    found.update({spec.name: ModelRun(spec, FEW_SHOT_MODELS, FEW_SHOT_PPM_TEST_SAMPLE) for spec in few_shot()})
    return found


PLANS = {
    "in_distribution": in_distribution,
    "low_resource": low_resource,
    "few_shot": few_shot,
    "compressors": compressors,
    "imdb": imdb,
    "imdb_full": imdb_full,
}


def by_name(name: str) -> RunSpec:
    """The planned run called ``name``."""
    for specs in PLANS.values():
        for spec in specs():
            if spec.name == name:
                return spec
    raise KeyError(f"No planned run is called {name!r}; see `python -m experiments.runs --plan NAME --list`.")
