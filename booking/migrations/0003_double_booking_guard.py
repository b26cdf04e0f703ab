"""The double-booking guard: two active bookings that overlap cannot hold the same (guarded) person.

PostgreSQL: an exclusion constraint (btree_gist) over half-open tstzrange(start, end), so back-to-back
meetings pass. SQLite: triggers that refuse the same overlap; writes are serialised by
`transaction_mode="IMMEDIATE"` (config/settings/base.py), so two racing transactions cannot both pass.
Both raise an IntegrityError named `booking_participant_no_overlap`.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "booking_participant_no_overlap"

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE booking_participant ADD CONSTRAINT {NAME} EXCLUDE USING gist (
        membership_id WITH =, tstzrange(start, "end", '[)') WITH &&
    ) WHERE (active AND guarded)""",
]
POSTGRES_DOWN = [f"ALTER TABLE booking_participant DROP CONSTRAINT {NAME}"]

_SQLITE_CHECK = f"""
    WHEN NEW.active AND NEW.guarded AND EXISTS (
        SELECT 1 FROM booking_participant AS p
        WHERE p.membership_id = NEW.membership_id AND p.booking_id != NEW.booking_id
          AND p.active AND p.guarded AND p.start < NEW."end" AND NEW.start < p."end"
    )
    BEGIN SELECT RAISE(ABORT, '{NAME}'); END"""
SQLITE_UP = [
    f"CREATE TRIGGER {NAME}_insert BEFORE INSERT ON booking_participant {_SQLITE_CHECK}",
    f"CREATE TRIGGER {NAME}_update BEFORE UPDATE ON booking_participant {_SQLITE_CHECK}",
]
SQLITE_DOWN = [f"DROP TRIGGER {NAME}_insert", f"DROP TRIGGER {NAME}_update"]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_bookings")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
