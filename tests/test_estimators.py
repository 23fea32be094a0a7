"""The custom estimators keep scikit-learn's conventions (issue 17).

scikit-learn's own checks run over every custom step of the model's pipeline.
Most of them feed numeric 2-D arrays, which the text steps (normaliser, stemmer,
concept tagger) do not take; those are listed as expected failures with the
reason, and the same properties are checked on text below (fit returns self,
pickling, order and subset invariance, idempotent fit, transform leaves the
fitted state alone). The prior-corrected classifier takes numeric features and
passes every check in its real configuration (calibrated linear SVM).
"""

import pickle

import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.concepts import ConceptTagger
from classifier.features import CachedCharVectorizer
from classifier.prior import PriorCorrectedClassifier
from classifier.text import IndonesianStemmer, TextNormalizer

NUMERIC = "feeds numeric arrays; this step takes texts (checked on text in this file)"
NO_WIDTH = "texts have no feature count (neither has scikit-learn's CountVectorizer)"
VALIDATION = "numeric input validation (NaN, complex, sparse, 1-D); this step takes texts"
# check -> reason, for the checks that feed a text step something other than text
TEXT_STEP_FAILURES = {
    **dict.fromkeys(
        [
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_estimators_dtypes",
            "check_pipeline_consistency",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
            "check_transformers_unfitted_stateless",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_dict_unchanged",
            "check_fit_idempotent",
            "check_fit_check_is_fitted",
            "check_positive_only_tag_during_fit",
        ],
        NUMERIC,
    ),
    **dict.fromkeys(["check_n_features_in", "check_n_features_in_after_fitting"], NO_WIDTH),
    **dict.fromkeys(
        [
            "check_complex_data",
            "check_dtype_object",
            "check_estimators_nan_inf",
            "check_estimators_empty_data_messages",
            "check_estimator_sparse_tag",
            "check_estimator_sparse_array",
            "check_estimator_sparse_matrix",
            "check_fit1d",
            "check_fit2d_predict1d",
        ],
        VALIDATION,
    ),
}


# the checks of that list a step passes even on numbers (they run as real checks)
PASS_ON_NUMBERS = {
    TextNormalizer: {  # stateless: fit ignores its input
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_overwrite_params",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit_check_is_fitted",
        "check_fit_score_takes_y",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
    },
    IndonesianStemmer: {"check_transformers_unfitted_stateless"},
    ConceptTagger: {  # fit reads the glossary, not its input
        "check_dont_overwrite_parameters",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_fit_returns_self",
        "check_estimators_overwrite_params",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit_check_is_fitted",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_transformers_unfitted_stateless",
    },
}


def _expected_failures(estimator) -> dict[str, str]:  # noqa: ANN001
    passes = PASS_ON_NUMBERS.get(type(estimator))
    if passes is None:
        return {}
    return {check: why for check, why in TEXT_STEP_FAILURES.items() if check not in passes}


@parametrize_with_checks(
    [
        TextNormalizer(),
        IndonesianStemmer(),
        ConceptTagger(),
        CachedCharVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        PriorCorrectedClassifier(CalibratedClassifierCV(LinearSVC(), cv=3)),
    ],
    expected_failed_checks=_expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# --- the same properties on text, for the steps that take text -----------------


@pytest.fixture(scope="module")
def inputs(seed_records) -> dict[type, list]:
    """Each text step's own input: raw text, tokens, stemmed text."""
    raw = [r["text"] for r in seed_records[::15]]
    tokens = TextNormalizer().transform(raw)
    stemmed = IndonesianStemmer().fit(tokens).transform(tokens)
    return {
        TextNormalizer: raw,
        IndonesianStemmer: tokens,
        ConceptTagger: stemmed,
        CachedCharVectorizer: stemmed,
    }


TEXT_ESTIMATORS = [
    TextNormalizer(),
    IndonesianStemmer(protected=("bekasi",)),
    ConceptTagger(),
    CachedCharVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
]


def _same(a, b) -> bool:  # noqa: ANN001
    if sp.issparse(a):
        return a.shape == b.shape and (a != b).nnz == 0
    return a == b


def _rows(out, order) -> object:  # noqa: ANN001
    return out[order] if sp.issparse(out) else [out[i] for i in order]


@pytest.mark.parametrize("template", TEXT_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_text_steps_keep_the_conventions_on_text(template, inputs):
    X = inputs[type(template)]  # noqa: N806
    estimator = clone(template)
    assert estimator.fit(X) is estimator
    params = estimator.get_params()
    state = dict(estimator.__dict__)
    out = estimator.transform(X)
    assert estimator.get_params() == params
    assert estimator.__dict__.keys() == state.keys()
    assert all(estimator.__dict__[k] is v for k, v in state.items())  # transform learns nothing

    restored = pickle.loads(pickle.dumps(estimator))
    assert _same(restored.transform(X), out)
    assert _same(clone(template).fit(X).transform(X), out)  # fitting again: the same model

    order = list(range(len(X)))[::-1]
    assert _same(estimator.transform([X[i] for i in order]), _rows(out, order))
    one_by_one = [estimator.transform([x]) for x in X[:40]]
    batch = out[:40]
    if sp.issparse(out):
        assert _same(sp.vstack(one_by_one).tocsr(), batch)
    else:
        assert [o[0] for o in one_by_one] == batch
