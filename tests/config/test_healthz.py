from __future__ import annotations

import pytest
from django.test import Client

from config import health


def test_healthz_reports_every_configured_part(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["broker"]["kind"] in {"in-process", "redis"}


def test_healthz_answers_503_and_names_the_part_that_fails(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise ConnectionError("Connection refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError: Connection refused"}
    assert response.json()["checks"]["database"]["ok"] is True
