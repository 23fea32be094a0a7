"""Tracking ids that prove they were issued here (core/tracking.py)."""

from __future__ import annotations

import pytest

from core.privacy import token_hash
from core.settings import Settings
from core.tracking import TAGGED_CHARS, TrackingIds

IDS = TrackingIds(["kunci-uji-pertama"])


def test_an_issued_id_verifies_and_a_changed_one_does_not():
    issued = IDS.issue()
    assert len(issued) == TAGGED_CHARS and issued.startswith("LPR-")
    assert IDS.issued(issued)
    base, tag = issued.rsplit("-", 1)
    other = "A" if tag[0] != "A" else "B"
    assert not IDS.issued(f"{base}-{other}{tag[1:]}")  # the tag is checked
    assert not IDS.issued(f"{base[:-1]}{'Z' if base[-1] != 'Z' else 'Y'}-{tag}")  # so is the id
    assert not IDS.issued(base) and not IDS.issued("") and not IDS.issued("x" * 200)
    assert not TrackingIds(["kunci-lain"]).issued(issued)


def test_a_rahasia_id_verifies_only_with_its_token():
    issued = IDS.issue(token_hash("token-rahasia"))
    assert IDS.issued(issued, token_hash("token-rahasia"))
    assert not IDS.issued(issued)
    assert not IDS.issued(issued, token_hash("token-lain"))


def test_keys_rotate_the_first_issues_all_verify():
    old = IDS.issue()
    rotated = TrackingIds(["kunci-baru", "kunci-uji-pertama"])
    assert rotated.issued(old) and rotated.issued(rotated.issue())
    assert not IDS.issued(rotated.issue())


@pytest.mark.parametrize("setting", [None, "kunci-dari-setelan"])
def test_the_key_comes_from_the_setting_or_an_owner_only_file(tmp_path, setting):
    settings = Settings(state_dir=tmp_path / "state", tracking_key=setting)
    first = TrackingIds.from_settings(settings)
    again = TrackingIds.from_settings(settings)
    assert again.issued(first.issue())
    key_file = settings.tracking_key_file
    if setting:
        assert not key_file.exists()
    else:
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
