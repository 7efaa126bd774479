"""The shared cache (CACHE_URL) going away costs speed, never a page: the board and the API still answer."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from binaboard.cache import ForgivingRedisCache
from tests.binaboard.test_settings import settings_value
from tests.factories import make_batch

# Nothing listens on port 1: every connection is refused at once, as when Redis is stopped.
REDIS_DOWN = {"default": {"BACKEND": "binaboard.cache.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:1/14"}}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = REDIS_DOWN
    ForgivingRedisCache._last_warning = 0.0
    yield
    ForgivingRedisCache._last_warning = 0.0


def test_cache_url_gives_the_cache_that_survives_a_redis_outage():
    caches = settings_value("s.CACHES", DEBUG="1", CACHE_URL="redis://127.0.0.1:6379/3")
    assert caches["default"] == {
        "BACKEND": "binaboard.cache.ForgivingRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
    }


@pytest.mark.django_db
def test_the_board_answers_while_the_cache_cannot_be_reached(client, redis_down, project, manager, caplog):
    make_batch(project, manager, images=2)
    client.force_login(manager)
    # Giving the roles above wrote to the cache too (batches/board_page.py); this page's warning is counted.
    ForgivingRedisCache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="binaboard.cache"):
        response = client.get(reverse("board", args=[project.pk]))
    assert response.status_code == 200
    assert "Batch" in response.content.decode()
    # The outage is in the log once, not once per card.
    warnings = [r for r in caplog.records if r.name == "binaboard.cache"]
    assert len(warnings) == 1
    assert "cannot be reached" in warnings[0].getMessage()


@pytest.mark.django_db
def test_the_api_and_its_rate_limit_answer_while_the_cache_cannot_be_reached(client, redis_down, settings, manager):
    settings.API_RATE_LIMIT = 600
    client.force_login(manager)
    response = client.get("/api/v1/projects")
    assert response.status_code == 200
    assert response.json()["items"]


def test_every_cache_operation_falls_back_to_an_empty_cache(redis_down):
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.get_or_set("k", 5) == 5
    assert cache.touch("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")  # as for a missing key: the caller starts counting again
    assert cache.delete("k") is False
    cache.delete_many(["a", "b"])
    assert cache.clear() is False


def test_a_working_redis_is_used_as_before(settings):
    settings.CACHES = {
        "default": {"BACKEND": "binaboard.cache.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}
    }
    cache.set("binaboard-cache-test", 41, 30)
    assert cache.incr("binaboard-cache-test") == 42
    assert cache.get_many(["binaboard-cache-test"]) == {"binaboard-cache-test": 42}
    cache.delete("binaboard-cache-test")
