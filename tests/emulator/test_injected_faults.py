"""Faults the emulator injects on request: a reply lost after Exchange made the event; access tokens expiring;
Microsoft unreachable for a while; replies that come late, after the request took effect."""

from __future__ import annotations

import threading
import time

import pytest
import requests

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
from tests.emulator.helpers import graph, token_request


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


def test_while_microsoft_is_unreachable_graph_and_sign_in_get_no_answer_and_the_control_api_still_answers(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    answer = emulator.control("POST", "/unreachable", {"seconds": 30})

    with pytest.raises(requests.ConnectionError):
        graph(emulator, "GET", f"/users/{ADELE}", token)
    with pytest.raises(requests.ConnectionError):
        token_request(emulator)
    meanwhile = emulator.control("GET", "/unreachable")
    emulator.control("POST", "/unreachable", {"seconds": 0})
    again = graph(emulator, "GET", f"/users/{ADELE}", token)

    assert answer["unreachable"] and 29 < answer["seconds_left"] <= 30
    assert meanwhile["unreachable"] and meanwhile["dropped"] == 2
    assert again.status_code == 200
    assert emulator.control("GET", "/unreachable") == {"unreachable": False, "seconds_left": 0.0, "dropped": 2}
    assert not [e for e in emulator.log() if e["path"].startswith("/v1.0") and e["status"] != 200], (
        "a dropped request never reached Graph, so the log has none"
    )


def test_microsoft_is_reachable_again_by_itself_once_its_seconds_are_over(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    emulator.control("POST", "/unreachable", {"seconds": 0.5})
    with pytest.raises(requests.ConnectionError):
        graph(emulator, "GET", f"/users/{ADELE}", token)

    time.sleep(0.6)

    assert graph(emulator, "GET", f"/users/{ADELE}", token).status_code == 200


def test_a_reset_makes_microsoft_reachable_and_unreachable_refuses_nonsense(emulator: EmulatorProcess) -> None:
    emulator.control("POST", "/unreachable", {"seconds": 60})
    emulator.reset()
    assert graph(emulator, "GET", f"/users/{ADELE}", consented_app_token(emulator)).status_code == 200
    for seconds in (-1, "soon", 3601):
        with pytest.raises(ControlFailed):
            emulator.control("POST", "/unreachable", {"seconds": seconds})


def test_a_late_reply_comes_after_the_event_stands_and_is_logged(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    answer = emulator.control("POST", "/latency", {"reply_ms": 1500})
    since = emulator.last_seq()
    replies: list[requests.Response] = []
    body = meeting(quiet_saturday(), 9, 30, [MEGAN], subject="Late reply")
    caller = threading.Thread(target=lambda: replies.append(post_event(emulator, token, ADELE, body)))

    caller.start()
    deadline = time.monotonic() + 5
    while not [e for e in emulator.log(since) if e["method"] == "POST"] and time.monotonic() < deadline:
        time.sleep(0.02)
    waiting = caller.is_alive()
    standing = [e["subject"] for e in mailbox(emulator, ADELE) if e["subject"] == "Late reply"]
    caller.join(timeout=5)

    assert answer == {"ok": True, "ms": 0.0, "reply_ms": 1500.0}
    assert waiting and standing == ["Late reply"], "the event stands and is logged while the caller still waits"
    assert replies and replies[0].status_code == 201
    assert emulator.control("POST", "/latency", {"ms": 0})["reply_ms"] == 1500.0, "each delay is kept unless given"
    assert emulator.control("POST", "/latency", {})["ms"] == 0.0
