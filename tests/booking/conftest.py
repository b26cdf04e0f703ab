from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from integrations.microsoft import auth
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import World, calendar_calls_keep_the_data_contract, world_in
from tests.conftest import Org


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Cached free/busy and MSAL's per-tenant applications outlive a test; the emulator's world does not."""
    cache.clear()
    auth.forget_all()
    yield
    cache.clear()
    auth.forget_all()


@pytest.fixture
def data_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """The calendar calls a test causes keep Overlap's data contract (checked after it, from the emulator's log)."""
    if "emulator_settings" not in request.fixturenames:
        yield
        return
    emulator: EmulatorProcess = request.getfixturevalue("emulator_settings")
    since = emulator.last_seq()
    yield
    calendar_calls_keep_the_data_contract(emulator, since)


@pytest.fixture(params=["domain_wide", "delegated"])
def world(request: pytest.FixtureRequest, org: Org, emulator_settings: EmulatorProcess) -> World:
    """Contoso connected in each mode in turn."""
    return world_in(org, emulator_settings, request.param)
