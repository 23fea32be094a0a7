"""Text as citizens write it -> tokens the model can learn from.

Two scikit-learn transformers, so the one ``Pipeline`` that is the model owns
all preprocessing (training, notebooks and the worker share it):

* ``TextNormalizer``: lower-case, placeholders for URLs, e-mails, phone numbers
  and NIK-like digit runs, collapsed elongations ("rusakkk"), split glued
  punctuation, colloquial spellings mapped to formal words.
* ``IndonesianStemmer``: Sastrawi stems (fast, see ``stemmer.py``) and stop
  words removed, keeping the words that carry routing meaning.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from sklearn.base import BaseEstimator, TransformerMixin

from classifier.glossary import glossary_words
from classifier.lexicon import load_lexicon
from classifier.stemmer import FastStemmer, root_words
from core.privacy import mask_identifiers

ELONGATION = re.compile(r"([a-z])\1{2,}")
LETTERS = re.compile(r"[a-z]+")
WORD = re.compile(r"[a-z]+|\d+|<[a-z]+>")

# Sastrawi's stop-word list (126 words) minus words that change a complaint's
# meaning for routing ("tidak diangkut", "belum cair", "lagi mati").
ROUTING_WORDS = frozenset({"tidak", "belum", "nggak", "tanpa", "lagi", "sampai", "dua"})


def stop_words() -> frozenset[str]:
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words()) - ROUTING_WORDS


@lru_cache(maxsize=1)
def routing_lexicon() -> dict[str, str]:
    """The colloquial lexicon minus glossary words: "spt" is a tax return, not
    "seperti"; "sim c" is a licence class, not "sim sih"."""
    keep = glossary_words()
    return {slang: formal for slang, formal in load_lexicon().items() if slang not in keep}


def _collapse(match: re.Match[str]) -> str:
    return _collapse_word(match.group(0))


def collapse_elongations(text: str) -> str:
    """'rusakkk' -> 'rusak', but a glossary acronym such as 'pppk' stays (linear:
    a word-by-word pass only for the texts that have an elongation at all)."""
    return LETTERS.sub(_collapse, text) if ELONGATION.search(text) else text


def _trim_double_end(word: str) -> str:
    """'tolongg' -> 'tolong', but 'saat' and 'maaf' stay: only when it yields a root word."""
    if len(word) > 3 and word[-1] == word[-2] and word not in root_words():
        if word[:-1] in root_words():
            return word[:-1]
    return word


@lru_cache(maxsize=1 << 17)  # the worker's hot path; a complaint has ~30 words
def normal_word(token: str) -> str:
    """One token of ``WORD`` with its elongation collapsed and a doubled end trimmed.

    Word by word, and so cached per word, because both steps only ever change the
    letters of one token: ``collapse_elongations`` rewrites each run of letters
    (a token, or the inside of a placeholder such as ``<nik>``) into a non-empty
    run of letters, so the tokens of the collapsed text are the collapsed tokens
    of the text (``tests/test_classifier_speed.py`` checks the two ways agree)."""
    if token[0] == "<":
        token = "<" + _collapse_word(token[1:-1]) + ">"
    elif token[0].isalpha():
        token = _collapse_word(token)
    return _trim_double_end(token)


def _collapse_word(word: str) -> str:
    return word if word in glossary_words() else ELONGATION.sub(r"\1", word)


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Raw complaint text -> list of normalised word tokens."""

    def __init__(self, use_lexicon: bool = True) -> None:
        self.use_lexicon = use_lexicon

    def fit(self, X: Iterable[str], y: object = None) -> TextNormalizer:  # noqa: N803
        return self

    def __sklearn_tags__(self):  # noqa: ANN204
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless: nothing is learnt from the texts
        return tags

    def transform(self, X: Iterable[str]) -> list[list[str]]:  # noqa: N803
        lexicon = routing_lexicon() if self.use_lexicon else {}
        return [self.normalize(text, lexicon) for text in X]

    @staticmethod
    def normalize(text: str, lexicon: dict[str, str]) -> list[str]:
        words = map(normal_word, WORD.findall(mask_identifiers(str(text)).lower()))
        return [lexicon.get(w, w) for w in words]


class IndonesianStemmer(TransformerMixin, BaseEstimator):
    """Token lists -> space-joined stems without stop words (ready for TF-IDF)."""

    def __init__(self, protected: Collection[str] = ()) -> None:
        self.protected = protected

    def fit(self, X: Iterable[list[str]], y: object = None) -> IndonesianStemmer:  # noqa: N803
        """Stem the training vocabulary once; the table ships with the model, so a
        freshly loaded worker does not pay Sastrawi's cost for words it has seen."""
        self.stemmer_ = FastStemmer(self.protected)
        self.stop_words_ = stop_words()
        vocabulary = {w for words in X for w in words}
        self.stem_table_ = {w: self.stemmer_.stem_word(w) for w in sorted(vocabulary)}
        return self

    def transform(self, X: Iterable[list[str]]) -> list[str]:  # noqa: N803
        table, stem, stops = self.stem_table_, self.stemmer_.stem_word, self.stop_words_
        return [" ".join([table.get(w) or stem(w) for w in words if w not in stops]) for words in X]
