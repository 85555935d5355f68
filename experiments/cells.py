"""Cells of the tables: accuracies derived from run files, and the model runs fitted on the same rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from experiments import plan
from experiments.runs import RunSpec, has_split, load_models, load_run, load_split, scored_rows
from experiments.scoring import paper_counting_correct, random_tie_credit, wilson_interval
from npc.evaluation import mcnemar_test
from npc.vote import vote

NOT_AVAILABLE = "not run: data not available offline"
PENDING = "pending"
BEST_K = (3, 5, 7)
WEIGHTED_K = tuple(range(1, 11))


@dataclass
class Neighbours:
    """The labels of a run file's neighbours, with the true labels of its queries."""

    spec: RunSpec
    labels: np.ndarray  # (n_queries, K) class codes of the neighbours, nearest first
    distances: np.ndarray
    truth: np.ndarray
    n_classes: int
    test_index: np.ndarray
    train_index: np.ndarray
    config: dict

    @property
    def subsampled(self) -> bool:
        return self.spec.test_sample is not None

    def accuracy(self, k: int, tie_break: str = "nearest", weights: str = "uniform", seed: int = 0) -> float:
        """Accuracy of the honest vote of the ``k`` nearest."""
        return float(np.mean(self.correct(k, tie_break, weights, seed)))

    def predict(self, k: int, tie_break: str = "nearest", weights: str = "uniform", seed: int = 0) -> np.ndarray:
        """Class code of the honest vote of the ``k`` nearest, per query."""
        predictions, _ = vote(self.labels[:, :k], self.distances[:, :k], n_classes=self.n_classes,
                              tie_break=tie_break, weights=weights, random_state=seed)
        return predictions

    def correct(self, k: int, tie_break: str = "nearest", weights: str = "uniform", seed: int = 0) -> np.ndarray:
        """Whether the honest vote of the ``k`` nearest is right, per query."""
        return self.predict(k, tie_break, weights, seed) == self.truth

    def paper_counting(self, k: int = 2) -> float:
        return float(np.mean(paper_counting_correct(self.labels, self.truth, k, self.n_classes)))

    def random_expected(self, k: int = 2) -> float:
        return float(np.mean(random_tie_credit(self.labels, self.truth, k, self.n_classes)))


def n_classes_of(dataset: str) -> int:
    """Number of classes: one more than the largest label id of any split present."""
    return 1 + max(int(load_split(dataset, split)[1].max()) for split in ("train", "test") if has_split(dataset, split))


def neighbours(spec: RunSpec, path=None) -> Neighbours | None:
    """The run file of ``spec`` (at ``path``, default ``spec.path``) as labels, or None when
    it has not been computed."""
    path = spec.path if path is None else path
    if not path.exists():
        return None
    run = load_run(path)
    config = run["config"]
    _, reference_labels = load_split(spec.dataset, config["reference_split"])
    _, query_labels = load_split(spec.dataset, config["query_split"])
    return Neighbours(spec, reference_labels[run["neighbors"]], run["distances"], query_labels[run["test_index"]],
                      n_classes_of(spec.dataset), run["test_index"], run["train_index"], config)


def choose_k(holdout: Neighbours | None, candidates, **rule) -> int | None:
    """The candidate k with the best accuracy on held-out queries (smallest k on ties)."""
    if holdout is None:
        return None
    scores = [holdout.accuracy(k, **rule) for k in candidates]
    return candidates[int(np.argmax(scores))]


def fmt(value, subsampled: bool = False, n: int | None = None) -> str:
    """A cell: ``0.912``, ``0.912 [0.89, 0.93]`` for subsampled cells, or the reason it is empty."""
    if value is None:
        return PENDING
    if isinstance(value, str):
        return value
    if subsampled and n:
        low, high = wilson_interval(value * n, n)
        return f"{value:.3f} [{low:.3f}, {high:.3f}]"
    return f"{value:.3f}"


def exact_duplicates(spec: RunSpec, nb: Neighbours) -> np.ndarray:
    """Which queries occur verbatim among the run's references."""
    query_texts, _ = load_split(spec.dataset, nb.config["query_split"])
    reference_texts, _ = load_split(spec.dataset, nb.config["reference_split"])
    known = {reference_texts[i] for i in nb.train_index}
    return np.array([query_texts[i] in known for i in nb.test_index])


