"""A series' occurrences, and the double-booking guard over every time a booking holds.

Until now each participant's row carried the booking's one time, so the guard saw only a series' first
occurrence. The guard moves to `booking_hold`: one row per guarded person and standing time (a single meeting's,
or each occurrence's), kept by `Booking.hold_times`; rows exist only while the booking is active. Same guard,
same name (`booking_participant_no_overlap`), same engines: an exclusion constraint on PostgreSQL, triggers under
serialised writes on SQLite. Existing series get their occurrences as `booking.services` makes them.
"""

from __future__ import annotations

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from booking.engine.recurrence import occurrence_dates, occurrence_starts
from booking.series import recurrence_from_json
from localtime import zone_or_none

NAME = "booking_participant_no_overlap"

OLD_POSTGRES = [f"ALTER TABLE booking_participant DROP CONSTRAINT {NAME}"]
OLD_SQLITE = [f"DROP TRIGGER {NAME}_insert", f"DROP TRIGGER {NAME}_update"]

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE booking_hold ADD CONSTRAINT {NAME} EXCLUDE USING gist (
        membership_id WITH =, tstzrange(start, "end", '[)') WITH &&
    )""",
]
_SQLITE_CHECK = f"""
    WHEN EXISTS (
        SELECT 1 FROM booking_hold AS h
        WHERE h.membership_id = NEW.membership_id AND h.booking_id != NEW.booking_id
          AND h.start < NEW."end" AND NEW.start < h."end"
    )
    BEGIN SELECT RAISE(ABORT, '{NAME}'); END"""
SQLITE = [
    f"CREATE TRIGGER {NAME}_insert BEFORE INSERT ON booking_hold {_SQLITE_CHECK}",
    f"CREATE TRIGGER {NAME}_update BEFORE UPDATE ON booking_hold {_SQLITE_CHECK}",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def _occurrences_and_holds(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Each series' occurrences (at the first one's wall-clock time in the organizer's zone), then every active
    booking's holds, before the old columns go."""
    booking_model = apps.get_model("booking", "Booking")
    occurrence_model = apps.get_model("booking", "BookingOccurrence")
    hold_model = apps.get_model("booking", "Hold")
    for booking in booking_model.objects.exclude(recurrence=None).select_related("organizer__user"):
        zone = zone_or_none(booking.organizer.user.time_zone) or UTC
        recurrence = recurrence_from_json(booking.recurrence)
        length = booking.end - booking.start
        dates = occurrence_dates(recurrence)
        starts = occurrence_starts(dates, booking.start.astimezone(zone).time(), zone)
        occurrence_model.objects.bulk_create(
            occurrence_model(booking=booking, original_start=s, start=s, end=s + length) for s in starts
        )
    for booking in booking_model.objects.filter(state__in=("pending", "confirmed")):
        people = booking.participants.filter(guarded=True).values_list("membership_id", flat=True)
        if booking.recurrence:
            times = [(o, o.start, o.end) for o in occurrence_model.objects.filter(booking=booking)]
        else:
            times = [(None, booking.start, booking.end)]
        hold_model.objects.bulk_create(
            hold_model(booking=booking, membership_id=p, occurrence=o, start=s, end=e) for p in people for o, s, e in times
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_time_zone"), ("booking", "0006_series")]

    operations = [
        migrations.CreateModel(
            name="BookingOccurrence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("original_start", models.DateTimeField()),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("held", "Stands"),
                            ("skip", "To be skipped"),
                            ("move", "To be moved"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="held",
                        max_length=20,
                    ),
                ),
                ("graph_id", models.CharField(blank=True, max_length=512)),
                ("moved", models.BooleanField(default=False)),
                ("moved_in_outlook", models.BooleanField(default=False)),
                ("cancelled_in_outlook", models.BooleanField(default=False)),
                ("comment", models.TextField(blank=True)),
                ("responses", models.JSONField(blank=True, default=dict)),
                (
                    "booking",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="occurrences", to="booking.booking"
                    ),
                ),
            ],
            options={
                "ordering": ["original_start"],
                "constraints": [
                    models.UniqueConstraint(fields=("booking", "original_start"), name="one_row_per_occurrence"),
                    models.CheckConstraint(
                        condition=models.Q(("start__lt", models.F("end"))), name="occurrence_ends_after_start"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Hold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField()),
                (
                    "booking",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="holds", to="booking.booking"
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="holds", to="accounts.membership"
                    ),
                ),
                (
                    "occurrence",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="booking.bookingoccurrence",
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["membership", "start"], name="booking_hol_members_4adae3_idx")]},
        ),
        migrations.RunPython(_occurrences_and_holds, migrations.RunPython.noop),
        migrations.RunPython(_run({"postgresql": OLD_POSTGRES, "sqlite": OLD_SQLITE}), migrations.RunPython.noop),
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}), migrations.RunPython.noop),
        migrations.RemoveField(model_name="participant", name="start"),
        migrations.RemoveField(model_name="participant", name="end"),
        migrations.RemoveField(model_name="participant", name="active"),
    ]
