"""A connection's status moves only through its mark_* methods: legal moves are logged once, others refused."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from integrations.models import MOVES, Connection, IllegalTransition, IntegrationEvent
from tests.conftest import Org

S = Connection.Status
TENANT = "a1b2c3d4-0000-4000-8000-00000000c0de"


def _connection(org: Org, status: str) -> Connection:
    return Connection.objects.create(organization=org.organization, status=status, tenant_guid=TENANT)


def _mark(connection: Connection, org: Org, to: str) -> Callable[[], None]:
    problem = {"code": "ErrorAccessDenied", "message": "Microsoft refused.", "fix": "Grant consent again."}
    return {
        S.AWAITING_CONSENT: lambda: connection.mark_awaiting_consent(
            actor=org.admin, why=IntegrationEvent.Kind.TENANT_CHANGED, detail="a → b"
        ),
        S.ACTIVE: lambda: connection.mark_active(actor=org.admin),
        S.NEEDS_ATTENTION: lambda: connection.mark_problem(**problem),
        S.REVOKED: lambda: connection.mark_revoked(**problem),
        S.DISCONNECTED: lambda: connection.mark_disconnected(actor=org.admin),
    }[S(to)]


LEGAL = sorted((before, to) for before, targets in MOVES.items() for to in targets if before != to)
ILLEGAL = sorted((before, to) for before in S for to in S if to != S.NOT_CONFIGURED and to not in MOVES[before])


@pytest.mark.parametrize(("before", "to"), LEGAL)
def test_every_move_is_logged_once(org: Org, before: str, to: str) -> None:
    connection = _connection(org, before)

    _mark(connection, org, to)()

    connection.refresh_from_db()
    assert connection.status == to
    [entry] = IntegrationEvent.objects.filter(organization=org.organization)
    if to == S.AWAITING_CONSENT:  # logged as its reason
        assert (entry.kind, entry.detail) == (IntegrationEvent.Kind.TENANT_CHANGED, "a → b")
    else:
        assert entry.detail.startswith(f"{S(before).label} → {S(to).label}")


@pytest.mark.parametrize(("before", "to"), ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(org: Org, before: str, to: str) -> None:
    connection = _connection(org, before)

    with pytest.raises(IllegalTransition):
        _mark(connection, org, to)()

    assert Connection.objects.get(pk=connection.pk).status == before
    assert not IntegrationEvent.objects.filter(organization=org.organization).exists()


def test_the_same_problem_found_again_is_not_logged_again_but_its_time_is(org: Org) -> None:
    connection = _connection(org, S.ACTIVE)
    connection.mark_problem(code="TooManyRequests", message="Slow down.", fix="Wait.")
    first = connection.last_error_at

    connection.mark_problem(code="TooManyRequests", message="Slow down.", fix="Wait.")

    assert IntegrationEvent.objects.filter(kind=IntegrationEvent.Kind.NEEDS_ATTENTION).count() == 1
    assert first is not None and connection.last_error_at is not None and connection.last_error_at >= first


def test_a_disconnect_is_its_own_state_without_an_error_notice(org: Org) -> None:
    connection = _connection(org, S.ACTIVE)

    connection.mark_disconnected(actor=org.admin, detail="tokens forgotten")

    connection.refresh_from_db()
    assert (connection.status, connection.tenant_guid, connection.last_error_message) == (S.DISCONNECTED, "", "")
    entry = IntegrationEvent.objects.get(organization=org.organization)
    assert (entry.kind, entry.actor) == (IntegrationEvent.Kind.DISCONNECTED, org.admin)


def test_a_connection_without_a_confirmed_tenant_cannot_become_active(org: Org) -> None:
    connection = Connection.objects.create(organization=org.organization, status=S.AWAITING_CONSENT)

    with pytest.raises(IllegalTransition):
        connection.mark_active(actor=org.admin)

    assert Connection.objects.get(pk=connection.pk).status == S.AWAITING_CONSENT


def test_recovering_from_trouble_is_logged_as_such_not_as_consent_granted(org: Org) -> None:
    connection = _connection(org, S.NEEDS_ATTENTION)

    connection.mark_active(actor=None)

    assert IntegrationEvent.objects.get(organization=org.organization).kind == IntegrationEvent.Kind.RESTORED


def test_no_module_sets_a_connections_status_but_the_model() -> None:
    root = Path(__file__).resolve().parents[2] / "integrations"
    setting = []
    for path in root.rglob("*.py"):
        if path.name == "models.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            keywords = node.keywords if isinstance(node, ast.Call) and _is_write(node) else []
            if any(
                isinstance(t, ast.Attribute) and t.attr == "status" and "Connection" in ast.unparse(node)
                for t in targets
            ):
                setting.append(f"{path.name}:{getattr(node, 'lineno', 0)}")
            if any(k.arg == "status" and "Connection.Status" in ast.unparse(k.value) for k in keywords):
                setting.append(f"{path.name}:{getattr(node, 'lineno', 0)}")
    assert setting == []


def _is_write(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in {"update", "create", "update_or_create"}
