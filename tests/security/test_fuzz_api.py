"""Fuzzing the public intake (issue 15): any JSON-ish body, or any bytes, sent
to ``POST /api/v1/complaints`` answers 201 or a 4xx, never a 500. Through the
real app on the real broker and store; a bounded budget keeps `make test` fast."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.console import make_client

pytestmark = pytest.mark.integration
BUDGET = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=60)
    | st.sampled_from(["rahasia", "anonim", "public", "web", "sms", "LPR-260101-AAAAAAAA"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=15,
)
reporters = st.fixed_dictionaries(
    {},
    optional={k: values | st.text(max_size=40) for k in ("name", "phone", "email", "nik")},
)
complaints = st.fixed_dictionaries(
    {},
    optional={
        "text": st.text(min_size=1, max_size=300) | values,
        "channel": st.sampled_from(["web", "mobile", "sms", "admin", ""]) | values,
        "privacy": st.sampled_from(["public", "anonim", "rahasia", "RAHASIA"]) | values,
        "region_hint": st.text(max_size=250) | values,
        "reporter": reporters | values,
        "id": st.from_regex(r"[A-Za-z0-9._:-]{0,70}", fullmatch=True) | values,
        "extra": values,
    },
)


@pytest.fixture(scope="module")
def client(stack_settings):
    with make_client(stack_settings, intake_rate_per_minute=1_000_000) as c:
        yield c


def answered(r) -> None:
    assert r.status_code == 201 or 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")


@BUDGET
@given(complaints)
def test_any_complaint_shape_is_201_or_4xx(client, body):
    answered(
        client.post(
            "/api/v1/complaints",
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
    )


@BUDGET
@given(values)
def test_any_json_is_201_or_4xx(client, body):
    answered(
        client.post(
            "/api/v1/complaints",
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
    )


@BUDGET
@given(st.binary(max_size=500), st.sampled_from(["application/json", "text/plain", ""]))
def test_any_bytes_are_201_or_4xx(client, raw, kind):
    r = client.post("/api/v1/complaints", content=raw, headers={"content-type": kind})
    answered(r)
