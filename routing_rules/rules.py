"""Load and validate the routing rule files (YAML data that admins maintain).

A rule that names an unknown agency, topic, tier or region fails the load with
the file and line, so a typo never silently changes where complaints go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.taxonomy import Taxonomy, taxonomy
from routing_rules.regions import RegionIndex, region_codes, region_index

RULES_DIR = Path(__file__).parent / "rules"
TIER_FILE = "tier_exceptions.yaml"
OVERRIDE_FILE = "regional_overrides.yaml"


class RuleError(ValueError):
    """A rule file is invalid; the message names the file and line."""


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


@dataclass(frozen=True)
class TierException:
    id: str
    tier: str
    agencies: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    provinces: frozenset[str] = frozenset()  # province codes
    patterns: tuple[re.Pattern[str], ...] = ()
    unit_name: str | None = None

    def matches(self, agency: str, topic: str, province: str | None, text: str) -> bool:
        return (
            (not self.agencies or agency in self.agencies)
            and (not self.topics or topic in self.topics)
            and (not self.provinces or province in self.provinces)
            and (not self.patterns or any(p.search(text) for p in self.patterns))
        )


@dataclass(frozen=True)
class RegionalOverride:
    id: str
    region_code: str  # regency ("63.03") or province ("63") code
    agencies: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    agency: str | None = None
    tier: str | None = None
    note: str = ""

    def matches(self, agency: str, topic: str, province: str | None, regency: str | None) -> bool:
        in_region = self.region_code in (province, regency)
        return (
            in_region
            and (not self.agencies or agency in self.agencies)
            and (not self.topics or topic in self.topics)
        )


@dataclass(frozen=True)
class RuleSet:
    exceptions: tuple[TierException, ...]
    overrides: tuple[RegionalOverride, ...]
    files: tuple[str, ...] = field(default=())


def _fail(path: Path, line: int | str, message: str) -> RuleError:
    return RuleError(f"{path}:{line}: {message}")


def _read(path: Path, key: str) -> list[dict]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML: {exc}") from exc
    items = doc.get(key) or []
    if not isinstance(items, list):
        raise _fail(path, doc.get("__line__", 1), f"'{key}' must be a list")
    return items


def _codes(
    path: Path, line: int, item: dict, key: str, known: set[str], what: str
) -> frozenset[str]:
    values = item.get(key) or []
    if not isinstance(values, list):
        raise _fail(path, line, f"'{key}' must be a list of {what} codes")
    unknown = [v for v in values if v not in known]
    if unknown:
        raise _fail(path, line, f"unknown {what} {unknown} in '{key}' of rule {item.get('id')!r}")
    return frozenset(values)


def _region(path: Path, line: int, index: RegionIndex, value: object) -> str:
    try:
        province, regency = region_codes(str(value or ""), index)
    except ValueError as exc:
        raise _fail(path, line, str(exc)) from None
    return regency or province


def _check_keys(path: Path, line: int, item: dict, allowed: set[str]) -> None:
    extra = sorted(set(item) - allowed - {"__line__"})
    if extra:
        raise _fail(path, line, f"unknown keys {extra} (allowed: {sorted(allowed)})")
    if not item.get("id"):
        raise _fail(path, line, "every rule needs an 'id'")


def load_rules(rules_dir: Path = RULES_DIR, tax: Taxonomy | None = None) -> RuleSet:
    tax = tax or taxonomy()
    index = region_index()
    agencies, topics = set(tax.agencies), set(tax.topics)
    tier_path, override_path = rules_dir / TIER_FILE, rules_dir / OVERRIDE_FILE

    exceptions = []
    for item in _read(tier_path, "exceptions"):
        line = item.get("__line__", "?")
        keys = {"id", "tier", "agencies", "topics", "provinces", "text_any", "unit_name"}
        _check_keys(tier_path, line, item, keys)
        if item.get("tier") not in ("provinsi", "pusat"):
            raise _fail(
                tier_path, line, f"tier must be provinsi or pusat, not {item.get('tier')!r}"
            )
        try:
            patterns = tuple(re.compile(p) for p in item.get("text_any") or [])
        except re.error as exc:
            raise _fail(tier_path, line, f"bad pattern in rule {item['id']!r}: {exc}") from exc
        provinces = frozenset(
            _region(tier_path, line, index, p) for p in item.get("provinces") or []
        )
        exceptions.append(
            TierException(
                id=item["id"],
                tier=item["tier"],
                agencies=_codes(tier_path, line, item, "agencies", agencies, "agency"),
                topics=_codes(tier_path, line, item, "topics", topics, "topic"),
                provinces=provinces,
                patterns=patterns,
                unit_name=item.get("unit_name"),
            )
        )

    overrides = []
    for item in _read(override_path, "overrides"):
        line = item.get("__line__", "?")
        keys = {"id", "region", "agencies", "topics", "agency", "tier", "note"}
        _check_keys(override_path, line, item, keys)
        if item.get("agency") is not None and item["agency"] not in agencies:
            raise _fail(override_path, line, f"unknown agency {item['agency']!r}")
        if item.get("tier") not in (None, "provinsi", "kabupaten_kota"):
            raise _fail(override_path, line, "tier must be provinsi or kabupaten_kota")
        if not item.get("agency") and not item.get("tier"):
            raise _fail(override_path, line, "an override must change 'agency' or 'tier'")
        overrides.append(
            RegionalOverride(
                id=item["id"],
                region_code=_region(override_path, line, index, item.get("region")),
                agencies=_codes(override_path, line, item, "agencies", agencies, "agency"),
                topics=_codes(override_path, line, item, "topics", topics, "topic"),
                agency=item.get("agency"),
                tier=item.get("tier"),
                note=str(item.get("note") or ""),
            )
        )
    return RuleSet(tuple(exceptions), tuple(overrides), (str(tier_path), str(override_path)))
