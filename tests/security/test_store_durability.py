"""Case store durability (issue 15): cases and audit records are written with
write concern ``majority`` and retryable writes, so an acknowledged case survives
a replica-set failover. The embedded SecantusDB server runs ``--standalone``: it
accepts ``w: "majority"`` (checked here by real writes), so the same code runs
on it and on a MongoDB replica set; the failover itself cannot be exercised here."""

from __future__ import annotations

import pytest

from casestore.store import CaseStore, connect
from lapor import stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def db(stack_settings):
    return connect(stack.endpoints(stack_settings).mongodb_uri, stack_settings.mongodb_db)


def test_every_collection_writes_with_majority_and_retries(db):
    store = CaseStore(db)
    for collection in (store.cases, store.db["audit"], db["users"], db["sessions"]):
        assert collection.write_concern.document == {"w": "majority", "wtimeout": 10_000}
    assert db.client.options.retry_writes is True


def test_the_embedded_store_accepts_majority_writes(db):
    store = CaseStore(db)
    store.audit("probe", "DURABILITY-1", "test", "write concern", {}, {})  # the real path
    assert store.audit_for("DURABILITY-1")
    db["audit"].delete_many({"case_id": "DURABILITY-1"})
    reply = db.command(
        {"insert": "durability_probe", "documents": [{"x": 1}], "writeConcern": {"w": "majority"}}
    )
    assert reply["ok"] == 1 and reply["n"] == 1
    db.drop_collection("durability_probe")
