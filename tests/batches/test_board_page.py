"""The board's whole page kept in the cache (batches/board_page.py): served again only while it is the page a
fresh render would give, with each request's own CSRF token and CSP nonce."""

from __future__ import annotations

import re
import types
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.roles import grant_role, revoke_role
from batches import annotating, board_page, workflow
from batches.models import Batch, Image, Project
from batches.stale import WAITING, stale_days
from batches.views.board import AGE_LABEL, activity_label, labels_valid_until, short_age
from tests.batches.board_helpers import batch_in, client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db
Status = Batch.Status


def board_url(project) -> str:
    return reverse("board", args=[project.pk])


def own_parts_out(html: str) -> str:
    """The page without what is each request's own: its CSRF token and its CSP nonce."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', 'name="csrfmiddlewaretoken" value="-"', html)
    html = re.sub(r'"x-csrftoken": "\w+"', '"x-csrftoken": "-"', html)
    return re.sub(r"(nonce)(=\"|\": \")[\w+/=-]+", r"\1\2-", html, flags=re.I)


def fresh_page(client, project) -> str:
    """The page as it is rendered with nothing stored."""
    cache.clear()
    return own_parts_out(client.get(board_url(project)).content.decode())


@pytest.fixture
def board(project, manager, annotator, reviewer):
    batch_in(Status.UNASSIGNED, project, manager=manager, images=3)
    annotating_batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=4)
    batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)
    return annotating_batch


def test_an_unchanged_board_is_served_from_the_cache_with_the_same_page(
    board, project, manager, django_assert_num_queries
):
    client = client_for(manager)
    first = client.get(board_url(project)).content.decode()

    # session, user, project, permissions, the board's fingerprint: no card is read, no annotator listed
    with django_assert_num_queries(5):
        again = client.get(board_url(project)).content.decode()

    assert own_parts_out(again) == own_parts_out(first)
    assert board_page.CSRF_MARK not in again and board_page.NONCE_MARK not in again


def rename_assignee(project, batch, people):
    people["annotator"].username = "renamed-annotator"
    people["annotator"].save()


def rename_project(project, batch, people):
    Project.objects.filter(pk=project.pk).update(name="Night traffic")


def add_annotator(project, batch, people):
    grant_role(project, make_user("newcomer"), "annotator")


def annotator_leaves(project, batch, people):
    revoke_role(project, people["annotator"], "annotator")


def viewer_gains_a_role(project, batch, people):
    grant_role(project, people["manager"], "reviewer")


def viewer_compacts_the_board(project, batch, people):
    people["manager"].board_layout = {str(project.pk): {"compact": True, "sort": {}, "collapsed": ["dataset"]}}
    people["manager"].save(update_fields=["board_layout"])


def annotator_saves(project, batch, people):
    image = Image.objects.filter(batch=batch).order_by("pk").first()
    car = project.label_classes.first()
    annotating.save_annotations(
        actor=people["annotator"], image=image, boxes=[{"label_class": car.pk, "x": 1, "y": 1, "w": 4, "h": 4}]
    )


def annotator_is_active(project, batch, people):
    # What a save that moves no progress writes (batches/annotating.py): the activity, nothing else.
    Batch.objects.filter(pk=batch.pk).update(last_active_at=timezone.now())


def batch_moves(project, batch, people):
    workflow.submit(actor=people["annotator"], batch=Batch.objects.get(pk=batch.pk))


def batch_is_renamed_in_the_admin(project, batch, people):
    from django.db.models import F

    Batch.objects.filter(pk=batch.pk).update(name="Renamed", version=F("version") + 1, updated_at=timezone.now())


@pytest.mark.parametrize(
    "change",
    [
        rename_assignee,
        rename_project,
        add_annotator,
        annotator_leaves,
        viewer_gains_a_role,
        viewer_compacts_the_board,
        annotator_saves,
        annotator_is_active,
        batch_moves,
        batch_is_renamed_in_the_admin,
    ],
)
def test_after_any_change_the_page_is_the_one_a_fresh_render_gives(
    board, project, manager, annotator, change, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    stored = own_parts_out(client.get(board_url(project)).content.decode())

    with django_capture_on_commit_callbacks(execute=True):  # the change committed, as a request's would be
        change(project, board, {"manager": manager, "annotator": annotator})
    served = own_parts_out(client.get(board_url(project)).content.decode())

    assert served == fresh_page(client, project)
    assert served != stored


def test_each_person_and_each_filter_has_their_own_page(board, project, manager, annotator):
    managers = client_for(manager)
    annotators = client_for(annotator)
    everyone = {"assignee": "", "q": ""}
    as_manager = own_parts_out(managers.get(board_url(project), everyone).content.decode())
    as_annotator = own_parts_out(annotators.get(board_url(project), everyone).content.decode())
    mine = own_parts_out(managers.get(board_url(project), {"assignee": "me", "q": ""}).content.decode())

    assert as_manager != as_annotator
    assert mine != as_manager
    assert own_parts_out(annotators.get(board_url(project), everyone).content.decode()) == as_annotator
    assert own_parts_out(managers.get(board_url(project), everyone).content.decode()) == as_manager


def test_a_stored_page_carries_each_requests_own_csrf_token_which_the_server_accepts(board, project, manager):
    client_for(manager).get(board_url(project))  # stored by another browser of the same person
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    response = browser.get(board_url(project))
    html = response.content.decode()
    token = re.search(r'"x-csrftoken": "(\w+)"', html).group(1)
    assert re.search(rf'name="csrfmiddlewaretoken" value="{token}"', html)
    nonce = re.search(r'nonce="([\w+/=-]+)"', html)
    if nonce:
        assert f"'nonce-{nonce.group(1)}'" in response.headers["Content-Security-Policy"]

    layout = browser.post(reverse("board_layout", args=[project.pk]), {"compact": "1"}, headers={"X-CSRFToken": token})
    assert layout.status_code == 302


def test_a_page_with_a_message_to_show_is_neither_served_from_nor_put_into_the_cache(board, project, manager):
    client = client_for(manager)
    client.get(board_url(project))
    storage, response = CookieStorage(HttpRequest()), HttpResponse()
    storage._store([Message(constants.SUCCESS, "Saved the batch list")], response)
    client.cookies["messages"] = response.cookies["messages"].value

    assert "Saved the batch list" in client.get(board_url(project)).content.decode()
    assert "Saved the batch list" not in client.get(board_url(project)).content.decode()


def test_a_stored_page_is_not_served_once_one_of_its_labels_is_more_than_a_moment_behind(
    board, project, manager, monkeypatch, django_assert_num_queries
):
    Batch.objects.filter(pk=board.pk).update(status_changed_at=timezone.now() - timedelta(minutes=5, seconds=10))
    client = client_for(manager)
    client.get(board_url(project))
    with django_assert_num_queries(5):
        client.get(board_url(project))

    # "in column 5 min" reads "6 min" 50 s later: the stored page is served LABEL_GRACE (15 s) beyond that,
    # no longer
    soon = types.SimpleNamespace(time=lambda: datetime.now(UTC).timestamp() + 50 + board_page.LABEL_GRACE - 3)
    monkeypatch.setattr(board_page, "time", soon)
    with django_assert_num_queries(5):
        client.get(board_url(project))
    later = types.SimpleNamespace(time=lambda: datetime.now(UTC).timestamp() + 50 + board_page.LABEL_GRACE + 1)
    monkeypatch.setattr(board_page, "time", later)
    with django_assert_num_queries(8):  # rendered again
        client.get(board_url(project))


def test_a_renamed_person_is_never_shown_under_the_old_name(
    board, project, manager, annotator, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    assert "@annotator<" in client.get(board_url(project)).content.decode()
    before = cache.get(board_page.PEOPLE_KEY)

    with django_capture_on_commit_callbacks() as committed:
        annotator.username = "maryam"
        annotator.save()
        # Not before the rename is committed: a page another request renders meanwhile (the old name still
        # read there) would be stored under the new value and served afterwards.
        assert cache.get(board_page.PEOPLE_KEY) == before
    for callback in committed:
        callback()
    assert cache.get(board_page.PEOPLE_KEY) != before

    html = client.get(board_url(project)).content.decode()
    assert "@maryam<" in html and "@annotator<" not in html


def test_fixing_a_flagged_image_that_was_already_done_changes_the_boards_fingerprint(
    project, manager, annotator, reviewer
):
    """A save that fixes a flagged image moves no progress when the image was done already; the card's
    "N flagged images to fix" changes all the same, so open boards must see it on their next poll."""
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2)
    image = Image.objects.filter(batch=batch).order_by("pk").first()
    car = project.label_classes.first()
    box = [{"label_class": car.pk, "x": 1, "y": 1, "w": 4, "h": 4}]
    annotating.save_annotations(actor=annotator, image=image, boxes=box)
    workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
    annotating.flag_image(actor=reviewer, image=Image.objects.get(pk=image.pk), flagged=True, note="Loose box")
    workflow.reject(actor=reviewer, batch=Batch.objects.get(pk=batch.pk), comment="Fix it")
    client = client_for(manager)
    page = client.get(board_url(project)).content.decode()
    token = re.search(r'id="board-token" name="token" value="(\w+)"', page).group(1)
    assert "1 flagged image to fix" in page

    annotating.save_annotations(actor=annotator, image=Image.objects.get(pk=image.pk), boxes=box)

    assert Image.objects.get(pk=image.pk).state == "annotated"  # it was done before: no progress moved
    poll = client.get(reverse("board_version", args=[project.pk]), {"token": token}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 200
    assert "flagged image to fix" not in client.get(board_url(project)).content.decode()


# --- the labels' end of validity ----------------------------------------------------------------------


def labels(batch: Batch, now: datetime) -> tuple:
    return (
        AGE_LABEL[batch.status] % {"age": short_age(batch.status_changed_at, now)},
        activity_label(batch, now),
        stale_days(batch, now),
    )


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(list(Status.values)),
    in_column=st.integers(min_value=0, max_value=30 * 86400),
    active=st.one_of(st.none(), st.integers(min_value=0, max_value=4 * 86400)),
    limit=st.sampled_from([0, 1, 3]),
    later=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_no_label_of_a_card_changes_before_the_moment_it_is_said_to(status, in_column, active, limit, later):
    batch = Batch(
        status=status,
        status_changed_at=NOW - timedelta(seconds=in_column, microseconds=250_000),
        last_active_at=None if active is None else NOW - timedelta(seconds=active, microseconds=500_000),
        project=Project(stale_after_days=limit),
    )
    until = labels_valid_until(batch, NOW)

    assert until is not None and until > NOW
    moment = min(NOW + (until - NOW) * later, until - timedelta(microseconds=1))
    assert labels(batch, moment) == labels(batch, NOW)
    # and it is the moment the age label or the activity changes, or a day's end for the stale mark
    assert labels(batch, until) != labels(batch, NOW) or (limit and status in WAITING)


@pytest.fixture
def redis_cache(settings):
    """The shared cache production runs on (CACHE_URL): Redis, under a prefix of this test's own."""
    import uuid

    import redis

    from tests.task_helpers import TEST_REDIS_URL

    try:
        redis.Redis.from_url(TEST_REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis does not answer at {TEST_REDIS_URL}")
    prefix = f"board-page-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "binaboard.cache.ForgivingRedisCache", "LOCATION": TEST_REDIS_URL, "KEY_PREFIX": prefix}
    }
    yield
    client = redis.Redis.from_url(TEST_REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_the_page_is_kept_in_redis_and_served_from_it(redis_cache, board, project, manager, django_assert_num_queries):
    first = client_for(manager).get(board_url(project)).content.decode()
    other_browser = client_for(manager)

    with django_assert_num_queries(5):
        again = other_browser.get(board_url(project)).content.decode()
    assert own_parts_out(again) == own_parts_out(first)
    assert cache.get(board_page.PEOPLE_KEY) is not None


def test_signing_in_ends_no_stored_page(board, project, manager, annotator, django_assert_num_queries):
    client = client_for(manager)
    client.get(board_url(project))
    client_for(annotator)  # a sign-in writes the person's last login, not their name

    with django_assert_num_queries(5):
        client.get(board_url(project))


def test_a_person_who_leaves_the_project_gets_no_stored_page(board, project, annotator):
    """A non-member learns nothing: the permissions are read before the cache is, on every request."""
    client = client_for(annotator)
    assert client.get(board_url(project)).status_code == 200

    revoke_role(project, annotator, "annotator")

    response = client.get(board_url(project))
    assert response.status_code == 404
    assert board.name not in response.content.decode() and 'id="board"' not in response.content.decode()
