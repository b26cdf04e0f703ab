"""django-allauth adapters: how Overlap customises sign-up and sign-in without forking allauth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect

from accounts.models import User

if TYPE_CHECKING:
    from integrations.signin import MicrosoftAccount


class AccountAdapter(DefaultAccountAdapter):
    pass


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_requests_session(self) -> Any:
        """allauth's HTTP session; with MICROSOFT_CA_BUNDLE (the emulator) it trusts that CA and no environment."""
        session = super().get_requests_session()
        if settings.MICROSOFT_CA_BUNDLE:
            session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override `verify`
            session.verify = settings.MICROSOFT_CA_BUNDLE
        return session

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Sign-in with Microsoft: only people of a connected organization's tenant; refuse everyone else."""
        if sociallogin.account.provider != "microsoft":
            return
        # The integrations app knows which tenants are connected; imported here so accounts stays its base.
        from integrations import signin

        account = _microsoft_account(sociallogin.account.extra_data)
        organization = signin.organization_for_account(account=account)
        if organization is None:
            messages.error(request, signin.REFUSED)
            raise ImmediateHttpResponse(redirect("account_login"))
        existing = signin.user_for_email(account.email)
        if not sociallogin.is_existing and existing is not None:
            sociallogin.connect(request, existing)
        user = existing or (sociallogin.user if sociallogin.is_existing else None)
        if isinstance(user, User):
            signin.membership_for_sign_in(organization=organization, user=user, account=account)
        else:
            request.session["microsoft_sign_in_organization"] = organization.pk

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        """A first sign-in with Microsoft makes the account and the membership in the organization."""
        from integrations import signin

        user = super().save_user(request, sociallogin, form)
        organization_id = request.session.pop("microsoft_sign_in_organization", None)
        if sociallogin.account.provider == "microsoft" and organization_id:
            account = _microsoft_account(sociallogin.account.extra_data)
            signin.membership_for_sign_in_by_id(organization_id=organization_id, user=user, account=account)
        return user

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user = super().populate_user(request, sociallogin, data)
        user.name = str(sociallogin.account.extra_data.get("displayName") or "")
        return user


def _microsoft_account(extra_data: dict[str, Any]) -> MicrosoftAccount:
    from integrations.signin import MicrosoftAccount

    upn = str(extra_data.get("userPrincipalName") or "")
    return MicrosoftAccount(
        object_id=str(extra_data.get("id") or ""),
        email=str(extra_data.get("mail") or upn).lower(),
        name=str(extra_data.get("displayName") or ""),
        user_principal_name=upn.lower(),
    )
