"""scikit-learn's own estimator checks on every npc estimator, through a text adapter.

npc estimators take texts, so they declare ``input_tags.string=True, two_d_array=False``
and ``check_estimator`` skips them. :class:`TextAdapter` turns each numeric row of the
checks' data into a text (one word per feature, naming the feature and the value's bin)
and hands it to the npc estimator; every check that can apply to a text estimator must
pass. The checks listed in ``NOT_APPLICABLE`` test numeric input handling that a text
estimator does not have; each says why.
"""

import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.exceptions import DataConversionWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import get_tags
from sklearn.utils._tags import InputTags
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from npc import NCDClassifier, NCDClassifierCV, NCDTransformer
from npc.baselines import CosineKNNClassifier
from npc.compressor_classifier import CompressorClassifier
from npc.mixture import CodeLengthMixer
from npc.ppm import PPMClassifier
from npc.token_ppm import TokenPPMClassifier
from tests.conftest import read_split


def rows_to_texts(X) -> list[str]:
    """One word per feature: ``f<j>`` and the value's half-unit bin (``n`` marks negatives),
    repeated so that rows in the same bins share long substrings."""
    # The checks' complex, NaN and inf rows (whose checks are expected to fail) turn into
    # texts without numpy's casting warnings (ComplexWarning is a RuntimeWarning).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D array of rows; got shape {X.shape}.")
        bins = np.floor(X * 2).astype(np.int64)
        return [" ".join(f"f{j}{'n' if b < 0 else 'p'}{abs(b)}" * 3 for j, b in enumerate(row)) for row in bins]


def _inner_has(method):
    return lambda self: hasattr(self.estimator, method)


class TextAdapter(ClassifierMixin, BaseEstimator):
    """The npc estimator ``estimator`` on numeric rows turned into texts (see ``rows_to_texts``)."""

    def __init__(self, estimator):
        self.estimator = estimator

    def __sklearn_tags__(self):
        inner = get_tags(self.estimator)
        return replace(inner, input_tags=InputTags())

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(rows_to_texts(X), y)
        self.classes_ = self.estimator_.classes_
        self._width = np.asarray(X).shape[1]
        return self

    def _texts(self, X):
        # The adapter's encoding is defined for rows of the fitted width only.
        check_is_fitted(self)
        width = np.asarray(X).shape[1]
        if width != self._width:
            raise ValueError(f"X has {width} features, but the adapter was fitted with {self._width}.")
        return rows_to_texts(X)

    def predict(self, X):
        texts = self._texts(X)
        return self.estimator_.predict(texts)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        texts = self._texts(X)
        return self.estimator_.predict_proba(texts)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        texts = self._texts(X)
        return self.estimator_.decision_function(texts)


class TransformerTextAdapter(TransformerMixin, BaseEstimator):
    """The npc transformer ``estimator`` on numeric rows turned into texts."""

    def __init__(self, estimator):
        self.estimator = estimator

    def __sklearn_tags__(self):
        return replace(get_tags(self.estimator), input_tags=InputTags())

    def fit(self, X, y=None):
        self.estimator_ = clone(self.estimator).fit(rows_to_texts(X))
        self._width = np.asarray(X).shape[1]
        return self

    def fit_transform(self, X, y=None):
        self.estimator_ = clone(self.estimator)
        self._width = np.asarray(X).shape[1]
        return self.estimator_.fit_transform(rows_to_texts(X))

    def transform(self, X):
        return self.estimator_.transform(TextAdapter._texts(self, X))


ESTIMATORS = [
    NCDClassifier(n_neighbors=3),
    NCDClassifier(n_neighbors=4, tie_break="shrink", weights="distance"),
    NCDClassifier(n_neighbors=2, tie_break="random", random_state=0),
    CompressorClassifier(),
    PPMClassifier(2),
    TokenPPMClassifier(1),
    CodeLengthMixer([PPMClassifier(2), CompressorClassifier()], cv=3),
    CosineKNNClassifier(n_neighbors=3, vectorizer=CountVectorizer()),
    NCDClassifierCV({"n_neighbors": [1, 3], "tie_break": ["nearest", "shrink"]}, cv=3),
]
TRANSFORMERS = [NCDTransformer(n_neighbors=3), NCDTransformer(n_neighbors=2, mode="connectivity")]

