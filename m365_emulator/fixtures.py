"""The worlds the emulator can start from: tenants, their people and groups, and Overlap's app registration.

Directory data is fixed (the same ids every run, so that tests and the demo can name people); only the
calendars depend on the seed and on the current week.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from m365_emulator.rooms_fixture import CONTOSO_ROOMS, FABRIKAM_ROOMS, add_rooms
from m365_emulator.state import (
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    AppRegistration,
    DirectoryUser,
    EmulatorState,
    Group,
    Tenant,
    WorkingHours,
)

DEMO_TENANT_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"
DEMO_DOMAIN = "contoso.onmicrosoft.com"
FABRIKAM_TENANT_ID = "f0000000-0000-4000-8000-00000000fab1"
FABRIKAM_DOMAIN = "fabrikam.onmicrosoft.com"
DEMO_CLIENT_ID = "11111111-2222-4333-8444-555555555555"
APP_PERMISSIONS = ["Calendars.ReadWrite", "User.Read.All"]
OPTIONAL_PERMISSIONS = ["Place.Read.All"]  # what turning rooms on asks for, in a consent of its own
DELEGATED_PERMISSIONS = [
    "openid",
    "profile",
    "offline_access",
    "email",
    "User.Read",
    "Calendars.ReadWrite",
    "Calendars.Read.Shared",
]
# Registered redirect URIs; `*` in the port matches any port, a trailing `*` any path below the prefix.
DEFAULT_REDIRECT_URIS = [
    f"{scheme}://{host}:*{path}*"
    for scheme in ("http",)
    for host in ("127.0.0.1", "localhost")
    for path in ("/integrations/microsoft/", "/accounts/microsoft/login/callback/")
]
_NAMESPACE = uuid.UUID("0b1e7a9c-5d6f-4e3a-9c1b-2a3d4e5f6a7b")

MONDAY_TO_FRIDAY = ["monday", "tuesday", "wednesday", "thursday", "friday"]
SUNDAY_TO_THURSDAY = ["sunday", "monday", "tuesday", "wednesday", "thursday"]

# India has no daylight saving; Graph still sends both transition rules, with zeroed dates.
INDIA_CUSTOM_ZONE: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": -330,
    "name": "Customized Time Zone",
    "standardOffset": {"time": "00:00:00", "dayOccurrence": 0, "dayOfWeek": "sunday", "month": 0, "year": 0},
    "daylightOffset": {
        "time": "00:00:00",
        "dayOccurrence": 0,
        "dayOfWeek": "sunday",
        "month": 0,
        "year": 0,
        "daylightBias": 0,
    },
}
# The shape of Graph's own getSchedule example: Pacific time written out as bias and rules.
PACIFIC_CUSTOM_ZONE: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "bias": 480,
    "name": "Customized Time Zone",
    "standardOffset": {"time": "02:00:00", "dayOccurrence": 1, "dayOfWeek": "sunday", "month": 11, "year": 0},
    "daylightOffset": {
        "time": "02:00:00",
        "dayOccurrence": 2,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
        "daylightBias": -60,
    },
}


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    job: str
    zone: str  # the mailbox's Windows time zone
    hours: tuple[int, int] = (9, 17)
    roles: tuple[str, ...] = ()  # directory role template ids
    in_policy_group: bool = True
    enabled: bool = True
    custom_zone: dict[str, Any] | None = None
    days: tuple[str, ...] = tuple(MONDAY_TO_FRIDAY)


WEU, PST, EST, IST, GMT = (
    "W. Europe Standard Time",
    "Pacific Standard Time",
    "Eastern Standard Time",
    "India Standard Time",
    "GMT Standard Time",
)
CONTOSO_PEOPLE = [
    Person("Adele", "Vance", "Retail Manager", WEU, roles=(GLOBAL_ADMINISTRATOR,)),
    Person("Megan", "Bowen", "Marketing Manager", PST),
    Person("Alex", "Wilber", "Marketing Assistant", EST),
    Person("Lee", "Gu", "Director", IST, hours=(10, 18), custom_zone=INDIA_CUSTOM_ZONE),
    Person("Allan", "Deyoung", "IT Admin", PST, roles=(CLOUD_APPLICATION_ADMINISTRATOR,)),
    Person("Christie", "Cline", "Buyer", EST, hours=(8, 16)),
    Person("Debra", "Berger", "Administrative Assistant", EST),
    Person("Diego", "Ruiz", "HR Manager", WEU),
    Person("Emily", "Braun", "Budget Analyst", PST, hours=(7, 15)),
    Person("Enrico", "Cattaneo", "Attorney", WEU, hours=(9, 18)),
    Person("Grady", "Archie", "Designer", PST),
    Person("Henrietta", "Mueller", "Developer", WEU, hours=(8, 16), roles=(APPLICATION_ADMINISTRATOR,)),
    Person("Irvin", "Sayers", "Director", PST),
    Person("Isaiah", "Langer", "Sales Rep", EST),
    Person("Johanna", "Lorenz", "Senior Engineer", WEU),
    Person("Joni", "Sherman", "Paralegal", EST, in_policy_group=False, roles=(USER_ADMINISTRATOR,)),
    Person("Lidia", "Holloway", "Product Manager", PST, custom_zone=PACIFIC_CUSTOM_ZONE),
    Person("Lynne", "Robbins", "Planner", EST),
    Person("Miriam", "Graham", "Director", PST),
    Person("Nestor", "Wilke", "Director", EST, roles=(PRIVILEGED_ROLE_ADMINISTRATOR,)),
    Person("Patti", "Fernandez", "President", PST),
    Person("Pradeep", "Gupta", "Accountant", IST, hours=(9, 18), enabled=False),
    Person("Priya", "Raman", "Data Scientist", IST, hours=(10, 19)),
    Person("Arjun", "Mehta", "Support Engineer", IST, days=tuple(SUNDAY_TO_THURSDAY)),
    Person("Ananya", "Iyer", "QA Lead", IST),
    Person("Oliver", "Smith", "Account Manager", GMT),
    Person("Amelia", "Jones", "Consultant", GMT, hours=(8, 16)),
    Person("Harry", "Taylor", "Consultant", GMT),
    Person("Sofia", "Rossi", "Controller", WEU),
    Person("Lukas", "Schmidt", "Engineer", WEU, hours=(7, 15)),
    Person("Marie", "Dubois", "Engineer", WEU),
    Person("Noah", "Williams", "Account Executive", EST),
    Person("Ava", "Johnson", "Recruiter", EST, hours=(10, 18)),
    Person("Ethan", "Brown", "Engineer", PST, hours=(10, 18)),
    Person("Chloe", "Martin", "Designer", PST),
    Person("Lucas", "Garcia", "Sales Rep", PST),
    Person("Mia", "Wong", "Analyst", PST),
    Person("Liam", "Murphy", "Support Engineer", GMT),
    Person("Zoe", "Anderson", "Office Manager", EST, in_policy_group=False),
]
FABRIKAM_PEOPLE = [
    Person("Diego", "Siciliani", "HR Manager", EST, roles=(GLOBAL_ADMINISTRATOR,)),
    Person("Isabel", "Fischer", "Engineer", WEU),
    Person("Kenji", "Tanaka", "Engineer", "Tokyo Standard Time"),
    Person("Sara", "Davis", "Sales Rep", PST),
    Person("Tom", "Baker", "Finance", GMT),
]


def stable_id(*parts: str) -> str:
    """The same GUID for the same name every run, so that ids can be written into tests and notes."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(part.lower() for part in parts)))


