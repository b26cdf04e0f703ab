"""Bad input: every URL of the app and each of its parameters fuzzed with hypothesis (tests/fuzzing.py) on
PostgreSQL, as the owner, a member and a stranger → no server error, nothing changed in the database or in the
emulator's mailboxes, and a bad form is answered with words saying what is wrong."""

from __future__ import annotations

import os

import pytest
from django.db import transaction

from m365_emulator.testing import EmulatorProcess
from tests.fuzzing import TARGETS, Tally, build_world, fuzz, mailboxes
from tests.proof.conftest import figure, promise

pytestmark = [pytest.mark.proof, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("PROOF_FUZZ_EXAMPLES", "8"))


def test_bad_input_causes_no_server_error_and_changes_nothing(emulator_settings: EmulatorProcess) -> None:
    emulator = emulator_settings
    held = mailboxes(emulator)
    tally, failures = Tally(), []
    for name, target in TARGETS.items():
        with transaction.atomic():  # each URL in a world of its own, rolled back after
            world = build_world(emulator, connected=target.connected)
            one = Tally()
            try:
                one = fuzz(name, world, emulator, max_examples=EXAMPLES)
            except AssertionError as failure:
                failures.append(f"{name}: {str(failure)[:600]}")
            tally.add(one)
            transaction.set_rollback(True)
    changed_mailboxes = int(mailboxes(emulator) != held)
    parameters = sum(len(t.params) + len(t.path) for t in TARGETS.values())
    figure(
        "bad input",
        f"{tally.requests} requests over {len(TARGETS)} URLs and {parameters} forms/parameters (hypothesis, "
        f"{EXAMPLES} examples each, as owner, member and anonymous), {len(tally.server_errors)} server errors, "
        f"{len(tally.changes) + changed_mailboxes} changes, {len(tally.unexplained)} bad forms left unexplained; "
        f"answers {dict(sorted(tally.statuses.items()))}",
    )
    promise(not failures, f"bad input causes no server error, changes nothing and is explained: {failures[:3]}")
    promise(not changed_mailboxes, "bad input changes no event in the emulator's mailboxes")
    promise(tally.requests >= 3 * len(TARGETS), "every URL was tried as owner, member and anonymous")
