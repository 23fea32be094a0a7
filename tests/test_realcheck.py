"""The real-data check's arithmetic, on hand-worked examples."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from classifier.realcheck import adjudicated_figures, load_adjudicated, reliability, wilson


def test_expected_calibration_error_of_a_hand_example():
    # bin 0.9: confidence 0.9, accuracy 0.5 -> gap 0.4; bin 0.1: 0.1 vs 0.0 -> gap 0.1
    result = reliability(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 0, 0, 0]))
    assert result["ece"] == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    assert [(b["low"], b["n"], b["accuracy"]) for b in result["bins"]] == [
        (0.1, 2, 0.0),
        (0.9, 2, 0.5),
    ]


def test_a_perfectly_calibrated_model_has_no_calibration_error():
    confidence = np.array([0.75] * 4 + [0.25] * 4)
    correct = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    assert reliability(confidence, correct)["ece"] == 0.0


def test_adjudicated_figures_count_an_auto_routed_unanswerable_complaint_as_an_error():
    def p(agency, confident):
        return SimpleNamespace(agency=agency, confident=confident)

    labels = {"1": frozenset({"pln"}), "2": frozenset(), "3": frozenset({"polri", "satpol_pp"})}
    predictions = [p("pln", True), p("pln", True), p("satpol_pp", False), p("pln", True)]
    figures = adjudicated_figures(predictions, ["1", "2", "3", "not-adjudicated"], labels)
    assert figures["n"] == 3 and figures["auto_routed"] == 2
    assert figures["auto_routed_precision"] == 0.5  # "2" has no agency: only triage is right
    assert figures["agency_accuracy"] == round(2 / 3, 4)
    assert figures["triage_share"] == round(1 / 3, 4)


def test_wilson_interval_matches_the_textbook_value():
    # 218 of 226 (the README's adjudicated figure): Wilson 95 % = [0.9317, 0.9820]
    assert wilson(218, 226) == [0.9317, 0.982]


def test_the_adjudicated_file_names_only_taxonomy_agencies_and_unique_ids():
    labels = load_adjudicated()
    assert len(labels) == 450
    assert sum(1 for s in labels.values() if not s) == 17  # unroutable: triage only
