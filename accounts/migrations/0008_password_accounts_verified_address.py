"""Every password account's own address is verified and primary (an invitation reached it, or an operator set
it), so that allauth lets it change only to an address the person verifies too."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    user_model = apps.get_model("accounts", "User")
    email_address = apps.get_model("account", "EmailAddress")
    for user in user_model.objects.filter(microsoft_object_id="").exclude(email="").iterator(chunk_size=1000):
        email = user.email.lower()
        mine = email_address.objects.filter(user_id=user.pk)
        mine.exclude(email__iexact=email).update(primary=False)
        if not mine.filter(email__iexact=email).update(verified=True, primary=True):
            email_address.objects.create(user_id=user.pk, email=email, verified=True, primary=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_microsoft_identity"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
