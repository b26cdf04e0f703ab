"""django-allauth's account adapter: password sign-in only, and no open sign-up.

Password accounts exist for people an admin invited (accounts.views.accept_invitation) and for the demo's
seeded people. Everyone else comes through Microsoft (integrations.signin), identified by tenant and
object id, never by an email address.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from accounts.limits import period_in_words


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    @property
    def error_messages(self) -> dict[str, str]:
        """allauth's messages, the one for too many wrong passwords saying when to try again."""
        wait = period_in_words(settings.RATE_LIMIT_SIGN_IN_FAILURES)
        message = f"Too many wrong passwords for this account. Try again in {wait} at most."
        return {**DefaultAccountAdapter.error_messages, "too_many_login_attempts": message}
