"""django-allauth's Microsoft provider signs a person in against the emulator, unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.adapters import SocialAccountAdapter
from accounts.models import User
from m365_emulator.testing import Browser, EmulatorProcess

HOST = "127.0.0.1:8000"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"


class AnyTenantAdapter(SocialAccountAdapter):
    """Overlap's adapter (so its CA-bundle hook is what talks to Graph) without its who-may-sign-in policy."""

    def pre_social_login(self, request: Any, sociallogin: Any) -> None:
        return None


@pytest.mark.django_db
def test_allauth_signs_megan_in_through_the_emulator(emulator_settings: EmulatorProcess, settings: Any) -> None:
    settings.SOCIALACCOUNT_ADAPTER = "tests.emulator.test_allauth.AnyTenantAdapter"
    client = Client(HTTP_HOST=HOST)
    start = client.post("/accounts/microsoft/login/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{emulator_settings.browser_url}/organizations/oauth2/v2.0/authorize?")
    landing = Browser(emulator_settings).sign_in(start["Location"], MEGAN)
    assert landing.url is not None and landing.url.startswith(f"http://{HOST}/accounts/microsoft/login/callback/")
    done = client.get("/accounts/microsoft/login/callback/", landing.params)
    assert done.status_code == 302, [(e["path"], e["status"]) for e in emulator_settings.log()]
    megan_id = emulator_settings.user_id(MEGAN)
    account = SocialAccount.objects.get(provider="microsoft")
    assert account.uid == megan_id
    assert account.extra_data["userPrincipalName"] == MEGAN
    user = User.objects.get(email=MEGAN)
    assert client.session["_auth_user_id"] == str(user.pk)
    calls = [(e["method"], e["path"], e["status"]) for e in emulator_settings.log()]
    assert ("POST", "/organizations/oauth2/v2.0/token", 200) in calls
    assert ("GET", "/v1.0/me", 200) in calls
