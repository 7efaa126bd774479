"""The board page, its filter, its "load more" pages and the live version check, through the test client."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.roles import grant_role
from batches import workflow
from batches.models import Batch, Image
from batches.views.board import COLUMN_PAGE
from tests.batches.board_helpers import HTMX, batch_in, client_for
from tests.factories import image_rows, make_batch, make_project, make_user, stored_image_rows

pytestmark = pytest.mark.django_db
Status = Batch.Status


def board_url(project) -> str:
    return reverse("board", args=[project.pk])


def card_ids(html: str, status: str | None = None) -> list[int]:
    if status is not None:
        match = re.search(rf'<section id="column-{status}".*?</section>', html, re.S)
        html = match.group(0) if match else ""
    return [int(pk) for pk in re.findall(r'data-batch-id="(\d+)"', html)]


def many_batches(project, n: int) -> None:
    """n Unassigned batches of one image each, written in bulk (the board only reads them)."""
    batches = Batch.objects.bulk_create(
        [Batch(project=project, name=f"Bulk {i:04d}", image_count=1, position=i) for i in range(n)]
    )
    rows = image_rows(len(batches))
    for batch, image in zip(batches, rows, strict=True):
        image.project = project
        image.batch = batch
        image.thumbnail = f"thumbs/{image.sha256[:8]}.jpg"
    Image.objects.bulk_create(rows)


def test_it_shows_the_four_columns_with_their_batch_and_image_counts(project, manager, annotator, reviewer):
    batch_in(Status.UNASSIGNED, project, manager=manager, images=5)
    batch_in(Status.UNASSIGNED, project, manager=manager, images=7)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3)
    batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=4)

    response = client_for(manager).get(board_url(project))

    assert response.status_code == 200
    html = response.content.decode()
    for status in ("unassigned", "annotating", "review", "dataset"):
        assert f'data-column="{status}"' in html
    counts = dict(re.findall(r'id="column-(\w+)".*?data-count="batches">(\d+)<', html, re.S))
    assert counts == {"unassigned": "2", "annotating": "1", "review": "0", "dataset": "1"}
    images = dict(re.findall(r'id="column-(\w+)".*?data-count="images">(\d+)<', html, re.S))
    assert images == {"unassigned": "12", "annotating": "3", "review": "0", "dataset": "4"}


def test_a_card_shows_name_thumbnails_count_assignee_progress_rejections_and_the_review_comment(
    project, manager, annotator, reviewer
):
    batch = workflow.create_batch(
        actor=manager, project=project, name="Street-01", images=stored_image_rows(project, 6)
    )
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    batch = workflow.submit(actor=annotator, batch=batch)
    workflow.reject(actor=reviewer, batch=batch, comment="Fix the bikes")

    html = client_for(manager).get(board_url(project)).content.decode()

    card = re.search(rf'<article id="card-{batch.pk}".*?</article>', html, re.S).group(0)
    assert 'data-image-count="6"' in card
    assert reverse("batch_detail", args=[project.pk, batch.pk]) in card
    thumbs = re.findall(r'src="/images/(\d+)/thumb" alt="" loading="lazy"', card)
    assert len(thumbs) == 4
    assert "6 images" in card and "@annotator" in card
    assert "<progress" in card and 'aria-label="0 of 6 images annotated"' in card
    assert "↺" in card and '1<span class="visually-hidden"> rejection</span>' in card
    assert "Fix the bikes" in card


def test_an_empty_unassigned_column_invites_a_manager_to_upload(project, manager):
    html = client_for(manager).get(board_url(project)).content.decode()

    assert "Upload images to start" in html
    assert "Upload images</a>" in html


def column_html(html: str, status: str) -> str:
    return re.search(rf'<section id="column-{status}".*?</section>', html, re.S).group(0)


def test_a_reviewer_is_not_told_that_columns_they_only_partly_see_are_empty(project, manager, annotator, reviewer):
    project.annotator_visibility = project.AnnotatorVisibility.ASSIGNED  # what a project made in the app has
    project.save()
    batch_in(Status.UNASSIGNED, project, manager=manager)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)

    html = client_for(reviewer).get(board_url(project), {"assignee": ""}).content.decode()

    # Two batches are there; a reviewer sees none of them, and was told to upload and to assign.
    assert "Batches waiting to be assigned are shown to managers only." in column_html(html, "unassigned")
    assert "You see only the batches assigned to you in this column, and none is." in column_html(html, "annotating")
    assert "Upload images to start" not in html
    assert "Assign a batch from Unassigned" not in html
    assert "Submitted batches wait here for a reviewer." in column_html(html, "review")


def test_a_filter_that_hides_someones_own_batch_says_so_not_that_they_have_none(project, manager, annotator):
    project.annotator_visibility = project.AnnotatorVisibility.ASSIGNED
    project.save()
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Street-01")

    html = client_for(annotator).get(board_url(project), {"assignee": "", "q": "harbour"}).content.decode()

    assert "No batch here matches the filter." in column_html(html, "annotating")
    assert "You see only the batches assigned to you" not in html


def test_an_annotator_who_sees_the_whole_board_is_not_asked_to_upload_or_assign(project, manager, annotator):
    html = client_for(annotator).get(board_url(project), {"assignee": ""}).content.decode()

    assert "No batch is waiting to be assigned." in column_html(html, "unassigned")
    assert "No batch is being annotated." in column_html(html, "annotating")
    assert "Upload images to start" not in html


def test_a_column_count_says_what_its_two_numbers_count(project, manager):
    html = client_for(manager).get(board_url(project)).content.decode()

    # "48 · 105" said nothing about which number was what, except to a screen reader.
    assert html.count('<span class="column-count" title="batches · images">') == 4


def test_an_empty_column_offers_no_select_all_box(project, manager):
    batch_in(Status.UNASSIGNED, project, manager=manager)

    html = client_for(manager).get(board_url(project)).content.decode()

    # A box that selects nothing: ticking it did nothing at all.
    assert 'data-select-column="unassigned"' in html
    for status in ("annotating", "review", "dataset"):
        assert "data-select-column" not in column_html(html, status)


def test_annotators_see_no_upload_button_and_no_move_they_may_not_make(
    project, manager, annotator, annotator2, reviewer
):
    batch_in(Status.UNASSIGNED, project, manager=manager)
    mine = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    theirs = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2)
    batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    html = client_for(annotator).get(board_url(project)).content.decode()

    assert "Upload images</a>" not in html
    moves = re.findall(r'data-move="(\w+)"', html)
    assert moves == ["submit"]  # only their own batch, only submit
    assert f'id="card-{mine.pk}-moves"' in html
    assert f'id="card-{theirs.pk}-moves"' not in html


def test_a_reviewer_may_approve_or_reject_what_is_in_review_and_nothing_else(project, manager, annotator, reviewer):
    batch_in(Status.UNASSIGNED, project, manager=manager)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    batch_in(Status.REVIEW, project, manager=manager, annotator=annotator)

    html = client_for(reviewer).get(board_url(project)).content.decode()

    assert sorted(re.findall(r'data-move="(\w+)"', html)) == ["approve", "reject"]


def test_a_manager_gets_every_move_of_each_column(project, manager, annotator, reviewer):
    batch_in(Status.UNASSIGNED, project, manager=manager)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer)

    html = client_for(manager).get(board_url(project)).content.decode()

    assert sorted(re.findall(r'data-move="(\w+)"', html)) == sorted(
        ["assign", "delete", "merge", "reassign", "submit", "reset", "reopen", "reset", "takeback", "relabel"]
    )


def test_a_non_member_gets_404_and_an_anonymous_visitor_is_sent_to_sign_in(client, project, outsider):
    assert client_for(outsider).get(board_url(project)).status_code == 404
    response = client.get(board_url(project))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_filters_by_assignee_and_searches_by_name(project, manager, annotator, annotator2):
    street = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Street-01")
    night = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2, name="Night-01")
    loose = batch_in(Status.UNASSIGNED, project, manager=manager, name="Street-02")
    client = client_for(manager)

    by_assignee = client.get(board_url(project), {"assignee": annotator2.pk}).content.decode()
    by_name = client.get(board_url(project), {"q": "street"}).content.decode()
    mine = client_for(annotator).get(board_url(project), {"assignee": "me"}).content.decode()

    assert card_ids(by_assignee) == [night.pk]
    assert "No batch here matches the filter." in by_assignee
    assert sorted(card_ids(by_name)) == sorted([street.pk, loose.pk])
    assert card_ids(mine) == [street.pk]


def test_the_filter_over_htmx_answers_with_the_columns_out_of_band(project, manager, annotator):
    street = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, name="Street-01")
    batch_in(Status.UNASSIGNED, project, manager=manager, name="Night-01")

    response = client_for(manager).get(board_url(project), {"q": "street"}, **HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.count('hx-swap-oob="true"') == 6  # four columns, the board's token and the "Clear" link
    assert card_ids(html) == [street.pk]


def test_the_clear_link_comes_and_goes_with_a_filter_typed_over_htmx(project, manager):
    client = client_for(manager)

    filtered = client.get(board_url(project), {"q": "street", "assignee": ""}, **HTMX).content.decode()
    cleared = client.get(board_url(project), {"q": "", "assignee": ""}, **HTMX).content.decode()

    # The toolbar is not swapped by a filter answer: the link was missing after typing, and stayed after clearing.
    assert re.search(r'<span id="filter-clear"[^>]*hx-swap-oob="true"><a class="filter-clear"', filtered)
    assert re.search(r'<span id="filter-clear"[^>]*hx-swap-oob="true"></span>', cleared)


def test_clear_forgets_the_remembered_assignee_too(project, manager, annotator, annotator2):
    theirs = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator2)
    mine = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)
    client.get(board_url(project), {"assignee": annotator.pk})  # remembered in the session

    filtered = client.get(board_url(project)).content.decode()
    clear = re.search(r'<a class="filter-clear" href="([^"]+)"', filtered).group(1).replace("&amp;", "&")
    cleared = client.get(clear).content.decode()

    assert card_ids(filtered) == [mine.pk]
    assert sorted(card_ids(cleared)) == sorted([mine.pk, theirs.pk])
    assert 'class="filter-clear"' not in cleared


def test_a_garbage_filter_is_ignored_rather_than_an_error(project, manager):
    response = client_for(manager).get(board_url(project), {"assignee": "'; drop table", "q": "x" * 5000})

    assert response.status_code == 200


def test_each_column_shows_its_first_fifty_cards_and_a_load_more_link(project, manager):
    many_batches(project, COLUMN_PAGE + 7)

    html = client_for(manager).get(board_url(project)).content.decode()

    assert len(card_ids(html, "unassigned")) == COLUMN_PAGE
    assert 'class="load-more"' in html and 'hx-trigger="intersect once, click"' in html


def test_load_more_brings_the_next_cards_and_no_further_link_at_the_end(project, manager):
    many_batches(project, COLUMN_PAGE + 7)
    client = client_for(manager)
    first = client.get(board_url(project)).content.decode()
    more_url = re.search(r'hx-get="([^"]+/columns/unassigned/[^"]+)"', first).group(1).replace("&amp;", "&")

    response = client.get(more_url, **HTMX)

    html = response.content.decode()
    assert len(card_ids(html)) == 7
    assert not set(card_ids(html)) & set(card_ids(first))
    assert "load-more" not in html


def test_load_more_without_javascript_is_a_page_of_its_own(project, manager):
    many_batches(project, COLUMN_PAGE + 3)
    client = client_for(manager)
    first = client.get(board_url(project)).content.decode()
    href = re.search(r'<a class="load-more" href="([^"]+)"', first).group(1).replace("&amp;", "&")

    response = client.get(href)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Back to the board" in html and len(card_ids(html)) == 3
    # The page reads no column counts: it said "0 · 0" above 3 cards.
    assert 'data-count="batches"' not in html


def test_an_empty_page_of_more_batches_says_what_the_board_would(project, manager, reviewer):
    many_batches(project, COLUMN_PAGE + 3)
    first = client_for(manager).get(board_url(project)).content.decode()
    href = re.search(r'<a class="load-more" href="([^"]+)"', first).group(1).replace("&amp;", "&")

    filtered = client_for(manager).get(href + "&q=no-such-batch").content.decode()
    # A reviewer is not told to upload: the page's column knew nothing of the viewer and read as a manager's.
    as_reviewer = client_for(reviewer).get(href).content.decode()

    assert "No batch here matches the filter." in filtered
    assert "Upload images" not in as_reviewer.split('id="main"')[1]


def test_a_broken_load_more_cursor_is_a_404_not_a_500(project, manager):
    url = reverse("board_column", args=[project.pk, "unassigned"])
    client = client_for(manager)

    assert client.get(url, {"after": "nonsense"}).status_code == 404
    assert client.get(reverse("board_column", args=[project.pk, "nowhere"]), {"after": "1.0_3"}).status_code == 404


@pytest.mark.parametrize("batches", [10, 1000])
def test_the_board_costs_the_same_queries_at_ten_and_at_a_thousand_batches(
    batches, project, manager, annotator, django_assert_num_queries
):
    many_batches(project, batches)
    batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)
    client.get(board_url(project))  # warm caches that are not the board's (content types, ...)
    cache.clear()

    # session, user, project, the manager's permissions (user + group), the board token and column
    # totals (one grouped query), the annotators of the filter, the cards of four columns (one query, each
    # column's own LIMIT), their thumbnails (one query)
    with django_assert_num_queries(8):
        response = client.get(board_url(project))
    assert response.status_code == 200
    # The same page again, nothing changed: from the cache (batches/board_page.py), no card read
    with django_assert_num_queries(5):
        again = client.get(board_url(project))
    assert again.status_code == 200


@pytest.mark.parametrize("batches", [10, 1000])
def test_a_live_refresh_costs_the_same_queries_at_any_size(batches, project, manager, django_assert_num_queries):
    many_batches(project, batches)
    client = client_for(manager)

    # session, user, project, permissions (one UNION), the token with the column totals, cards, thumbnails,
    # the bell's count
    with django_assert_num_queries(8):
        response = client.get(reverse("board_version", args=[project.pk]), {"token": "old"}, **HTMX)
    assert response.status_code == 200


def test_the_version_check_answers_204_with_one_query_of_its_own_when_nothing_changed(
    project, manager, django_assert_num_queries
):
    make_batch(project, manager)
    client = client_for(manager)
    html = client.get(board_url(project)).content.decode()
    token = re.search(r'id="board-token" name="token" value="(\w+)"', html).group(1)

    # session, user, project, permissions (one UNION), the one aggregate that is the check itself, and the
    # bell's unread count (issue 18: it rides on this answer in a header)
    with django_assert_num_queries(6):
        response = client.get(reverse("board_version", args=[project.pk]), {"token": token}, **HTMX)

    assert response.status_code == 204
    assert response.content == b""


def test_the_version_check_sends_the_columns_after_someone_moves_a_batch(project, manager, annotator):
    batch = make_batch(project, manager)
    client = client_for(manager)
    html = client.get(board_url(project)).content.decode()
    token = re.search(r'id="board-token" name="token" value="(\w+)"', html).group(1)

    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    response = client.get(reverse("board_version", args=[project.pk]), {"token": token}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert card_ids(html, "annotating") == [batch.pk]
    assert re.search(r'id="board-token" name="token" value="(\w+)" hx-swap-oob="true"', html).group(1) != token


def test_the_version_check_notices_annotation_progress_too(project, manager, annotator):
    from tests.factories import annotate

    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator)
    client = client_for(manager)
    token = re.search(
        r'id="board-token" name="token" value="(\w+)"', client.get(board_url(project)).content.decode()
    ).group(1)

    annotate(batch.images.first(), project.label_classes.first(), author=annotator)

    response = client.get(reverse("board_version", args=[project.pk]), {"token": token}, **HTMX)
    assert response.status_code == 200


def test_a_live_refresh_renders_as_many_cards_as_the_browser_had_loaded(project, manager):
    many_batches(project, COLUMN_PAGE + 30)

    response = client_for(manager).get(
        reverse("board_version", args=[project.pk]), {"token": "", "shown": f"unassigned:{COLUMN_PAGE + 20}"}, **HTMX
    )

    assert len(card_ids(response.content.decode(), "unassigned")) == COLUMN_PAGE + 20


def test_a_superuser_sees_every_move_on_a_project_they_are_not_a_member_of(superuser):
    project = make_project("Other")
    manager = make_user("boss")
    grant_role(project, manager, "manager")
    make_batch(project, manager)

    html = client_for(superuser).get(board_url(project)).content.decode()

    assert sorted(re.findall(r'data-move="(\w+)"', html)) == ["assign", "delete", "merge"]


# --- rework and activity on the card ------------------------------------------------------------------


def card_of(client, batch) -> str:
    html = client.get(board_url(batch.project)).content.decode()
    return re.search(rf'<article id="card-{batch.pk}".*?</article>', html, re.S).group(0)


def test_a_returned_batch_counts_its_flagged_images_to_fix_until_they_are_saved_again(
    project, manager, annotator, reviewer
):
    from batches import annotating

    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, reviewer=reviewer, images=4)
    first, second = Image.objects.filter(batch=batch).order_by("id")[:2]
    car = project.label_classes.first()
    for image in (first, second):
        annotating.flag_image(actor=reviewer, image=image, flagged=True, note="Loose box")
    workflow.reject(actor=reviewer, batch=Batch.objects.get(pk=batch.pk), comment="Two to fix")
    client = client_for(manager)

    assert "returned — 2 flagged images to fix" in card_of(client, batch)

    annotating.save_annotations(
        actor=annotator, image=first, boxes=[{"label_class": car.pk, "x": 2, "y": 2, "w": 5, "h": 5}]
    )
    assert "returned — 1 flagged image to fix" in card_of(client, batch)

    annotating.save_annotations(actor=annotator, image=second, boxes=[], no_objects=True)
    card = card_of(client, batch)
    assert "flagged" not in card and f"{Batch.objects.get(pk=batch.pk).progress_percent}%" in card


def test_a_card_says_when_its_annotator_was_last_active(project, manager, annotator):
    from batches import annotating

    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2)
    client = client_for(manager)
    assert "annotator active" not in card_of(client, batch)

    annotating.save_annotations(
        actor=annotator, image=Image.objects.filter(batch=batch).first(), boxes=[], no_objects=True
    )

    assert re.search(r"annotator active \d+ s ago", card_of(client, batch))
    dialog = client.get(
        reverse("batch_move_dialog", args=[project.pk, batch.pk, "reset"]),
        {"version": Batch.objects.get(pk=batch.pk).version, "from": batch.status},
        **HTMX,
    ).content.decode()
    assert re.search(r"annotator active \d+ s ago", dialog)
