"""Graph's delta query for users, and the crowd that makes a large organization on demand."""

from __future__ import annotations

import time
from typing import Any

import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.helpers import app_token, graph

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
CONTOSO_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"


def _token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    return app_token(emulator)


def _follow(emulator: EmulatorProcess, token: str, first: str, **kwargs: Any) -> tuple[list[dict[str, Any]], str]:
    """Every item of a delta round and its deltaLink, checking that no page carries both links."""
    items: list[dict[str, Any]] = []
    body = graph(emulator, "GET", first, token, **kwargs).json()
    while True:
        assert not ("@odata.nextLink" in body and "@odata.deltaLink" in body)
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, str(body["@odata.deltaLink"])
        body = emulator.session.get(body["@odata.nextLink"], headers={"Authorization": f"Bearer {token}"}).json()


def _later(emulator: EmulatorProcess, token: str, link: str, **headers: str) -> Any:
    return emulator.session.get(link, headers={"Authorization": f"Bearer {token}", **headers}, timeout=10)


def test_the_first_delta_round_lists_everyone_in_pages_with_the_selected_properties(
    emulator: EmulatorProcess,
) -> None:
    emulator.add_crowd(450)
    token = _token(emulator)

    items, link = _follow(emulator, token, "/users/delta", params={"$select": "id,displayName,accountEnabled"})

    assert len(items) == 450 + 41 and len({item["id"] for item in items}) == len(items)
    assert all(set(item) == {"id", "displayName", "accountEnabled"} for item in items)
    assert "$deltatoken=" in link and "$select" not in link  # the selection is folded into the token


def test_a_later_round_reports_only_what_changed_and_who_left(emulator: EmulatorProcess) -> None:
    token = _token(emulator)
    _, link = _follow(emulator, token, "/users/delta", params={"$select": "id,displayName,accountEnabled"})
    megan = emulator.user_id(MEGAN)
    emulator.update_user(MEGAN, displayName="Megan Bowen-Smith")
    adele = emulator.user_id("adele.vance@contoso.onmicrosoft.com")
    emulator.control("DELETE", f"/tenants/{CONTOSO_ID}/users/adele.vance@contoso.onmicrosoft.com")
    alex = emulator.user_id("alex.wilber@contoso.onmicrosoft.com")
    emulator.control("DELETE", f"/tenants/{CONTOSO_ID}/users/alex.wilber@contoso.onmicrosoft.com?permanent=true")

    body = _later(emulator, token, link).json()

    by_id = {item["id"]: item for item in body["value"]}
    assert set(by_id) == {megan, adele, alex}
    assert by_id[megan] == {"id": megan, "displayName": "Megan Bowen-Smith", "accountEnabled": True}
    assert by_id[adele]["@removed"] == {"reason": "changed"}
    assert by_id[alex]["@removed"] == {"reason": "deleted"}
    assert _later(emulator, token, body["@odata.deltaLink"]).json()["value"] == []


def test_return_minimal_sends_only_the_changed_properties(emulator: EmulatorProcess) -> None:
    token = _token(emulator)
    _, link = _follow(emulator, token, "/users/delta", params={"$select": "id,displayName,accountEnabled"})
    emulator.update_user(MEGAN, accountEnabled=False)

    body = _later(emulator, token, link, Prefer="return=minimal").json()

    assert body["value"] == [{"id": emulator.user_id(MEGAN), "accountEnabled": False}]


def test_latest_gives_a_delta_link_without_reading_the_directory(emulator: EmulatorProcess) -> None:
    token = _token(emulator)
    body = graph(emulator, "GET", "/users/delta", token, params={"$deltatoken": "latest", "$select": "id"}).json()
    assert body["value"] == [] and "@odata.nextLink" not in body
    emulator.update_user(MEGAN, accountEnabled=False)

    assert _later(emulator, token, body["@odata.deltaLink"]).json()["value"] == [{"id": emulator.user_id(MEGAN)}]


def test_an_expired_or_unknown_delta_link_asks_for_a_full_sync(emulator: EmulatorProcess) -> None:
    token = _token(emulator)
    _, link = _follow(emulator, token, "/users/microsoft.graph.delta")
    emulator.expire_delta_tokens()

    for response in (
        _later(emulator, token, link),
        graph(emulator, "GET", "/users/delta", token, params={"$deltatoken": "made-up"}),
    ):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "syncStateNotFound"
        assert "data must be synchronized again" in response.json()["error"]["message"]


def test_a_crowd_of_a_hundred_thousand_is_built_in_seconds_and_the_same_for_the_same_seed(
    emulator: EmulatorProcess,
) -> None:
    started = time.perf_counter()
    first = emulator.add_crowd(100_000, seed=7)
    assert time.perf_counter() - started < 20
    assert first["users"] == 100_041 and 500 < first["guests"] < 1500 and 1000 < first["disabled"] < 3000
    emulator.reset(fixture="demo", seed=1)
    assert emulator.add_crowd(10, seed=7)["first"] == first["first"]


def test_the_crowd_spans_time_zones_and_nested_groups(emulator: EmulatorProcess) -> None:
    emulator.add_crowd(40)
    tenant = next(t for t in emulator.control("GET", "/tenants")["tenants"] if t["id"] == CONTOSO_ID)
    crowd = [u for u in tenant["users"] if u["userPrincipalName"].split("@")[0][-1:].isdigit()]
    assert len({u["mailboxTimeZone"] for u in crowd}) == 8
    top = next(g["id"] for g in tenant["groups"] if g["displayName"] == "All crowd")
    member = next(u for u in crowd if u["userType"] == "Member")
    outsider = emulator.user_id(MEGAN)
    emulator.control("POST", f"/tenants/{CONTOSO_ID}/access-policy", {"client_id": emulator.client_id, "group": top})
    token = _token(emulator)

    def events(user: str) -> int:
        return graph(emulator, "GET", f"/users/{user}/events", token, params={"$top": "1"}).status_code

    assert top not in member["groups"]  # a member of a department, in a division, in "All crowd"
    assert events(member["id"]) == 200 and events(outsider) == 403


def test_crowd_changes_feed_the_delta(emulator: EmulatorProcess) -> None:
    emulator.add_crowd(200)
    token = _token(emulator)
    _, link = _follow(emulator, token, "/users/delta", params={"$select": "id,userPrincipalName"})

    done = emulator.change_crowd(8, kinds=["rename", "disable", "delete", "add"])

    items = _later(emulator, token, link).json()["value"]
    assert [len(done[k]) for k in ("renamed", "disabled", "deleted", "added")] == [2, 2, 2, 2]
    assert sum("@removed" in item for item in items) == 2 and len(items) == 8


def test_the_crowd_refuses_a_bad_count(emulator: EmulatorProcess) -> None:
    with pytest.raises(ControlFailed, match="count must be a whole number"):
        emulator.control("POST", f"/tenants/{CONTOSO_ID}/crowd", {"count": "many"})
