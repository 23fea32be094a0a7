"""The programme glossary: a reviewed data file, concept features inside the model."""

from collections import Counter

import pytest

from classifier.concepts import ConceptTagger
from classifier.glossary import glossary, glossary_words
from classifier.text import IndonesianStemmer, TextNormalizer
from core.taxonomy import taxonomy


def test_glossary_is_large_and_names_only_contract_codes():
    concepts = glossary()  # load_glossary checks codes and that no term has two concepts
    terms = [t for c in concepts.values() for t in c.terms]
    assert len(terms) >= 400 and len(set(terms)) == len(terms)
    assert all(note.strip() for c in concepts.values() for note in c.terms.values())
    covered = {c.topic for c in concepts.values() if c.topic}
    assert len(covered) >= 50, sorted(set(taxonomy().topics) - covered)
    assert all(c.agency in taxonomy().agencies for c in concepts.values())


def test_every_era_and_spelling_of_a_programme_finds_one_concept():
    tagger = ConceptTagger().fit()
    stem = TextNormalizer().transform, IndonesianStemmer().fit([]).transform
    texts = ["bantuan siswa miskin belum cair", "BSM tidak cair", "bantu siswa miskin potong"]
    found = [tagger.found(stem[1](stem[0]([t]))[0]) for t in texts]
    assert found[0] == found[1] == found[2] and len(found[0]) == 1


def test_normalisation_keeps_acronyms_and_stemmed_tokens():
    """An acronym is not slang and has no affix: the normaliser and the stemmer must
    leave every glossary word as it is (else 'kip' or 'raskin' could become another word)."""
    words = sorted(w for w in glossary_words() if w.isalpha())
    normal = TextNormalizer().transform([" ".join(words)])
    stemmed = IndonesianStemmer().fit(normal).transform(normal)[0].split()
    changed = [w for w in words if w not in stemmed]
    assert not [w for w in changed if len(w) <= 5 and not any(v in w for v in "aiueo")], changed


PROGRAMMES = {
    # era-spanning families the issue names; each text is only glossary terms
    "raskin rastra bpnt": "dinas_sosial",
    "bsm kip pip": "dinas_pendidikan",
    "jamkesmas jamkesda kis": "bpjs_kesehatan",
    "prona ptsl": "atr_bpn",
    "imb pbg": "dpmptsp",
    "skck sim keliling": "kepolisian",
    "jht jamsostek": "bpjs_ketenagakerjaan",
    "pinjol galbay": "ojk",
    "judol slot": "komdigi",
    "e-ktp ktp-el": "disdukcapil",
}


@pytest.mark.parametrize("text, agency", PROGRAMMES.items())
def test_a_complaint_of_only_glossary_terms_routes_to_its_agency(trained_model, text, agency):
    [p] = trained_model.predict([text])
    assert p.agency == agency, (text, p.agency, p.concepts)
    assert p.concepts, "the explanation lists the concepts that fired"


def test_each_concepts_own_terms_route_to_its_agency(trained_model):
    """Every concept, its terms alone: the model agrees with the glossary for most."""
    concepts = glossary()
    texts = {code: " ".join(list(c.terms)[:3]) for code, c in concepts.items()}
    predictions = trained_model.predict(list(texts.values()))
    right = Counter(p.agency == concepts[code].agency for code, p in zip(texts, predictions))
    assert right[True] / len(texts) >= 0.9, right
