"""The fast stemmer gives exactly stock Sastrawi's stems (>= 5,000 distinct words)."""

import json
import re

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from classifier.corpus import SEED_DIR
from classifier.stemmer import AGENCY_TOKENS, FastStemmer, root_words

PREFIXES = ("me", "mem", "men", "meng", "di", "ber", "pe", "pen", "peng", "ter", "ke", "se")
SUFFIXES = ("kan", "an", "i", "nya", "lah")


def stock_stemmer():  # noqa: ANN201
    """Stock Sastrawi, as its factory builds it, with one change that cannot alter a
    stem: its dictionary's word *list* becomes a set of the same words. Stock
    ``ArrayDictionary.contains`` is ``word in self.words`` on a 30,000-word list,
    dozens of times per word (about 80 ms a word here, seven minutes for this
    sample); on a set the same membership answers are immediate."""
    stemmer = StemmerFactory().create_stemmer()
    dictionary = stemmer.delegatedStemmer.get_dictionary()
    dictionary.words = frozenset(dictionary.words)
    return stemmer


def sample_words(n: int = 5200) -> list[str]:
    """Words from the seed corpus, then affixed root words, deterministic."""
    words: set[str] = set()
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words.update(re.findall(r"[a-z]{3,}", json.loads(line)["text"].lower()))
    roots = sorted(root_words())
    i = 0
    while len(words) < n:
        root = roots[(i * 7919) % len(roots)]
        words.add(PREFIXES[i % len(PREFIXES)] + root + SUFFIXES[i % len(SUFFIXES)])
        i += 1
    return sorted(w for w in words if w not in AGENCY_TOKENS)[:n]


def test_fast_stemmer_equals_stock_sastrawi():
    words = sample_words()
    assert len(words) >= 5000
    stemmer = stock_stemmer()
    stock = {w: stemmer.stem(w) for w in words}
    untouched = StemmerFactory().create_stemmer()  # the set changes nothing: spot check
    assert all(untouched.stem(w) == stock[w] for w in words[::90])
    fast = FastStemmer()
    mismatches = {w: (stock[w], fast.stem_word(w)) for w in words if fast.stem_word(w) != stock[w]}
    assert not mismatches, list(mismatches.items())[:20]


def test_protected_tokens_are_not_stemmed():
    fast = FastStemmer(protected=frozenset({"bekasi"}))
    assert fast.stem_word("bekasi") == "bekasi"
    assert FastStemmer().stem_word("bekasi") == "bekas"  # what stock Sastrawi does
    assert fast.stem_word("pdam") == "pdam"


def test_cache_is_bounded():
    fast = FastStemmer(cache_size=100)
    for w in sample_words(300):
        fast.stem_word(w)
    assert fast.stem_word.cache_info().currsize == 100
