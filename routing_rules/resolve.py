"""Where did this happen? Resolve a complaint's province and regency.

Order (the first that knows wins, and the reasons say which one it was):
1. channel metadata (``region_hint``: an official name, a code, or free text);
2. the SMS 1708 keyword (``BANJAR jalan rusak ...``: the first word(s));
3. place names in the complaint text;
4. a district named in the text ("Kecamatan Martapura", "Distrik Abepura"),
   when nothing above settled the regency: it settles it if only one regency
   (in the known province, or among the ambiguous candidates) has that district.
A regency named with its kind ("Kabupaten Demak") beats a bare name mentioned
earlier ("SDN 2 Karanganyar"); two different regencies named with their kind
go to triage with both. A device location in ``region_hint`` is where the reporter is; when the text
explicitly places the incident in another regency ("Kabupaten Lamongan",
"di Wonosobo"), the text wins. A name that fits several regencies is resolved
by the province when one is known, else it stays ambiguous and the candidates
travel with the case to the triage queue. Nothing here guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import Sastrawi

from routing_rules.regions import (
    TOKEN,
    RegionIndex,
    district_index,
    normalise_code,
    region_index,
    tokens,
)

KABUPATEN_CUES = frozenset({"kabupaten", "kab", "kabupatén"})
KOTA_CUES = frozenset({"kota", "kot", "kodya"})
# A name right after these is a district, village or street, not the regency.
NOT_REGENCY_CUES = frozenset(
    {"kecamatan", "kec", "desa", "kelurahan", "kel", "dusun", "dsn", "jalan", "jl", "jln"}
    | {"gang", "gg", "kampung", "kp", "perumahan", "perum", "pasar", "terminal", "stasiun"}
)
DISTRICT_CUES = frozenset({"kecamatan", "kec", "distrik"})
MAX_DISTRICT_TOKENS = 4
LOCATIVE_CUES = frozenset({"di", "warga", "daerah", "wilayah", "kawasan", "sekitar"})
# "saya tinggal di Kota Bekasi, jalan rusak di Kabupaten Bekasi": where the
# reporter lives is named after these; the incident's place wins over it.
RESIDENCE_CUES = frozenset({"tinggal", "domisili", "berdomisili", "asal", "rumah", "alamat"})
# SMS 1708: a bare keyword that names both a regency and a city means the
# regency; the city is written with KOTA in front ("KOTABANJAR" / "KOTA BANJAR").
SMS_BARE_KEYWORD_KIND = "kabupaten"


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Sastrawi's root words: a lower-case 'batu' or 'malang' is a word, not a place."""
    path = Path(Sastrawi.__file__).parent / "Stemmer" / "data" / "kata-dasar.txt"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").split("\n") if w.strip())


@dataclass(frozen=True)
class Mention:
    kind: str  # "regency" | "province"
    codes: tuple[str, ...]
    explicit: bool  # named with Kabupaten/Kota or a locative ("di", "warga")
    position: int
    surface: str
    residence: bool = False  # where the reporter lives, not necessarily the incident
    named_kind: bool = False  # written with its kind: "Kabupaten Demak", "Kota Blitar"


@dataclass
class RegionResolution:
    province_code: str | None = None
    regency_code: str | None = None
    source: str | None = None  # region_hint | sms_keyword | text
    candidates: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def scan(text: str, index: RegionIndex | None = None) -> list[Mention]:
    """All region names in ``text``, longest match first, left to right."""
    index = index or region_index()
    raw = TOKEN.findall(text)
    low = [t.lower() for t in raw]
    found: list[Mention] = []
    i = 0
    while i < len(low):
        if low[i] not in index.name_starts:
            i += 1
            continue
        prev = low[i - 1] if i else ""
        step = 1
        for size in range(min(index.max_name_tokens, len(low) - i), 0, -1):
            key = " ".join(low[i : i + size])
            key = index.compact_names.get(key.replace(" ", ""), key)
            mention = None
            if key in index.regency_names and prev not in NOT_REGENCY_CUES:
                mention = _regency_mention(index, key, raw[i], prev, i)
            elif key in index.province_names and prev not in NOT_REGENCY_CUES:
                code = index.province_names[key]
                mention = Mention("province", (code,), prev in LOCATIVE_CUES, i, key)
            if mention is not None:
                if mention.kind == "regency" and RESIDENCE_CUES & set(low[max(0, i - 4) : i]):
                    mention = replace(mention, residence=True)
                found.append(mention)
                step = size
                break
        i += step
    return found


