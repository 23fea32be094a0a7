import pytest

from core.taxonomy import TAXONOMY_PATH, taxonomy

from .conftest import SHARED


@pytest.mark.skipif(
    not (SHARED / "spec" / "taxonomy.yaml").exists(),
    reason="shared/spec/taxonomy.yaml is not beside this checkout",
)
def test_packaged_taxonomy_is_the_shared_contract():
    assert TAXONOMY_PATH.read_text() == (SHARED / "spec" / "taxonomy.yaml").read_text()


def test_taxonomy_has_the_contract_codes():
    tax = taxonomy()
    assert len(tax.topics) == 62
    assert len(tax.agencies) == 39
    assert tax.agency_of("listrik_padam") == "pln"
    assert tax.agencies["pln"].is_national
    assert not tax.agencies["dinas_pupr"].is_national
