"""The routing model: one scikit-learn ``Pipeline`` plus what routing needs around it.

``build_pipeline`` is the model (normaliser, stemmer, TF-IDF, linear classifier);
``lapor train``, ``lapor experiment``, the notebooks and the worker all use it.
``ComplaintModel`` adds the taxonomy-consistent reading of its output: the
agency (the sum of its topics' probabilities), the best topic of that agency,
the top-3 topics, the terms that pushed the decision, and the confidence
threshold, tuned on validation data, below which a complaint goes to triage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifier.concepts import ConceptTagger
from classifier.features import CachedCharVectorizer
from classifier.prior import PriorCorrectedClassifier
from classifier.text import IndonesianStemmer, TextNormalizer
from core.taxonomy import Taxonomy, taxonomy


def build_pipeline(
    protected: frozenset[str] = frozenset(),
    C: float = 1.0,
    calibrate: bool = True,  # noqa: N803
) -> Pipeline:
    """Normalise -> stem -> word 1-2-gram + char 2-5-gram TF-IDF + glossary concepts
    -> linear SVM.

    With ``calibrate`` the SVM is wrapped in sigmoid calibration (3 folds), so
    ``predict_proba`` gives probabilities the triage threshold can trust, and in
    a class-prior correction that only acts on skewed label sets (``prior.py``).
    """
    svm = LinearSVC(C=C, class_weight="balanced", random_state=0)
    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+"),
            ),
            (
                "chars",
                CachedCharVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            ),
            ("concepts", ConceptTagger(protected=protected)),
        ]
    )
    return Pipeline(
        [
            ("normalize", TextNormalizer()),
            ("stem", IndonesianStemmer(protected)),
            ("features", features),
            (
                "clf",
                PriorCorrectedClassifier(CalibratedClassifierCV(svm, cv=3, method="sigmoid"))
                if calibrate
                else svm,
            ),
        ]
    )


def linear_weights(pipeline: Pipeline) -> np.ndarray:
    """Class x feature weights of the final linear step (averaged over calibration folds)."""
    clf = pipeline.named_steps["clf"]
    if isinstance(clf, PriorCorrectedClassifier):
        clf = clf.estimator_
    if isinstance(clf, CalibratedClassifierCV):
        return np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
    return clf.coef_


@dataclass
class Prediction:
    agency: str
    topic: str
    confidence: float  # probability that the agency is right
    topic_confidence: float
    top3: list[dict]
    terms: list[str]
    confident: bool
    model_version: str
    concepts: list[str] = field(default_factory=list)  # glossary concepts found in the text

    def to_dict(self) -> dict:
        return dict(self.__dict__)  # shallow: asdict's deep copy is a hot-path cost


@dataclass
class ComplaintModel:
    pipeline: Pipeline
    version: str
    threshold: float = 0.5
    metrics: dict = field(default_factory=dict)
    trained_on: dict = field(default_factory=dict)
    # the training data's profile for drift monitoring (classifier/profile.py)
    profile: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._prepare()

    def _prepare(self) -> None:
        tax: Taxonomy = taxonomy()
        self.classes_ = [str(c) for c in self.pipeline.classes_]
        agencies = sorted({tax.agency_of(t) for t in self.classes_})
        self._agencies = agencies
        self._topic_agency = np.array([agencies.index(tax.agency_of(t)) for t in self.classes_])
        self._weights = linear_weights(self.pipeline)
        self._features = self.pipeline[:-1]
        names = self._features.named_steps["features"].get_feature_names_out()
        self._names_list = [str(n).split("__", 1)[1] for n in names]
        # the feature union's blocks are contiguous column ranges: explanations read
        # the word block (only whole words explain a decision to a person) and the
        # concept block as column slices of the batch's matrix
        self._words = _block(names, "words__")
        self._concepts_block = _block(names, "concepts__")
        self._word_names = self._names_list[self._words]
        self._concept_names = self._names_list[self._concepts_block]

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"profile": {}, **state})  # saved before profiles existed
        self._prepare()

    def predict(self, texts: list[str], n_terms: int = 5) -> list[Prediction]:
        """One call per batch: the matrix work is vectorised over the batch; only
        the per-complaint records are built in Python (the worker's hot path)."""
        if not texts:
            return []
        X = self._features.transform(texts).tocsr()  # noqa: N806
        proba = self.pipeline.named_steps["clf"].predict_proba(X)
        rows = np.arange(proba.shape[0])
        agency_proba = self._agency_sums(proba)
        agency = agency_proba.argmax(axis=1)
        within = np.where(self._topic_agency[None, :] == agency[:, None], proba, -1.0)
        topic = within.argmax(axis=1)
        top = np.argsort(-proba, axis=1, kind="stable")[:, :3]
        confidence = agency_proba[rows, agency].round(4)
        topic_confidence = proba[rows, topic].round(4)
        top_scores = np.take_along_axis(proba, top, axis=1).round(4)
        classes, agencies = self.classes_, self._agencies
        terms, concepts = self._terms(X, topic, n_terms), self._concepts(X)
        # plain Python values first: indexing numpy arrays per element costs more
        # than the records themselves
        agency, topic, top = agency.tolist(), topic.tolist(), top.tolist()
        confidence, topic_confidence = confidence.tolist(), topic_confidence.tolist()
        top_scores, threshold, version = top_scores.tolist(), self.threshold, self.version
        return [
            Prediction(
                agency=agencies[agency[i]],
                topic=classes[topic[i]],
                confidence=confidence[i],
                topic_confidence=topic_confidence[i],
                top3=[
                    {"topic": classes[j], "score": score} for j, score in zip(top[i], top_scores[i])
                ],
                terms=terms[i],
                confident=confidence[i] >= threshold,
                model_version=version,
                concepts=concepts[i],
            )
            for i in range(len(agency))
        ]

    def _agency_sums(self, proba: np.ndarray) -> np.ndarray:
        """Each agency's probability: the sum of its topics', added in class order.
        Column by column, not as a product with a 0/1 topic x agency matrix: BLAS
        starts its threads for that tiny product, which cost more than the rest of
        the arithmetic on a busy machine (and its summation order is its own)."""
        sums = np.zeros((len(self._agencies), proba.shape[0]))
        for t, a in enumerate(self._topic_agency.tolist()):
            sums[a] += proba[:, t]
        return sums.T

    def _concepts(self, X: sp.csr_matrix) -> list[list[str]]:  # noqa: N803
        """Per row, the glossary concepts that fired (one column slice per batch)."""
        found = X[:, self._concepts_block]
        bounds = found.indptr.tolist()
        return _names_in(zip(bounds, bounds[1:]), found.indices.tolist(), self._concept_names)

    def _terms(self, X: sp.csr_matrix, topic: np.ndarray, n: int) -> list[list[str]]:  # noqa: N803
        """Per row, the whole words of the text that pushed hardest toward its chosen
        topic: the word block's values times their topic's weights in one vectorised
        pass, then one sort of the whole batch by (row, contribution)."""
        words = X[:, self._words]  # a column slice: rows keep their column order
        row = np.repeat(np.arange(X.shape[0]), np.diff(words.indptr))
        column = words.indices
        contrib = words.data * self._weights[topic[row], column + self._words.start]
        helps = contrib > 0
        row, column, contrib = row[helps], column[helps], contrib[helps]
        order = np.lexsort((-contrib, row))
        starts = np.searchsorted(row[order], np.arange(X.shape[0] + 1)).tolist()
        spans = [(start, min(start + n, end)) for start, end in zip(starts, starts[1:])]
        return _names_in(spans, column[order].tolist(), self._word_names)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(self, tmp)
        tmp.replace(path)


def _names_in(
    spans: Iterable[tuple[int, int]], columns: list[int], names: list[str]
) -> list[list[str]]:
    """Per row, the names of the columns in its span of ``columns``."""
    return [[names[j] for j in columns[start:end]] for start, end in spans]


def _block(names: np.ndarray, prefix: str) -> slice:
    """The columns of one transformer of the feature union (contiguous, in order)."""
    columns = np.flatnonzero([str(n).startswith(prefix) for n in names])
    if not len(columns) or columns[-1] - columns[0] + 1 != len(columns):
        raise ValueError(f"the features have no contiguous {prefix} block")
    return slice(int(columns[0]), int(columns[-1]) + 1)


def load_model(path: Path) -> ComplaintModel:
    model = joblib.load(path)
    if not isinstance(model, ComplaintModel):
        raise TypeError(f"{path} does not hold a ComplaintModel")
    return model
