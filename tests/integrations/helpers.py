"""Helpers for driving the integration pages against the Microsoft 365 emulator.

The test client speaks as a browser at http://127.0.0.1:8000 (a redirect URI the emulator's app
registration accepts); Microsoft's redirects are fed back to it as a browser would follow them.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import Membership, User
from integrations.models import DirectoryEntry
from m365_emulator.fixtures import stable_id
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org

CONTOSO_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"
CONTOSO = "contoso.onmicrosoft.com"
FABRIKAM_ID = "f0000000-0000-4000-8000-00000000fab1"
HOST = "127.0.0.1:8000"
ADELE = "adele.vance@contoso.onmicrosoft.com"  # Global Administrator of Contoso


def browser(user: User) -> Client:
    client = Client(HTTP_HOST=HOST)
    user.refresh_from_db()  # as they are now: connecting Microsoft replaces a person's password marker
    client.force_login(user)
    return client


def in_directory(membership: Membership) -> Membership:
    """Link a Contoso person's membership to their directory record as the sync or their own sign-in would (the
    emulator's fixed object id for their UPN), unless it is linked already. The address Graph needs is left for
    Overlap to read from Graph by that object id, as for anyone linked at a sign-in."""
    upn = membership.user.email
    DirectoryEntry.objects.get_or_create(
        membership=membership,
        defaults={
            "organization": membership.organization,
            "object_id": stable_id("user", upn),
            "user_principal_name": upn,
        },
    )
    return membership


def url(org: Org, name: str = "integration_settings") -> str:
    return reverse(name, kwargs={"code": org.organization.code})


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def save_tenant(client: Client, org: Org, tenant: str = CONTOSO, mode: str = "domain_wide") -> None:
    response = client.post(url(org, "integration_tenant"), {"tenant": tenant, "mode": mode})
    assert response.status_code == 302, response.content.decode()[:2000]


def start_consent(
    client: Client, org: Org, emulator: EmulatorProcess, login: str = ADELE, via: str | None = None
) -> str:
    """Click "Grant admin consent" (or follow `via`, its redirect) and sign in at Microsoft as a tenant admin;
    returns the admin-consent URL Overlap then sends the browser to (the consent itself is left to the test)."""
    location = via or client.post(url(org, "integration_consent"))["Location"]
    onward = sign_in_then(client, MicrosoftBrowser(emulator), location, login)
    assert onward.startswith(emulator.browser_url), re.findall(r"class=\"message[^\"]*\">(.*?)</li>", onward, re.S)
    return onward


def come_back(client: Client, **params: str) -> str:
    """Microsoft's redirect to the consent callback; returns the settings page the admin lands on."""
    callback = reverse("consent_callback") + "?" + urlencode(params)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the directory sync is enqueued on commit
        return client.get(callback, follow=True).content.decode()


def connect(client: Client, org: Org, emulator: EmulatorProcess, mode: str = "domain_wide", login: str = ADELE) -> str:
    """The whole set-up as an admin does it: tenant, sign-in at Microsoft as a tenant admin, consent, back."""
    save_tenant(client, org, CONTOSO, mode)
    return consent_at_microsoft(client, org, emulator, login, "accept")


GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def check_reach(client: Client, org: Org) -> str:
    """Click "Check who Overlap can reach", let the task run (it is enqueued on commit), reload the page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url(org, "integration_reach"))
    return client.get(url(org)).content.decode()


class MicrosoftBrowser:
    """A person's browser at the emulator's sign-in pages (plain HTTP, as the demo's browser sees them)."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.trust_env = False

    def open(self, location: str) -> requests.Response:
        assert location.startswith(self.emulator.browser_url), location
        return self.session.get(location, allow_redirects=False, timeout=10)

    def sign_in(self, page: requests.Response, login: str) -> requests.Response:
        return self._submit(page, {"login": login, "action": "next"})

    def decide(self, page: requests.Response, decision: str) -> requests.Response:
        return self._submit(page, {"decision": decision})

    def _submit(self, page: requests.Response, fields: dict[str, str]) -> requests.Response:
        assert page.status_code == 200, (page.status_code, page.text[:500])
        action = re.search(r"<form method='post' action='([^']+)'", page.text)
        flow = re.search(r"name='flow' value='([^']+)'", page.text)
        assert action and flow, page.text[:1000]
        target = self.emulator.browser_url + html.unescape(action.group(1))
        data = {"flow": html.unescape(flow.group(1)), **fields}
        return self.session.post(target, data=data, allow_redirects=False, timeout=10)


def back_to_overlap(client: Client, microsoft_answer: requests.Response) -> str:
    """Follow Microsoft's redirect back into Overlap with the test client; returns the page shown."""
    assert microsoft_answer.status_code == 302, (microsoft_answer.status_code, microsoft_answer.text[:500])
    location = microsoft_answer.headers["Location"]
    assert location.startswith(f"http://{HOST}/"), location
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.get(location[len(f"http://{HOST}") :], follow=True).content.decode()


def sign_in_then(client: Client, ms: MicrosoftBrowser, location: str, login: str) -> str:
    """Sign in at Microsoft from `location` and come back to Overlap. Returns the next URL at Microsoft when
    Overlap sends the browser on (admin consent), else the Overlap page shown."""
    answer = ms.sign_in(ms.open(location), login)
    if answer.status_code == 200 and "decision" in answer.text:  # first sign-in in this tenant: consent to it
        answer = ms.decide(answer, "accept")
    assert answer.status_code == 302, (answer.status_code, answer.text[:800])
    back = answer.headers["Location"]
    assert back.startswith(f"http://{HOST}/"), back
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(back[len(f"http://{HOST}") :])
    onward = response.get("Location", "")
    if response.status_code == 302 and onward.startswith(ms.emulator.browser_url):
        return onward
    if response.status_code == 403:  # Overlap refused and says why on a page of its own
        return response.content.decode()
    assert response.status_code == 302, response.status_code
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.get(onward, follow=True).content.decode()


def consent_at_microsoft(client: Client, org: Org, emulator: EmulatorProcess, login: str, decision: str) -> str:
    """Click "Grant admin consent", sign in at the emulator as `login`, answer the consent, and come back."""
    location = client.post(url(org, "integration_consent"))["Location"]
    ms = MicrosoftBrowser(emulator)
    onward = sign_in_then(client, ms, location, login)
    if not onward.startswith(emulator.browser_url):
        return onward  # Overlap refused before consent: the page it shows
    return back_to_overlap(client, ms.decide(ms.open(onward), decision))


def connect_calendar(client: Client, org: Org, emulator: EmulatorProcess, login: str) -> str:
    """A member clicks "Connect my calendar" and signs in at the emulator as `login`; returns the page shown."""
    location = client.post(url(org, "calendar_connect"))["Location"]
    ms = MicrosoftBrowser(emulator)
    return back_to_overlap(client, ms.sign_in(ms.open(location), login))
