"""The suite cannot reach the internet by accident: the guard fails a test loudly, naming the address."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from django.conf import settings

from tests.conftest import NetworkGuard


def test_a_socket_to_a_public_address_fails_the_test_naming_it(network_guard: NetworkGuard) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"192\.0\.2\.10:443"):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    assert network_guard.attempts == ["192.0.2.10:443"]
    network_guard.attempts.clear()  # seen; the teardown must not fail this test


def test_code_that_swallows_errors_cannot_hide_the_attempt(network_guard: NetworkGuard) -> None:
    def careless() -> str:
        try:
            return requests.get("https://graph.microsoft.com/v1.0/users", timeout=1).text
        except Exception:  # what careless code does
            return ""

    with pytest.raises(pytest.fail.Exception, match=r"graph\.microsoft\.com"):
        careless()
    network_guard.attempts.clear()


def test_an_attempt_in_another_thread_is_kept_for_the_teardown(network_guard: NetworkGuard) -> None:
    def worker() -> None:
        try:
            socket.create_connection(("198.51.100.7", 80), timeout=1)
        except BaseException:  # the thread dies quietly; the guard still remembers
            return

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert network_guard.attempts == ["198.51.100.7:80"]
    network_guard.attempts.clear()


def test_loopback_and_unix_sockets_stay_allowed() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        socket.create_connection(server.getsockname(), timeout=1).close()
        socket.create_connection(("localhost", server.getsockname()[1]), timeout=1).close()
    finally:
        server.close()
    left, right = socket.socketpair()
    left.close()
    right.close()


def test_the_default_microsoft_urls_of_the_test_settings_cannot_resolve() -> None:
    assert settings.MICROSOFT_LOGIN_URL == "https://login.invalid"
    assert settings.MICROSOFT_GRAPH_URL == "https://graph.invalid"
