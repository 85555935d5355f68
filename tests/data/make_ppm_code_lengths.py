"""Pinned PPMClassifier code lengths on real text (tests/data/ppm_code_lengths.npz).

The fixture was written by the kernel of commit e92a6f1 (before the kernel was
redesigned) so that every later kernel must reproduce its numbers exactly::

    PYTHONPATH=. python tests/data/make_ppm_code_lengths.py [CASE ...]

Exception: ``order3_D_exclusion_max_memory`` was rewritten (``... order3_D_exclusion_max_memory``)
when ``max_memory`` under update exclusion became the frozen coder's rule (a pair the
model dropped counts as unseen, so the symbol is counted below it each time), which a
streaming fit can follow; tests/test_ppm.py checks that rule against a naive frozen PPM.

Inputs: 300 training reviews (every third of the first 900) of the shipped ``imdb-sample`` in four classes
(sentiment x row parity) and 40 test reviews (every twelfth) as queries.
"""

import sys
from pathlib import Path

import numpy as np

from npc.datasets import load_dataset
from npc.ppm import PPMClassifier

PATH = Path(__file__).with_name("ppm_code_lengths.npz")
CASES = {f"order{order}_{escape}_{'exclusion' if exclusion else 'full'}":
         {"order": order, "escape": escape, "update_exclusion": exclusion}
         for order in (1, 3, 5) for escape in ("C", "D") for exclusion in (False, True)}
CASES["order3_C_full_max_memory"] = {"order": 3, "escape": "C", "update_exclusion": False, "max_memory": 400_000}
CASES["order3_D_exclusion_max_memory"] = {"order": 3, "escape": "D", "update_exclusion": True,
                                          "max_memory": 400_000}


def pinned_inputs() -> tuple[list[str], list[str], list[str]]:
    """Training texts, their four labels, and the queries."""
    train, test = load_dataset("imdb-sample"), load_dataset("imdb-sample", "test")
    rows = range(0, 900, 3)
    labels = [f"{train.labels[i]}-{i % 2}" for i in rows]
    return [train.texts[i] for i in rows], labels, list(test.texts[::12][:40])


def main(names: list[str]) -> None:
    """Write the cases ``names`` (all if empty), keeping the others' pinned values."""
    texts, labels, queries = pinned_inputs()
    pinned = dict(np.load(PATH)) if names else {}
    pinned |= {name: PPMClassifier(**CASES[name]).fit(texts, labels).code_lengths(queries)
               for name in names or CASES}
    np.savez_compressed(PATH, **pinned)


if __name__ == "__main__":
    main(sys.argv[1:])