# Checks of numeric input handling, which a text estimator does not have.
NOT_APPLICABLE = {
    "check_n_features_in": "texts have no features: n_features_in_ is not defined",
    "check_n_features_in_after_fitting": "texts have no features: n_features_in_ is not defined",
    "check_estimators_nan_inf": "NaN and inf are numeric values; a text estimator never sees them",
    "check_complex_data": "complex numbers are numeric input",
    "check_fit2d_predict1d": "one-dimensional input is what a text estimator takes",
    "check_estimator_sparse_array": "sparse matrices are numeric input",
    "check_estimator_sparse_matrix": "sparse matrices are numeric input",
    "check_estimator_sparse_tag": "sparse matrices are numeric input",
    "check_classifiers_regression_target": "fractional labels are class names in npc (documented: never "
                                           "truncated, never refused as continuous)",
    "check_supervised_y_no_nan": "labels are class names: NaN is refused as missing, but a float label inf is a "
                                 "name like any other",
    "check_estimators_empty_data_messages": "a row with no features becomes an empty text, which npc classifies "
                                            "(documented); zero rows are refused",
}


# What an NCD graph cannot do as scikit-learn's numeric graphs do.
NOT_APPLICABLE_TO_GRAPHS = {
    "check_transformer_general": "NCD(x, x) is not 0 for real compressors: fit_transform(X) puts each training "
                                 "text at distance 0 (as scikit-learn's graph estimators expect of a training "
                                 "graph), while transform(X) gives the NCD of X as new queries",
    "check_transformer_data_not_an_array": "the same fit_transform/transform comparison as check_transformer_general",
}


# NCDClassifierCV's stratified folds refuse continuous and complex labels (as GridSearchCV's
# do), so these checks pass for it.
PASSED_BY_STRATIFIED_FOLDS = {"check_classifiers_regression_target", "check_supervised_y_no_nan",
                              "check_complex_data"}


def expected_failed_checks(adapter):
    if isinstance(adapter, TransformerTextAdapter):
        return {**NOT_APPLICABLE, **NOT_APPLICABLE_TO_GRAPHS}
    if isinstance(adapter.estimator, NCDClassifierCV):
        return {name: reason for name, reason in NOT_APPLICABLE.items() if name not in PASSED_BY_STRATIFIED_FOLDS}
    return NOT_APPLICABLE


@parametrize_with_checks([TextAdapter(estimator) for estimator in ESTIMATORS]
                         + [TransformerTextAdapter(transformer) for transformer in TRANSFORMERS],
                         expected_failed_checks=expected_failed_checks)
# check_supervised_y_no_nan hands y with NaN and inf to NCDClassifierCV's cross-validation
# splitter, whose cast warns before npc refuses the labels.
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_text_input_is_declared(estimator):
    tags = get_tags(estimator)
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.estimator_type == "classifier"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_column_vector_y_is_accepted_with_scikit_learns_warning(estimator):
    texts = ["the cat sat", "a cat ran", "stocks fell", "shares fell"]
    labels = ["pets", "pets", "finance", "finance"]
    small = {"n_neighbors": 1, "param_grid": {"n_neighbors": [1]}, "cv": 2}
    column = clone(estimator).set_params(**{k: v for k, v in small.items() if k in estimator.get_params()})
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column.fit(texts, np.array(labels)[:, None])
    assert column.classes_.tolist() == ["finance", "pets"]


def test_n_jobs_zero_is_refused_with_scikit_learns_message():
    with pytest.raises(ValueError, match="The 'n_jobs' parameter of NCDClassifier must be an int in the range "
                                         r"\(-inf, -1\], an int in the range \[1, inf\) or None. Got 0 instead."):
        NCDClassifier(n_jobs=0).fit(["a", "b"], [0, 1])


@pytest.fixture(scope="module")
def r8_neighbours():
    """300 R8 training texts, 100 test texts and each test text's 4 nearest."""
    texts, labels = read_split("r8", "train")
    test_texts, _ = read_split("r8", "test")
    clf = NCDClassifier(4).fit(texts[:300], labels[:300])
    return clf, test_texts[:100], clf.kneighbors(test_texts[:100])


@pytest.mark.parametrize("k, tie_break", [(2, "nearest"), (4, "shrink"), (2, "random"), (2, "lowest"),
                                          (3, "random")])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_predict_is_the_argmax_of_predict_proba_on_r8(r8_neighbours, k, tie_break, weights):
    fitted, _, (distances, indices) = r8_neighbours
    clf = fitted.set_params(n_neighbors=k, tie_break=tie_break, weights=weights, random_state=0)
    labels, proba = clf.predict_from_neighbors(distances[:, :k], indices[:, :k])
    assert np.array_equal(labels, clf.classes_[np.argmax(proba, axis=1)])


def test_random_tie_break_depends_on_the_query_only(r8_neighbours):
    fitted, queries, _ = r8_neighbours
    clf = NCDClassifier(2, tie_break="random", random_state=5).fit(fitted.corpus_, fitted.classes_[fitted._y])
    batch = clf.predict(queries)
    one_by_one = np.concatenate([clf.predict([query]) for query in queries])
    reverse = clf.predict(queries[::-1])[::-1]
    assert np.array_equal(batch, one_by_one) and np.array_equal(batch, reverse)
