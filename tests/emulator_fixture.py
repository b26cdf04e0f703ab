"""The Microsoft 365 emulator for tests: one per test session over real HTTPS, reset before each test.

Fixtures:
- `m365_emulator` (session): the running emulator (`EmulatorProcess`): `.base_url`, `.browser_url`, `.ca_file`,
  `.tenant_id`, `.tenant_domain`, `.client_id`, `.client_secret`, `.reset()`, `.control(method, path, json)`,
  `.log(since=0)`, `.last_seq()`, `.grant_admin_consent()`, `.user_id(address)`, `.session` (trusts its CA).
- `emulator` (function): the same object, reset to the demo fixture first.
- `emulator_settings` (function): Django settings pointed at the emulator (MICROSOFT_* and allauth's app).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from m365_emulator.testing import EmulatorProcess


@pytest.fixture(scope="session")
def m365_emulator() -> Iterator[EmulatorProcess]:
    running = EmulatorProcess.start_thread()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def emulator(m365_emulator: EmulatorProcess) -> EmulatorProcess:
    m365_emulator.reset(fixture="demo", seed=1)
    return m365_emulator


@pytest.fixture
def emulator_settings(emulator: EmulatorProcess, settings: Any) -> EmulatorProcess:
    return point_settings_at(emulator, settings)


def point_settings_at(emulator: EmulatorProcess, settings: Any) -> EmulatorProcess:
    """Django settings (pytest-django's `settings`) pointed at this emulator, as it stands (no reset)."""
    settings.MICROSOFT_LOGIN_URL = emulator.base_url
    settings.MICROSOFT_GRAPH_URL = emulator.base_url
    settings.MICROSOFT_LOGIN_BROWSER_URL = emulator.browser_url
    settings.MICROSOFT_CA_BUNDLE = emulator.ca_file
    settings.MICROSOFT_CLIENT_ID = emulator.client_id
    settings.MICROSOFT_CLIENT_SECRET = emulator.client_secret
    app = {
        "client_id": emulator.client_id,
        "secret": emulator.client_secret,
        "settings": {"tenant": "organizations", "login_url": emulator.browser_url, "graph_url": emulator.base_url},
    }
    providers = dict(getattr(settings, "SOCIALACCOUNT_PROVIDERS", {}) or {})
    providers["microsoft"] = {**dict(providers.get("microsoft", {})), "APPS": [app]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return emulator
