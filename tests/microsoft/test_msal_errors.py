"""MSAL calls: only what the network did becomes a transient error; a bug in Overlap or MSAL surfaces."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import replace

import pytest
import requests

from integrations.microsoft import auth
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import BadRequest, MicrosoftError, Timeout, Unavailable
from m365_emulator.testing import EmulatorProcess


def raising(error: BaseException) -> Callable[[], None]:
    def action() -> None:
        raise error

    return action


@pytest.mark.parametrize(
    ("raised", "expected", "permanent"),
    [
        (requests.ConnectTimeout("slow"), Timeout, False),
        (requests.ReadTimeout("slow"), Timeout, False),
        (requests.ConnectionError("refused"), Unavailable, False),
        (requests.HTTPError("503 Server Error"), Unavailable, False),  # MSAL raises for a 5xx token answer
        (json.JSONDecodeError("Expecting value", "<html>", 0), Unavailable, False),
        (ValueError("state mismatch"), BadRequest, True),
    ],
)
def test_network_failures_are_transient_and_msals_refusals_are_not(
    raised: BaseException, expected: type[MicrosoftError], permanent: bool
) -> None:
    with pytest.raises(expected) as caught:
        auth._msal_call(raising(raised))

    assert caught.value.permanent is permanent and caught.value.__cause__ is raised


@pytest.mark.parametrize("bug", [TypeError("unexpected keyword"), KeyError("access_token"), AttributeError("x")])
def test_a_programming_error_surfaces_as_itself(bug: Exception) -> None:
    with pytest.raises(type(bug)) as caught:
        auth._msal_call(raising(bug))

    assert caught.value is bug


def test_an_overlap_error_passes_through_unchanged() -> None:
    error = Unavailable("already ours", code="x")

    with pytest.raises(Unavailable) as caught:
        auth._msal_call(raising(error))

    assert caught.value is error


def test_entra_id_out_of_reach_is_a_transient_unavailable(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = replace(config, login_url=f"https://127.0.0.1:{port}")

    with pytest.raises(Unavailable) as caught:
        auth.app_token(nowhere, emulator.tenant_id)

    assert caught.value.code == "unreachable" and not caught.value.permanent
