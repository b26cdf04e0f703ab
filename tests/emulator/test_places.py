"""The places API (rooms, room lists, rooms of a list), its permission, and rooms in getSchedule and /users."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from m365_emulator.testing import Browser, ControlFailed, EmulatorProcess
from tests.emulator.calendar_support import ADELE, consented_app_token, quiet_saturday, schedule, user_token, utc
from tests.emulator.helpers import CONTOSO, app_token, graph

HQ_LIST = "rooms-headquarters@contoso.onmicrosoft.com"
SEATTLE_LIST = "rooms-seattle@contoso.onmicrosoft.com"
LISBON = "hq-lisbon@contoso.onmicrosoft.com"
HIDDEN = "hq-executive@contoso.onmicrosoft.com"
FABRIKAM_ROOM = "fab-thames@fabrikam.onmicrosoft.com"
VISIBLE_CONTOSO_ROOMS = 10  # eleven rooms, one hidden from the address list


def grant_places(emulator: EmulatorProcess, granted: bool = True, tenant: str = CONTOSO) -> None:
    body = {"client_id": emulator.client_id, "permissions": ["Place.Read.All"], "granted": granted}
    emulator.control("POST", f"/tenants/{tenant}/permissions", body)


def consent_url(emulator: EmulatorProcess, scope: str) -> str:
    redirect = "http://localhost:8000/integrations/microsoft/consent/done/"
    query = {"client_id": emulator.client_id, "redirect_uri": redirect, "scope": scope}
    return f"{emulator.browser_url}/{emulator.tenant_id}/v2.0/adminconsent?{urlencode(query)}"


def places_token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    grant_places(emulator)
    return app_token(emulator)


def rooms(emulator: EmulatorProcess, token: str, path: str = "/places/microsoft.graph.room", **params: Any) -> Any:
    response = graph(emulator, "GET", path, token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_rooms_are_listed_with_their_place_record_and_never_when_hidden(emulator: EmulatorProcess) -> None:
    body = rooms(emulator, places_token(emulator))
    by_address = {room["emailAddress"]: room for room in body["value"]}
    assert len(by_address) == VISIBLE_CONTOSO_ROOMS
    assert HIDDEN not in by_address
    lisbon = by_address[LISBON]
    assert lisbon["@odata.type"] == "#microsoft.graph.room"
    assert (lisbon["displayName"], lisbon["capacity"], lisbon["building"]) == ("Room 1.12 Lisbon", 4, "Headquarters")
    assert (lisbon["floorNumber"], lisbon["displayDeviceName"], lisbon["bookingType"]) == (1, "Wall screen", "standard")
    assert body["@odata.context"].endswith("/v1.0/$metadata#places/microsoft.graph.room")


def test_without_place_read_all_the_places_api_refuses_app_and_delegated_tokens(emulator: EmulatorProcess) -> None:
    for token in (consented_app_token(emulator), user_token(emulator, ADELE)):
        response = graph(emulator, "GET", "/places/microsoft.graph.room", token)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "ErrorAccessDenied"


def test_a_delegated_token_that_consented_to_place_read_all_lists_rooms(emulator: EmulatorProcess) -> None:
    token = user_token(emulator, ADELE, ["User.Read", "Calendars.Read.Shared", "Place.Read.All"])
    assert len(rooms(emulator, token)["value"]) == VISIBLE_CONTOSO_ROOMS


def test_taking_the_permission_back_refuses_the_next_token(emulator: EmulatorProcess) -> None:
    places_token(emulator)
    grant_places(emulator, granted=False)
    response = graph(emulator, "GET", "/places/microsoft.graph.room", app_token(emulator))
    assert response.status_code == 403


def test_rooms_come_in_pages_that_follow_the_next_link_with_a_count(emulator: EmulatorProcess) -> None:
    token = places_token(emulator)
    first = rooms(emulator, token, **{"$top": "4", "$count": "true"})
    assert first["@odata.count"] == VISIBLE_CONTOSO_ROOMS
    seen = [room["id"] for room in first["value"]]
    link = first["@odata.nextLink"]
    while link:
        page = emulator.session.get(link, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        seen += [room["id"] for room in page["value"]]
        link = page.get("@odata.nextLink")
    assert len(seen) == len(set(seen)) == VISIBLE_CONTOSO_ROOMS


def test_skip_and_top_cut_the_list_where_asked(emulator: EmulatorProcess) -> None:
    token = places_token(emulator)
    everything = [room["id"] for room in rooms(emulator, token)["value"]]
    window = rooms(emulator, token, **{"$skip": "3", "$top": "2"})
    assert [room["id"] for room in window["value"]] == everything[3:5]


def test_a_filter_on_building_and_capacity_finds_the_fitting_rooms(emulator: EmulatorProcess) -> None:
    token = places_token(emulator)
    found = rooms(emulator, token, **{"$filter": "building eq 'Headquarters' and capacity ge 6"})
    names = sorted(room["displayName"] for room in found["value"])
    assert names == ["Boardroom 4.01 Amstel", "Room 2.04 Oslo", "Room 3.01 Vienna"]


def test_a_filter_on_an_unknown_property_is_refused(emulator: EmulatorProcess) -> None:
    response = graph(
        emulator, "GET", "/places/microsoft.graph.room", places_token(emulator), params={"$filter": "color eq 'red'"}
    )
    assert response.status_code == 400


def test_select_returns_only_the_named_properties_and_the_id(emulator: EmulatorProcess) -> None:
    found = rooms(emulator, places_token(emulator), **{"$select": "emailAddress,capacity"})
    assert set(found["value"][0]) == {"@odata.type", "id", "emailAddress", "capacity"}


def test_room_lists_and_the_rooms_of_one_list(emulator: EmulatorProcess) -> None:
    token = places_token(emulator)
    lists = rooms(emulator, token, "/places/microsoft.graph.roomlist")["value"]
    assert {item["emailAddress"] for item in lists} == {HQ_LIST, SEATTLE_LIST}
    assert all(item["@odata.type"] == "#microsoft.graph.roomList" for item in lists)
    hq = rooms(emulator, token, f"/places/{HQ_LIST}/microsoft.graph.roomlist/rooms")["value"]
    assert len(hq) == 5  # six rooms at headquarters, the executive suite hidden
    assert {room["building"] for room in hq} == {"Headquarters"}


def test_another_tenants_room_list_is_not_found(emulator: EmulatorProcess) -> None:
    path = "/places/rooms-fabrikam@fabrikam.onmicrosoft.com/microsoft.graph.roomlist/rooms"
    assert graph(emulator, "GET", path, places_token(emulator)).status_code == 404


def test_rooms_are_not_listed_as_people_but_their_address_resolves(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    people = graph(emulator, "GET", "/users", token, params={"$top": "999", "$select": "mail"}).json()["value"]
    assert LISBON not in {person["mail"] for person in people}
    assert graph(emulator, "GET", f"/users/{LISBON}", token).status_code == 200


@pytest.mark.parametrize("token_kind", ["app", "delegated"])
def test_get_schedule_answers_for_rooms_and_hidden_rooms_alike(emulator: EmulatorProcess, token_kind: str) -> None:
    token = consented_app_token(emulator) if token_kind == "app" else user_token(emulator, ADELE)
    day = quiet_saturday()
    body = schedule(emulator, token, [LISBON, HIDDEN, FABRIKAM_ROOM], utc(day, 8), utc(day, 12)).json()["value"]
    assert body[0]["availabilityView"] == "00000000"
    assert body[1]["scheduleId"] == HIDDEN and "error" not in body[1]
    assert body[2]["error"]["responseCode"] == "5009"  # another tenant's room resolves to nothing here


def test_room_addresses_count_toward_the_twenty_schedules(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    addresses = [ADELE] * 15 + [LISBON] * 6
    response = schedule(emulator, consented_app_token(emulator), addresses, utc(day, 8), utc(day, 12))
    assert response.status_code == 400


def test_seeded_rooms_are_busy_at_times_in_the_coming_weeks(emulator: EmulatorProcess) -> None:
    held = emulator.control("GET", f"/tenants/{CONTOSO}/mailboxes/{LISBON}/events")["value"]
    assert len(held) > 10
    assert all(event["showAs"] == "busy" and event["responseStatus"]["response"] == "accepted" for event in held)


def test_an_admin_consent_naming_place_read_all_shows_and_grants_it(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    assert graph(emulator, "GET", "/places/microsoft.graph.room", app_token(emulator)).status_code == 403
    url = consent_url(emulator, "https://graph.microsoft.com/Place.Read.All")
    assert "Place.Read.All (application)" in Browser(emulator).sign_in(url, ADELE, decision=None).page
    landing = Browser(emulator).sign_in(url, ADELE)
    assert "https://graph.microsoft.com/Place.Read.All" in landing.params["scope"].split()
    assert len(rooms(emulator, app_token(emulator))["value"]) == VISIBLE_CONTOSO_ROOMS


def test_an_admin_consent_for_the_default_scope_alone_does_not_grant_place_read_all(emulator: EmulatorProcess) -> None:
    url = consent_url(emulator, "https://graph.microsoft.com/.default")
    landing = Browser(emulator).sign_in(url, ADELE)
    assert "https://graph.microsoft.com/Place.Read.All" not in landing.params["scope"].split()
    assert graph(emulator, "GET", "/places/microsoft.graph.room", app_token(emulator)).status_code == 403


def test_a_room_hidden_later_leaves_the_places_api_and_a_removed_room_leaves_get_schedule(
    emulator: EmulatorProcess,
) -> None:
    token = places_token(emulator)
    emulator.control("POST", f"/tenants/{CONTOSO}/rooms/{LISBON}", {"hiddenFromAddressList": True})
    assert LISBON not in {room["emailAddress"] for room in rooms(emulator, token)["value"]}
    emulator.control("DELETE", f"/tenants/{CONTOSO}/rooms/{LISBON}")
    day = quiet_saturday()
    answer = schedule(emulator, token, [LISBON], utc(day, 8), utc(day, 12)).json()["value"][0]
    assert answer["error"]["responseCode"] == "5009"


def test_the_control_api_refuses_an_unknown_policy_setting_and_a_bad_value(emulator: EmulatorProcess) -> None:
    for body in ({"AutoAcceptEverything": True}, {"BookingWindowInDays": 5000}, {"AutomateProcessing": "Maybe"}):
        with pytest.raises(ControlFailed):
            emulator.control("POST", f"/tenants/{CONTOSO}/rooms/{LISBON}/policy", body)
