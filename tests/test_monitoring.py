"""Monitoring arithmetic on hand-worked cases: labels from people's decisions, PSI,
periods, the figures and their flags."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from casestore.monitoring import human_label
from classifier.profile import PSI_THRESHOLD, psi, psi_counts
from lapor.monitor import Group, drift, period_of, quality, quality_flags

AT = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)


def case(agency="pln", status="terdisposisi", history=(), overrides=(), confidence=0.9, **kw):
    return {
        "_id": kw.pop("id", "C"),
        "created_at": AT,
        "channel": kw.pop("channel", "web"),
        "text": kw.pop("text", "listrik padam sejak pagi"),
        "status": status,
        "auto_routed": kw.pop("auto", True),
        "overridden": bool(overrides),
        "overrides": list(overrides),
        "history": [{"status": "terdisposisi", "at": AT, "by": "sistem"}, *history],
        "prediction": {"agency": agency, "confidence": confidence, "model_version": "v1"},
        "decision": {"agency": kw.pop("final", agency), "regency_code": kw.pop("regency", "34.04")},
    }


def override(before, after):
    return {
        "at": AT,
        "by": "admin",
        "reason": "salah",
        "before": {"agency": before},
        "after": {"agency": after},
    }


def test_a_case_nobody_touched_is_no_label():
    assert human_label(case()) is None


def test_a_follow_up_without_re_routing_says_the_automatic_agency_was_right():
    label = human_label(
        case(
            status="ditindaklanjuti",
            history=[{"status": "ditindaklanjuti", "at": AT, "by": "unit-1"}],
        )
    )
    assert label.kind == "verified" and label.correct and label.true_agency == "pln"


def test_an_override_compares_the_first_automatic_agency_with_the_last_human_one():
    label = human_label(
        case(
            final="dinas_perhubungan",
            overrides=[override("pln", "bpbd"), override("bpbd", "dinas_perhubungan")],
        )
    )
    assert label.kind == "override" and not label.correct
    assert (label.auto_agency, label.true_agency) == ("pln", "dinas_perhubungan")


def test_an_override_of_the_region_only_keeps_the_agency_right():
    label = human_label(case(overrides=[override("pln", "pln")]))
    assert label.correct


def test_not_competent_by_a_unit_is_wrong_with_no_known_agency():
    label = human_label(
        case(
            status="bukan_wewenang",
            history=[{"status": "bukan_wewenang", "at": AT, "by": "unit-1"}],
        )
    )
    assert label.kind == "not_competent" and not label.correct and label.true_agency is None


def test_psi_of_identical_distributions_is_zero_and_of_a_shift_is_large():
    assert psi({"a": 50, "b": 50}, {"a": 0.5, "b": 0.5}) == 0.0
    # hand value: (0.9-0.5) ln(0.9/0.5) + (0.1-0.5) ln(0.1/0.5)
    assert psi({"a": 90, "b": 10}, {"a": 5, "b": 5}) == pytest.approx(
        0.4 * np.log(1.8) - 0.4 * np.log(0.2), abs=1e-4
    )
    assert psi({}, {"a": 1}) is None
    assert not psi_counts(100, 39) and psi_counts(760, 39)


def test_periods_are_jakarta_weeks_and_days():
    late_sunday_utc = datetime(2026, 3, 8, 18, 0, tzinfo=UTC)  # Monday 01:00 in Jakarta
    assert period_of(late_sunday_utc, "week")[0] == "2026-W11"
    assert period_of(late_sunday_utc, "day") == ("2026-03-09", datetime(2026, 3, 8, 17, tzinfo=UTC))


def test_quality_counts_precision_of_auto_routes_and_confusions():
    cases = [case(status="selesai", history=[{"status": "selesai", "at": AT, "by": "u"}])] * 6
    cases += [case(final="bpbd", overrides=[override("pln", "bpbd")], confidence=0.95)] * 4
    cases += [
        case(
            auto=False,
            confidence=0.3,
            status="terverifikasi",
            history=[{"status": "terverifikasi", "at": AT, "by": "a"}],
        )
    ] * 2
    group = Group("v1", "2026-W10", AT)
    for c in cases:
        group.add(c)
    q = quality(group.labels)
    assert q["n"] == 12 and q["auto_routed"] == 10
    assert q["auto_routed_precision"] == 0.6 and q["agency_accuracy"] == round(8 / 12, 4)
    assert q["confusions"] == [{"true": "bpbd", "predicted": "pln", "count": 4}]
    assert q["by_kind"] == {"verified": 8, "override": 4}
    assert q["confidence_n"] == 12 and q["ece"] > 0
    assert quality_flags(q) == []  # 10 automatic routes: too few to say
    group.labels *= 3
    assert [f["code"] for f in quality_flags(quality(group.labels))] == ["precision"]


def test_drift_flags_unknown_words_and_a_changed_channel_mix():
    profile = {
        "oov_rate": 0.04,
        "length_edges": [5.0, 10.0],
        "length_mean": 8.0,
        "length_histogram": {"0": 10, "1": 10, "2": 10},
        "agency_counts": {"pln": 10},
    }
    group = Group("v1", "2026-W11", AT)
    for _ in range(40):
        group.add(case(channel="sms", regency=None))
    group.unknown_words, group.words = 60, 100
    reference = {"key": "2026-W10", "channels": {"web": 40}, "region_unknown_share": 0.1}
    figures, flags = drift(group, profile, reference)
    assert figures["oov_rate"] == 0.6 and figures["channel_psi"] >= PSI_THRESHOLD
    assert {f["code"] for f in flags} == {"oov", "channel_psi", "region_unknown", "length_psi"}
    assert all(f["message"] for f in flags)
    group.unknown_words = 5
    figures, flags = drift(group, profile, {**reference, "key": "2026-W11"})
    # the reference period itself: no channel or region comparison; every text is 4
    # words where training lengths spread over three bins
    assert [f["code"] for f in flags] == ["length_psi"] and "channel_psi" not in figures
