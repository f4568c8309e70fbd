"""Fuzzing in the suite, on a small budget: every parser and file reader meets generated bad input and may only
raise its documented error (benchmarks/fuzz.py runs the same targets with at least 10,000 inputs each)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_targets import TARGETS, Target, bad_message

BUDGET = 60


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_no_crash(target: Target) -> None:
    @settings(
        max_examples=BUDGET,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        value: Any = data.draw(target.strategy())
        try:
            target.call(value)
        except target.allowed as exc:
            assert not bad_message(str(exc)), str(exc)

    run()
