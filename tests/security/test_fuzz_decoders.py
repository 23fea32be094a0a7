"""Fuzzing each topic's decoder (issue 15): whatever bytes a broker client
publishes, the route stage's ``parse_submitted`` and the case sink's
``validate_routed`` return a value or reject it with a ValueError (the dead
letter's reason), never another exception, which would stop the worker.
The project consumes no other topic (overridden events and dead letters are
read by people and units' systems only). Bounded budgets keep `make test` fast."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.events import ComplaintSubmitted
from streams.route import parse_submitted
from streams.validate import validate_routed
from tests.security.test_routed_events import routed

BUDGET = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["$where", "a.b", "\x00", "9999-12-31T00:00:00Z", "routed", "pdam"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)

VALID_SUBMITTED = json.loads(
    ComplaintSubmitted(complaint_id="FUZZ-1", text="air pdam mati di Kab. Banjar").model_dump_json()
)
VALID_ROUTED = routed("FUZZ-R-1")


def mutated(base: dict):
    """``base`` with one value anywhere in it replaced (or a key added)."""

    @st.composite
    def build(draw):
        event = copy.deepcopy(base)
        node = event
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            if isinstance(node, dict) and draw(st.booleans()):
                key = draw(st.text(max_size=12))
            node[key] = draw(json_values)
            break
        return json.dumps(event, allow_nan=True).encode()

    return build()


def decodes_or_rejects(decode, raw: bytes) -> None:
    try:
        decode(raw)
    except ValueError:  # a reason for the dead letter
        pass


@BUDGET
@given(st.binary(max_size=2000))
def test_parse_submitted_on_any_bytes(raw):
    decodes_or_rejects(parse_submitted, raw)


@BUDGET
@given(json_values.map(lambda v: json.dumps(v).encode()))
def test_parse_submitted_on_any_json(raw):
    decodes_or_rejects(parse_submitted, raw)


@BUDGET
@given(mutated(VALID_SUBMITTED))
def test_parse_submitted_on_altered_events(raw):
    decodes_or_rejects(parse_submitted, raw)


@BUDGET
@given(st.binary(max_size=2000))
def test_validate_routed_on_any_bytes(raw):
    decodes_or_rejects(validate_routed, raw)


@BUDGET
@given(json_values.map(lambda v: json.dumps(v).encode()))
def test_validate_routed_on_any_json(raw):
    decodes_or_rejects(validate_routed, raw)


@BUDGET
@given(mutated(VALID_ROUTED))
def test_validate_routed_on_altered_events(raw):
    decodes_or_rejects(validate_routed, raw)


def test_the_unaltered_events_decode():
    parse_submitted(json.dumps(VALID_SUBMITTED).encode())
    validate_routed(json.dumps(VALID_ROUTED).encode())