def _user(person: Person, domain: str) -> DirectoryUser:
    upn = f"{person.first}.{person.last}@{domain}".lower()
    zone = person.custom_zone or {"name": person.zone}
    hours = WorkingHours(list(person.days), time(person.hours[0]), time(person.hours[1]), dict(zone))
    return DirectoryUser(
        id=stable_id("user", upn),
        user_principal_name=upn,
        mail=upn,
        display_name=f"{person.first} {person.last}",
        given_name=person.first,
        surname=person.last,
        job_title=person.job,
        account_enabled=person.enabled,
        directory_roles=set(person.roles),
        mailbox_time_zone=person.zone,
        working_hours=hours,
    )


def _guest(tenant_domain: str, home: str, first: str, last: str) -> DirectoryUser:
    address = f"{first}.{last}@{home}".lower()
    upn = f"{address.replace('@', '_')}#EXT#@{tenant_domain}"
    return DirectoryUser(
        id=stable_id("user", upn),
        user_principal_name=upn,
        mail=address,
        display_name=f"{first} {last} (Guest)",
        given_name=first,
        surname=last,
        user_type="Guest",
        has_mailbox=False,
    )


def _tenant(tenant_id: str, name: str, domains: list[str], people: list[Person]) -> Tenant:
    tenant = Tenant(id=tenant_id, display_name=name, domains=domains)
    default = domains[0]
    everyone = Group(stable_id("group", tenant_id, "all"), "All Company", f"allcompany@{default}")
    overlap = Group(stable_id("group", tenant_id, "overlap"), "Overlap users", f"overlap-users@{default}")
    tenant.groups = {everyone.id: everyone, overlap.id: overlap}
    for person in people:
        user = _user(person, default)
        user.group_ids = {everyone.id} | ({overlap.id} if person.in_policy_group else set())
        tenant.users[user.id] = user
    return tenant


