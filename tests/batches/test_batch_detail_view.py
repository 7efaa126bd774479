"""The batch page: paginated images, history, where it was split from, and its moves (plain forms)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from batches import workflow
from batches.models import Batch, Image
from batches.views.answers import IMAGES_PER_PAGE
from tests.batches.board_helpers import batch_in, client_for, seen
from tests.factories import make_batch, stored_image_rows

pytestmark = pytest.mark.django_db
Status = Batch.Status


def page_url(batch, **query) -> str:
    url = reverse("batch_detail", args=[batch.project_id, batch.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_shows_the_images_sixty_to_a_page(project, manager):
    batch = make_batch(project, manager, images=IMAGES_PER_PAGE + 5)
    client = client_for(manager)

    first = client.get(page_url(batch)).content.decode()
    second = client.get(page_url(batch, page=2)).content.decode()

    assert first.count('class="image-tile') == IMAGES_PER_PAGE
    assert second.count('class="image-tile') == 5
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_thumbnails_point_at_the_private_thumbnail_view(project, manager):
    batch = workflow.create_batch(actor=manager, project=project, name="Real", images=stored_image_rows(project, 2))
    image = Image.objects.filter(batch=batch).first()

    html = client_for(manager).get(page_url(batch)).content.decode()

    assert reverse("image_thumbnail", args=[image.pk]) in html
    assert client_for(manager).get(reverse("image_thumbnail", args=[image.pk])).status_code == 200


def test_it_lists_the_history_newest_first(project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    html = client_for(manager).get(page_url(batch)).content.decode()

    history = re.search(r'<ol class="history">.*?</ol>', html, re.S).group(0)
    assert history.index("assigned") < history.index("created")
    assert "to annotator (10)" in history


def test_a_remainder_links_to_the_batch_it_was_split_from_and_back(project, manager, annotator):
    batch = make_batch(project, manager, images=10, name="Street-03")
    rest = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=4).remainder
    client = client_for(manager)

    rest_page = client.get(page_url(rest)).content.decode()
    parent_page = client.get(page_url(batch)).content.decode()

    assert f'href="{page_url(batch)}">Street-03 · part 1/2</a>' in rest_page
    assert f'href="{page_url(rest)}">Street-03 · part 2/2</a>' in parent_page


def test_its_moves_are_plain_forms_that_come_back_to_this_page(client, project, manager, annotator):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client.force_login(annotator)

    html = client.get(page_url(batch)).content.decode()
    moves = re.search(r'<ul class="move-list">.*?</ul>', html, re.S).group(0)
    assert "Submit for review" in moves and "hx-post" not in moves

    response = client.post(
        reverse("batch_move", args=[project.pk, batch.pk]),
        {**seen(batch), "action": "submit", "confirmed": "yes", "next": page_url(batch)},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page_url(batch)
    assert "submitted: it is in Review now" in response.content.decode()


def test_its_reject_button_is_red_like_the_one_on_the_review_page(project, manager, annotator, reviewer):
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)
    client = client_for(reviewer)

    html = client.get(page_url(batch)).content.decode()
    review = client.get(reverse("review", args=[project.pk, batch.pk])).content.decode()

    on_review = re.search(r'<button type="submit" class="([^"]*)">Reject → Annotating</button>', review).group(1)
    on_batch_page = re.search(r'<a class="([^"]*)" href="\?move=reject&', html).group(1)
    assert "btn-danger" in on_review.split()
    assert "btn-danger" in on_batch_page.split()
    # ... and so is the button that sends the rejection, on the batch page as in the board's dialog.
    move = client.get(page_url(batch), {"move": "reject", "version": batch.version, "from": batch.status})
    sends = re.search(r'<button type="submit" class="([^"]*)">Reject with comment</button>', move.content.decode())
    assert "btn-danger" in sends.group(1).split()


def test_an_annotator_sees_no_moves_on_a_batch_that_is_not_theirs(project, manager, annotator, annotator2):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2)

    html = client_for(annotator).get(page_url(batch)).content.decode()

    assert 'class="move-list"' not in html


def test_the_move_form_without_javascript_lives_on_this_page(project, manager, annotator):
    batch = make_batch(project, manager, images=8)

    html = client_for(manager).get(page_url(batch, move="assign", **seen(batch))).content.decode()

    panel = re.search(r'<section id="move".*?</section>', html, re.S).group(0)
    assert "Assign “" in panel and 'name="assignees"' in panel and "All 8 images" in panel
    assert f'action="{reverse("batch_assign", args=[project.pk, batch.pk])}"' in panel


def test_the_merge_form_without_javascript_names_each_batch_with_the_version_shown(project, manager):
    batch = make_batch(project, manager, images=3)
    other = make_batch(project, manager, images=4, name="Street-04")
    workflow.reorder(actor=manager, batch=other, before=batch)  # a version other than the first
    other.refresh_from_db()
    client = client_for(manager)

    html = client.get(page_url(batch, move="merge", **seen(batch))).content.decode()
    post = {**seen(batch), "action": "merge", "dialog": "1", "other": f"{other.pk}:{other.version}", "name": "x" * 201}
    again = client.post(reverse("batch_move", args=[project.pk, batch.pk]), post).content.decode()

    assert f'<option value="{other.pk}:{other.version}">Street-04 (4 images)</option>' in html
    # A mistake elsewhere shows the form again, with the batch chosen as it was.
    assert f'<option value="{other.pk}:{other.version}" selected>' in again


def test_a_move_form_that_is_not_allowed_says_why_instead(project, manager, annotator):
    batch = make_batch(project, manager)

    html = client_for(annotator).get(page_url(batch, move="assign", **seen(batch))).content.decode()

    assert 'id="move"' not in html
    assert "Only a manager of this project can assign a batch." in html


def test_a_stale_move_form_says_who_changed_the_batch(project, manager, annotator):
    batch = make_batch(project, manager)
    old = seen(batch)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])

    html = client_for(manager).get(page_url(batch, move="delete", **old)).content.decode()

    assert 'id="move"' not in html
    assert "manager (assigned, just now)" in html


def test_non_members_get_404(project, manager, outsider):
    batch = make_batch(project, manager)

    assert client_for(outsider).get(page_url(batch)).status_code == 404


def test_a_batch_of_another_project_is_404_under_this_one(project, manager):
    from tests.factories import make_project

    other = make_project("Other")
    batch = make_batch(project, manager)

    assert client_for(manager).get(reverse("batch_detail", args=[other.pk, batch.pk])).status_code == 404


@pytest.mark.parametrize("images", [5, 500])
def test_the_page_costs_the_same_queries_whatever_the_batch_size(
    project, manager, annotator, images, django_assert_num_queries
):
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=images)
    client = client_for(manager)

    # session, user, the batch with project and assignee, permissions (2), its thumbnails, the image
    # count and page, the history, where it was split from (none: no query), what was split from it,
    # and its upload reports (a manager), its background work (the export jobs, files waiting for removal)
    with django_assert_num_queries(12):
        response = client.get(page_url(batch))
    assert response.status_code == 200
