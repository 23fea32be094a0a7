"""The cached character n-gram vectoriser gives exactly scikit-learn's matrices."""

import pickle

from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features import CachedCharVectorizer
from classifier.text import IndonesianStemmer, TextNormalizer

PARAMS = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2}


def _prepared(records):
    tokens = TextNormalizer().transform([r["text"] for r in records])
    return IndonesianStemmer().fit(tokens).transform(tokens)


def test_same_features_as_tfidf_vectorizer_on_seen_and_unseen_words(seed_records):
    docs = _prepared(seed_records)
    train, test = docs[:2000], docs[2000:] + ["kata_baru zzzq  spasi   ganda", ""]
    stock = TfidfVectorizer(**PARAMS).fit(train)
    cached = CachedCharVectorizer(**PARAMS).fit(train)
    assert cached.vocabulary_ == stock.vocabulary_
    for _ in range(2):  # cold cache, then warm cache
        got, want = cached.transform(test), stock.transform(test)
        assert got.shape == want.shape
        assert abs(got - want).max() < 1e-12
        assert (got != want).nnz == 0


def test_the_word_cache_is_not_pickled(seed_records):
    docs = _prepared(seed_records[:300])
    cached = CachedCharVectorizer(**PARAMS).fit(docs)
    cached.transform(docs)
    assert cached.__dict__["_word_cache"]
    restored = pickle.loads(pickle.dumps(cached))
    assert not restored.__dict__.get("_word_cache")  # empty after loading
    assert cached.__dict__["_word_cache"]  # pickling leaves the live one alone
    assert (restored.transform(docs) != cached.transform(docs)).nnz == 0
