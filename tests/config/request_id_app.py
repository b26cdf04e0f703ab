"""A page and a task for the request-id tests: the page enqueues the task, the task calls Graph and logs."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.celery_app import app
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig

log = logging.getLogger("tests.request_id")


@app.task(name="tests.request_id.probe_graph")
def probe_graph(tenant: str) -> None:
    log.info("probing Graph for %s", tenant)
    GraphClient.for_tenant(MicrosoftConfig.from_settings(), tenant).probe()


def enqueue(request: HttpRequest, tenant: str) -> HttpResponse:
    log.info("enqueueing a probe")
    probe_graph.delay(tenant)
    return HttpResponse("queued")


urlpatterns = [path("probe/<str:tenant>", enqueue)]
