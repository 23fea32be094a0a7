"""Agency performance: office hours, the figures by final routing, the ranking
within peers, the admin and public pages and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from casestore.performance import office_hours, performance
from casestore.store import connect
from lapor import stack


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=7)


def test_office_hours_skip_nights_weekends_and_holidays():
    assert office_hours(wib(2026, 8, 14, 15, 0), wib(2026, 8, 18, 9, 0)) == 2.0  # Mon 17 Aug
    assert office_hours(wib(2026, 8, 12, 7, 0), wib(2026, 8, 12, 20, 0)) == 8.0
    assert office_hours(wib(2026, 8, 12, 10, 0), wib(2026, 8, 12, 9, 0)) == 0.0


@pytest.fixture
def cases(stack_settings):
    db = connect(stack.endpoints(stack_settings).mongodb_uri, f"{stack_settings.mongodb_db}_perf")
    db["cases"].delete_many({})
    start = wib(2026, 11, 2, 9, 0)  # a Monday

    def case(i: int, unit: str, answered_hours: float | None, in_time: bool = True, **extra):
        doc = {
            "_id": f"P-{i}",
            "created_at": start,
            "status": "ditindaklanjuti" if answered_hours is not None else "terdisposisi",
            "deadline_at": start + timedelta(days=7),
            "decision": {
                "unit_id": unit,
                "unit_name": unit.split(":")[-1].upper(),
                "agency": unit.split(":")[-1],
                "tier": "kabupaten_kota",
                "province_code": "34",
            },
        }
        if answered_hours is not None:
            doc["answered_at"] = start + timedelta(hours=answered_hours)
            doc["answered_in_time"] = in_time
        return {**doc, **extra}

    db["cases"].insert_many(
        [
            case(1, "kabupaten_kota:34.04:pdam", 2),
            case(2, "kabupaten_kota:34.04:pdam", 4),
            case(3, "kabupaten_kota:34.04:pdam", None, decision_version=2),
            case(4, "kabupaten_kota:34.71:pdam", 3, in_time=False),
            case(5, "kabupaten_kota:34.71:pdam", None, deadline_at=start - timedelta(days=1)),
            {
                "_id": "P-triage",
                "created_at": start,
                "status": "menunggu_verifikasi",
                "decision": {"unit_id": None},
            },
        ]
    )
    return db["cases"], start


@pytest.mark.integration
def test_figures_and_ranks_by_final_routing(cases):
    collection, start = cases
    rows = performance(collection, start - timedelta(days=1), start + timedelta(days=1), "unit")
    sleman, jogja = rows  # ranked within the same tier and province
    assert sleman["unit"] == "kabupaten_kota:34.04:pdam" and sleman["rank"] == 1
    assert (sleman["cases"], sleman["answered"], sleman["in_time_share"]) == (3, 2, 1.0)
    assert sleman["median_hours_to_answer"] == 3.0 and sleman["redispatch_rate"] == 0.333
    assert (jogja["rank"], jogja["peers"], jogja["in_time_share"]) == (2, 2, 0.0)
    assert jogja["overdue_now"] == 1
    (agency,) = performance(
        collection, start - timedelta(days=1), start + timedelta(days=1), "agency"
    )
    assert agency["cases"] == 5 and agency["answered"] == 3


@pytest.mark.integration
def test_the_public_statistics_page_and_its_csv(web_client):
    page = web_client.get("/statistik?by=agency")
    assert page.status_code == 200 and 'id="kinerja"' in page.text
    assert "Peringkat" in page.text
    download = web_client.get("/statistik?by=unit&format=csv")
    assert download.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(download.text)))
    assert {"rank", "in_time_share", "median_hours_to_answer"} <= set(header)
    assert web_client.get("/statistik?by=kecamatan").status_code == 422
    admin = web_client.get("/admin/kinerja", follow_redirects=False)
    assert admin.status_code in (303, 307) and admin.headers["location"].endswith("/login")
