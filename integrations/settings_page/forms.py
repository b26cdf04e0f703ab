"""Forms on the integration settings page."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.models import Connection

# A DNS name of at least two labels, e.g. contoso.onmicrosoft.com or contoso.example.
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
# Microsoft accepts these in place of a tenant, but they do not name one organization.
_NOT_ONE_TENANT = {"common", "organizations", "consumers"}

TENANT_HELP = _(
    "Your Directory (tenant) ID, a GUID such as a1b2c3d4-0000-4000-8000-00000000c0de, or a verified domain such "
    "as contoso.onmicrosoft.com. Find it in the Microsoft Entra admin center under Overview."
)


def normalize_tenant(value: str) -> str:
    """The tenant as Overlap stores it: a lowercase GUID or domain; raises ValidationError otherwise."""
    cleaned = value.strip().lower()
    if cleaned in _NOT_ONE_TENANT:
        raise forms.ValidationError(
            gettext("“%(tenant)s” stands for any organization, not yours. Enter your own tenant ID or domain.")
            % {"tenant": cleaned}
        )
    try:
        return str(uuid.UUID(cleaned)) if len(cleaned) in (32, 36) else _domain(cleaned)
    except ValueError:
        return _domain(cleaned)


def _domain(cleaned: str) -> str:
    if not _DOMAIN.match(cleaned):
        raise forms.ValidationError(
            gettext(
                "This is neither a tenant ID (a GUID like a1b2c3d4-0000-4000-8000-00000000c0de) nor a domain "
                "(like contoso.onmicrosoft.com). Copy the Directory (tenant) ID from the Entra admin center."
            )
        )
    return cleaned


class TenantForm(forms.Form):
    tenant = forms.CharField(label=_("Azure AD (Entra ID) tenant"), max_length=255, help_text=TENANT_HELP)
    mode = forms.ChoiceField(label=_("How Overlap connects"), choices=Connection.Mode.choices, widget=forms.RadioSelect)

    def clean_tenant(self) -> str:
        return normalize_tenant(self.cleaned_data["tenant"])


class AccessGroupForm(forms.Form):
    access_group = forms.EmailField(
        label=_("Mail-enabled security group"),
        required=False,
        help_text=_(
            "The group's email address, e.g. overlap-users@contoso.onmicrosoft.com. Leave empty if Overlap "
            "may reach every mailbox."
        ),
    )

    def clean_access_group(self) -> str:
        return str(self.cleaned_data["access_group"]).strip().lower()
