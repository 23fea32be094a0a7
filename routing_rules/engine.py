"""Apply the tier rules: (agency, topic, region, text) -> one unit at one tier.

The classifier says *what* a complaint is about; this decides *who* answers it
and explains why, rule by rule, in ``reasons``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.taxonomy import Taxonomy, taxonomy
from core.units import unit_id, unit_region
from routing_rules.regions import region_index
from routing_rules.resolve import RegionResolution, resolve_region
from routing_rules.rules import RuleSet, load_rules

ROUTED = "routed"
TRIAGE = "menunggu_verifikasi"


@dataclass
class RoutingDecision:
    agency: str
    topic: str
    tier: str
    status: str
    unit_id: str | None
    unit_name: str | None
    province_code: str | None
    province: str | None
    regency_code: str | None
    regency: str | None
    region_source: str | None
    region_candidates: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)  # shallow: asdict's deep copy is a hot-path cost


class Router:
    """Holds the loaded rules; ``route`` is pure and cheap, safe on the hot path."""

    def __init__(self, rules: RuleSet | None = None, tax: Taxonomy | None = None) -> None:
        self.taxonomy = tax or taxonomy()
        self.rules = rules or load_rules(tax=self.taxonomy)
        self.regions = region_index()

    def route(
        self,
        text: str,
        agency: str,
        topic: str,
        *,
        region_hint: str | None = None,
        channel: str | None = None,
        confident: bool = True,
        region: RegionResolution | None = None,
    ) -> RoutingDecision:
        region = region or resolve_region(text, region_hint, channel)
        reasons = list(region.reasons)
        province, regency = region.province_code, region.regency_code
        lowered = text.lower()

        tier = "kabupaten_kota"
        unit_name = None
        override = next(
            (o for o in self.rules.overrides if o.matches(agency, topic, province, regency)), None
        )
        if override is not None:
            agency = override.agency or agency
            tier = override.tier or tier
            reasons.append(f"override:{override.id} — {override.note or 'aturan wilayah'}")
        if self.taxonomy.agencies[agency].is_national:
            tier = "pusat"
            kind = self.taxonomy.agencies[agency].kind
            reasons.append(f"tier:nasional — {agency} ({kind}) ditangani di tingkat pusat")
        elif override is None or override.tier is None:
            rule = next(
                (r for r in self.rules.exceptions if r.matches(agency, topic, province, lowered)),
                None,
            )
            if rule is not None:
                tier, unit_name = rule.tier, rule.unit_name
                reasons.append(f"tier:{rule.id} — ke tingkat {rule.tier}")
            else:
                reasons.append("tier:pemda — urusan daerah ke kabupaten/kota")

        unit_id, default_name = self.unit_for(agency, tier, province, regency)
        status = ROUTED
        if unit_id is None:
            status = TRIAGE
            need = "kabupaten/kota" if tier == "kabupaten_kota" else "provinsi"
            reasons.append(f"triase:wilayah — {need} tidak dapat ditentukan, tidak ditebak")
        if not confident:
            status = TRIAGE
            reasons.append("triase:keyakinan — keyakinan model di bawah ambang")

        if unit_id is None:
            unit_name = None
        return RoutingDecision(
            agency=agency,
            topic=topic,
            tier=tier,
            status=status,
            unit_id=unit_id,
            unit_name=unit_name or default_name,
            province_code=province,
            province=self.regions.provinces[province].name if province else None,
            regency_code=regency,
            regency=self.regions.regencies[regency].name if regency else None,
            region_source=region.source,
            region_candidates=list(region.candidates),
            reasons=reasons,
        )

    def decision_for(
        self,
        agency: str,
        topic: str,
        tier: str,
        province: str | None,
        regency: str | None,
        *,
        region_source: str | None,
        region_candidates: list[str] | None = None,
        reasons: list[str] | None = None,
    ) -> RoutingDecision:
        """The decision a person chose (a re-dispatch): the same shape, unit id and
        unit name as the router's own, for the same event and the same case."""
        unit_id, unit_name = self.unit_for(agency, tier, province, regency)
        return RoutingDecision(
            agency=agency,
            topic=topic,
            tier=tier,
            status=ROUTED if unit_id else TRIAGE,
            unit_id=unit_id,
            unit_name=unit_name,
            province_code=province,
            province=self.regions.provinces[province].name if province else None,
            regency_code=regency,
            regency=self.regions.regencies[regency].name if regency else None,
            region_source=region_source,
            region_candidates=list(region_candidates or []),
            reasons=list(reasons or []),
        )

    def unit_for(
        self, agency: str, tier: str, province: str | None, regency: str | None
    ) -> tuple[str | None, str | None]:
        """(unit_id, readable name) of an agency at a tier; (None, None) without the region."""
        region = unit_region(tier, province, regency)
        if not region:
            return None, None
        return unit_id(tier, region, agency), self._unit_name(agency, tier, region)

    def _unit_name(self, agency: str, tier: str, region_code: str) -> str:
        name = self.taxonomy.agencies[agency].name
        if tier == "pusat":
            return name
        if tier == "provinsi":
            return f"{name} Provinsi {self.regions.provinces[region_code].name}"
        return f"{name} {self.regions.regencies[region_code].name}"
