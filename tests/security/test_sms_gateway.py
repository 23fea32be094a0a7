"""The SMS 1708 webhook (issue 15): only a gateway holding the shared secret may
file complaints through it; without a configured secret it is off, not open; it
is limited per gateway, not per address; ``RAHASIA`` / ``ANONIM`` at the start
of an SMS choose the privacy; the sender's number never reaches a unit unless
the complaint is public. On the real stack, through the real app."""

from __future__ import annotations

import time
import uuid

import pytest
from pydantic import SecretStr

from casestore.store import CaseStore, connect
from casestore.users import UserStore
from lapor import stack
from lapor.operations import wait_for_cases
from tests.security.console import login, make_client, unique
from tests.security.sms import signed

pytestmark = pytest.mark.integration
SECRET = "gw-secret-" + "7" * 40
OTHER = "gw-secret-" + "8" * 40
PHONE = "081377712345"
PASSWORD = "sandi-sms-uji-71"


def sms(message: str, sender: str = PHONE) -> dict:
    return {"from": sender, "message": message}


def client(settings, address: str = "testclient", secret: str | None = SECRET, **overrides):
    return make_client(
        settings,
        address,
        sms_secret=SecretStr(secret) if secret else None,
        **overrides,
    )


@pytest.fixture(scope="module")
def store(stack_settings) -> CaseStore:
    return CaseStore(
        connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)
    )


def test_without_a_secret_the_webhook_is_off(stack_settings):
    with client(stack_settings, secret=None) as c:
        r = c.post("/api/v1/sms", **signed(SECRET, sms("BANJAR jalan rusak")))
        assert r.status_code == 503
        assert "belum diaktifkan" in r.json()["detail"]


def test_a_weak_secret_stops_the_app_at_start(stack_settings):
    with pytest.raises(ValueError, match="32"):
        client(stack_settings, secret="pendek")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda call: call["headers"].pop("x-lapor-signature"), id="unsigned"),
        pytest.param(lambda call: call["headers"].pop("x-lapor-timestamp"), id="no-timestamp"),
        pytest.param(
            lambda call: call.update(content=call["content"].replace(b"BANJAR", b"GARUT")),
            id="body-changed",
        ),
        pytest.param(
            lambda call: call["headers"].update({"x-lapor-timestamp": str(int(time.time()) + 1)}),
            id="timestamp-changed",
        ),
        pytest.param(
            lambda call: call["headers"].update(
                {"x-lapor-signature": call["headers"]["x-lapor-signature"].upper()}
            ),
            id="mangled",
        ),
    ],
)
def test_an_unsigned_or_altered_call_is_401(stack_settings, forge):
    with client(stack_settings) as c:
        call = signed(SECRET, sms("BANJAR jalan rusak parah"))
        forge(call)
        r = c.post("/api/v1/sms", **call)
        assert r.status_code == 401, r.text
        assert "tanda tangan" in r.json()["detail"]  # Indonesian


def test_another_secret_or_an_old_timestamp_is_401(stack_settings):
    with client(stack_settings) as c:
        assert c.post("/api/v1/sms", **signed(OTHER, sms("BANJAR jalan rusak"))).status_code == 401
        old = int(time.time()) - 3600  # a captured call, replayed an hour later
        r = c.post("/api/v1/sms", **signed(SECRET, sms("BANJAR jalan rusak"), timestamp=old))
        assert r.status_code == 401
        ahead = int(time.time()) + 3600
        r = c.post("/api/v1/sms", **signed(SECRET, sms("BANJAR jalan rusak"), timestamp=ahead))
        assert r.status_code == 401


def test_a_replayed_call_is_the_same_complaint(stack_settings, worker, store):
    with client(stack_settings) as c:
        call = signed(SECRET, sms("BANJAR air PDAM mati tiga hari di desa sungai"))
        first = c.post("/api/v1/sms", **call)
        assert first.status_code == 200, first.text
        again = c.post("/api/v1/sms", **call)  # the gateway's retry, or a replay in the window
        assert again.status_code == 200
        tracking = first.json()["tracking_id"]
        assert again.json()["tracking_id"] == tracking
        assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
        assert store.cases.count_documents({"_id": tracking}) == 1


