"""A revoked consent is noticed by the periodic check, marked at once, and stops every call for the tenant."""

from __future__ import annotations

from django.conf import settings
from django.test import TestCase

from integrations import tasks
from integrations.microsoft import auth
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser, check_reach, connect, url


def _check_everything() -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.check_all_connections()


def test_the_check_runs_every_fifteen_minutes_by_default() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["integrations-connection-check"]
    assert (entry["task"], entry["schedule"]) == ("integrations.tasks.check_all_connections", 900.0)


def test_a_working_connection_costs_one_token_and_one_harmless_call(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    before = emulator_settings.last_seq()

    _check_everything()

    calls = [(e["method"], e["path"]) for e in emulator_settings.log(before) if "well-known" not in e["path"]]
    assert calls == [("POST", f"/{CONTOSO_ID}/oauth2/v2.0/token"), ("GET", "/v1.0/users")]
    assert Connection.objects.get(organization=org.organization).status == "active"


def test_a_revoked_consent_is_marked_audited_and_shown_to_admins_and_members(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    emulator_settings.grant_admin_consent(granted=False)

    _check_everything()

    assert Connection.objects.get(organization=org.organization).status == "revoked"
    assert IntegrationEvent.objects.filter(organization=org.organization, kind="consent_revoked").count() == 1
    admin_home = browser(org.admin).get(f"/orgs/{org.code}/").content.decode()
    assert 'data-connection="revoked"' in admin_home and "Overlap no longer has consent in your tenant." in admin_home
    assert "What to do:" in admin_home
    member_home = browser(org.member).get(f"/orgs/{org.code}/").content.decode()
    assert "Booking is paused" in member_home
    assert 'data-connection="revoked"' in browser(org.member).get(url(org, "calendar_connection")).content.decode()
    assert 'data-status="revoked"' in browser(org.admin).get(url(org)).content.decode()


def test_after_a_refusal_every_call_stops_and_each_check_costs_one_token_request(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    emulator_settings.grant_admin_consent(granted=False)
    _check_everything()
    auth.forget_all()
    before = emulator_settings.last_seq()

    admin = browser(org.admin)
    admin.post(url(org, "integration_sync"))
    admin.post(url(org, "integration_reach"))
    _check_everything()
    _check_everything()

    calls = [(e["method"], e["path"]) for e in emulator_settings.log(before)]
    token_requests = [c for c in calls if c[1].endswith("/oauth2/v2.0/token")]
    assert len(token_requests) == 2 and all(not path.startswith("/v1.0/") for _, path in calls)
    assert IntegrationEvent.objects.filter(organization=org.organization, kind="consent_revoked").count() == 1


def test_the_reach_check_stops_at_the_first_refusal_of_the_tenant(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings)
    emulator_settings.grant_admin_consent(granted=False)
    auth.forget_all()  # the cached token would hide it for an hour
    before = emulator_settings.last_seq()

    check_reach(browser(org.admin), org)

    token_requests = [e for e in emulator_settings.log(before) if e["path"].endswith("/oauth2/v2.0/token")]
    assert len(token_requests) == 1
    assert Connection.objects.get(organization=org.organization).status == "revoked"


def test_consent_granted_again_at_microsoft_is_noticed_by_the_next_check(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    emulator_settings.grant_admin_consent(granted=False)
    _check_everything()
    emulator_settings.grant_admin_consent()

    _check_everything()

    assert Connection.objects.get(organization=org.organization).status == "active"
