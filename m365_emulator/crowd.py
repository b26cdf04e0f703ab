"""A large organization on demand: N generated people in a tenant, and changes among them for `/users/delta`.

The control calls (documented in control.py's header):
POST /_emulator/tenants/<tenant>/crowd              {"count", "seed"?}
POST /_emulator/tenants/<tenant>/crowd/changes      {"count", "seed"?, "kinds"?}
POST /_emulator/tenants/<tenant>/delta-tokens/expire

Everything follows from the seed and from how many people the crowd already holds, so the same calls give
the same world. 100,000 people are made in a few seconds: ids come from the seeded generator, and people of
the same time zone and hours share one working-hours object.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from m365_emulator.control import ControlError, _body, _remove_user, _tenant, reply
from m365_emulator.fixtures import MONDAY_TO_FRIDAY, SUNDAY_TO_THURSDAY, stable_id
from m365_emulator.state import DirectoryUser, Group, Tenant, WorkingHours

if TYPE_CHECKING:
    from m365_emulator.host import Host
    from m365_emulator.routing import Router

MAX_CROWD = 200_000
FIRST = ("Aiko", "Amara", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kavya",
         "Leila", "Mateo", "Nia", "Omar", "Paula", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wei",
         "Ximena", "Yusuf", "Zara", "Noor", "Lars", "Mei")  # fmt: skip
LAST = ("Abe", "Banerjee", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen",
        "Kim", "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka",
        "Umeh", "Varga", "Walker", "Xu", "Yilmaz", "Zhou", "Novak", "Silva", "Berg", "Khan")  # fmt: skip
# (Windows time zone, usual start and end hour, working days)
ZONES = (
    ("Pacific Standard Time", 9, 17, MONDAY_TO_FRIDAY),
    ("Eastern Standard Time", 9, 17, MONDAY_TO_FRIDAY),
    ("GMT Standard Time", 9, 17, MONDAY_TO_FRIDAY),
    ("W. Europe Standard Time", 8, 16, MONDAY_TO_FRIDAY),
    ("India Standard Time", 10, 18, MONDAY_TO_FRIDAY),
    ("Arab Standard Time", 8, 16, SUNDAY_TO_THURSDAY),
    ("Tokyo Standard Time", 9, 18, MONDAY_TO_FRIDAY),
    ("AUS Eastern Standard Time", 8, 16, MONDAY_TO_FRIDAY),
)
DIVISIONS = ("Sales", "Engineering", "Operations", "Corporate")
DEPARTMENTS_PER_DIVISION = 3
DISABLED_SHARE, GUEST_SHARE, OUTSIDE_POLICY_SHARE = 0.02, 0.01, 0.05
CHANGE_KINDS = ("rename", "disable", "enable", "delete", "add")


def crowd(emulator: Host, request: Request, tenant: str) -> Response:
    body = _body(request)
    found = _tenant(emulator, tenant)
    count, seed = _whole(body.get("count"), "count", 1, MAX_CROWD), _whole(body.get("seed", 1), "seed", 0, 2**62)
    with emulator.state.lock:
        return reply({"ok": True, **crowd_add(found, count=count, seed=seed)}, 201)


def crowd_add(tenant: Tenant, *, count: int, seed: int, now: datetime | None = None) -> dict[str, Any]:
    """Add `count` generated people to the tenant (see control.py); a summary of what was added."""
    added = add_people(tenant, count=count, seed=seed, now=now)
    return {
        "added": count,
        "users": len(tenant.users),
        "guests": sum(p.user_type == "Guest" for p in added),
        "disabled": sum(not p.account_enabled for p in added),
        "first": added[0].user_principal_name,
    }


def add_people(tenant: Tenant, *, count: int, seed: int, now: datetime | None = None) -> list[DirectoryUser]:
    start = tenant.crowd_size
    rng = random.Random(f"crowd/{seed}/{tenant.id}/{start}")
    departments, everyone = _groups(tenant), _policy_group(tenant)
    hours: dict[tuple[str, int, int], WorkingHours] = {}
    added: list[DirectoryUser] = []
    for index in range(start + 1, start + count + 1):
        person = _person(tenant, rng, index, hours)
        person.group_ids = {departments[index % len(departments)]}
        if everyone and rng.random() >= OUTSIDE_POLICY_SHARE:
            person.group_ids.add(everyone)
        tenant.users[person.id] = person
        tenant.changes.touch(person.id)
        added.append(person)
    tenant.crowd_size += count
    tenant._index = None
    _calendars(tenant, added, seed, now or datetime.now(UTC))
    return added


def _person(tenant: Tenant, rng: random.Random, index: int, hours: dict[Any, WorkingHours]) -> DirectoryUser:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    zone, begin, end, days = ZONES[index % len(ZONES)]
    if rng.random() < 0.2:  # some keep other hours than their office
        begin, end = begin + rng.choice((-1, 1)), end + rng.choice((-1, 1))
    key = (zone, begin, end)
    if key not in hours:
        hours[key] = WorkingHours(list(days), time(begin), time(end), {"name": zone})
    domain = tenant.domains[0]
    person = DirectoryUser(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        user_principal_name=f"{first}.{last}{index}@{domain}".lower(),
        mail=f"{first}.{last}{index}@{domain}".lower(),
        display_name=f"{first} {last}",
        given_name=first,
        surname=last,
        job_title=rng.choice(("Engineer", "Analyst", "Sales Rep", "Manager", "Designer", "Consultant")),
        account_enabled=rng.random() >= DISABLED_SHARE,
        mailbox_time_zone=zone,
        working_hours=hours[key],
    )
    if rng.random() < GUEST_SHARE:
        address = f"{first}.{last}{index}@partner.example".lower()
        person.user_principal_name = f"{address.replace('@', '_')}#EXT#@{domain}"
        person.mail, person.user_type, person.has_mailbox = address, "Guest", False
        person.display_name += " (Guest)"
    return person


def _groups(tenant: Tenant) -> list[str]:
    """The crowd's department groups (made on first use), nested in divisions nested in "All crowd"."""
    domain = tenant.domains[0]
    top = _group(tenant, "All crowd", f"allcrowd@{domain}", set())
    departments = []
    for division in DIVISIONS:
        parent = _group(tenant, division, f"{division.lower()}@{domain}", {top})
        for number in range(1, DEPARTMENTS_PER_DIVISION + 1):
            name = f"{division} {number}"
            departments.append(_group(tenant, name, f"{division.lower()}{number}@{domain}", {parent}))
    return departments


