"""The fast classification path gives exactly what the plain computation gives.

``ComplaintModel.predict`` is tuned for speed (per-word caches, agency sums
without a matrix product, explanations from column slices of the batch's
matrix; README "Classification speed"). Here the same predictions are computed
the slow, obvious way, complaint by complaint, from scikit-learn's stock
``TfidfVectorizer`` and the normaliser's text-level steps, and every field of
every prediction on the seed corpus must be equal. Speed itself is measured by
``lapor bench classify``, never here.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.text import (
    WORD,
    TextNormalizer,
    _trim_double_end,
    collapse_elongations,
    routing_lexicon,
)
from core.privacy import mask_identifiers

# what the seed corpus lacks: elongations, placeholders, identifiers, odd spacing
EXTRA = [
    "",
    "   ",
    "Jalannya rusakkk parahhh tolongg diperbaiki!!! hub 081234567890",
    "NIK 3301234567890001 belum terdaftar <nikkk> <aaab> pppk honorer",
    "BANJAR jalan rusak",
    "saya Budi, rek BRI 1234567890 lihat www.contoh.com/x",
    "spt pajak sim c kip bsm raskin",
    "Ａｂｃ ümlaut İstanbul 12a3",
]


def plain_tokens(text: str) -> list[str]:
    """The normaliser as a text-level sequence of steps (its original form)."""
    text = collapse_elongations(mask_identifiers(text).lower())
    lexicon = routing_lexicon()
    return [lexicon.get(w, w) for w in (_trim_double_end(w) for w in WORD.findall(text))]


def plain_features(model, texts: list[str]) -> sp.csr_matrix:
    """Normalise, stem and vectorise with scikit-learn's own character vectoriser."""
    steps = model.pipeline.named_steps
    stemmed = steps["stem"].transform([plain_tokens(t) for t in texts])
    words, chars, concepts = (t for _, t in steps["features"].transformer_list)
    stock = TfidfVectorizer(
        **{k: v for k, v in chars.get_params().items() if k != "vocabulary"},
        vocabulary=chars.vocabulary_,
    )
    stock.idf_ = chars.idf_
    blocks = [words.transform(stemmed), stock.transform(stemmed), concepts.transform(stemmed)]
    return sp.hstack(blocks).tocsr()


def plain_predictions(model, x: sp.csr_matrix, proba: np.ndarray) -> list[dict]:
    """Each complaint's prediction, computed the obvious way, one at a time."""
    topics = model.classes_
    kinds, names = zip(
        *(
            str(n).split("__", 1)
            for n in model.pipeline.named_steps["features"].get_feature_names_out()
        )
    )
    agency_of = {t: model._agencies[a] for t, a in zip(topics, model._topic_agency)}
    return [
        _plain(model, x[i], proba[i], topics, kinds, names, agency_of) for i in range(x.shape[0])
    ]


def _plain(model, x, proba, topics, kinds, names, agency_of) -> dict:  # noqa: ANN001
    sums = {a: sum(p for t, p in zip(topics, proba) if agency_of[t] == a) for a in model._agencies}
    agency = max(model._agencies, key=lambda a: sums[a])
    topic = max((i for i, t in enumerate(topics) if agency_of[t] == agency), key=lambda i: proba[i])
    top = sorted(range(len(topics)), key=lambda i: -proba[i])[:3]
    weights = model._weights[topic]
    helping = [
        (v * weights[j], j)
        for j, v in zip(x.indices, x.data)
        if kinds[j] == "words" and v * weights[j] > 0
    ]
    helping.sort(key=lambda cj: -cj[0])  # stable: ties keep column order
    confidence = round(float(sums[agency]), 4)
    return {
        "agency": agency,
        "topic": topics[topic],
        "confidence": confidence,
        "topic_confidence": round(float(proba[topic]), 4),
        "top3": [{"topic": topics[i], "score": round(float(proba[i]), 4)} for i in top],
        "terms": [names[j] for _, j in helping[:5]],
        "confident": confidence >= model.threshold,
        "model_version": model.version,
        "concepts": [names[j] for j in x.indices if kinds[j] == "concepts"],
    }


@pytest.fixture(scope="module")
def texts(seed_records) -> list[str]:
    return [r["text"] for r in seed_records] + EXTRA


def test_the_normaliser_gives_the_tokens_of_its_text_level_steps(texts):
    normaliser = TextNormalizer()
    for _ in range(2):  # cold word cache, then warm
        assert normaliser.transform(texts) == [plain_tokens(t) for t in texts]


def test_the_features_equal_scikit_learns_on_the_seed_corpus(trained_model, texts):
    fast = trained_model._features.transform(texts).tocsr()
    plain = plain_features(trained_model, texts)
    assert fast.shape == plain.shape
    assert (fast != plain).nnz == 0


def test_predictions_equal_the_plain_computation_field_by_field(trained_model, texts):
    x = plain_features(trained_model, texts)
    proba = trained_model.pipeline.named_steps["clf"].predict_proba(x)
    fast = [
        p.to_dict()
        for i in range(0, len(texts), 500)
        for p in trained_model.predict(texts[i : i + 500])
    ]
    plain = plain_predictions(trained_model, x, proba)
    assert len(fast) == len(plain)
    mismatched = [i for i, (f, p) in enumerate(zip(fast, plain)) if f != p]
    assert not mismatched, (fast[mismatched[0]], plain[mismatched[0]])
    assert sum(bool(p["terms"]) for p in plain) > len(texts) * 0.9  # explanations compared
    assert sum(bool(p["concepts"]) for p in plain) > 100
