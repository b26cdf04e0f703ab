from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import Client

from config import health
from config.celery_app import HEARTBEAT_KEY, OneBeatScheduler
from config.celery_app import app as celery_app
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def beat_alive() -> None:
    """A beat woke a moment ago, as one does every half minute in production and in `make run`."""
    caches["shared"].set(HEARTBEAT_KEY, time.time(), timeout=None)


def _broken() -> str:
    raise ConnectionError("could not connect to server at db.internal.example (10.0.0.5), port 5432")


def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(email="ops@overlap.example", is_staff=True))
    return client


def test_healthz_reports_every_configured_part(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    parts = ("database", "cache", "broker", "beat")
    assert body == {"status": "ok", "checks": {part: {"ok": True} for part in parts}}


def test_staff_see_the_kind_of_each_part(db: None) -> None:
    body = staff_client().get("/healthz").json()
    assert set(body["checks"]) == {"database", "cache", "broker", "beat"}
    assert body["checks"]["broker"]["kind"] in {"in-process", "redis"}


def test_an_anonymous_caller_sees_the_failing_part_but_not_the_error(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(health.CHECKS, "cache", _broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False}
    assert response.json()["checks"]["database"] == {"ok": True}
    assert b"10.0.0.5" not in response.content and b"5432" not in response.content


def test_a_member_who_is_not_staff_sees_states_only(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(health.CHECKS, "database", _broken)
    client = Client()
    client.force_login(UserFactory.create(email="member@contoso.example"))
    response = client.get("/healthz")
    assert response.status_code == 503 and b"db.internal" not in response.content


def test_staff_see_the_error_that_names_the_host(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(health.CHECKS, "cache", _broken)
    response = staff_client().get("/healthz")
    assert response.status_code == 503
    assert "db.internal.example" in response.json()["checks"]["cache"]["error"]


def test_healthz_fails_when_no_beat_has_ever_ticked(db: None) -> None:
    caches["shared"].delete(HEARTBEAT_KEY)
    response = staff_client().get("/healthz")
    assert response.status_code == 503
    assert "is `celery beat` running?" in response.json()["checks"]["beat"]["error"]


def test_healthz_fails_when_the_beat_stopped_longer_ago_than_the_stale_age(db: None) -> None:
    caches["shared"].set(HEARTBEAT_KEY, time.time() - 200, timeout=None)  # the stale age is 180 s
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {"ok": False}
    assert response.json()["checks"]["database"] == {"ok": True}


def test_a_beat_that_wakes_records_the_heartbeat_healthz_reads(db: None, tmp_path: Path) -> None:
    caches["shared"].set(HEARTBEAT_KEY, time.time() - 600, timeout=None)
    assert Client().get("/healthz").status_code == 503
    beat = OneBeatScheduler(celery_app, schedule_filename=str(tmp_path / "beat"))
    try:
        beat.tick()
    finally:
        beat.close()
    response = staff_client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["beat"]["kind"] == "heartbeat 0 s ago"
