"""Faults the emulator injects on request: a reply lost after Exchange made the event; access tokens expiring."""

from __future__ import annotations

import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    MEGAN,
    consented_app_token,
    mailbox,
    meeting,
    post_event,
    quiet_saturday,
)
from tests.emulator.helpers import graph


def test_a_lost_reply_leaves_the_event_and_its_copies_but_answers_504(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    answer = emulator.control("POST", "/lost-replies", {"count": 1, "mailbox": ADELE})
    since = emulator.last_seq()

    lost = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN], subject="Lost reply"))
    heard = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 11, 30, [MEGAN], subject="Heard"))

    assert answer["pending"] and answer["lost"] == 0
    assert lost.status_code == 504
    assert lost.json()["error"]["code"] == "GatewayTimeout"
    assert heard.status_code == 201
    assert sorted(e["subject"] for e in mailbox(emulator, ADELE) if e["subject"] in {"Lost reply", "Heard"}) == [
        "Heard",
        "Lost reply",
    ]
    assert any(e["subject"] == "Lost reply" for e in mailbox(emulator, MEGAN))
    creates = [e for e in emulator.log(since) if e["method"] == "POST" and e["path"].endswith("/events")]
    assert [e["status"] for e in creates] == [504, 201]
    assert creates[0]["response_ids"], "the log names the event that was made although its reply was lost"


def test_a_lost_reply_for_one_mailbox_spares_the_others(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    emulator.control("POST", "/lost-replies", {"count": 1, "mailbox": ADELE})

    other = post_event(emulator, token, MEGAN, meeting(quiet_saturday(), 9, 30, [ADELE]))
    answer = emulator.control("POST", "/lost-replies", {"count": 0, "mailbox": ADELE})

    assert other.status_code == 201
    assert answer["pending"] == {} and answer["lost"] == 0


def test_a_reset_forgets_pending_lost_replies(emulator: EmulatorProcess) -> None:
    emulator.control("POST", "/lost-replies", {"count": 3})
    emulator.reset()
    token = consented_app_token(emulator)

    assert post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).status_code == 201


def test_a_negative_count_is_refused(emulator: EmulatorProcess) -> None:
    with pytest.raises(ControlFailed):
        emulator.control("POST", "/lost-replies", {"count": -1})


def test_expiring_access_tokens_refuses_the_ones_already_issued_and_not_the_next(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    assert graph(emulator, "GET", f"/users/{ADELE}", token).status_code == 200

    emulator.control("POST", "/access-tokens/expire")
    refused = graph(emulator, "GET", f"/users/{ADELE}", token)
    fresh = graph(emulator, "GET", f"/users/{ADELE}", consented_app_token(emulator))

    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]["message"]
    assert fresh.status_code == 200
