"""Every person linked to a directory entry becomes a Microsoft person: their tenant and object id go on their
account, and any password they had set stops working (it would outlive a disabled or deleted Entra account)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations


def _tenant(entry: Any) -> str:
    connection = getattr(entry.organization, "microsoft_connection", None)
    if connection is None:
        return ""
    return str(connection.tenant_guid or connection.tenant or "").lower()


def forwards(apps: Any, schema_editor: Any) -> None:
    directory_entry = apps.get_model("integrations", "DirectoryEntry")
    user_model = apps.get_model("accounts", "User")
    email_address = apps.get_model("account", "EmailAddress")
    entries = directory_entry.objects.select_related("organization__microsoft_connection", "membership")
    for entry in entries.iterator(chunk_size=1000):
        tenant, object_id = _tenant(entry), entry.object_id.lower()
        if user_model.objects.filter(microsoft_tenant=tenant, microsoft_object_id=object_id).exists():
            continue  # the same Microsoft person linked in two organizations: the first keeps the identity
        user_model.objects.filter(pk=entry.membership.user_id, microsoft_object_id="").update(
            microsoft_tenant=tenant,
            microsoft_object_id=object_id,
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
        )
        # An address a member added on allauth's page (a colleague's, a room's) goes: Entra ID holds theirs.
        own = user_model.objects.filter(pk=entry.membership.user_id).values_list("email", flat=True).first() or ""
        email_address.objects.filter(user_id=entry.membership.user_id).exclude(email__iexact=own).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_microsoft_identity"),
        ("integrations", "0009_tenant_held_until_consent"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
