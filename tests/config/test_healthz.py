from __future__ import annotations

import pytest
from django.test import Client

from config import health
from tests.factories import UserFactory


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
    assert body == {"status": "ok", "checks": {"database": {"ok": True}, "cache": {"ok": True}, "broker": {"ok": True}}}


def test_staff_see_the_kind_of_each_part(db: None) -> None:
    body = staff_client().get("/healthz").json()
    assert set(body["checks"]) == {"database", "cache", "broker"}
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
