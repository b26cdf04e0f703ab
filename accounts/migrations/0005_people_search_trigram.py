"""Indexes for finding people among 100,000 as they type (see accounts/search.py).

On PostgreSQL: the trigram (pg_trgm) GIN index is on exactly the expression Django emits for the search's
`icontains`, `UPPER((name || ' ' || email)::text)`; one or two letters search the start of the name, on a
byte-ordered index of the upper-cased name. SQLite gets only the ordered (name, email) index: it has no
trigram index, and an organization it serves is small.
"""

from django.db import migrations, models

TRIGRAM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS accounts_user_search_trgm ON accounts_user "
    "USING gin ((UPPER((name || ' ' || email)::text)) gin_trgm_ops)",
    'CREATE INDEX IF NOT EXISTS accounts_user_name_key ON accounts_user ((UPPER((name)::text) COLLATE "C"))',
]
DROP = ["DROP INDEX IF EXISTS accounts_user_search_trgm", "DROP INDEX IF EXISTS accounts_user_name_key"]


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
