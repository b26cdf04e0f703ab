"""Two beat schedulers at once (a second started by mistake, a failover while the first still runs) send each
periodic job once a round."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.signals import task_prerun
from django.core.cache import cache

import booking.tasks  # noqa: F401  (registers the sweep, as a beat process's start-up does)
from config.celery_app import OneBeatScheduler
from config.celery_app import app as celery_app

EVERY = 1.0  # seconds: the sweep's interval, shortened for the test as BOOKING_SWEEP_SECONDS would shorten it


@pytest.fixture
def ran() -> Iterator[list[str]]:
    """The names of the tasks run (in-process, as beat sends them here) during the test."""
    names: list[str] = []

    def record(sender: Any = None, **_: Any) -> None:
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    cache.delete("beat-run:booking-sweep")
    saved = celery_app.conf.beat_schedule
    celery_app.conf.beat_schedule = {"booking-sweep": {"task": "booking.tasks.sweep_pending", "schedule": EVERY}}
    try:
        yield names
    finally:
        celery_app.conf.beat_schedule = saved
        task_prerun.disconnect(record)
        cache.delete("beat-run:booking-sweep")


@pytest.fixture
def beats(tmp_path: Path) -> Iterator[tuple[OneBeatScheduler, OneBeatScheduler]]:
    """Two beats, each with its own schedule file, as on two machines."""
    first, second = (OneBeatScheduler(celery_app, schedule_filename=str(tmp_path / n)) for n in ("one", "two"))
    yield first, second
    first.close()
    second.close()


@pytest.mark.django_db
def test_two_beats_run_a_due_job_once_and_again_once_the_next_round(
    ran: list[str], beats: tuple[OneBeatScheduler, OneBeatScheduler]
) -> None:
    first, second = beats
    time.sleep(EVERY + 0.1)  # both beats' sweep is due

    first.tick(), second.tick()
    once = list(ran)
    time.sleep(EVERY + 0.1)
    second.tick(), first.tick()

    assert once == ["booking.tasks.sweep_pending"]
    assert ran == ["booking.tasks.sweep_pending"] * 2
