"""Indexes for finding people among 100,000 as they type.

Django's `icontains` is `UPPER(col::text) LIKE UPPER('%…%')` on PostgreSQL, so the trigram (pg_trgm) GIN
indexes are on exactly those expressions; a word shorter than three letters matches so many people that the
ordered (name, email) index with LIMIT answers it instead. SQLite gets only the ordered index: it has no
trigram index, and an organization it serves is small.
"""

from django.db import migrations, models

TRIGRAM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS accounts_user_name_trgm ON accounts_user USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS accounts_user_email_trgm ON accounts_user "
    "USING gin ((UPPER(email::text)) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS accounts_user_name_trgm", "DROP INDEX IF EXISTS accounts_user_email_trgm"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_membership_deactivated_by_admin")]

    operations = [
        migrations.AddIndex(
            model_name="user", index=models.Index(fields=["name", "email"], name="accounts_user_name_email")
        ),
        migrations.RunPython(_on_postgresql(TRIGRAM), _on_postgresql(DROP)),
    ]
