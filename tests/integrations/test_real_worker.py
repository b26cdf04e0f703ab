"""On the PostgreSQL/Redis pass, the directory sync enqueued after consent runs on a real Celery worker."""

from __future__ import annotations

import os
import time

import pytest

from accounts.models import Membership
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, connect

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs on the PostgreSQL/Redis pass"),
]


def _members(org: Org) -> int:
    return Membership.objects.filter(organization=org.organization, is_active=True).count()


def test_a_real_worker_brings_in_the_directory_after_consent(
    org: Org, emulator_settings: EmulatorProcess, real_worker: None
) -> None:
    before = _members(org)
    connect(browser(org.admin), org, emulator_settings)
    deadline = time.monotonic() + 30
    while _members(org) <= before + 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Membership.objects.filter(
        organization=org.organization, user__email="megan.bowen@contoso.onmicrosoft.com", is_active=True
    ).exists()
    assert _members(org) > before + 30  # the demo tenant's people, brought in by the worker
