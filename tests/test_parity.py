"""Parity with the reference implementation's golden outputs, stage by stage (≤ 1e-4)."""
from __future__ import annotations

import pytest

from conftest import DATA
from stdc_tf.weights.parity import TOLERANCE, run_case

CASES = sorted(DATA.glob("*.json"))


def test_cases_are_shipped():
    assert {c.stem for c in CASES} >= {"stdc1_seg_64x128", "stdc1_cls_64x64"}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_array_matches_the_reference(case):
    errors = run_case(case)
    expected = {"backbone_feat2", "backbone_feat4", "backbone_feat8", "backbone_feat16",
                "backbone_feat32"}
    assert expected <= set(errors)
    worst = {name: err for name, err in errors.items() if not err <= TOLERANCE}
    assert not worst, f"arrays over {TOLERANCE}: {worst}"
