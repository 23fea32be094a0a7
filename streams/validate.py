"""The case sink's edge: a routed event is checked as strictly as intake checks a
complaint before it can become a case.

``core.events.ComplaintRouted`` checks the shape; routed events are what any
client of the broker can publish, so this also checks what the shape leaves open
(issue 15: one event with ``decision.status = "bogus"`` or ``routed_at`` in year
9999 stopped every worker; one with a ``$where`` key was stored as a case):

* no key anywhere in the payload (known field or not, at any depth) that MongoDB
  could read as an operator or a path: starting with ``$``, holding ``.`` or NUL;
  no nesting deeper than the schema's; no NaN or infinite number;
* statuses and tiers from their closed sets, agency and topic codes from the
  taxonomy (``core/taxonomy.py``), region codes from the region index,
  the unit id the one the routing rules give for that agency, tier and region;
* dates between 2000 and tomorrow (a date without a time zone is UTC);
* lists and free strings bounded; the sealed identity a Fernet token.

``validate_routed`` raises ValueError with a reason a person can act on; the
sink dead-letters the event with it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pydantic_core
from pydantic import ValidationError

from core.events import ComplaintRouted
from core.taxonomy import Taxonomy, taxonomy
from core.units import unit_id, unit_region
from routing_rules.engine import ROUTED, TRIAGE
from routing_rules.regions import RegionIndex, region_index

ROUTING_STATUSES = frozenset({ROUTED, TRIAGE})
REGION_SOURCES = frozenset({None, "region_hint", "sms_keyword", "text", "admin"})
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
MAX_DEPTH = 6  # event > complaint/prediction/decision > top3 > item > value
MAX_NAME = 200  # unit, province and regency names, model version
MAX_REASON = 500
MAX_REASONS = 50
MAX_TERMS = 50
MAX_SEALED = 4096  # a Fernet token of a reporter identity is a few hundred characters
FERNET_TOKEN = re.compile(r"[A-Za-z0-9_=-]+")


class RoutedEventError(ValueError):
    """A routed event the sink must not store; the message is the dead letter's reason."""


