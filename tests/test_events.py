import pytest
from pydantic import ValidationError

from core.events import ComplaintSubmitted, new_tracking_id
from core.privacy import Sealer
from streams.intake import IntakeError, build_submission
from streams.route import parse_submitted


@pytest.fixture
def sealer():
    from cryptography.fernet import Fernet

    return Sealer(Fernet.generate_key())


def test_tracking_ids_are_unique_and_readable():
    ids = {new_tracking_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(i.startswith("LPR-") and len(i) == 19 for i in ids)


def test_unknown_fields_are_ignored():
    event = ComplaintSubmitted.model_validate(
        {"complaint_id": "abc", "text": "jalan rusak", "future_field": 1}
    )
    assert event.text == "jalan rusak"


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b"{not json", "Invalid JSON"),
        (b'{"complaint_id": "a1b", "text": "   "}', "text is empty"),
        (b'{"complaint_id": "a1b"}', "text: Field required"),
        (b'{"complaint_id": "a1b", "text": 5}', "text: Input should be a valid string"),
        (b'{"complaint_id": "a1b", "text": "x", "schema_version": 9}', "schema_version 9"),
        (b'{"complaint_id": "a1b", "text": "\xff\xfe"}', "not valid UTF-8"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason(payload, reason):
    with pytest.raises(ValueError) as exc:
        parse_submitted(payload)
    assert reason in str(exc.value)


def test_intake_seals_the_reporter_and_never_keeps_it_in_clear(sealer):
    event = build_submission(
        {"text": "air mati", "reporter": {"name": "Siti", "nik": "3201011508950001"}}, sealer
    )
    dumped = event.model_dump_json()
    assert "Siti" not in dumped and "3201011508950001" not in dumped
    assert sealer.unseal(event.reporter_sealed) == {"name": "Siti", "nik": "3201011508950001"}


def test_intake_rejects_with_readable_messages(sealer):
    with pytest.raises(IntakeError, match="text"):
        build_submission({"text": ""}, sealer)
    with pytest.raises(IntakeError, match="privacy"):
        build_submission({"text": "ok", "privacy": "secret"}, sealer)


def test_text_length_is_limited():
    with pytest.raises(ValidationError):
        ComplaintSubmitted(complaint_id="abc", text="a" * 20_001)


def test_masking_shortcuts_change_nothing(seed_records):
    import random

    from core.privacy import mask_identifiers

    rng = random.Random(7)
    alphabet = "0123456789 .-+@:/wWhtps.ab_\n"
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20000)
    ]
    samples += [r["text"] for r in seed_records]
    samples += ["hub 0812-3456-7890 atau +62 812 3456 7890", "NIK 3201011508950001", "WWW.X.ID"]
    # the shortcuts (skipping a step, trying formats only where they can begin)
    # against every step's expression tried at every position
    mismatches = [s for s in samples if mask_identifiers(s) != mask_identifiers(s, False)]
    assert not mismatches, mismatches[:5]
