from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from integrations.microsoft import auth


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Cached free/busy and MSAL's per-tenant applications outlive a test; the emulator's world does not."""
    cache.clear()
    auth.forget_all()
    yield
    cache.clear()
    auth.forget_all()