def district_mentions(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """("Kecamatan Kuta Alam", regency codes) of each district named right after a
    cue, left to right."""
    low = tokens(text)
    if not DISTRICT_CUES.intersection(low):
        return []
    districts = district_index()
    found = []
    for i, token in enumerate(low):
        if token not in DISTRICT_CUES:
            continue
        for size in range(min(MAX_DISTRICT_TOKENS, len(low) - i - 1), 0, -1):
            words = low[i + 1 : i + 1 + size]
            codes = districts.get("".join(words))
            if codes:
                cue = "Distrik" if token == "distrik" else "Kecamatan"
                found.append((f"{cue} {' '.join(words).title()}", codes))
                break
    return found


def _by_district(
    index: RegionIndex, text: str, province: str | None, res: RegionResolution
) -> None:
    """Settle the regency (or narrow the candidates) by a district the text names."""
    for name, codes in district_mentions(text):
        codes = _narrow(index, codes, province)
        if res.candidates:
            codes = tuple(c for c in codes if c in res.candidates)
        if len(codes) == 1:
            res.regency_code, res.source, res.candidates = codes[0], "text", []
            res.reasons.append(f"wilayah:kecamatan — {name} di {_describe(index, codes[0])}")
            return
        if codes and not res.candidates:
            res.candidates = list(codes)


def _regency_mention(
    index: RegionIndex, key: str, original: str, prev: str, position: int
) -> Mention | None:
    codes = index.regency_names[key]
    if prev in KABUPATEN_CUES or prev in KOTA_CUES:
        kind = "kabupaten" if prev in KABUPATEN_CUES else "kota"
        narrowed = tuple(c for c in codes if index.regencies[c].kind == kind)
        surface = f"{prev} {key}"
        return Mention("regency", narrowed or codes, True, position, surface, named_kind=True)
    explicit = prev in LOCATIVE_CUES
    is_word = " " not in key and key in common_words() and key not in index.alias_names
    if is_word and not explicit and not original[:1].isupper():
        return None
    return Mention("regency", codes, explicit, position, key)


def _narrow(index: RegionIndex, codes: tuple[str, ...], province: str | None) -> tuple[str, ...]:
    if province is None or len(codes) == 1:
        return codes
    inside = tuple(c for c in codes if index.regencies[c].province_code == province)
    return inside or codes


def _describe(index: RegionIndex, code: str) -> str:
    if code in index.regencies:
        reg = index.regencies[code]
        return f"{reg.name} ({index.provinces[reg.province_code].name})"
    return index.provinces[code].name


def _from_hint(index: RegionIndex, hint: str) -> tuple[str | None, tuple[str, ...]]:
    """(province code, regency candidates) named by channel metadata."""
    code = normalise_code(hint)
    if code in index.regencies:
        return index.regencies[code].province_code, (code,)
    if code in index.provinces:
        return code, ()
    mentions = scan(hint, index)
    province = next((m.codes[0] for m in mentions if m.kind == "province"), None)
    regencies = next((m.codes for m in mentions if m.kind == "regency"), ())
    regencies = _narrow(index, regencies, province)
    if province is None and len({index.regencies[c].province_code for c in regencies}) == 1:
        province = index.regencies[regencies[0]].province_code
    return province, regencies


def _sms_keyword(index: RegionIndex, text: str) -> tuple[str, ...]:
    raw = TOKEN.findall(text)
    if not raw or not raw[0].isupper():
        return ()
    words = [w.lower() for w in raw[:4]]
    kind = None
    if words[0] in KOTA_CUES or words[0] in KABUPATEN_CUES:
        kind = "kota" if words[0] in KOTA_CUES else "kabupaten"
        words = words[1:]
    elif words[0].startswith("kota") and len(words[0]) > 4:
        kind, words = "kota", [words[0][4:], *words[1:]]
    for size in range(min(3, len(words)), 0, -1):
        key = " ".join(words[:size])
        if key in index.regency_names and all(w.isupper() for w in raw[:size]):
            codes = index.regency_names[key]
            wanted = kind or SMS_BARE_KEYWORD_KIND
            narrowed = tuple(c for c in codes if index.regencies[c].kind == wanted)
            return narrowed or codes
    return ()


def _named_regencies(
    index: RegionIndex, mentions: list[Mention], province: str | None
) -> list[str]:
    """Regencies the text names with their kind ("Kabupaten Demak"), not where the
    reporter lives. Such a name beats a bare one mentioned earlier ("SDN 2
    Karanganyar Kabupaten Demak" is in Demak); two different ones are a real
    ambiguity for a person to settle."""
    named: list[str] = []
    for m in mentions:
        codes = _narrow(index, m.codes, province)
        if m.named_kind and not m.residence and len(codes) == 1 and codes[0] not in named:
            named.append(codes[0])
    return named


def resolve_region(
    text: str, region_hint: str | None = None, channel: str | None = None
) -> RegionResolution:
    index = region_index()
    res = RegionResolution()
    hint_province, hint_regencies = _from_hint(index, region_hint) if region_hint else (None, ())
    mentions = scan(text, index)
    text_province = next((m.codes[0] for m in mentions if m.kind == "province"), None)
    province = hint_province or text_province
    regency_mentions = sorted(
        (m for m in mentions if m.kind == "regency"), key=lambda m: (m.residence, m.position)
    )
    text_regencies = [_narrow(index, m.codes, province) for m in regency_mentions]
    explicit_text = [_narrow(index, m.codes, province) for m in regency_mentions if m.explicit]

    if len(hint_regencies) == 1:
        hinted = hint_regencies[0]
        elsewhere = [c for c in explicit_text if len(c) == 1 and c[0] != hinted]
        if elsewhere:
            res.regency_code, res.source = elsewhere[0][0], "text"
            res.reasons.append(
                f"wilayah:text — aduan menyebut {_describe(index, elsewhere[0][0])}; lokasi "
                f"pelapor {_describe(index, hinted)} dari metadata kanal tidak dipakai"
            )
        else:
            res.regency_code, res.source = hinted, "region_hint"
            res.reasons.append(f"wilayah:region_hint — {_describe(index, hinted)}")
    elif channel == "sms" and (keyword := _sms_keyword(index, text)):
        keyword = _narrow(index, keyword, province)
        if len(keyword) == 1:
            res.regency_code, res.source = keyword[0], "sms_keyword"
            res.reasons.append(f"wilayah:sms_keyword — {_describe(index, keyword[0])}")
        else:
            res.candidates = list(keyword)
    named = _named_regencies(index, regency_mentions, province)
    if res.regency_code is None and not res.candidates and len(named) > 1:
        res.candidates = named
    elif res.regency_code is None and not res.candidates and named:
        res.regency_code, res.source = named[0], "text"
        res.reasons.append(f"wilayah:text — {_describe(index, named[0])}")
    if res.regency_code is None and not res.candidates:
        for codes in text_regencies:
            if len(codes) == 1:
                res.regency_code, res.source = codes[0], "text"
                res.reasons.append(f"wilayah:text — {_describe(index, codes[0])}")
                break
            res.candidates = list(codes)
            break
    if res.regency_code is None and hint_regencies and not res.candidates:
        res.candidates = list(hint_regencies)
    if res.regency_code is None:
        _by_district(index, text, province, res)

    if res.regency_code:
        res.province_code = index.regencies[res.regency_code].province_code
        res.candidates = []
    else:
        shared = {index.regencies[c].province_code for c in res.candidates}
        res.province_code = province or (shared.pop() if len(shared) == 1 else None)
        if res.candidates:
            names = ", ".join(_describe(index, c) for c in res.candidates)
            res.reasons.append(f"wilayah:ambigu — nama wilayah cocok dengan beberapa: {names}")
        if res.province_code:
            source = "region_hint" if hint_province else "text"
            res.source = res.source or source
            res.reasons.append(f"wilayah:{source} — provinsi {_describe(index, res.province_code)}")
        elif not res.candidates:
            res.reasons.append("wilayah:tidak_diketahui — tidak ada wilayah di metadata/teks")
    return res