def gzip_cells(nb: Neighbours | None, holdout: Neighbours | None) -> dict:
    """Every gzip-kNN figure of one run file (k chosen on ``holdout`` where it applies)."""
    if nb is None:
        return {}
    best_k = choose_k(holdout, BEST_K)
    weighted_k = choose_k(holdout, WEIGHTED_K, weights="distance")
    duplicates = exact_duplicates(nb.spec, nb)
    k1 = nb.correct(1)
    return {
        "n_test": len(nb.truth),
        "paper_counting_k2": nb.paper_counting(2),
        "k1": float(k1.mean()),
        "k2_nearest": nb.accuracy(2),
        "k2_lowest": nb.accuracy(2, "lowest"),
        "k2_random_expected": nb.random_expected(2),
        "k2_random_draw_seed0": nb.accuracy(2, "random", seed=0),
        **{f"k{k}_{rule}": nb.accuracy(k, rule) for k in (3, 5, 7) for rule in ("nearest", "shrink")},
        "best_k": best_k,
        "best_k_accuracy": None if best_k is None else nb.accuracy(best_k),
        "weighted_k": weighted_k,
        "weighted_accuracy": None if weighted_k is None else nb.accuracy(weighted_k, weights="distance"),
        "duplicates": int(duplicates.sum()),
        "k1_without_duplicates": float(k1[~duplicates].mean()) if (~duplicates).any() else None,
    }


# Stored model-run fields that are not cells: per-query predictions and folds (read here for
# the McNemar tests only), and the timings of early model runs, taken once on a busy machine
# with the first call's compilation inside (speeds come from the benchmarks instead).
NOT_CELLS = {"predictions", "predictions_from", "folds", "fit_seconds", "ms_per_prediction"}
# The compression cells tested against TF-IDF+LR on the same rows (keys of model_cells).
TESTED_AGAINST_LR = ("ppm", "token-ppm", "mix")


def model_cells(spec: RunSpec, truth: np.ndarray) -> dict:
    """The figures of the models fitted on ``spec``'s rows, read from its model run
    (``results/runs/<name>.models.json``, computed by ``python -m experiments.runs``): a
    model's accuracy under its name, its other figures as ``<name>-<figure>``; a model not
    yet fitted has accuracy None (shown as pending). ``truth``: the run's query labels.

    Each class model of :data:`TESTED_AGAINST_LR` stored with its predictions also gets
    ``<name>-mcnemar`` (:func:`npc.evaluation.mcnemar_test` against TF-IDF+LR on the rows
    it scored: ``a_only`` counts rows only it got right)."""
    model_run = plan.model_runs()[spec.name]
    stored = load_models(model_run)
    cells = {}
    for name in model_run.models:
        if name not in stored:
            cells[name] = None
        for key, value in stored.get(name, {}).items():
            if key not in NOT_CELLS:
                cells[name if key == "accuracy" else f"{name}-{key}"] = value
    lr = stored.get("tfidf-lr", {}).get("predictions")
    for name in TESTED_AGAINST_LR:
        predictions = stored.get(name, {}).get("predictions")
        if lr is None or predictions is None:
            continue
        rows = scored_rows(model_run, name, truth)
        correct = np.asarray(predictions) == truth[rows]
        if not np.isclose(correct.mean(), stored[name]["accuracy"]):
            raise ValueError(f"{model_run.path.name}: the stored predictions of {name} do not give its accuracy")
        cells[f"{name}-mcnemar"] = mcnemar_test(correct, np.asarray(lr)[rows] == truth[rows])
    return cells


def verdict(mcnemar: dict | None, alpha: float = 0.05) -> str | None:
    """``"wins"``, ``"ties"`` (p ≥ ``alpha``) or ``"loses"`` against TF-IDF+LR, from a
    ``<name>-mcnemar`` cell (None when there is none)."""
    if mcnemar is None:
        return None
    if mcnemar["p_value"] >= alpha:
        return "ties"
    return "wins" if mcnemar["a_only"] > mcnemar["b_only"] else "loses"


def fmt_tested(cells: dict, name: str, subsampled: bool = False, n: int | None = None) -> str:
    """A compression cell with its McNemar p against TF-IDF+LR: ``0.837 (p 0.03)``."""
    text = fmt(cells.get(name), subsampled, n)
    mcnemar = cells.get(f"{name}-mcnemar")
    return text if mcnemar is None else f"{text} (p {fmt_p(mcnemar['p_value'])})"


def fmt_p(p: float) -> str:
    """A p-value in two significant figures, ``<0.001`` below that."""
    return "<0.001" if p < 0.001 else f"{p:.2g}"
