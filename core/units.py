"""Unit ids: ``<tier>:<region code>:<agency code>``, how every layer names the
body that answers a case (``kabupaten_kota:63.03:pdam``, ``pusat:ID:pln``).
Built in one place so the router, the event validator and the store agree."""

from __future__ import annotations

NATIONAL_REGION = "ID"


def unit_region(tier: str, province: str | None, regency: str | None) -> str | None:
    """The region code a unit of ``tier`` sits in; None when that region is unknown."""
    return {"pusat": NATIONAL_REGION, "provinsi": province, "kabupaten_kota": regency}[tier]


def unit_id(tier: str, region: str, agency: str) -> str:
    return f"{tier}:{region}:{agency}"


def unit_above(decision: dict) -> str | None:
    """The same agency one tier up: regency unit -> provincial unit; else national admin."""
    if decision.get("tier") == "kabupaten_kota" and decision.get("province_code"):
        return unit_id("provinsi", decision["province_code"], decision["agency"])
    return None