@pytest.mark.parametrize(
    "message, privacy, text",
    [
        ("RAHASIA BANJAR kades minta pungli BLT", "rahasia", "BANJAR kades minta pungli BLT"),
        ("rahasia: BANJAR kades minta pungli", "rahasia", "BANJAR kades minta pungli"),
        ("Anonim BANJAR jalan rusak parah", "anonim", "BANJAR jalan rusak parah"),
        ("ANONIM.BANJAR lampu jalan mati", "anonim", "BANJAR lampu jalan mati"),
        ("BANJAR rahasia umum jalan rusak", "public", "BANJAR rahasia umum jalan rusak"),
        ("RAHASIANYA jalan rusak di BANJAR", "public", "RAHASIANYA jalan rusak di BANJAR"),
    ],
)
def test_a_privacy_keyword_sets_the_privacy(stack_settings, worker, store, message, privacy, text):
    with client(stack_settings) as c:
        r = c.post("/api/v1/sms", **signed(SECRET, sms(message)))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["privacy"] == privacy
        tracking = body["tracking_id"]
        assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
        case = store.cases.find_one({"_id": tracking})
        assert case["privacy"] == privacy and case["text"] == text
        if privacy == "rahasia":
            token = body["secret_token"]
            assert token and token in body["reply"]
            assert c.get(f"/api/v1/complaints/{tracking}").status_code == 404
            assert c.get(f"/api/v1/complaints/{tracking}?token={token}").status_code == 200
        else:  # still a token: the reporter's key to reply to and rate the case
            assert body["secret_token"] and body["secret_token"] in body["reply"]
            assert c.get(f"/api/v1/complaints/{tracking}").status_code == 200


def test_a_keyword_alone_is_no_complaint(stack_settings):
    with client(stack_settings) as c:
        r = c.post("/api/v1/sms", **signed(SECRET, sms("RAHASIA")))
        assert r.status_code == 422
        assert "RAHASIA" in r.json()["detail"]


@pytest.mark.parametrize(
    "message, action",
    [
        ("BERHENTI", "berhenti"),
        (" stop! ", "berhenti"),
        ("UNREG LAPOR", "berhenti"),
        ("Mulai", "mulai"),
        ("START 1708.", "mulai"),
    ],
)
def test_a_channel_keyword_alone_stops_or_starts_the_sms_and_files_nothing(
    stack_settings, store, message, action
):
    from core.contacts import SMS, ContactIndex

    sender = f"+62 813-99{uuid.uuid4().int % 10**6:06d}"  # its own number
    index = ContactIndex.from_settings(stack_settings).of(SMS, sender)
    with client(stack_settings) as c:
        r = c.post("/api/v1/sms", **signed(SECRET, sms(message, sender)))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["action"] == action and body["tracking_id"] is None
        assert ("MULAI" if action == "berhenti" else "BERHENTI") in body["reply"]
        stopped = store.db.contact_optouts.count_documents({"_id": index})
        assert stopped == (action == "berhenti")
        # the keyword followed by more words is a complaint like any other
        filed = c.post(
            "/api/v1/sms", **signed(SECRET, sms(f"{message} jalan rusak BANJAR", sender))
        )
        assert filed.json()["action"] == "aduan" and filed.json()["tracking_id"]


def test_a_channel_keyword_from_no_number_is_refused_in_indonesian(stack_settings):
    with client(stack_settings) as c:
        r = c.post("/api/v1/sms", **signed(SECRET, sms("BERHENTI", "INFO-1708")))
        assert r.status_code == 422 and "Nomor pengirim" in r.json()["detail"]


