"""Knowledge of Indonesian public programmes as features: the glossary tagger.

Citizens name programmes, cards, documents and institutions by names that change
with every government (raskin -> rastra -> BPNT -> sembako; BSM -> KIP -> PIP).
A model trained on today's wording has never seen 2013's. ``data/glossary.yaml``
(reviewed) maps each such term to a *concept* (a programme family) and the
concept to its taxonomy topic or agency. ``ConceptTagger`` turns the terms
found in a complaint into one binary feature per concept, beside the word and
character features: the model learns from training text how much a concept
says (``kip`` and ``pip`` there teach it what ``bsm`` means here). It is a
feature, never a rule that bypasses the model; explanations list the concepts
that fired.

Terms are matched on the pipeline's own stemmed tokens (each term is normalised
and stemmed the same way at fit time), so "bantuan siswa miskin", "bantu siswa
miskin" (archives store stemmed text) and "BSM" all find their concept.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.glossary import glossary, load_glossary
from classifier.stemmer import FastStemmer
from classifier.text import TextNormalizer, routing_lexicon, stop_words


@lru_cache(maxsize=4)
def _stemmer(protected: frozenset[str]) -> FastStemmer:
    """One stemmer per protected set, its word cache shared by every fit."""
    return FastStemmer(protected)


def term_keys(term: str, stemmer: FastStemmer, stops: frozenset[str]) -> tuple[str, ...]:
    """A term as the pipeline's stem step leaves it (normalised, stemmed, no stop words)."""
    words = TextNormalizer.normalize(term, routing_lexicon())
    return tuple(stemmer.stem_word(w) for w in words if w not in stops)


class ConceptTagger(TransformerMixin, BaseEstimator):
    """Stemmed text -> one binary column per glossary concept found in it.

    ``weight`` scales the columns against the L2-normalised TF-IDF views: 0.15
    was best on the seed corpus's validation split (0.05-1.0 measured, README);
    heavier, the concept outvotes the words around it and validation loses.
    ``protected`` is the stem step's own protected set, so terms are stemmed
    exactly as the text they are matched against."""

    def __init__(
        self,
        weight: float = 0.15,
        protected: Collection[str] = (),
        path: Path | None = None,
    ) -> None:
        self.weight = weight
        self.protected = protected
        self.path = path

    def fit(self, X: Iterable[str] = (), y: object = None) -> ConceptTagger:  # noqa: N803
        concepts = load_glossary(self.path) if self.path else glossary()
        stemmer, stops = _stemmer(frozenset(self.protected)), stop_words()
        self.concepts_ = sorted(concepts)
        column = {c: i for i, c in enumerate(self.concepts_)}
        self.index_: dict[tuple[str, ...], int] = {}
        for code in self.concepts_:
            for term in concepts[code].terms:
                key = term_keys(term, stemmer, stops)
                if key:
                    self.index_.setdefault(key, column[code])
        self.max_words_ = max((len(k) for k in self.index_), default=1)
        self.starts_ = frozenset(k[0] for k in self.index_)
        return self

    def found(self, text: str) -> list[int]:
        """Columns of the concepts whose terms occur in one stemmed text (longest match)."""
        tokens, index, longest, starts = text.split(), self.index_, self.max_words_, self.starts_
        hits, i = set(), 0
        while i < len(tokens):
            if tokens[i] not in starts:
                i += 1
                continue
            for n in range(min(longest, len(tokens) - i), 0, -1):
                column = index.get(tuple(tokens[i : i + n]))
                if column is not None:
                    hits.add(column)
                    i += n
                    break
            else:
                i += 1
        return sorted(hits)

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:  # noqa: N803
        rows, cols = [], []
        n = 0
        for n, text in enumerate(X, 1):
            found = self.found(text)
            rows.extend([n - 1] * len(found))
            cols.extend(found)
        data = np.full(len(cols), self.weight, dtype=np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(n, len(self.concepts_)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(self.concepts_, dtype=object)
