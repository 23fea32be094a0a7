"""Identifiers in complaint text are masked (issue 15, items 2 and 4): every row
of the format table, the formats that once slipped through, property tests over
generated identifiers and ordinary text, and the region hint on every way out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.identifiers import FORMATS, PLACEHOLDERS, STEPS
from core.privacy import mask_identifiers

FAMILIES = {"url", "email", "name", "account", "nik", "phone", "plate"}
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the table ---------------------------------------------------------------


def test_the_table_holds_at_least_40_formats_of_every_family():
    assert len(FORMATS) >= 40
    assert {f.kind for f in FORMATS} == FAMILIES == set(PLACEHOLDERS)
    assert {f.step for f in FORMATS} <= set(STEPS)
    assert len({f.name for f in FORMATS}) == len(FORMATS), "row names are unique"
    assert sum(f.kind == "phone" for f in FORMATS) >= 20


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_every_row_masks_its_example(fmt):
    own = re.search(fmt.pattern, fmt.example)
    assert own is not None, "the row's own pattern finds its identifier"
    assert mask_identifiers(fmt.example) == fmt.masked
    assert mask_identifiers(fmt.example, shortcuts=False) == fmt.masked
    assert PLACEHOLDERS[fmt.kind] in fmt.masked
    assert mask_identifiers(fmt.masked) == fmt.masked, "masking twice changes nothing"


@pytest.mark.parametrize(
    "text, secret",
    [
        ("hubungi +62 813 4444 5555 ya", "4444 5555"),
        ("hubungi +62 812-3456-7890 ya", "3456-7890"),
        ("hubungi (0812) 3456 7890 ya", "3456 7890"),
        ("kantor 021-5551234 tidak diangkat", "5551234"),
        ("NIK saya 3303 1234 1234 0005 ditolak", "1234 0005"),
        ("nama saya Siti Rahasiawati, KTP belum jadi", "Rahasiawati"),
        ("a." * 50 + "budi@mail.id", "budi@mail.id"),
    ],
)
def test_the_formats_found_unmasked_by_the_review_are_masked(text, secret):
    assert secret not in mask_identifiers(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rp 1.500.000 per siswa, Rp 15.000.000.000 anggarannya",
        "buka jam 08.00-16.00 WIB, tutup 09.00 - 15.00",
        "tanggal 08-12-2024 dan 02-01-2025, surat no. 045/123/DISDIK/2024",
        "RT 03 RW 05 Kel. Sukamaju, Kec. Cilacap Tengah",
        "pendaftaran P3K dan PPPK tahap 2, SMA N 1 BAU dan SD N 2 AIR",
        "nama saya tidak ada di DTKS, nama saya ada di RDKK",
        "nama sy gk muncul di pengumuman",
        "sertifikat atas nama saya, sehingga anak-anak tidak bisa bayar",
        "penipuan atas nama Bea Cukai dan atas nama Dinas Sosial",
        "Tahun ini UKT di kampus saya, Universitas Jenderal Soedirman, naik",
        "saya PNS di Kabupaten Demak, saya Warga Desa Sukamaju",
        "Saya Ibu Rumah Tangga di Kota Bandung",
        "jalan rusak sepanjang 300 meter di km 12 arah Wonosobo",
    ],
)
def test_ordinary_text_that_looks_close_is_unchanged(text):
    assert mask_identifiers(text) == text


def test_masking_shortcuts_change_nothing_on_the_seed_corpus(seed_records):
    texts = [r["text"] for r in seed_records]
    assert [mask_identifiers(t) for t in texts] == [
        mask_identifiers(t, shortcuts=False) for t in texts
    ]


# --- property tests ----------------------------------------------------------

DIGIT = "0123456789"
SEPARATORS = [" ", "-", ".", " - ", "\u00a0", "\u2013", ". "]
WORDS = (
    "jalan rusak berlubang air pdam mati sejak minggu lalu sampah tidak diangkut warga "
    "mengeluh lampu padam sekolah pungutan biaya bantuan belum cair mohon segera "
    "ditindaklanjuti saya kami anak ibu bapak petugas kantor desa kecamatan pelayanan "
    "lambat antrean panjang dengan tolong dicek terima kasih banjir parkir liar"
).split()
ACRONYMS = ["PDAM", "BPJS", "KTP", "PLN", "SD", "SMP", "RSUD", "RT", "RW", "DTKS"]
PROVINCES = ["11", "12", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53"]
PROVINCES += ["61", "64", "65", "71", "73", "76", "81", "82", "91", "94", "96"]
AREAS = ["21", "22", "24", "31", "61", "274", "341", "361", "411", "511", "711", "751", "911"]
PLATE_REGIONS = ["B", "D", "F", "H", "L", "N", "AB", "AD", "BK", "DK", "KB", "KT", "PA"]
NAMES = ["Siti", "Budi", "Rahasiawati", "Aminah", "Joko", "Dewi", "Lestari", "Agus"]
NAMES += ["Wahyuni", "Hendra", "Gunawan", "Rina", "Nurhayati", "Made", "Ketut", "Yohanes"]


def digit_string(n: int):
    return st.text(DIGIT, min_size=n, max_size=n)


@st.composite
def grouped(draw, digits: str, separators=SEPARATORS, low: int = 2, high: int = 4) -> str:
    """The digits in groups of low..high, any separator between two groups."""
    out, i = [], 0
    while i < len(digits):
        size = draw(st.integers(low, high))
        out.append(digits[i : i + size])
        i += size
    joined = out[0]
    for group in out[1:]:
        joined += draw(st.sampled_from(separators)) + group
    return joined


@st.composite
def mobile(draw) -> str:
    operator = "8" + draw(st.sampled_from("123456789")) + draw(st.sampled_from(DIGIT))
    rest = draw(grouped(draw(digit_string(draw(st.integers(6, 9))))))
    sep = draw(st.sampled_from(["", *SEPARATORS]))
    style = draw(st.sampled_from(["0", "(0)", "+62", "62", "+62 0", "(+62)", "0062", "+62 ()"]))
    if style == "0":
        return f"0{operator}{sep}{rest}"
    if style == "(0)":
        return f"(0{operator}) {rest}"
    if style == "+62 ()":
        return f"+62 ({operator}) {rest}"
    between = draw(st.sampled_from(["", " ", "-"])) if style != "+62 0" else " "
    return f"{style}{between}{operator}{sep}{rest}"


@st.composite
def landline(draw) -> str:
    area = draw(st.sampled_from(AREAS))
    plain = [" ", "-", ".", " - ", "\u00a0"]
    subscriber = draw(grouped(draw(digit_string(draw(st.integers(5, 8)))), plain, 3, 4))
    style = draw(st.sampled_from(["0", "(0)", "+62", "+62 ()"]))
    sep = draw(st.sampled_from(plain))
    if style == "0":
        return f"0{area}{draw(st.sampled_from(['', *plain]))}{subscriber}"
    if style == "(0)":
        return f"(0{area}) {subscriber}"
    if style == "+62 ()":
        return f"+62 ({area}) {subscriber}"
    return f"+62{sep}{area}{sep}{subscriber}"


@st.composite
def nik(draw) -> str:
    digits = draw(st.sampled_from(PROVINCES)) + draw(digit_string(14))
    plain = [" ", "-", ".", "\u00a0", " - "]
    layout = draw(st.sampled_from(["plain", "4444", "664", "22264", "cue"]))
    if layout == "plain":
        return digits
    if layout == "cue":
        cue = draw(st.sampled_from(["NIK ", "NIK: ", "No. KTP ", "KK ", "no kk: "]))
        return cue + draw(grouped(digits, plain, 2, 6))
    sizes = {"4444": [4, 4, 4, 4], "664": [6, 6, 4], "22264": [2, 2, 2, 6, 4]}[layout]
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i : i + size])
        i += size
    out = parts[0]
    for part in parts[1:]:
        out += draw(st.sampled_from(plain)) + part
    return out


@st.composite
def account(draw) -> str:
    cue = draw(st.sampled_from(["rek ", "rek. ", "no rek ", "no. rek. ", "rekening ", "norek "]))
    bank = draw(st.sampled_from(["", "BRI ", "BNI ", "BCA ", "Mandiri ", "BSI ", "Bank Jateng "]))
    colon = draw(st.sampled_from(["", ": "]))
    number = draw(grouped(draw(digit_string(draw(st.integers(6, 16)))), [" ", "-", "."], 2, 5))
    return f"{cue}{bank.strip()}{' ' if bank and not colon else ''}{colon}{number}"


@st.composite
def email(draw) -> str:
    alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
    local = draw(st.text(alnum, min_size=1, max_size=1))
    local += draw(st.text(alnum + "._+-", max_size=20))
    label = st.text(alnum + "-", min_size=1, max_size=12)
    labels = draw(st.lists(label, min_size=1, max_size=3))
    tld = draw(st.sampled_from(["com", "id", "co.id", "go.id", "net", "org", "ac.id"]))
    address = f"{local}@{'.'.join(labels)}.{tld}"
    return address.upper() if draw(st.booleans()) else address


@st.composite
def plate(draw) -> str:
    region = draw(st.sampled_from(PLATE_REGIONS))
    number = draw(st.integers(1, 9999))
    suffix = draw(st.text("ABCDEFGHJKLMNPRSTUVWXYZ", min_size=1, max_size=3))
    sep = draw(st.sampled_from([" ", "-"]))
    if draw(st.booleans()) and number >= 10:
        return f"{region}{number}{suffix}"
    return f"{region}{sep}{number}{sep}{suffix}"


@st.composite
def self_introduction(draw) -> tuple[str, list[str]]:
    cue = draw(
        st.sampled_from(
            ["nama saya ", "Nama saya: ", "saya bernama ", "Perkenalkan, nama saya "]
            + ["atas nama ", "a.n. ", "Saya ", "Selamat pagi, dengan saya, ", "Pelapor: "]
        )
    )
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
    if cue in ("a.n. ", "Pelapor: ") and draw(st.booleans()):
        names = [n.upper() for n in names]
    return cue + " ".join(names), names


@st.composite
def ordinary(draw, min_words: int = 0) -> str:
    """Complaint-like text without identifiers: words, acronyms, place names, amounts,
    short numbers, years, times and dates (never two numbers side by side)."""
    number = st.one_of(
        st.integers(1, 999).map(str),
        st.integers(1990, 2030).map(str),
        st.integers(1, 99_999_999).map(lambda n: f"Rp {n:,}".replace(",", ".")),
        st.integers(6, 20).map(lambda h: f"{h:02d}.00"),
        st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2020, 2026)).map(
            lambda d: f"{d[0]:02d}-{d[1]:02d}-{d[2]}"
        ),
    )
    token = st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS),
        st.sampled_from(ACRONYMS),
        st.sampled_from(["di Kabupaten Sleman", "Kota Bandung", "Kab. Demak"]),
        number,
    )
    tokens = draw(st.lists(token, min_size=min_words, max_size=40))
    out: list[str] = []
    for tok in tokens:
        if out and tok[0].isdigit() and out[-1][-1].isdigit():
            out.append(draw(st.sampled_from(WORDS)))
        out.append(tok)
    text = " ".join(out)
    return text[:1].upper() + text[1:]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _embed(draw, identifier: str) -> str:
    before = draw(st.text("abcdefghijklmnopqrstuvwxyz ", max_size=30)).strip()
    after = draw(st.text("abcdefghijklmnopqrstuvwxyz ", max_size=30)).strip()
    left, right = draw(st.sampled_from([(" ", " "), (" (", ") "), (": ", ". "), ("\n", ",")]))
    return f"{before}{left}{identifier}{right}{after}"


@PROPERTY
@given(st.data(), st.one_of(mobile(), landline(), nik(), account()))
def test_generated_numbers_never_survive_masking(data, number):
    text = _embed(data.draw, number)
    masked = mask_identifiers(text)
    assert _digits(masked) == "", (text, masked)
    assert mask_identifiers(masked) == masked


@PROPERTY
@given(st.data(), email())
def test_generated_emails_never_survive_masking(data, address):
    masked = mask_identifiers(_embed(data.draw, address))
    assert "@" not in masked and "<email>" in masked


@PROPERTY
@given(st.data(), plate())
def test_generated_plates_never_survive_masking(data, number):
    masked = mask_identifiers(_embed(data.draw, number))
    assert number not in masked and "<plat>" in masked


@PROPERTY
@given(self_introduction(), ordinary())
def test_self_introduced_names_never_survive_masking(intro, rest):
    text, names = intro
    words = rest.split()
    tail = " ".join(w for w in words if w[:1].islower())  # the name ends before it
    masked = mask_identifiers(f"Yth. admin. {text} {tail}".strip())
    assert "<nama>" in masked
    for name in names:
        assert name not in masked.split(), masked


@PROPERTY
@given(ordinary(min_words=1))
@example("Saya Rp 1")  # once masked as a name
def test_ordinary_complaint_text_is_unchanged(text):
    assert mask_identifiers(text) == text


@PROPERTY
@given(
    st.lists(
        st.one_of(ordinary(), mobile(), landline(), nik(), account(), email(), plate()),
        max_size=6,
    )
)
def test_masking_is_idempotent_and_its_shortcuts_change_nothing(parts):
    text = " ".join(parts)
    masked = mask_identifiers(text)
    assert masked == mask_identifiers(text, shortcuts=False)
    assert mask_identifiers(masked) == masked


@PROPERTY
@given(st.text("0123456789 .-+@:/()[]wWhtps.abnmkyr_\nSsayaNnmBRIrekAaNPlat", max_size=60))
def test_shortcuts_change_nothing_on_arbitrary_text(text):
    assert mask_identifiers(text) == mask_identifiers(text, shortcuts=False)


# --- the region hint, wherever the text leaves masked --------------------------

HINT = "nama saya Siti Rahasiawati, hp 0812-3456-7890, Kab. Sleman"


def test_case_store_masks_the_region_hint():
    from casestore.store import case_from_routed

    case = case_from_routed(_routed_event(region_hint=HINT))
    assert "3456" not in case["region_hint"] and "Rahasiawati" not in case["region_hint"]
    assert "Kab. Sleman" in case["region_hint"]
    assert case_from_routed(_routed_event(region_hint=None))["region_hint"] is None


def test_routed_events_mask_the_region_hint():
    from core.events import ComplaintSubmitted, routed_event

    complaint = ComplaintSubmitted(
        complaint_id="SEC-HINT", text="air mati, wa 0812 3456 7890", region_hint=HINT
    )
    event = json.loads(routed_event(complaint, {}, {}))
    assert "3456" not in json.dumps(event) and "Rahasiawati" not in json.dumps(event)
    assert event["complaint"]["region_hint"].endswith("Kab. Sleman")


def _routed_event(region_hint: str | None) -> dict:
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    return {
        "complaint": {
            "complaint_id": "SEC-1",
            "text": "air mati",
            "channel": "web",
            "privacy": "public",
            "region_hint": region_hint,
            "submitted_at": now,
        },
        "prediction": {"agency": "pdam", "topic": "air_bersih_mati"},
        "decision": {
            "status": "routed",
            "reasons": [],
            "agency": "pdam",
            "topic": "air_bersih_mati",
            "tier": "kabupaten_kota",
            "unit_id": "kabupaten_kota:63.03:pdam",
            "province_code": "63",
            "regency_code": "63.03",
        },
        "routed_at": now,
    }


def test_bench_mask_reports_ratio_and_growth_per_size():
    """The linearity proof is ``lapor bench mask`` (figures, not a timed test): it runs."""
    from lapor.bench import ADVERSARIAL, bench_mask

    result = bench_mask(repeat=1, steps=2, legacy=False)
    assert result["limit_chars"] == 20_000
    assert [row["chars"] for row in result["sizes"]] == [10_000, 20_000]
    assert {"ordinary_ms", "worst_adversarial_ms", "ratio", "worst_input"} <= set(
        result["sizes"][0]
    )
    assert len(result["per_input"]) == len(ADVERSARIAL) >= 20
    assert result["ratio_spread"] > 0 and result["max_growth"] > 0


@pytest.mark.integration
def test_the_override_event_carries_masked_text_even_for_an_old_case(stack_settings):
    """A case stored before the masker knew "(0812) 3456 7890" still holds it; the
    override event that units' systems read masks it on the way out."""
    from kafka import KafkaConsumer

    from casestore.store import CaseStore, connect
    from casestore.users import UserStore
    from lapor import stack
    from tests.integration.test_security import login, make_client

    endpoints = stack.endpoints(stack_settings)
    db = connect(endpoints.mongodb_uri, stack_settings.mongodb_db)
    UserStore(db).create("sec-mask-admin", "sandi-admin-mask-1", "national_admin")
    from casestore.store import case_from_routed
    from streams.validate import validate_routed
    from tests.security.test_routed_events import encode, routed

    legacy = case_from_routed(validate_routed(encode(routed("SEC-OLD-CASE"))))
    legacy.update(_id="SEC-OLD-CASE", text="hubungi (0812) 3456 7890, nama saya Siti Aminah")
    CaseStore(db).cases.insert_one(legacy)

    with make_client(stack_settings) as client:
        assert login(client, "sec-mask-admin", "sandi-admin-mask-1").status_code == 303
        page = client.get("/admin/cases/SEC-OLD-CASE").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post(
            "/admin/cases/SEC-OLD-CASE/override",
            data={
                "agency": "pdam",
                "topic": "air_bersih_mati",
                "tier": "kabupaten_kota",
                "region": "Kabupaten Banjar",
                "reason": "wilayah keliru",
                "csrf_token": token,
            },
        )
    assert answer.status_code == 303 and "error" not in answer.headers["location"]
    consumer = KafkaConsumer(
        stack_settings.topic_overridden,
        bootstrap_servers=endpoints.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=None,
    )
    events = [json.loads(m.value) for m in consumer if m.key == b"SEC-OLD-CASE"]
    consumer.close()
    assert events, "no override event"
    assert "3456" not in events[-1]["text"] and "Aminah" not in events[-1]["text"]
    assert "<telepon>" in events[-1]["text"] and "<nama>" in events[-1]["text"]
