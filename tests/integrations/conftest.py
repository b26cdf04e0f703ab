from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.microsoft import auth


@pytest.fixture(autouse=True)
def _fresh_msal_caches() -> Iterator[None]:
    """MSAL's per-tenant applications outlive a test; the emulator does not, so start each test clean."""
    auth.forget_all()
    yield
    auth.forget_all()
