"""The request id: taken from X-Request-ID when it is a UUID, made otherwise, answered in the response, on
every log line of the request, carried into the tasks it enqueues and on to Graph as `client-request-id`."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from config import request_id
from config.logs import JsonFormatter, RequestIdFilter
from integrations.microsoft import auth
from m365_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as production writes it (JSON lines with the request id)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_response_carries_a_new_request_id_when_none_was_sent(client: Client) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert uuid.UUID(first["X-Request-ID"]).version == 4
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_proxys_uuid_is_kept_and_nginxs_hex_form_is_given_hyphens(client: Client) -> None:
    sent = str(uuid.uuid4())
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent
    bare = uuid.uuid4().hex.upper()
    assert client.get("/healthz", HTTP_X_REQUEST_ID=bare)["X-Request-ID"] == str(uuid.UUID(bare))


@pytest.mark.parametrize(
    "forged",
    ['abc\n{"level": "ERROR", "message": "forged"}', "x" * 36, "", "../../etc/passwd", "{" + str(uuid.uuid4()) + "}"],
)
def test_anything_but_a_uuid_is_replaced_so_no_header_writes_into_the_logs(client: Client, forged: str) -> None:
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
    assert answered != forged
    assert str(uuid.UUID(answered)) == answered


def test_every_log_line_of_a_request_carries_its_id_and_lines_outside_none(json_lines: io.StringIO) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        logging.getLogger("overlap.view").info("first")
        logging.getLogger("overlap.deeper").warning("second\nwith a line break")
        return HttpResponse("ok")

    response = request_id.RequestIdMiddleware(view)(RequestFactory().get("/"))
    logging.getLogger("overlap.after").info("after the request")

    first, second, after = _entries(json_lines)[-3:]
    assert first["request_id"] == second["request_id"] == response["X-Request-ID"]
    assert second["message"] == "second\nwith a line break" and second["level"] == "WARNING"
    assert "request_id" not in after
    assert len(json_lines.getvalue().splitlines()) == len(_entries(json_lines))  # one line per entry


def test_a_json_line_keeps_extra_fields_and_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("once",), sys.exc_info())
    record.booking = "b-1"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed once" and entry["booking"] == "b-1"
    assert "ValueError: boom" in str(entry["exception"])


def _graph_calls_with(emulator: EmulatorProcess, rid: str) -> list[dict[str, object]]:
    return [e for e in emulator.log() if e["path"].startswith("/v1.0") and e["client_request_id"] == rid]


@pytest.mark.urls("tests.config.request_id_app")
def test_a_task_run_in_process_calls_graph_with_the_requests_id(
    client: Client, emulator_settings: EmulatorProcess, json_lines: io.StringIO
) -> None:
    auth.forget_all()
    emulator_settings.grant_admin_consent()
    sent = str(uuid.uuid4())
    response = client.get(f"/probe/{emulator_settings.tenant_id}", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] == sent
    assert [e["path"] for e in _graph_calls_with(emulator_settings, sent)] == ["/v1.0/users"]
    logged = [e for e in _entries(json_lines) if e["logger"] in {"tests.request_id", "integrations.microsoft.graph"}]
    assert [e["request_id"] for e in logged] == [sent] * 3  # enqueued, probing, the Graph call


def test_a_graph_call_outside_any_request_gets_an_id_of_its_own(emulator_settings: EmulatorProcess) -> None:
    from tests.config.request_id_app import probe_graph

    auth.forget_all()
    emulator_settings.grant_admin_consent()
    since = emulator_settings.last_seq()
    probe_graph(emulator_settings.tenant_id)
    probe_graph(emulator_settings.tenant_id)
    ids = [e["client_request_id"] for e in emulator_settings.log(since) if e["path"] == "/v1.0/users"]
    assert len(ids) == 2 and len(set(ids)) == 2 and all(uuid.UUID(str(i)) for i in ids)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs on the PostgreSQL/Redis pass")
@pytest.mark.urls("tests.config.request_id_app")
def test_a_real_worker_runs_the_task_and_calls_graph_under_the_requests_id(
    client: Client, emulator_settings: EmulatorProcess, real_worker: None, json_lines: io.StringIO
) -> None:
    auth.forget_all()
    emulator_settings.grant_admin_consent()
    sent = str(uuid.uuid4())
    client.get(f"/probe/{emulator_settings.tenant_id}", HTTP_X_REQUEST_ID=sent)

    deadline = time.monotonic() + 20
    while not _graph_calls_with(emulator_settings, sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [e["path"] for e in _graph_calls_with(emulator_settings, sent)] == ["/v1.0/users"]
    in_task = [e for e in _entries(json_lines) if e.get("task_name") == "tests.request_id.probe_graph"]
    assert in_task and {e["request_id"] for e in in_task} == {sent}  # the worker's lines, under the web's id
