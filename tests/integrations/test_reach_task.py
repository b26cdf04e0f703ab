"""The reach check runs as a task: the page says "checking…" until the report is stored, then shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from accounts.models import Membership
from integrations.models import REACH_CHECK_PATIENCE, Connection, MailboxReach
from integrations.reach import check as reach
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, check_reach, connect, url

CHECKING = "Checking who Overlap can reach…"
REFRESH = '<meta http-equiv="refresh" content="3">'


def _schedule_calls(emulator: EmulatorProcess, since: int) -> list[str]:
    return [e["path"] for e in emulator.log(since) if e["path"].endswith("/getSchedule")]


def test_the_page_says_checking_until_the_task_has_stored_the_report(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    since = emulator_settings.last_seq()

    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        answer = client.post(url(org, "integration_reach"), follow=True).content.decode()
    waiting = client.get(url(org)).content.decode()
    asked_before_the_task = _schedule_calls(emulator_settings, since)
    for run in queued:
        run()
    done = client.get(url(org)).content.decode()

    assert "the result shows below when it is ready" in answer
    assert CHECKING in waiting and REFRESH in waiting and 'id="reach"' not in waiting
    assert asked_before_the_task == []
    assert CHECKING not in done and REFRESH not in done
    people = MailboxReach.objects.filter(organization=org.organization)
    assert 'id="reach"' in done and f"Reachable</span> {people.filter(reachable=True).count()}" in done
    assert people.get(membership__user__email="megan.bowen@contoso.onmicrosoft.com").reachable
    assert not [path for path in _schedule_calls(emulator_settings, since) if "@" in path]  # object ids only
    listed = people.filter(membership__directory_entry__isnull=False)
    assert len(_schedule_calls(emulator_settings, since)) == listed.count() > 1  # one per directory person, in the task
    admin = people.get(membership__user=org.admin)  # a password account: no mailbox to ask about, and nothing asked
    assert not admin.reachable and "No mailbox in your organization's Microsoft 365 directory" in admin.reason


def test_a_check_whose_connection_was_disconnected_meanwhile_asks_nothing_and_stops_checking(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        client.post(url(org, "integration_reach"))
    client.post(url(org, "integration_disconnect"), {"confirm": "yes"})
    since = emulator_settings.last_seq()

    for run in queued:
        run()

    page = client.get(url(org)).content.decode()
    assert CHECKING not in page and 'id="reach"' not in page
    assert emulator_settings.log(since) == []


def test_a_check_no_worker_ran_says_so_after_a_while_instead_of_checking_forever(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    with TestCase.captureOnCommitCallbacks(execute=False):
        client.post(url(org, "integration_reach"))
    Connection.objects.filter(organization=org.organization).update(
        reach_requested_at=timezone.now() - REACH_CHECK_PATIENCE - timedelta(seconds=1)
    )

    page = client.get(url(org)).content.decode()

    assert CHECKING not in page and REFRESH not in page
    assert "did not finish" in page and "background workers are not running" in page


def test_nothing_is_queued_for_an_organization_that_is_not_connected(org: Org) -> None:
    client = browser(org.admin)

    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        page = client.post(url(org, "integration_reach"), follow=True).content.decode()

    assert "Microsoft 365 is not connected for this organization." in page and CHECKING not in page
    assert queued == []


def test_the_check_goes_in_batches_moving_its_progress_and_forgets_who_left(
    org: Org, emulator_settings: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    monkeypatch.setattr(reach, "BATCH", 10)
    progress: list[tuple[int, int]] = []
    store = reach._check

    def checked(*args: Any) -> int:
        found = store(*args)
        connection = Connection.objects.get(organization=org.organization)
        progress.append((connection.reach_done, connection.reach_total))
        return found

    monkeypatch.setattr(reach, "_check", checked)
    check_reach(client, org)
    active = Membership.objects.filter(organization=org.organization, is_active=True)
    leaver = active.exclude(user=org.admin).first()
    assert leaver is not None
    Membership.objects.filter(pk=leaver.pk).update(is_active=False)
    since = emulator_settings.last_seq()
    check_reach(client, org)

    total = active.count()
    batches_of_ten = -(-total // 10)
    assert progress[-1] == (total, total) and batches_of_ten > 3
    second = [done for done, _ in progress[-batches_of_ten:]]
    assert second == [min(10 * n, total) for n in range(1, batches_of_ten + 1)]
    assert MailboxReach.objects.filter(organization=org.organization).count() == total
    assert not MailboxReach.objects.filter(membership=leaver).exists()
    batches = [e for e in emulator_settings.log(since) if e["path"] == "/v1.0/$batch"]
    assert len(batches) == batches_of_ten  # one $batch per batch of ten people
