"""One test per tier rule and exception, region resolution, rule files."""

from pathlib import Path

import pytest

from routing_rules.engine import ROUTED, TRIAGE, Router
from routing_rules.resolve import resolve_region
from routing_rules.rules import RULES_DIR, RuleError, load_rules


@pytest.fixture(scope="module")
def router():
    return Router()


def route(router, text, agency, topic, **kw):
    return router.route(text, agency, topic, **kw)


def test_national_body_goes_to_pusat_with_region(router):
    d = route(router, "listrik padam sejak pagi", "pln", "listrik_padam", region_hint="Kota Kupang")
    assert (d.tier, d.status, d.unit_id) == ("pusat", ROUTED, "pusat:ID:pln")
    assert d.regency == "Kota Kupang"


def test_pemda_goes_to_the_regency(router):
    d = route(
        router, "sampah menumpuk di Kab. Sleman", "dinas_lingkungan_hidup", "sampah_tidak_diangkut"
    )
    assert d.tier == "kabupaten_kota"
    assert d.unit_id == "kabupaten_kota:34.04:dinas_lingkungan_hidup"
    assert d.unit_name == "Dinas Lingkungan Hidup Kabupaten Sleman"


def test_sma_goes_to_the_province(router):
    d = route(
        router,
        "pungutan di SMA Negeri 1 Martapura, Kabupaten Banjar",
        "dinas_pendidikan",
        "pungutan_sekolah",
    )
    assert (d.tier, d.unit_id) == ("provinsi", "provinsi:63:dinas_pendidikan")
    assert "tier:sekolah_menengah_provinsi" in " ".join(d.reasons)


def test_school_as_landmark_changes_nothing(router):
    d = route(router, "PKL di depan SMA 3 Kota Bandung", "satpol_pp", "pedagang_kaki_lima")
    assert d.tier == "kabupaten_kota"


def test_jalan_provinsi_and_nasional(router):
    prov = route(router, "jalan provinsi rusak di Kab. Wonosobo", "dinas_pupr", "jalan_rusak")
    assert prov.unit_id == "provinsi:33:dinas_pupr"
    nas = route(router, "jalan nasional berlubang di Kab. Kendal", "dinas_pupr", "jalan_rusak")
    assert (nas.tier, nas.agency) == ("pusat", "dinas_pupr")
    toll = route(router, "tol Cipali rusak di Kabupaten Subang", "dinas_pupr", "jalan_rusak")
    assert toll.tier == "pusat"


def test_vehicle_tax_akdp_and_provincial_hospital(router):
    assert (
        route(
            router, "samsat lama", "bapenda", "pajak_kendaraan", region_hint="Jawa Tengah"
        ).unit_id
        == "provinsi:33:bapenda"
    )
    assert (
        route(
            router, "bus AKDP ugal-ugalan dari Kab. Kudus", "dinas_perhubungan", "angkutan_umum"
        ).tier
        == "provinsi"
    )
    assert (
        route(
            router,
            "antre lama di RSUD Provinsi NTB, Kota Mataram",
            "dinas_kesehatan",
            "pelayanan_puskesmas_rs",
        ).unit_id
        == "provinsi:52:dinas_kesehatan"
    )


def test_dki_jakarta_local_functions_go_to_the_province(router):
    d = route(router, "sampah numpuk di jaktim", "dinas_lingkungan_hidup", "sampah_tidak_diangkut")
    assert d.unit_id == "provinsi:31:dinas_lingkungan_hidup"
    assert d.regency == "Kota Administrasi Jakarta Timur"


def test_unknown_regency_goes_to_triage_not_a_guess(router):
    d = route(
        router, "sampah tidak diangkut seminggu", "dinas_lingkungan_hidup", "sampah_tidak_diangkut"
    )
    assert (d.status, d.unit_id) == (TRIAGE, None)


