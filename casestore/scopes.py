"""What a regional coordinator's or an agency liaison's scope may be.

A scope is ANDed into every case query of the account (``User.case_filter``).
An unknown one ("99", a misspelt unit id) matched no case, silently: the account
saw an empty console and nobody knew why; a regency written "6303" was read as a
province code and matched nothing either (issue 15). So a scope must name what
the project already knows: a province or regency code of the region index
(``routing_rules/regions.py``, Kemendagri codes), or a unit id
``tier:region:agency`` as the routing rules build it (``Router.unit_for``): a
tier of the taxonomy, an agency of the taxonomy, and the region that tier needs
(``ID`` for pusat, a province for provinsi, a regency for kabupaten_kota).
Any agency is accepted at any tier, as the console's route correction allows.
"""

from __future__ import annotations

from core.taxonomy import taxonomy
from core.units import NATIONAL_REGION
from routing_rules.regions import normalise_code, region_index

ROLES = ("national_admin", "regional_coordinator", "agency_liaison")


def check_scope(role: str, scope: str | None) -> str | None:
    """The scope to store for the role (codes normalised); ValueError, in Indonesian."""
    if role not in ROLES:
        raise ValueError(f"Peran {role!r} tidak dikenal; pilih salah satu: {', '.join(ROLES)}.")
    scope = (scope or "").strip() or None
    if role == "national_admin":
        if scope is not None:
            raise ValueError("Admin nasional melihat semua aduan: jangan beri --scope.")
        return None
    if scope is None:
        raise ValueError(f"Peran {role} memerlukan --scope (kode wilayah atau id unit).")
    if role == "regional_coordinator":
        return _region(scope)
    return _unit(scope)


def _region(scope: str) -> str:
    index, code = region_index(), normalise_code(scope)
    if code in index.provinces or code in index.regencies:
        return code
    raise ValueError(
        f"Cakupan {scope!r} bukan kode provinsi atau kabupaten/kota yang dikenal "
        "(kode Kemendagri, misalnya 63 atau 63.03)."
    )


def _unit(scope: str) -> str:
    tax, index = taxonomy(), region_index()
    parts = scope.split(":")
    valid = len(parts) == 3 and parts[0] in tax.tiers and parts[2] in tax.agencies
    if valid:
        tier, region = parts[0], parts[1]
        valid = (
            (tier == "pusat" and region == NATIONAL_REGION)
            or (tier == "provinsi" and region in index.provinces)
            or (tier == "kabupaten_kota" and region in index.regencies)
        )
    if not valid:
        raise ValueError(
            f"Cakupan {scope!r} bukan unit yang dikenal: tulis tingkat:wilayah:instansi, "
            "misalnya kabupaten_kota:63.03:pdam, provinsi:63:dinas_pupr atau pusat:ID:pln."
        )
    return scope
