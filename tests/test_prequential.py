"""experiments/prequential.py: test-then-train predictions and running accuracies on toy streams."""

import numpy as np
import pytest

from experiments.prequential import MODELS, make_model, prequential, running_accuracy


class Majority:
    """Predicts the label learned most often so far (ties: the smallest label)."""

    def partial_fit(self, X, y, classes=None):
        if classes is not None:
            self.counts = dict.fromkeys(classes, 0)
        for label in y:
            self.counts[label] += 1
        return self

    def predict(self, X):
        best = max(self.counts, key=lambda label: (self.counts[label], -label))
        return np.full(len(X), best)


class Memory:
    """Predicts a text's learned label, or -1 for a text it has not learned: it can only be
    right about a text it saw before, so it shows whether a text is learned before being predicted."""

    def partial_fit(self, X, y, classes=None):
        self.seen = getattr(self, "seen", {}) | dict(zip(X, y, strict=True))
        return self

    def predict(self, X):
        return np.array([self.seen.get(text, -1) for text in X])


def test_each_text_is_predicted_by_the_model_of_the_texts_before_it():
    labels = [0, 0, 1, 1, 1, 0]
    # Counts before texts 1..5: {0: 1}, {0: 2}, {0: 2, 1: 1}, {0: 2, 1: 2}, {0: 2, 1: 3}.
    predictions = prequential(Majority(), ["t"] * 6, labels, classes=[0, 1])
    assert predictions.tolist() == [0, 0, 0, 0, 1]


def test_a_batch_is_predicted_before_it_is_learned():
    labels = [0, 0, 1, 1, 1, 0, 1]
    # Batches [0, 0] (learned only), [1, 1] after {0: 2}, [1, 0] after {0: 2, 1: 2}, [1] after {0: 3, 1: 3}.
    predictions = prequential(Majority(), ["t"] * 7, labels, classes=[0, 1], batch_size=2)
    assert predictions.tolist() == [0, 0, 0, 0, 0]
    stream = ["a", "b", "a", "c", "b", "b"]
    assert prequential(Memory(), stream, [5, 6, 5, 7, 6, 6], classes=[5, 6, 7]).tolist() == [-1, 5, -1, 6, 6]
    assert prequential(Memory(), stream, [5, 6, 5, 7, 6, 6], classes=[5, 6, 7], batch_size=3).tolist() == [-1, 6, 6]
    assert prequential(Memory(), stream, [5, 6, 5, 7, 6, 6], classes=[5, 6, 7], batch_size=3,
                       warmup=2).tolist() == [5, -1, 6, 6]


def test_running_accuracy_cumulative_and_windowed():
    correct = [1, 0, 1, 1, 0]
    np.testing.assert_allclose(running_accuracy(correct), [1, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    np.testing.assert_allclose(running_accuracy(correct, window=2), [1, 1 / 2, 1 / 2, 1, 1 / 2])


@pytest.mark.parametrize("name", MODELS)
def test_every_model_streams(name):
    texts = ["cheap pills buy now", "meeting at noon", "buy cheap pills", "lunch meeting moved", "pills now",
             "noon lunch"]
    predictions = prequential(make_model(name), texts, [1, 0, 1, 0, 1, 0], classes=[0, 1])
    assert predictions.shape == (5,) and set(predictions.tolist()) <= {0, 1}
