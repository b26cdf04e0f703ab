"""The typed tenant moves from the organization to its connection without losing anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_user_time_zone"), ("integrations", "0002_connection_disconnected_and_reach_task")]
AFTER = [("accounts", "0003_invitation_and_tenant_moved"), ("integrations", "0005_audit_kinds")]
CONTOSO_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"


@pytest.fixture
def back_to_the_latest_schema() -> Iterator[None]:
    yield None
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every app, as the other tests expect


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_the_typed_tenant_moves_to_the_connection_and_a_tenant_shared_by_two_stays_with_the_first() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Organization, Connection = old.get_model("accounts", "Organization"), old.get_model("integrations", "Connection")
    first = Organization.objects.create(name="Contoso", azure_tenant_id="contoso.onmicrosoft.com")
    second = Organization.objects.create(name="Hijacker", azure_tenant_id="contoso.onmicrosoft.com")
    typed_only = Organization.objects.create(name="Typed only", azure_tenant_id="fabrikam.onmicrosoft.com")
    Connection.objects.create(
        organization=first, status="active", tenant_guid=CONTOSO_ID, consented_at="2026-01-01 00:00Z"
    )
    Connection.objects.create(
        organization=second, status="active", tenant_guid=CONTOSO_ID, consented_at="2026-02-01 00:00Z"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("integrations", "Connection")

    kept, cleared = new.objects.get(organization_id=first.pk), new.objects.get(organization_id=second.pk)
    assert (kept.tenant, kept.tenant_guid, kept.status) == ("contoso.onmicrosoft.com", CONTOSO_ID, "active")
    assert (cleared.tenant_guid, cleared.status) == ("", "needs_attention")
    assert "another Overlap organization" in cleared.last_error_message
    assert new.objects.get(organization_id=typed_only.pk).tenant == "fabrikam.onmicrosoft.com"
