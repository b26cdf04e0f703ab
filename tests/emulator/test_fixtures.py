"""The demo world other code relies on: who is in it, where, and what the control API says about them."""

from __future__ import annotations

from typing import Any

from m365_emulator.fixtures import CONTOSO_PEOPLE, DEMO_TENANT_ID, build_world
from m365_emulator.testing import EmulatorProcess

CONTOSO = "contoso.onmicrosoft.com"


def _tenant(emulator: EmulatorProcess, name: str) -> dict[str, Any]:
    return next(t for t in emulator.control("GET", "/tenants")["tenants"] if t["displayName"] == name)


def test_contoso_has_about_forty_people_with_the_named_ones(emulator: EmulatorProcess) -> None:
    contoso = _tenant(emulator, "Contoso")
    assert contoso["id"] == "a1b2c3d4-0000-4000-8000-00000000c0de"
    assert contoso["domains"] == [CONTOSO, "contoso.example"]
    people = {u["userPrincipalName"]: u for u in contoso["users"]}
    members = [u for u in people.values() if u["userType"] == "Member" and u["hasMailbox"]]
    assert 38 <= len(members) <= 45
    assert people[f"adele.vance@{CONTOSO}"]["isAdmin"] is True
    assert people[f"megan.bowen@{CONTOSO}"]["mailboxTimeZone"] == "Pacific Standard Time"
    assert people[f"alex.wilber@{CONTOSO}"]["mailboxTimeZone"] == "Eastern Standard Time"
    assert people[f"adele.vance@{CONTOSO}"]["mailboxTimeZone"] == "W. Europe Standard Time"
    assert people[f"pradeep.gupta@{CONTOSO}"]["accountEnabled"] is False
    assert [u for u in people.values() if u["userType"] == "Guest"]


def test_overlap_users_holds_most_people_but_not_everyone(emulator: EmulatorProcess) -> None:
    contoso = _tenant(emulator, "Contoso")
    group = next(g for g in contoso["groups"] if g["mail"] == f"overlap-users@{CONTOSO}")
    assert group["displayName"] == "Overlap users"
    members = [u for u in contoso["users"] if u["userType"] == "Member"]
    inside = [u for u in members if group["id"] in u["groups"]]
    assert len(members) / 2 < len(inside) < len(members)
    assert f"joni.sherman@{CONTOSO}" not in {u["userPrincipalName"] for u in inside}


def test_fabrikam_is_a_second_tenant_with_its_own_admin(emulator: EmulatorProcess) -> None:
    fabrikam = _tenant(emulator, "Fabrikam")
    assert fabrikam["id"] == "f0000000-0000-4000-8000-00000000fab1"
    admins = [u["userPrincipalName"] for u in fabrikam["users"] if u["isAdmin"]]
    assert admins == ["diego.siciliani@fabrikam.onmicrosoft.com"]


def test_working_hours_span_time_zones_and_one_custom_zone() -> None:
    world = build_world("minimal", seed=1, client_secret="s")
    contoso = world.tenants[DEMO_TENANT_ID]
    zones = {str(u.working_hours.time_zone.get("name")) for u in contoso.users.values() if u.working_hours}
    assert len({p.zone for p in CONTOSO_PEOPLE}) >= 3
    lee = contoso.user_by_address(f"lee.gu@{CONTOSO}")
    assert lee is not None and lee.working_hours is not None
    assert lee.working_hours.time_zone["@odata.type"] == "#microsoft.graph.customTimeZone"
    assert "Pacific Standard Time" in zones


def test_the_directory_is_the_same_whatever_the_seed() -> None:
    first = build_world("demo", seed=1, client_secret="s").tenants[DEMO_TENANT_ID].users
    second = build_world("demo", seed=2, client_secret="s").tenants[DEMO_TENANT_ID].users
    assert sorted(first) == sorted(second)


def test_a_reset_can_load_another_fixture(emulator: EmulatorProcess) -> None:
    emulator.reset(fixture="minimal")
    assert len(_tenant(emulator, "Contoso")["users"]) < 10
    emulator.reset(fixture="demo")
    assert len(_tenant(emulator, "Contoso")["users"]) > 40
