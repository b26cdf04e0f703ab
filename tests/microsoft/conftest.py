"""Fixtures for the Microsoft client's tests: a config pointed at the emulator, and Graph clients on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.microsoft import auth
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from m365_emulator.testing import EmulatorProcess

ADELE = "adele.vance@contoso.onmicrosoft.com"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"
JONI = "joni.sherman@contoso.onmicrosoft.com"  # outside the "Overlap users" group
POLICY_GROUP = "overlap-users@contoso.onmicrosoft.com"
TEST_KEY = "b3ZlcmxhcC10ZXN0LXN1aXRlLW9ubHkta2V5LTAwMDE="


@pytest.fixture
def config(emulator: EmulatorProcess) -> Iterator[MicrosoftConfig]:
    """Overlap's registration pointed at a freshly reset emulator, with no token cached from earlier tests."""
    auth.forget_all()
    yield MicrosoftConfig(
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        login_url=emulator.base_url,
        browser_login_url=emulator.browser_url,
        graph_url=emulator.base_url,
        ca_bundle=emulator.ca_file,
        token_keys=(TEST_KEY,),
    )
    auth.forget_all()


@pytest.fixture
def graph(config: MicrosoftConfig, emulator: EmulatorProcess) -> GraphClient:
    """An app-only client for Contoso, whose admin has consented."""
    emulator.grant_admin_consent()
    return GraphClient.for_tenant(config, emulator.tenant_id)


def graph_calls(emulator: EmulatorProcess, since: int = 0, *, batched: bool = False) -> list[dict[str, Any]]:
    """Graph requests the emulator served since `since`; top-level HTTP requests unless `batched`."""
    return [e for e in emulator.log(since) if e["path"].startswith("/v1.0") and (batched or e["batch"] is None)]


def token_requests(emulator: EmulatorProcess, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if e["path"].endswith("/oauth2/v2.0/token")]


def next_monday(hour: int = 0) -> datetime:
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday())