def test_low_confidence_goes_to_triage(router):
    d = route(router, "jalan rusak di Kab. Banjar", "dinas_pupr", "jalan_rusak", confident=False)
    assert d.status == TRIAGE and d.unit_id == "kabupaten_kota:63.03:dinas_pupr"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("BANJAR jln rusak parah", "63.03"),
        ("KOTA BANJAR lampu mati", "32.79"),
        ("KOTABANJAR lampu mati", "32.79"),
        ("SLEMAN sampah numpuk", "34.04"),
        ("LOMBOK TIMUR air pdam mati", "52.03"),
    ],
)
def test_sms_keyword(text, expected):
    res = resolve_region(text, channel="sms")
    assert (res.regency_code, res.source) == (expected, "sms_keyword")


def test_sms_keyword_needs_uppercase_and_the_sms_channel():
    assert resolve_region("banjar jalan rusak", channel="sms").source is None
    assert resolve_region("SLEMAN jalan rusak", channel="web").regency_code == "34.04"


def test_a_regency_named_with_its_kind_beats_a_bare_name_mentioned_earlier():
    res = resolve_region("Guru SDN 2 Karanganyar Kabupaten Demak belum menerima gaji")
    assert (res.regency_code, res.candidates) == ("33.21", [])  # Demak, not Karanganyar
    # the SMS keyword is a keyword only on the SMS channel; elsewhere a candidate like any other
    web = resolve_region("BANJAR jalan rusak di Kota Blitar", channel="web")
    assert web.regency_code == "35.72"
    sms = resolve_region("BANJAR jalan rusak di Kota Blitar", channel="sms")
    assert sms.regency_code == "63.03"


def test_two_regencies_named_with_their_kind_go_to_triage_with_both():
    res = resolve_region("jalan penghubung Kabupaten Demak dan Kabupaten Kudus rusak parah")
    assert (res.regency_code, sorted(res.candidates)) == (None, ["33.19", "33.21"])
    # where the reporter lives is not a second place of the incident
    home = resolve_region("saya tinggal di Kota Bekasi, jalan rusak di Kabupaten Bekasi")
    assert home.regency_code == "32.16"


def test_ambiguous_name_lists_candidates_and_resolves_by_province():
    ambiguous = resolve_region("banjir di Banjar")
    assert ambiguous.regency_code is None
    assert sorted(ambiguous.candidates) == ["32.79", "63.03"]
    assert resolve_region("banjir di Banjar, Kalsel").regency_code == "63.03"
    assert resolve_region("banjir di Banjar", region_hint="Jawa Barat").regency_code == "32.79"


def test_a_named_district_settles_the_regency_only_when_unique():
    res = resolve_region("Air PDAM mati tiga hari di Kecamatan Kuta Alam")
    assert (res.regency_code, res.source) == ("11.71", "text")  # Kota Banda Aceh
    assert res.reasons == ["wilayah:kecamatan — Kecamatan Kuta Alam di Kota Banda Aceh (Aceh)"]
    assert resolve_region("banjir di distrik abepura").regency_code == "91.71"  # Papua: distrik
    # "Labuhan Haji" (Lombok Timur) and "Labuhanhaji" (Aceh Selatan) are one name
    twice = resolve_region("sekolah rusak di Kec. Labuhan Haji")
    assert (twice.regency_code, sorted(twice.candidates)) == (None, ["11.01", "52.03"])
    # Martapura is in OKU Timur and in Kabupaten Banjar: the province decides ...
    assert resolve_region("jalan rusak di Kecamatan Martapura").regency_code is None
    assert resolve_region("jalan rusak Kecamatan Martapura, Kalsel").regency_code == "63.03"
    # ... and so does the intersection with an ambiguous regency name (Kab./Kota Banjar)
    assert resolve_region("banjir di Banjar, Kecamatan Martapura").regency_code == "63.03"
    # a named regency is never overruled by a district, nor is a word after the cue a place
    named = resolve_region("warga Kecamatan Martapura, Kabupaten Ogan Komering Ulu Timur")
    assert named.regency_code == "16.08"
    assert resolve_region("sampah menumpuk di kecamatan kami").regency_code is None


