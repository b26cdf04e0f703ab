"""Forms of the invitation pages, the audit page's filters, and the one allauth form Overlap narrows (ACCOUNT_FORMS)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.adapters import ADDRESS_HELD, ENTRA_GOVERNS, address_held_by_another
from accounts.audit import Query
from accounts.models import AuditArea, Membership, Organization, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class LanguageForm(forms.Form):
    """The language a person reads Overlap and its mail in; each named in its own language, so anyone finds theirs."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("The same password again"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(gettext("The two passwords differ."))
        if first:
            validate_password(first, User(email=self.email, name=data.get("name", "")))
        return data


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "add an address", refused to a Microsoft person (Entra ID holds their address) and for an
    address someone else in Overlap has: no row with a colleague's address, and no mail sent to it."""

    def clean_email(self) -> str:
        user = self.user
        if isinstance(user, User) and user.is_microsoft:
            raise forms.ValidationError(gettext(ENTRA_GOVERNS))
        email = str(super().clean_email())
        if isinstance(user, User) and address_held_by_another(email=email, user=user):
            raise forms.ValidationError(gettext(ADDRESS_HELD))
        return email


FIRST_YEAR, LAST_YEAR = 2000, 2999  # a day outside these is a typing slip, not a range anyone keeps


class AuditFilterForm(forms.Form):
    """The audit page's filters; dates are days of the viewer's clock, both included."""

    area = forms.ChoiceField(choices=[("", _("All areas")), *AuditArea.choices], required=False, label=_("Area"))
    person = forms.CharField(max_length=100, required=False, label=_("Person (name or address)"))
    since = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        for name, day in (("since", since), ("until", until)):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(
                    name,
                    gettext("Pick a day between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
        if since and until and since > until:
            self.add_error("until", gettext("The last day comes after the first one."))
        return cleaned

    def query(self, *, organization: Organization, zone: tzinfo) -> Query:
        """The trail's query for these filters (a valid form only)."""
        data = self.cleaned_data
        text = str(data["person"]).strip()
        people = None
        if text:
            found = User.objects.filter(memberships__organization=organization)
            people = found.filter(Q(name__icontains=text) | Q(email__icontains=text))
        return Query(
            organization=organization,
            area=data["area"],
            people=people,
            since=_midnight(data["since"], zone) if data["since"] else None,
            until=_midnight(data["until"] + timedelta(days=1), zone) if data["until"] else None,
        )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
