"""Whether Microsoft granted the rooms permission (Place.Read.All), and what turning rooms on or off changes.

Asked when an admin turns rooms on and again when a consent round trip comes back: Microsoft's admin consent
grants every permission Overlap's registration lists, so the proof is a places call that answers, never the
redirect's word.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization
from integrations.connection.clients import organization_client
from integrations.connection.log import audit
from integrations.directory.queue import rooms_sync_enqueue
from integrations.microsoft import errors
from integrations.models import Connection, IntegrationEvent, Room, RoomList


def rooms_permission_check(*, connection: Connection) -> bool:
    """Probe the places API with the tenant's token; record whether Place.Read.All is granted (and read the
    rooms when it is). Microsoft not answering leaves what was known as it was."""
    if not connection.rooms_enabled or not connection.is_active:
        return False
    try:
        organization_client(organization=connection.organization).probe_places()
    except (errors.AccessDenied, errors.ConsentMissing):
        Connection.objects.filter(pk=connection.pk).update(rooms_granted_at=None)
        connection.rooms_granted_at = None
        return False
    except errors.MicrosoftError:
        return connection.rooms_granted_at is not None
    if connection.rooms_granted_at is None:
        connection.rooms_granted_at = timezone.now()
        Connection.objects.filter(pk=connection.pk).update(rooms_granted_at=connection.rooms_granted_at)
        audit(
            organization=connection.organization,
            actor=None,
            kind=IntegrationEvent.Kind.CONSENT_GRANTED,
            detail="Place.Read.All: Microsoft answered a places call",
        )
    rooms_sync_enqueue(connection.organization)
    return True


def rooms_forget(*, organization: Organization) -> None:
    """Rooms off: the rooms read so far go (bookings keep their room's name and address)."""
    Room.objects.filter(organization=organization).delete()
    RoomList.objects.filter(organization=organization).delete()
    Connection.objects.filter(organization=organization).update(
        rooms_granted_at=None, rooms_synced_at=None, rooms_sync_summary=""
    )
