"""The admin turns rooms on: the extra permission named with why, one more consent for it, rooms read after."""

from __future__ import annotations

from django.test import Client

from integrations.models import Connection, IntegrationEvent, Room
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    ADELE,
    CONTOSO_ID,
    browser,
    connect,
    consent_at_microsoft,
    query,
    start_consent,
    url,
)


def _connection(org: Org) -> Connection:
    return Connection.objects.get(organization=org.organization)


class TestTheRoomsSection:
    def test_the_page_names_place_read_all_with_why_and_the_promise_rooms_add(
        self, org: Org, admin_client: Client
    ) -> None:
        page = admin_client.get(url(org)).content.decode()

        assert "<code>Place.Read.All</code>" in page
        assert "Overlap never reads what is in a room's calendar" in page
        assert "Rooms, when you turn them on, add only <code>Place.Read.All</code>" in page
        assert "Connect Microsoft 365 first" in page  # nothing to turn on before a working connection

    def test_a_member_is_forbidden_and_an_outsider_finds_nothing(
        self, org: Org, member_client: Client, outsider_client: Client
    ) -> None:
        assert member_client.post(url(org, "integration_rooms"), {"rooms": "on"}).status_code == 403
        assert outsider_client.post(url(org, "integration_rooms"), {"rooms": "on"}).status_code == 404
        assert not Connection.objects.filter(organization=org.organization, rooms_enabled=True).exists()

    def test_rooms_cannot_be_turned_on_before_the_connection_works(self, org: Org, admin_client: Client) -> None:
        page = admin_client.post(url(org, "integration_rooms"), {"rooms": "on"}, follow=True).content.decode()

        assert "Connect Microsoft 365 first; rooms come with a working connection." in page
        assert not Connection.objects.filter(organization=org.organization, rooms_enabled=True).exists()


class TestTurningRoomsOn:
    def test_rooms_wait_for_place_read_all_then_one_more_consent_names_only_it_and_the_rooms_come_in(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings)

        waiting = client.post(url(org, "integration_rooms"), {"rooms": "on"}, follow=True).content.decode()
        assert "Microsoft has not granted Place.Read.All yet" in waiting
        assert "Grant Place.Read.All at Microsoft" in waiting
        assert not Room.objects.filter(organization=org.organization).exists()

        page = consent_at_microsoft(client, org, emulator_settings, ADELE, "accept")

        assert "Rooms on" in page
        listed = emulator_settings.control("GET", f"/tenants/{CONTOSO_ID}/rooms")["rooms"]
        hidden = {r["emailAddress"].lower() for r in listed if r.get("hiddenFromAddressList")}
        bookable = {
            r["emailAddress"].lower()
            for r in listed
            if not r.get("hiddenFromAddressList") and r.get("bookingType", "standard") != "reserved"
        }
        ours = set(Room.objects.filter(organization=org.organization).values_list("address", flat=True))
        assert hidden and ours and ours == bookable
        assert _connection(org).rooms_granted_at is not None

    def test_the_consent_for_rooms_names_place_read_all_beside_the_default_scope(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings)
        client.post(url(org, "integration_rooms"), {"rooms": "on"})

        scope = query(start_consent(client, org, emulator_settings))["scope"].split()

        assert scope == ["https://graph.microsoft.com/.default", "https://graph.microsoft.com/Place.Read.All"]

    def test_turning_rooms_off_forgets_the_rooms_and_says_so_in_the_log(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings)
        client.post(url(org, "integration_rooms"), {"rooms": "on"})
        Room.objects.create(organization=org.organization, address="fjord@contoso.example", name="Fjord")

        page = client.post(url(org, "integration_rooms"), {"rooms": "off"}, follow=True).content.decode()

        assert "Rooms are off: members book meetings without rooms." in page
        assert not Room.objects.filter(organization=org.organization).exists()
        assert _connection(org).rooms_enabled is False and _connection(org).rooms_granted_at is None
        kinds = IntegrationEvent.objects.filter(organization=org.organization).values_list("detail", flat=True)
        assert {"Rooms turned on", "Rooms turned off"} <= set(kinds)
