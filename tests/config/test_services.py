"""On the PostgreSQL/Redis pass (`make test-services`, always under CI) the suite really runs on them."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import require_service

on_services_pass = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite pass"
)


@on_services_pass
@pytest.mark.postgres
def test_the_suite_runs_on_postgresql(db: None) -> None:
    require_service("PostgreSQL", os.environ["DATABASE_URL"])
    assert connection.vendor == "postgresql"


@on_services_pass
@pytest.mark.redis
def test_the_cache_is_redis_and_keeps_a_value() -> None:
    require_service("Redis", settings.REDIS_URL or "redis://127.0.0.1:6379")
    cache.set("services-pass", "kept", 10)
    assert cache.get("services-pass") == "kept"
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
