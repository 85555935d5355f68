"""scikit-learn tags shared by every npc estimator: the input is a sequence of texts."""

from __future__ import annotations

__all__ = ["TextInputMixin"]


class TextInputMixin:
    """Declare text input the way scikit-learn >= 1.6 reads it (``__sklearn_tags__``).

    ``X`` is a one-dimensional sequence of ``str`` or ``bytes``: not a numeric 2-D array,
    so scikit-learn's generic numeric checks do not apply (``check_estimator`` skips such
    estimators; ``tests/test_sklearn_checks.py`` runs them through a text adapter).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
