"""Forms of the invitation pages, and the one allauth form Overlap narrows (ACCOUNT_FORMS)."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from django import forms
from django.contrib.auth.password_validation import validate_password

from accounts.adapters import ADDRESS_HELD, ENTRA_GOVERNS, address_held_by_another
from accounts.models import Membership, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=200)
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="The same password again", widget=forms.PasswordInput)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords differ.")
        if first:
            validate_password(first, User(email=self.email, name=data.get("name", "")))
        return data


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "add an address", refused to a Microsoft person (Entra ID holds their address) and for an
    address someone else in Overlap has: no row with a colleague's address, and no mail sent to it."""

    def clean_email(self) -> str:
        user = self.user
        if isinstance(user, User) and user.is_microsoft:
            raise forms.ValidationError(ENTRA_GOVERNS)
        email = str(super().clean_email())
        if isinstance(user, User) and address_held_by_another(email=email, user=user):
            raise forms.ValidationError(ADDRESS_HELD)
        return email