def test_the_limit_is_per_gateway_not_per_address(stack_settings):
    """A gateway relays every sender from one address: the public intake's
    per-address limit (1 here) must not cap it; its own per-gateway limit does,
    from whatever address, and another gateway keeps its own allowance."""
    secrets_ = f"telkom:{SECRET},indosat:{OTHER}"
    settings = stack_settings.model_copy(
        update={
            "intake_rate_per_minute": 1,
            "sms_rate_per_minute": 3,
            # a fresh namespace of counters for this test
            "mongodb_db": f"{stack_settings.mongodb_db}_{unique('rl')}".replace("-", "_"),
        }
    )
    with (
        client(settings, "198.51.100.1", secret=secrets_) as a,
        client(settings, "198.51.100.2", secret=secrets_) as b,
    ):
        got = [
            gw.post("/api/v1/sms", **signed(SECRET, sms(f"BANJAR jalan rusak {i}"))).status_code
            for i, gw in enumerate([a, a, b, b])
        ]
        assert got == [200, 200, 200, 429]
        r = b.post("/api/v1/sms", **signed(OTHER, sms("BANJAR jalan rusak lagi")))
        assert r.status_code == 200  # the other gateway
        assert "Retry-After" in a.post("/api/v1/sms", **signed(SECRET, sms("BANJAR x"))).headers


def test_one_number_is_limited_over_all_gateways_and_counted_without_its_number(
    stack_settings,
):
    secrets_ = f"telkom:{SECRET},indosat:{OTHER}"
    settings = stack_settings.model_copy(
        update={  # a fresh namespace of counters for this test
            "sms_sender_per_hour": 2,
            "mongodb_db": f"{stack_settings.mongodb_db}_{unique('rs')}".replace("-", "_"),
        }
    )
    flood = f"0813 77{uuid.uuid4().int % 10**6:06d}"
    with client(settings, secret=secrets_) as c:
        got = [
            c.post("/api/v1/sms", **signed(key, sms(f"BANJAR jalan rusak {i}", flood)))
            for i, key in enumerate([SECRET, OTHER, SECRET])
        ]
        assert [r.status_code for r in got] == [200, 200, 429]
        assert "nomor ini" in got[2].json()["detail"] and got[2].headers["Retry-After"]
        spelt = "+62" + flood.replace(" ", "")[1:]  # the same number, written otherwise
        again = c.post("/api/v1/sms", **signed(OTHER, sms("BANJAR jalan rusak 3", spelt)))
        assert again.status_code == 429
        other = c.post("/api/v1/sms", **signed(SECRET, sms("BANJAR jalan rusak", PHONE)))
        assert other.status_code == 200  # another number
    limits = connect(stack.endpoints(settings).mongodb_uri, f"{settings.mongodb_db}_limits")
    counted = " ".join(
        str(d) for name in limits.list_collection_names() for d in limits[name].find()
    )
    assert "sms-sender" in counted and flood.replace(" ", "")[4:] not in counted


@pytest.mark.parametrize("privacy", ["rahasia", "anonim", "public"])
def test_the_number_reaches_a_unit_only_when_public(stack_settings, worker, store, privacy):
    keyword = {"rahasia": "RAHASIA ", "anonim": "ANONIM ", "public": ""}[privacy]
    sender = "0813" + str(time.time_ns())[-8:]
    with client(stack_settings) as c:
        r = c.post(
            "/api/v1/sms",
            **signed(SECRET, sms(f"{keyword}BANJAR air PDAM mati tiga hari", sender=sender)),
        )
        tracking = r.json()["tracking_id"]
    assert wait_for_cases(stack_settings, [tracking], timeout=120) == 1
    case = store.cases.find_one({"_id": tracking})
    unit = case["decision"]["unit_id"]
    assert unit, case["decision"]
    users = UserStore(store.cases.database)
    liaison, admin = unique("unit"), unique("nas")
    users.create(liaison, PASSWORD, "agency_liaison", unit)
    users.create(admin, PASSWORD, "national_admin")
    with client(stack_settings) as unit_view, client(stack_settings) as national:
        assert login(unit_view, liaison, PASSWORD).status_code == 303
        assert login(national, admin, PASSWORD).status_code == 303
        page = unit_view.get(f"/admin/cases/{tracking}")
        assert page.status_code == 200
        assert (sender in page.text) == (privacy == "public")
        assert sender in national.get(f"/admin/cases/{tracking}").text
