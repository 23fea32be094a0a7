"""Reporter key rotation on the real store, run as an operator runs it (`lapor keys`)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid

import pytest
from cryptography.fernet import Fernet

from casestore.optouts import OptOuts
from casestore.store import connect
from core.contacts import ContactIndex
from core.privacy import Sealer
from lapor import stack

pytestmark = pytest.mark.integration
IDENTITY = {"name": "Siti Aminah", "phone": "081234567890"}


@pytest.fixture
def operator(stack_settings, tmp_path):
    """A private state dir (its own key file) and database on the session's servers."""
    endpoints = stack.endpoints(stack_settings)
    env = {
        **os.environ,
        "LAPOR_STATE_DIR": str(tmp_path),
        "LAPOR_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "LAPOR_MONGODB_URI": endpoints.mongodb_uri,
        "LAPOR_MONGODB_DB": f"keys_{uuid.uuid4().hex[:8]}",
    }
    env.pop("LAPOR_REPORTER_KEY", None)
    db = connect(endpoints.mongodb_uri, env["LAPOR_MONGODB_DB"])
    yield env, db, tmp_path / "reporter.key"
    db.client.drop_database(db.name)


def lapor_keys(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lapor.cli", "keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rotate_reseals_every_identity_and_retire_drops_the_old_key(operator):
    env, db, key_file = operator
    old = Sealer.from_settings(None, key_file)
    foreign = Sealer(Fernet.generate_key()).seal(IDENTITY)
    db.cases.insert_many(
        [
            {"_id": f"K-{i}", "reporter_sealed": old.seal({**IDENTITY, "n": str(i)})}
            for i in range(3)
        ]
        + [
            {"_id": "K-foreign", "reporter_sealed": foreign},
            {"_id": "K-anon", "reporter_sealed": None},
        ]
    )

    run = lapor_keys(env, "rotate")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"keys": 2, "resealed": 3, "current": 0, "unreadable": 1}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new_key, old_key = key_file.read_text().split()
    assert old_key.encode() == old.keys[0]
    only_new = Sealer(new_key)
    for i in range(3):
        token = db.cases.find_one({"_id": f"K-{i}"})["reporter_sealed"]
        assert only_new.unseal(token) == {**IDENTITY, "n": str(i)}
    assert db.cases.find_one({"_id": "K-foreign"})["reporter_sealed"] == foreign  # left alone

    # a web process not yet restarted still seals with the old key: retire refuses
    db.cases.insert_one({"_id": "K-late", "reporter_sealed": old.seal(IDENTITY)})
    refused = lapor_keys(env, "retire")
    assert refused.returncode == 1 and "restart the web processes" in refused.stderr
    assert len(key_file.read_text().split()) == 2
    assert only_new.unseal(db.cases.find_one({"_id": "K-late"})["reporter_sealed"]) == IDENTITY

    retired = lapor_keys(env, "retire")
    assert retired.returncode == 0, retired.stderr
    assert json.loads(retired.stdout)["retired"] == 1
    assert key_file.read_text().split() == [new_key]
    with pytest.raises(ValueError):
        Sealer(old_key).unseal(db.cases.find_one({"_id": "K-1"})["reporter_sealed"])


def test_env_key_ring_seals_with_the_first_and_opens_with_all(operator):
    env, db, key_file = operator
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    db.cases.insert_one({"_id": "E-1", "reporter_sealed": Sealer(old_key).seal(IDENTITY)})
    ring = Sealer.from_settings(f"{new_key},{old_key}", key_file)
    assert ring.unseal(db.cases.find_one({"_id": "E-1"})["reporter_sealed"]) == IDENTITY
    assert Sealer(new_key).unseal(ring.seal(IDENTITY)) == IDENTITY

    run = lapor_keys({**env, "LAPOR_REPORTER_KEY": f"{new_key},{old_key}"}, "rotate")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["resealed"] == 1
    assert not key_file.exists()  # env keys: no key file is written
    assert Sealer(new_key).unseal(db.cases.find_one({"_id": "E-1"})["reporter_sealed"]) == IDENTITY


def test_rotate_reseals_pending_notifications_so_retiring_loses_no_message(operator):
    """An e-mail waiting for a retry and an SMS waiting for the gateway hold the
    reporter's identity sealed; after rotate + retire the SMS is still addressed."""
    from datetime import UTC, datetime

    from casestore.deliveries import DeliveryStore

    env, db, key_file = operator
    old = Sealer.from_settings(None, key_file)
    now = datetime.now(UTC)
    queue = DeliveryStore(db)
    sealed = old.seal(IDENTITY)
    queue.enqueue("N-1", "email", {"status": "pending", "sealed": sealed, "text": "x"}, now)
    queue.enqueue("N-1", "sms", {"status": "queued", "sealed": sealed, "text": "uji"}, now)
    queue.enqueue("N-0", "sms", {"status": "sent", "text": "lama"}, now)  # nothing to re-seal

    run = lapor_keys(env, "rotate")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["resealed"] == 2
    assert lapor_keys(env, "retire").returncode == 0
    ring = Sealer.from_settings(None, key_file)
    assert len(ring.keys) == 1
    assert ring.unseal(db.deliveries.find_one({"_id": "N-1:email"})["sealed"]) == IDENTITY
    optouts = OptOuts(db, ContactIndex("k" * 32))
    (message,) = queue.take_sms("gw", now, 10, 60, ring, optouts)
    assert message == {"id": "N-1:sms", "to": "081234567890", "text": "uji"}
    assert queue.ack_sms(["N-1:sms"], now) == 1
    assert "sealed" not in db.deliveries.find_one({"_id": "N-1:sms"})  # sent: nothing kept
