"""Table-driven routing: 165 hand-checked complaints across all 38 provinces."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from routing_rules.engine import Router

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "routing_table.yaml").read_text())
CASES = TABLE["cases"]


@pytest.fixture(scope="module")
def router():
    return Router()


def test_table_is_broad_enough():
    provinces = Counter(c["expect"]["province"] for c in CASES if c["expect"]["province"])
    assert len(CASES) >= 100
    assert len(provinces) >= 25


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}" for i in range(len(CASES))])
def test_routing_table(router, case):
    d = router.route(
        case["text"],
        case["agency"],
        case["topic"],
        region_hint=case.get("region_hint"),
        channel=case.get("channel"),
    )
    got = {
        "tier": d.tier,
        "province": d.province_code,
        "regency": d.regency_code,
        "status": d.status,
    }
    assert got == case["expect"], d.reasons