def decoded(raw: bytes | str) -> str | object:
    """Bytes as UTF-8 text, or RoutedEventError with where the encoding breaks."""
    if not isinstance(raw, bytes):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RoutedEventError(
            f"payload is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None


def validate_routed(raw: bytes | str) -> dict:
    """The routed event as a dict ready for ``case_from_routed``, or RoutedEventError."""
    raw = decoded(raw)
    if not isinstance(raw, str):
        raise RoutedEventError(f"payload is not JSON text ({type(raw).__name__})")
    try:
        payload = pydantic_core.from_json(raw)
    except ValueError as exc:
        raise RoutedEventError(f"Invalid JSON: {exc}") from None
    if type(payload) not in (dict, list):  # `null`, `5` or `"x"` raised a TypeError here
        raise RoutedEventError(f"payload: Input should be an object, not {type(payload).__name__}")
    check_keys(payload)
    try:
        event = ComplaintRouted.model_validate(payload).model_dump()
    except ValidationError as exc:
        raise RoutedEventError(readable(exc)) from None
    check_dates(event)
    check_complaint(event["complaint"])
    check_prediction(event["prediction"], taxonomy())
    check_decision(event["decision"], taxonomy(), region_index())
    return event


def readable(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in error.errors()
    )


def check_keys(payload: object) -> None:
    """No operator-like key, no number MongoDB or JSON cannot hold, no deep nesting."""
    _walk(payload, ("payload",))


def _walk(value: object, where: tuple[str, ...]) -> None:
    if len(where) > MAX_DEPTH:
        raise RoutedEventError(f"{'.'.join(where)}: nested deeper than a routed event is")
    if type(value) is dict:
        items = value.items()
    else:  # a list
        items = enumerate(value)
    for key, item in items:
        if type(key) is str and (key[:1] == "$" or "." in key or "\x00" in key):
            raise RoutedEventError(
                f"{'.'.join(where)}: key {key[:40]!r} is not accepted "
                "(keys must not start with '$' or hold '.' or NUL)"
            )
        kind = type(item)
        if kind is dict or kind is list:
            _walk(item, (*where, str(key)))
        elif kind is float and not math.isfinite(item):
            raise RoutedEventError(
                f"{'.'.join((*where, str(key)))}: {item} is not a number a case can hold"
            )


def check_dates(event: dict) -> None:
    latest = datetime.now(UTC) + CLOCK_SKEW
    complaint = event["complaint"]
    for holder, key, where in (
        (event, "routed_at", "routed_at"),
        (complaint, "submitted_at", "complaint.submitted_at"),
    ):
        value: datetime = holder[key]
        if value.tzinfo is None:
            value = holder[key] = value.replace(tzinfo=UTC)
        if not EARLIEST <= value <= latest:
            raise RoutedEventError(
                f"{where}: {value.isoformat()} is outside {EARLIEST:%Y-%m-%d} .. tomorrow"
            )


def check_complaint(complaint: dict) -> None:
    # the rest of the complaint is ComplaintSubmitted, the intake's own schema
    sealed = complaint.get("reporter_sealed")
    if sealed is not None and (len(sealed) > MAX_SEALED or not FERNET_TOKEN.fullmatch(sealed)):
        raise RoutedEventError("complaint.reporter_sealed: not a sealed identity")


def check_prediction(prediction: dict, tax: Taxonomy) -> None:
    where = "prediction"
    _known(prediction["agency"], tax.agencies, f"{where}.agency", "agency")
    _known(prediction["topic"], tax.topics, f"{where}.topic", "topic")
    if tax.agency_of(prediction["topic"]) != prediction["agency"]:
        raise RoutedEventError(
            f"{where}.topic: {prediction['topic']} belongs to "
            f"{tax.agency_of(prediction['topic'])}, not {prediction['agency']}"
        )
    for key in ("confidence", "topic_confidence"):
        _probability(prediction[key], f"{where}.{key}")
    top3 = prediction["top3"]
    if len(top3) > 3:
        raise RoutedEventError(f"{where}.top3: {len(top3)} items, at most 3")
    for i, item in enumerate(top3):
        if set(item) != {"topic", "score"}:
            raise RoutedEventError(f"{where}.top3[{i}]: needs exactly topic and score")
        _known(item["topic"], tax.topics, f"{where}.top3[{i}].topic", "topic")
        _probability(item["score"], f"{where}.top3[{i}].score")
    for key in ("terms", "concepts"):
        _strings(prediction.get(key) or [], f"{where}.{key}", MAX_TERMS, MAX_NAME)
    _string(prediction["model_version"], f"{where}.model_version", MAX_NAME)


def check_decision(decision: dict, tax: Taxonomy, regions: RegionIndex) -> None:
    where = "decision"
    if decision["status"] not in ROUTING_STATUSES:
        raise RoutedEventError(
            f"{where}.status: {decision['status']!r} is not one of {sorted(ROUTING_STATUSES)}"
        )
    if decision["tier"] not in tax.tiers:
        raise RoutedEventError(f"{where}.tier: {decision['tier']!r} is not one of {tax.tiers}")
    _known(decision["agency"], tax.agencies, f"{where}.agency", "agency")
    _known(decision["topic"], tax.topics, f"{where}.topic", "topic")
    province, regency = decision["province_code"], decision["regency_code"]
    if province is not None:
        _known(province, regions.provinces, f"{where}.province_code", "province")
    if regency is not None:
        _known(regency, regions.regencies, f"{where}.regency_code", "regency")
        if regions.regencies[regency].province_code != province:
            raise RoutedEventError(f"{where}.regency_code: {regency} is not in province {province}")
    if decision["region_source"] not in REGION_SOURCES:
        raise RoutedEventError(f"{where}.region_source: {decision['region_source']!r} is unknown")
    candidates = decision["region_candidates"]
    if len(candidates) > MAX_REASONS:
        raise RoutedEventError(f"{where}.region_candidates: more than {MAX_REASONS}")
    for code in candidates:
        if code not in regions.regencies and code not in regions.provinces:
            raise RoutedEventError(f"{where}.region_candidates: unknown region {code!r}")
    region = unit_region(decision["tier"], province, regency)
    unit = decision["unit_id"]
    if unit is None:
        if decision["status"] != TRIAGE:
            raise RoutedEventError(f"{where}.unit_id: a routed complaint needs a unit")
    elif region is None or unit != unit_id(decision["tier"], region, decision["agency"]):
        raise RoutedEventError(
            f"{where}.unit_id: {unit[:80]!r} is not the unit of {decision['agency']} "
            f"at tier {decision['tier']} in region {region}"
        )
    for key in ("unit_name", "province", "regency"):
        if decision[key] is not None:
            _string(decision[key], f"{where}.{key}", MAX_NAME)
    _strings(decision["reasons"], f"{where}.reasons", MAX_REASONS, MAX_REASON)


def _known(value: str, known: dict, where: str, what: str) -> None:
    if not isinstance(value, str):
        raise RoutedEventError(f"{where}: not a string")
    if value not in known:
        raise RoutedEventError(f"{where}: {value[:80]!r} is not a known {what}")


def _probability(value: float, where: str) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise RoutedEventError(f"{where}: {value!r} is not a probability")


def _string(value: object, where: str, longest: int) -> None:
    if not isinstance(value, str) or len(value) > longest:
        raise RoutedEventError(f"{where}: not a string of at most {longest} characters")


def _strings(values: list, where: str, most: int, longest: int) -> None:
    if len(values) > most:
        raise RoutedEventError(f"{where}: {len(values)} items, at most {most}")
    for i, value in enumerate(values):
        _string(value, f"{where}[{i}]", longest)
