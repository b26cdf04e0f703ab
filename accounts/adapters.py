"""django-allauth's account adapter: password sign-in only, and no open sign-up.

Password accounts exist for people an admin invited (accounts.views.accept_invitation) and for the demo's
seeded people. Everyone else comes through Microsoft (integrations.signin), identified by tenant and
object id, never by an email address.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
