"""The engine benchmark works from a reply Overlap's parser reads in full, and measures a search that finds slots."""

from __future__ import annotations

import pytest

from bench.engine import measure, read, reply
from integrations.microsoft.timezones import CustomTimeZone


def test_the_benchmarks_reply_reads_as_graphs_with_every_zone_form_and_no_errors() -> None:
    schedules = read(reply(5, 14))

    assert len(schedules) == 5 and all(s.error is None and s.items for s in schedules)
    assert any(isinstance(s.working_hours.tz, CustomTimeZone) for s in schedules if s.working_hours)
    assert all(s.working_hours is not None for s in schedules)


def test_the_benchmark_reports_a_search_with_slots_next_to_the_reading_time() -> None:
    row = measure(2, 14, 2, repeat=1)

    assert row["slots"] > 0 and row["items"] > 0
    assert row["ratio"] == pytest.approx(row["search_ms"] / row["read_ms"])
