"""The connection log (`IntegrationEvent`) as a source of the admins' audit trail (`accounts.audit`)."""

from __future__ import annotations

from datetime import datetime

from accounts import audit
from integrations.models import IntegrationEvent

_K = IntegrationEvent.Kind
_BY_THE_DIRECTORY = frozenset({_K.DIRECTORY_SYNCED, _K.SYNC_HELD})
_MICROSOFT_SAID = frozenset({_K.CONSENT_REVOKED, _K.NEEDS_ATTENTION})  # Microsoft refused; Overlap only noticed
_ON: dict[str, str] = {
    _K.MEMBER_CONNECTED: "Their calendar",
    _K.MEMBER_DISCONNECTED: "Their calendar",
    _K.MICROSOFT_LINKED: "Their Microsoft account",
    _K.DIRECTORY_SYNCED: "The directory",
    _K.SYNC_HELD: "The directory",
}


class ConnectionLog:
    name = "integrations"
    areas: frozenset[str] = frozenset({audit.Area.CONNECTION})

    def entries(self, query: audit.Query, *, after: audit.Cursor | None, limit: int) -> list[audit.Entry]:
        rows = IntegrationEvent.objects.filter(organization=query.organization).select_related("actor")
        if query.people is not None:
            rows = rows.filter(actor__in=query.people)
        found = audit.newest(rows, query, after=after, source=self.name, field="created", limit=limit)
        return [self._entry(row) for row in found]

    def _entry(self, row: IntegrationEvent) -> audit.Entry:
        return audit.Entry(
            key=audit.Cursor(row.created, self.name, row.pk),
            area=audit.Area.CONNECTION,
            what=row.get_kind_display(),
            on=_ON.get(row.kind, "Microsoft 365 connection"),
            who=str(row.actor) if row.actor else (audit.MICROSOFT if row.kind in _MICROSOFT_SAID else audit.OVERLAP),
            where=_where(row),
            detail=row.detail,
        )

    def prune(self, *, before: datetime) -> int:
        return IntegrationEvent.objects.filter(created__lt=before).delete()[0]


def _where(row: IntegrationEvent) -> audit.Where:
    if row.kind in _BY_THE_DIRECTORY:
        return audit.Where.DIRECTORY
    return audit.Where.OVERLAP if row.actor_id else audit.Where.CHECK


def register() -> None:
    audit.register(ConnectionLog())
