"""Security-group scoping: the page shows how to set the policy and who Overlap can and cannot reach."""

from __future__ import annotations

import re

from django.test import Client

from integrations.models import IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser, check_reach, connect, url

GROUP = "overlap-users@contoso.onmicrosoft.com"


def _row(client: Client, org: Org, email: str) -> str:
    """The person's row on the people page, where each person's reach shows."""
    page = client.get(url(org, "people"), {"q": email}).content.decode()
    found = re.search(rf"<span class=\"help\">{re.escape(email)}</span></td>(.*?)</tr>", page, re.S)
    assert found, f"{email} is not on the people page"
    return found.group(1)


def test_it_lists_who_is_inside_and_outside_the_access_policy_group(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    emulator_settings.control(
        "POST", f"/tenants/{CONTOSO_ID}/access-policy", {"client_id": emulator_settings.client_id, "group": GROUP}
    )

    client.post(url(org, "integration_group"), {"access_group": GROUP})
    page = check_reach(client, org)

    assert f"-PolicyScopeGroupId {GROUP}" in page
    assert f"-AppId {emulator_settings.client_id}" in page
    assert "Reachable" in _row(client, org, "megan.bowen@contoso.onmicrosoft.com")
    outside = _row(client, org, "joni.sherman@contoso.onmicrosoft.com")
    assert "Not reachable" in outside and "Outside the security group" in outside
    unreachable = client.get(url(org, "people"), {"reach": "no"}).content.decode()
    assert "joni.sherman@contoso.onmicrosoft.com" in unreachable and "megan.bowen" not in unreachable
    assert IntegrationEvent.objects.filter(kind="group_changed", actor=org.admin, detail__contains=GROUP).exists()


def test_without_a_policy_everyone_with_a_mailbox_is_reachable(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)

    page = check_reach(client, org)

    assert 'id="reach"' in page
    assert "badge ok" in _row(client, org, "joni.sherman@contoso.onmicrosoft.com")


def test_it_refuses_a_group_that_is_not_an_email_address(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)

    page = client.post(url(org, "integration_group"), {"access_group": "Overlap users"}).content.decode()

    assert "Enter a valid email address." in page
