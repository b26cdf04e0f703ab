"""Isolation: every organization URL and form tried with another organization's identifiers, as that other
organization's owner and member, as an outsider and anonymously → only 403/404 (or the sign-in page), nothing leaks,
nothing changes; and no tenant's token ever reaches another tenant's mailbox."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from accounts.models import Membership
from booking import services
from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import book, form, world_in
from tests.conftest import Org, signed_in
from tests.factories import UserFactory
from tests.integrations.helpers import browser, consent_at_microsoft, save_tenant
from tests.proof.conftest import figure, promise
from tests.proof.world import quiet_slots
from tests.test_organization_urls import EXPECTED, _organization_url_names

pytestmark = [pytest.mark.proof, pytest.mark.django_db(transaction=True)]

FABRIKAM_DOMAIN = "fabrikam.onmicrosoft.com"
DIEGO = f"diego.siciliani@{FABRIKAM_DOMAIN}"
SECRET = "Proof secret merger talks"


def _snapshot(org: Org) -> list[tuple[Any, ...]]:
    bookings = Booking.objects.filter(organization=org.organization).order_by("pk")
    rows: list[tuple[Any, ...]] = [
        (b.pk, b.state, b.start, b.end, b.subject, b.event_id, b.participants.count()) for b in bookings
    ]
    rows += list(Membership.objects.filter(organization=org.organization).values_list("pk", "role", "is_active"))
    return rows


def _fabrikam_booking(other_org: Org, emulator: EmulatorProcess) -> Booking:
    """Fabrikam connected to its own tenant by its admin (Diego), and one meeting booked there."""
    admin = browser(other_org.admin)
    save_tenant(admin, other_org, FABRIKAM_DOMAIN)
    consent_at_microsoft(admin, other_org, emulator, DIEGO, "accept")
    people = list(Membership.objects.filter(organization=other_org.organization, user__email__endswith=FABRIKAM_DOMAIN))
    slot = quiet_slots(1, first_week=20)[0]
    return services.booking_create(
        organizer=people[0], required=people[1:2], optional=[], slot=slot, subject="Proof Fabrikam plan"
    )


def test_another_organizations_identifiers_open_nothing_leak_nothing_and_change_nothing(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    emulator = emulator_settings
    world = world_in(org, emulator, "domain_wide")
    book(
        world.client(world.megan),
        org,
        form(quiet_slots(1, first_week=18)[0].start, required=[world.adele], subject=SECRET),
    )
    victim = Booking.objects.get(subject=SECRET)
    fabrikam_booking = _fabrikam_booking(other_org, emulator)
    names = _organization_url_names(get_resolver().url_patterns)
    secrets = [SECRET, "Megan Bowen", "Adele Vance", "megan.bowen@", "adele.vance@", str(world.adele.user.uuid)]
    before = _snapshot(org)
    attackers: dict[str, Client] = {
        "other owner": signed_in(other_org.admin),
        "other member": signed_in(other_org.member),
        "outsider": signed_in(UserFactory.create(email="nobody@example.net", name="Nobody")),
        "anonymous": Client(),
    }
    foreign = {  # the victim's identifiers, put in every form field that names a person, a time or a meeting
        "required": [str(world.adele.user.uuid)],
        "optional": [str(world.megan.user.uuid)],
        "q": "Adele",
        "subject": SECRET,
        "start": victim.start.isoformat(),
        "minutes": "30",
        "booking": str(victim.code),
        "confirm": "yes",
        "tenant": "contoso.onmicrosoft.com",
        "comment": "x",
    }
    statuses: Counter[int] = Counter()
    leaks, wrong = [], []
    tried = 0
    for who, client in attackers.items():
        own = other_org.organization.code if who.startswith("other") else None
        for name in sorted(names):
            expect = EXPECTED[name]
            targets = [{"code": org.organization.code}]
            if expect.meeting:
                targets = [{"code": org.organization.code, "booking": victim.code}]
                if own:  # one's own organization with the other's meeting
                    targets.append({"code": own, "booking": victim.code})
            elif expect.person:
                targets = [{"code": org.organization.code, "person": world.adele.user.uuid}]
                if own:  # one's own organization with the other's person
                    targets.append({"code": own, "person": world.adele.user.uuid})
            elif (own and expect.method == "post") or (name in {"booking_people", "booking_confirm_page"} and own):
                targets.append({"code": own})  # one's own forms, filled with the other's people and meeting
            for kwargs in targets:
                path = reverse(name, kwargs=kwargs)
                response = getattr(client, expect.method)(path, foreign)
                tried += 1
                statuses[response.status_code] += 1
                body = response.content.decode(errors="replace")
                leaks += [(who, name, s) for s in secrets if s in body]
                own_form = kwargs["code"] == own and "booking" not in kwargs and "person" not in kwargs
                if who == "anonymous":
                    allowed = response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
                elif own_form:
                    allowed = response.status_code < 500  # one's own page, refusing the other's people
                else:
                    allowed = response.status_code in (403, 404)
                if not allowed:
                    wrong.append((who, name, response.status_code))
    after = _snapshot(org)
    own_bookings = Booking.objects.filter(organization=other_org.organization).exclude(pk=fabrikam_booking.pk)
    log = [e for e in emulator.log(0) if e["path"].startswith("/v1.0") and e["mailbox"]]
    tenants = {t["id"]: {d.lower() for d in t["domains"]} for t in emulator.control("GET", "/tenants")["tenants"]}
    crossed = [
        (e["tenant"], e["mailbox"])
        for e in log
        if e["tenant"] and e["mailbox"].split("@")[-1].lower() not in tenants.get(e["tenant"], set())
    ]
    figure(
        "isolation",
        f"{len(names)} organization URLs x 4 people (other org's owner and member, outsider, anonymous): {tried} "
        f"requests with Contoso's identifiers, answers {dict(sorted(statuses.items()))}, {len(wrong)} not refused, "
        f"{len(leaks)} leaks, {int(before != after)} changes to Contoso, {own_bookings.count()} bookings made in "
        f"Fabrikam with Contoso's people; request log: {len(log)} mailbox calls by "
        f"{len({e['tenant'] for e in log})} tenants' tokens, {len(crossed)} to another tenant's mailbox",
    )

    promise(not wrong, f"another organization's identifiers open nothing: {wrong[:10]}")
    promise(not leaks, f"nothing of another organization leaks: {leaks[:10]}")
    promise(before == after, "another organization's requests change nothing")
    promise(not own_bookings.exists(), "no booking is made with another organization's people")
    promise(
        Booking.objects.get(pk=fabrikam_booking.pk).state == Booking.State.CONFIRMED, "Fabrikam books in its tenant"
    )
    promise(len({e["tenant"] for e in log}) == 2, "both tenants' tokens were used in the run")
    promise(not crossed, f"one tenant's token never reaches another tenant's mailbox: {crossed[:5]}")
