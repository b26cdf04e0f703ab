"""Identity attacks: the consent hijack, sign-in by a forged `mail`, pre-registration, connecting someone else's
calendar → refused, nothing changed. The trust tests that stage each attack against the emulator are run again here
(in their own process, on their own PostgreSQL database) and counted by attack."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.proof.conftest import ROOT, figure, promise

pytestmark = [pytest.mark.proof]

SIGN_IN = "tests/integrations/test_microsoft_sign_in.py"
BINDING = "tests/integrations/test_tenant_binding.py"
CALENDAR = "tests/integrations/test_member_calendar.py"
ATTACKS = {
    "consent hijack": [f"{BINDING}::TestConsentHijack"],
    "sign-in by a forged mail": [
        f"{SIGN_IN}::TestTakeoverByAddress",
        "tests/integrations/test_directory_sync.py::TestOddRecords::"
        "test_a_forged_address_copying_a_colleagues_is_skipped_not_guessed",
    ],
    "pre-registration": [
        f"{BINDING}::TestOpenSignUpIsClosed",
        f"{BINDING}::TestNoOtherDoor",
        f"{SIGN_IN}::test_a_person_of_another_tenant_is_refused_and_nothing_is_created",
    ],
    "someone else's calendar": [
        f"{CALENDAR}::TestSomeoneElsesAccount",
        f"{CALENDAR}::test_an_outsider_cannot_see_or_start_a_members_connection",
        f"{SIGN_IN}::test_connecting_a_colleagues_microsoft_account_from_a_profile_is_refused",
    ],
}


def _attack_of(case: ET.Element) -> str:
    path = case.get("classname", "").replace(".", "/")
    name = case.get("name", "")
    for attack, nodes in ATTACKS.items():
        for node in nodes:
            file, _, rest = node.partition("::")
            if path.startswith(file.removesuffix(".py")) and all(
                part in f"{path}::{name}" for part in rest.split("::")
            ):
                return attack
    return "other"


def test_the_identity_attacks_are_refused_and_change_nothing(tmp_path: Path) -> None:
    report = tmp_path / "attacks.xml"
    environment = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PROOF_REPORT"}}
    database = os.environ.get("DATABASE_URL", "")
    if database:
        environment["DATABASE_URL"] = database.rstrip("/") + "_attacks"  # its own database: no clash with ours
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    command += [node for nodes in ATTACKS.values() for node in nodes]
    run = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240)
    cases = ET.parse(report).getroot().iter("testcase") if report.exists() else iter(())
    counts: dict[str, list[int]] = {attack: [0, 0] for attack in [*ATTACKS, "other"]}
    broken = []
    for case in cases:
        attack = _attack_of(case)
        counts[attack][0] += 1
        if case.find("failure") is not None or case.find("error") is not None or case.find("skipped") is not None:
            broken.append(f"{attack}: {case.get('name')}")
        else:
            counts[attack][1] += 1
    summary = ", ".join(f"{attack} {held}/{tried}" for attack, (tried, held) in counts.items() if tried)
    figure("identity attacks", f"refused with nothing changed: {summary} (attacks staged against the emulator)")

    promise(run.returncode == 0 and not broken, f"every identity attack is refused: {broken}\n{run.stdout[-3000:]}")
    promise(all(tried for attack, (tried, _) in counts.items() if attack != "other"), f"each attack ran: {counts}")