def _group(tenant: Tenant, name: str, mail: str, member_of: set[str]) -> str:
    group_id = stable_id("group", tenant.id, "crowd", name)
    if group_id not in tenant.groups:
        tenant.groups[group_id] = Group(group_id, name, mail, member_of=member_of)
    return group_id


def _policy_group(tenant: Tenant) -> str | None:
    """ "Overlap users", the group an admin would restrict the app to, when the tenant has it."""
    return next((g.id for g in tenant.groups.values() if g.mail.startswith("overlap-users@")), None)


def _calendars(tenant: Tenant, people: list[DirectoryUser], seed: int, now: datetime) -> None:
    if tenant.calendars is None:
        return
    from m365_emulator.calendar_seed import seed_sparse  # the calendar part is optional, as in fixtures.py

    seed_sparse(tenant, people, seed=seed, now=now)


# -- changes -------------------------------------------------------------------------------------------


def crowd_changes(emulator: Host, request: Request, tenant: str) -> Response:
    body = _body(request)
    found = _tenant(emulator, tenant)
    count, seed = _whole(body.get("count"), "count", 1, MAX_CROWD), _whole(body.get("seed", 1), "seed", 0, 2**62)
    kinds = body.get("kinds") or list(CHANGE_KINDS)
    if not isinstance(kinds, list) or not kinds or any(kind not in CHANGE_KINDS for kind in kinds):
        raise ControlError(400, f"kinds must be a list among {', '.join(CHANGE_KINDS)}.")
    with emulator.state.lock:
        done = change_crowd(emulator, found, count=count, seed=seed, kinds=kinds)
    return reply({"ok": True, **done})


def change_crowd(emulator: Host, tenant: Tenant, *, count: int, seed: int, kinds: list[str]) -> dict[str, Any]:
    """`count` changes among the crowd's members (never the fixture's named people), spread over `kinds`."""
    rng = random.Random(f"changes/{seed}/{tenant.id}/{tenant.changes.version}")
    crowd = sorted((u for u in tenant.users.values() if u.user_type == "Member" and _in_crowd(u)), key=_key)
    enabled = [u for u in crowd if u.account_enabled]
    disabled = [u for u in crowd if not u.account_enabled]
    rng.shuffle(enabled)
    rng.shuffle(disabled)
    done: dict[str, list[str]] = {"renamed": [], "disabled": [], "enabled": [], "deleted": [], "added": []}
    adds = 0
    for n in range(count):
        kind = kinds[n % len(kinds)]
        pool = disabled if kind == "enable" else enabled
        if kind == "add" or not pool:
            adds += kind == "add"
            continue
        person = pool.pop()
        done[_CHANGES[kind](emulator, tenant, person)].append(person.user_principal_name)
    if adds:
        done["added"] = [p.user_principal_name for p in add_people(tenant, count=adds, seed=seed)]
    return done


def _key(user: DirectoryUser) -> str:
    return user.id


def _in_crowd(user: DirectoryUser) -> bool:
    local = user.user_principal_name.split("@")[0]
    return local[-1:].isdigit() and "#ext#" not in user.user_principal_name.lower()


def _rename(emulator: Host, tenant: Tenant, person: DirectoryUser) -> str:
    person.surname = next(name for name in reversed(LAST) if name != person.surname)
    person.display_name = f"{person.given_name} {person.surname}"
    tenant.changes.touch(person.id, ("displayName", "surname"))
    return "renamed"


def _flip(emulator: Host, tenant: Tenant, person: DirectoryUser) -> str:
    person.account_enabled = not person.account_enabled
    tenant.changes.touch(person.id, ("accountEnabled",))
    return "enabled" if person.account_enabled else "disabled"


def _delete(emulator: Host, tenant: Tenant, person: DirectoryUser) -> str:
    _remove_user(emulator, tenant, person)
    return "deleted"


_CHANGES: dict[str, Callable[[Host, Tenant, DirectoryUser], str]] = {
    "rename": _rename,
    "disable": _flip,
    "enable": _flip,
    "delete": _delete,
}


def expire_delta_tokens(emulator: Host, request: Request, tenant: str) -> Response:
    found = _tenant(emulator, tenant)
    with emulator.state.lock:
        found.changes.expire()
    return reply({"ok": True})


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ControlError(400, f"{name} must be a whole number from {low} to {high}.")
    return value


CONTROL_ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("POST", "/tenants/<tenant>/crowd", crowd),
    ("POST", "/tenants/<tenant>/crowd/changes", crowd_changes),
    ("POST", "/tenants/<tenant>/delta-tokens/expire", expire_delta_tokens),
]


def register(router: Router) -> None:
    router.add_controls(CONTROL_ROUTES)
