"""The health check of a kept PostgreSQL connection (`config/postgresql`): no round trip while the connection is
fine; a connection the server ended is found out and replaced before the request's first query."""

from __future__ import annotations

import os
import select
import time
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as DjangosWrapper

from accounts.models import Organization
from tests.conftest import Org

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL's sockets"),
]


def _checked_at_the_next_query() -> None:
    setattr(connection, "health_check_enabled", True)  # noqa: B010  (as CONN_HEALTH_CHECKS sets it)
    setattr(connection, "health_check_done", False)  # noqa: B010  (as a new request sets it)


def test_a_live_connection_is_used_without_a_select_1(org: Org) -> None:
    assert Organization.objects.count() == 1
    _checked_at_the_next_query()
    with mock.patch.object(DjangosWrapper, "is_usable", side_effect=AssertionError("a round trip")):
        assert connection.is_usable()
        assert Organization.objects.count() == 1


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(org: Org) -> None:
    assert Organization.objects.count() == 1
    ended = connection.connection.info.backend_pid
    with psycopg.connect(_conninfo(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
    deadline = time.monotonic() + 5
    while not select.select([connection.connection.pgconn.socket], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the server's goodbye never arrived"
    assert not connection.is_usable()
    _checked_at_the_next_query()
    assert Organization.objects.count() == 1  # on a new connection, not an error
    assert connection.connection.info.backend_pid != ended


def _conninfo() -> str:
    params = connection.get_connection_params()
    keys = ("host", "port", "user", "password", "dbname")
    return " ".join(f"{key}={params[key]}" for key in keys if params.get(key))
