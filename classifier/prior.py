"""Class-prior correction for skewed label sets, tuned on training data only.

Real complaint streams are skewed (LaporGub: 4,527 infrastructure complaints
against 21 on tourism); the argmax of calibrated probabilities then starves
the small classes. Dividing by the class prior raised to a power (0 = no
change) trades a little accuracy for recall on small classes; the power is the
one with the best cross-validated macro-F1 on the training split. On a
balanced set (the seed corpus) it is skipped and the model is unchanged.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted, validate_data

from classifier.fastproba import compile_calibrated

SPARSE = ("csr", "csc")


class PriorCorrectedClassifier(ClassifierMixin, BaseEstimator):
    def __init__(
        self,
        estimator: BaseEstimator,
        powers: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        cv: int = 3,
        imbalance: float = 3.0,
    ) -> None:
        self.estimator = estimator
        self.powers = powers
        self.cv = cv
        self.imbalance = imbalance

    def fit(self, X, y):  # noqa: ANN001, ANN201, N803
        X, y = validate_data(self, X, y, accept_sparse=SPARSE)  # noqa: N806
        classes, counts = np.unique(y, return_counts=True)
        self.power_ = 0.0
        if counts.max() / counts.min() >= self.imbalance and counts.min() >= self.cv:
            folds = StratifiedKFold(self.cv, shuffle=True, random_state=0)
            proba = cross_val_predict(clone(self.estimator), X, y, cv=folds, method="predict_proba")
            prior = counts / counts.sum()
            scores = {
                p: f1_score(y, classes[(proba / prior**p).argmax(1)], average="macro")
                for p in self.powers
            }
            self.power_ = max(scores, key=lambda p: (scores[p], -p))
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        self.prior_ = np.array([counts[list(classes).index(c)] for c in self.classes_]) / len(y)
        self._compile()
        return self

    def _compile(self) -> None:
        """The calibrated probabilities as a few matrix operations where the fitted
        estimator allows it (``fastproba.py``, checked against it), else its own."""
        compiled = compile_calibrated(self.estimator_, self.n_features_in_)
        self._fast = compiled or self.estimator_.predict_proba

    def predict_proba(self, X):  # noqa: ANN001, ANN201, N803
        check_is_fitted(self)
        proba = self._fast(validate_data(self, X, accept_sparse=SPARSE, reset=False))
        if self.power_:
            proba = proba / self.prior_**self.power_
            proba = proba / proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X):  # noqa: ANN001, ANN201, N803
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):  # noqa: ANN204
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = get_tags(self.estimator).input_tags.sparse
        return tags

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ gives __dict__ itself
        state.pop("_fast", None)  # compiled again (and checked) after loading
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "estimator_" in state:
            if "n_features_in_" not in state:  # saved before it was set here
                self.n_features_in_ = self.estimator_.n_features_in_
            self._compile()
