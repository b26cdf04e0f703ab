"""Writes behind the admins' settings page: the tenant and the mode, what a change would do, test, disconnect.

Every change lands in the integration log (the connection's moves through `Connection`'s state machine,
the rest through `connection.log.audit`). Consent is `integrations.consent`'s, the security group
`integrations.reach`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import Organization, User
from integrations.connection.clients import ConnectionNotReady, microsoft_config
from integrations.connection.health import probe_problem
from integrations.connection.log import audit
from integrations.connection.lookup import connection_for, connection_or_new
from integrations.connection.problems import record_problem
from integrations.directory.queue import directory_sync_enqueue
from integrations.directory.rooms_access import rooms_forget, rooms_permission_check
from integrations.member_calendars.services import forget_member_grants
from integrations.microsoft import auth, errors
from integrations.models import Connection, IntegrationEvent

DISCONNECT_CONSEQUENCES: list[StrOrPromise] = [
    _(
        "Overlap stops every call to your Microsoft 365 tenant at once: no free/busy, no new meetings, no directory "
        "synchronisation."
    ),
    _(
        "It forgets the tenant's tokens and every member's calendar connection; people keep their Overlap accounts "
        "and the meetings already in their calendars."
    ),
    _(
        "Your tenant is no longer bound to this organization; reconnecting means signing in at Microsoft as a "
        "tenant admin and granting consent again."
    ),
    _(
        "The consent stays at Microsoft until you delete Overlap under Enterprise applications in the Entra admin "
        "center."
    ),
]


_SAVED = _("Saved. Next: grant admin consent at Microsoft.")


@dataclass(frozen=True)
class ConnectionChange:
    """What saving a tenant and mode would do, for the confirmation page and the message afterwards."""

    consequences: list[StrOrPromise]
    title: StrOrPromise = ""
    button: StrOrPromise = ""
    done: StrOrPromise = _SAVED


def connection_configure(*, organization: Organization, actor: User, tenant: str, mode: str) -> Connection:
    """Save the tenant and the mode the admin chose.

    A new tenant throws away what was confirmed for the old one (tokens, consent), so the admin must
    grant consent again; a new mode keeps the consent, which covers both modes.
    """
    connection = connection_or_new(organization=organization)
    with transaction.atomic():
        if mode != connection.mode:
            audit(
                organization=organization,
                actor=actor,
                kind=IntegrationEvent.Kind.MODE_CHANGED,
                detail=f"{connection.get_mode_display()} → {Connection.Mode(mode).label}",
            )
            connection.mode = mode
        if tenant != connection.tenant:
            _change_tenant(connection, actor=actor, tenant=tenant)
        connection.save()
    if connection.is_active and connection.mode == Connection.Mode.DOMAIN_WIDE:
        directory_sync_enqueue(organization)
    return connection


def connection_change(*, organization: Organization, tenant: str, mode: str) -> ConnectionChange:
    """What changes if the admin saves this; consequences only when a working connection would be affected."""
    connection = connection_for(organization=organization)
    if connection is None or connection.consented_at is None or connection.status == Connection.Status.NOT_CONFIGURED:
        return ConnectionChange([])
    if tenant != connection.tenant:
        return ConnectionChange(
            [
                gettext(
                    "Overlap stops using your current tenant (%(tenant)s) at once and forgets its tokens and every "
                    "member's calendar connection."
                )
                % {"tenant": connection.tenant},
                gettext("Nobody can book until an admin of the new tenant signs in at Microsoft and grants consent."),
                gettext(
                    "People and their bookings stay; a later synchronisation with the new tenant never takes access "
                    "from more than half of them without asking you."
                ),
            ],
            title=gettext("Change the tenant to %(tenant)s?") % {"tenant": tenant},
            button=gettext("Change the tenant"),
        )
    if mode != connection.mode and connection.is_active:
        return _mode_change(mode)
    return ConnectionChange([], done=gettext("Saved. Nothing else changed."))


def _mode_change(mode: str) -> ConnectionChange:
    if mode == Connection.Mode.DELEGATED:
        lines = [
            gettext(
                "Overlap stops using the tenant-wide access for booking: each person must connect their own calendar "
                "before they can book."
            ),
            gettext("The directory is no longer synchronised; people who sign in with Microsoft join as they come."),
        ]
        title, button = gettext("Switch to individual mode?"), gettext("Switch to individual")
        done = gettext("Switched to individual mode. The connection stays active; no new consent is needed.")
    else:
        lines = [
            gettext("Overlap books with the tenant-wide access; nobody needs to connect a calendar."),
            gettext(
                "It brings in your directory now and every hour: new people join, people disabled there lose access."
            ),
        ]
        title, button = gettext("Switch to domain-wide mode?"), gettext("Switch to domain-wide")
        done = gettext("Switched to domain-wide mode. The connection stays active; no new consent is needed.")
    consent = gettext("The consent covers both modes: no new consent is needed.")
    return ConnectionChange([*lines, consent], title=title, button=button, done=done)


def _change_tenant(connection: Connection, *, actor: User, tenant: str) -> None:
    old = connection.tenant
    if connection.tenant_guid:
        auth.forget_tenant(microsoft_config(), connection.tenant_guid)
    connection.tenant = tenant
    connection.mark_awaiting_consent(
        actor=actor, why=IntegrationEvent.Kind.TENANT_CHANGED, detail=f"{old or '(none)'} → {tenant}"
    )


def tenant_problem(*, tenant: str) -> str | None:
    """Why Microsoft would refuse this tenant outright (it does not exist), or None.

    Asked before saving, so that a typo is caught on Overlap's page rather than on Microsoft's error page;
    when Microsoft cannot be reached the tenant is accepted and the consent step will tell.
    """
    try:
        auth.tenant_id(microsoft_config(), tenant)
    except errors.TenantNotFound:
        return gettext(
            "Microsoft does not know the tenant “%(tenant)s”. Check the spelling against the Entra admin center."
        ) % {"tenant": tenant}
    except errors.MicrosoftError:
        return None
    return None


def connection_test(*, organization: Organization, actor: User) -> Connection:
    """Run the connection's checks again and record what they found."""
    connection = connection_for(organization=organization)
    if connection is None or not connection.tenant_guid or not connection.in_use:
        raise ConnectionNotReady(gettext("Grant admin consent first; there is nothing to test yet."))
    problem = probe_problem(connection.tenant_guid)
    connection.last_checked_at = timezone.now()
    verdict = f"{problem.code}: {problem.message}" if problem else "all checks passed"
    audit(organization=organization, actor=actor, kind=IntegrationEvent.Kind.CHECKED, detail=verdict)
    if problem is None:
        connection.mark_active(actor=actor, detail="the test passed")
    else:
        record_problem(connection, problem)
    return connection