def _contoso(people: list[Person]) -> Tenant:
    tenant = _tenant(DEMO_TENANT_ID, "Contoso", [DEMO_DOMAIN, "contoso.example"], people)
    guest = _guest(DEMO_DOMAIN, "fabrikam.com", "Sam", "Taylor")
    tenant.users[guest.id] = guest
    # A shared scanner account: in the directory, enabled, but with no Exchange mailbox.
    scanner = DirectoryUser(
        id=stable_id("user", f"scanner@{DEMO_DOMAIN}"),
        user_principal_name=f"scanner@{DEMO_DOMAIN}",
        mail="",
        display_name="Scanner (no mailbox)",
        has_mailbox=False,
    )
    tenant.users[scanner.id] = scanner
    add_rooms(tenant, CONTOSO_ROOMS, stable_id)
    return tenant


def _fabrikam(people: list[Person]) -> Tenant:
    tenant = _tenant(FABRIKAM_TENANT_ID, "Fabrikam", [FABRIKAM_DOMAIN], people)
    add_rooms(tenant, FABRIKAM_ROOMS, stable_id)
    return tenant


def _app(client_secret: str) -> AppRegistration:
    return AppRegistration(
        client_id=DEMO_CLIENT_ID,
        client_secret=client_secret,
        display_name="Overlap",
        redirect_uris=list(DEFAULT_REDIRECT_URIS),
        application_permissions=list(APP_PERMISSIONS),
        delegated_permissions=list(DELEGATED_PERMISSIONS),
        # As the README tells a real admin to set it: ID tokens then carry the person's roles (`wids`).
        group_membership_claims="DirectoryRole",
        optional_permissions=list(OPTIONAL_PERMISSIONS),
    )


def demo_world(client_secret: str) -> EmulatorState:
    """Contoso (about 40 people in five time zones, rooms in two buildings) and Fabrikam (a handful, two rooms)."""
    state = EmulatorState()
    for tenant in (
        _contoso(CONTOSO_PEOPLE),
        _fabrikam(FABRIKAM_PEOPLE),
    ):
        state.tenants[tenant.id] = tenant
    app = _app(client_secret)
    state.apps[app.client_id] = app
    return state


def minimal_world(client_secret: str) -> EmulatorState:
    """The same two tenants (and rooms) with only the people other code names (quick to seed, easy to read)."""
    named = {"Adele", "Megan", "Alex", "Lee", "Joni", "Pradeep"}
    state = EmulatorState()
    contoso = _contoso([p for p in CONTOSO_PEOPLE if p.first in named])
    fabrikam = _fabrikam(FABRIKAM_PEOPLE[:2])
    state.tenants = {contoso.id: contoso, fabrikam.id: fabrikam}
    app = _app(client_secret)
    state.apps[app.client_id] = app
    return state


FIXTURES: dict[str, Callable[[str], EmulatorState]] = {"demo": demo_world, "minimal": minimal_world}


class UnknownFixture(ValueError):
    pass


# The last worlds built, pickled, by (fixture, seed, client secret, the week seeded): the seed depends on nothing
# else (calendar_seed: "same seed, same week, same data"), so a reset to the same world unpickles a copy (about
# 0.1 s for the demo) instead of seeding every calendar again (about 0.3 s), before each of the tests that use it.
_BUILT: dict[tuple[str, int, str, date], bytes] = {}
_BUILT_KEPT = 4


def build_world(name: str, *, seed: int, client_secret: str, now: datetime | None = None) -> EmulatorState:
    """A fresh world from a named fixture, with every tenant's calendars seeded relative to `now` (its week)."""
    try:
        builder = FIXTURES[name]
    except KeyError:
        raise UnknownFixture(f"Unknown fixture {name!r}; known: {', '.join(sorted(FIXTURES))}.") from None
    moment = now or datetime.now(UTC)
    today = moment.astimezone(UTC).date()
    key = (name, seed, client_secret, today - timedelta(days=today.weekday()))
    built = _BUILT.get(key)
    if built is not None:
        state = EmulatorState()
        state.tenants, state.apps = pickle.loads(built)  # noqa: S301  (pickled by this function, in this process)
        for tenant in state.tenants.values():
            tenant.changes.expire()  # as a world built afresh: no delta token of the world before holds in it
        return state
    state = builder(client_secret)
    for tenant in state.tenants.values():
        tenant.calendars = _seed_calendars(tenant, seed=seed, now=moment)
    if len(_BUILT) >= _BUILT_KEPT:
        del _BUILT[next(iter(_BUILT))]
    _BUILT[key] = pickle.dumps((state.tenants, state.apps), protocol=pickle.HIGHEST_PROTOCOL)
    return state


def _seed_calendars(tenant: Tenant, *, seed: int, now: datetime) -> Any:
    try:
        from m365_emulator.calendar_seed import seed_calendars
    except ImportError:  # the calendar part is built separately; the directory works without it
        return None
    return seed_calendars(tenant, seed=seed, now=now)
