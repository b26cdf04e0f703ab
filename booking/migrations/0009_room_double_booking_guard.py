"""The room guard: two active bookings that overlap cannot hold the same room of an organization.

As the people's guard (0003): PostgreSQL an exclusion constraint over half-open tstzrange(start, end); SQLite
triggers (writes serialised by IMMEDIATE transactions). A room that declined holds nothing. Both raise an
IntegrityError named `booking_room_no_overlap`.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "booking_room_no_overlap"
_HOLDS = "room_address <> '' AND room_response <> 'declined' AND state IN ('pending', 'confirmed')"

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE booking_booking ADD CONSTRAINT {NAME} EXCLUDE USING gist (
        organization_id WITH =, room_address WITH =, tstzrange(start, "end", '[)') WITH &&
    ) WHERE ({_HOLDS})""",
]
POSTGRES_DOWN = [f"ALTER TABLE booking_booking DROP CONSTRAINT {NAME}"]

_SQLITE_CHECK = f"""
    WHEN NEW.room_address <> '' AND NEW.room_response <> 'declined' AND NEW.state IN ('pending', 'confirmed')
    AND EXISTS (
        SELECT 1 FROM booking_booking AS b
        WHERE b.organization_id = NEW.organization_id AND b.room_address = NEW.room_address AND b.id != NEW.id
          AND b.room_response <> 'declined' AND b.state IN ('pending', 'confirmed')
          AND b.start < NEW."end" AND NEW.start < b."end"
    )
    BEGIN SELECT RAISE(ABORT, '{NAME}'); END"""
SQLITE_UP = [
    f"CREATE TRIGGER {NAME}_insert BEFORE INSERT ON booking_booking {_SQLITE_CHECK}",
    f"CREATE TRIGGER {NAME}_update BEFORE UPDATE ON booking_booking {_SQLITE_CHECK}",
]
SQLITE_DOWN = [f"DROP TRIGGER {NAME}_insert", f"DROP TRIGGER {NAME}_update"]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("booking", "0008_booking_room")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