def test_text_wins_over_device_location():
    res = resolve_region(
        "ibu saya di Kecamatan Sugio, Kabupaten Lamongan belum dapat bansos",
        region_hint="Kota Surabaya",
    )
    assert (res.regency_code, res.source) == ("35.24", "text")
    assert "Kota Surabaya" in res.reasons[0]


def test_region_hint_by_code_and_common_words_are_not_places():
    assert resolve_region("air mati", region_hint="6303").regency_code == "63.03"
    assert resolve_region("jalan berbatu dan malang nasib kami").regency_code is None
    assert resolve_region("jalan di Kota Batu rusak").regency_code == "35.79"


def test_shipped_rule_files_load():
    rules = load_rules()
    assert {r.id for r in rules.exceptions} >= {"sekolah_menengah_provinsi", "dki_jakarta_provinsi"}


def _rules_dir(tmp_path: Path, overrides: str, exceptions: str | None = None) -> Path:
    (tmp_path / "tier_exceptions.yaml").write_text(
        exceptions or (RULES_DIR / "tier_exceptions.yaml").read_text()
    )
    (tmp_path / "regional_overrides.yaml").write_text(overrides)
    return tmp_path


def test_regional_override_changes_agency(tmp_path):
    rules = load_rules(
        _rules_dir(
            tmp_path,
            """
overrides:
  - id: pju_perkim_sleman
    region: Kabupaten Sleman
    topics: [penerangan_jalan_umum]
    agency: dinas_perkim
    note: PJU dikelola Dinas Perkim
""",
        )
    )
    d = Router(rules).route(
        "lampu jalan mati di Kab. Sleman", "dinas_perhubungan", "penerangan_jalan_umum"
    )
    assert d.unit_id == "kabupaten_kota:34.04:dinas_perkim"
    assert any("pju_perkim_sleman" in r for r in d.reasons)
    other = Router(rules).route(
        "lampu jalan mati di Kab. Bantul", "dinas_perhubungan", "penerangan_jalan_umum"
    )
    assert other.agency == "dinas_perhubungan"


def test_regional_override_changes_tier(tmp_path):
    rules = load_rules(
        _rules_dir(
            tmp_path,
            """
overrides:
  - id: pdam_provinsi
    region: "63"
    agencies: [pdam]
    tier: provinsi
""",
        )
    )
    d = Router(rules).route("air pdam mati di Kab. Banjar", "pdam", "air_bersih_mati")
    assert d.unit_id == "provinsi:63:pdam"


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "overrides:\n  - id: x\n    region: Kabupaten Atlantis\n    agency: pdam\n",
            "regional_overrides.yaml:2: unknown region 'Kabupaten Atlantis'",
        ),
        (
            "overrides:\n  - id: x\n    region: Kabupaten Sleman\n    agency: dinas_sihir\n",
            "regional_overrides.yaml:2: unknown agency 'dinas_sihir'",
        ),
        (
            "overrides:\n\n  - id: x\n    region: Kabupaten Sleman\n    topics: [jalan_licin]\n"
            "    agency: pdam\n",
            "regional_overrides.yaml:3: unknown topic ['jalan_licin']",
        ),
        (
            "overrides:\n  - id: x\n    region: Kabupaten Sleman\n    colour: red\n",
            "unknown keys ['colour']",
        ),
        ("overrides: [", "not valid YAML"),
    ],
)
def test_rule_file_errors_name_file_and_line(tmp_path, body, message):
    with pytest.raises(RuleError) as exc:
        load_rules(_rules_dir(tmp_path, body))
    assert message in str(exc.value)


def test_tier_exception_with_bad_pattern_fails(tmp_path):
    bad = "exceptions:\n  - id: broken\n    tier: provinsi\n    text_any: ['(unclosed']\n"
    with pytest.raises(RuleError, match="tier_exceptions.yaml:2: bad pattern"):
        load_rules(_rules_dir(tmp_path, "overrides: []\n", bad))
