from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries


@pytest.mark.django_db
def test_robots_txt_asks_every_crawler_to_keep_out_and_touches_nothing(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "User-agent: *\nDisallow: /\n"
    assert "sessionid" not in response.cookies


def test_robots_txt_answers_only_reads() -> None:
    assert Client().post("/robots.txt").status_code == 405