def connection_disconnect(*, organization: Organization, actor: User) -> Connection:
    """Stop every call to Microsoft for this organization and forget its tokens (app-only and members')."""
    connection = connection_for(organization=organization)
    if connection is None or connection.status in (Connection.Status.NOT_CONFIGURED, Connection.Status.DISCONNECTED):
        raise ConnectionNotReady(gettext("Overlap is not connected to Microsoft 365; there is nothing to disconnect."))
    if connection.tenant_guid:
        auth.forget_tenant(microsoft_config(), connection.tenant_guid)
    with transaction.atomic():
        forgotten = forget_member_grants(organization=organization)
        connection.mark_disconnected(
            actor=actor, detail=f"tokens forgotten; {forgotten} member calendar connection(s) removed"
        )
    return connection


def rooms_turn(*, organization: Organization, actor: User, enabled: bool) -> Connection:
    """Turn rooms on or off. On: Overlap checks at once whether Microsoft already granted Place.Read.All (then
    the rooms are read now); if not, the admin grants it with one more consent (`rooms_after_consent`). Off:
    members stop being offered rooms; the rooms read so far are forgotten."""
    connection = connection_for(organization=organization)
    if connection is None or not connection.is_active:
        raise ConnectionNotReady("Connect Microsoft 365 first; rooms come with a working connection.")
    with transaction.atomic():
        connection.rooms_enabled = enabled
        connection.save(update_fields=["rooms_enabled", "updated"])
        audit(
            organization=organization,
            actor=actor,
            kind=IntegrationEvent.Kind.ROOMS_CHANGED,
            detail="Rooms turned on" if enabled else "Rooms turned off",
        )
        if not enabled:
            rooms_forget(organization=organization)
    if enabled:
        rooms_permission_check(connection=connection)
    return connection


def client_id() -> str:
    """Overlap's application (client) ID, which admins need for the access policy."""
    return microsoft_config().client_id
