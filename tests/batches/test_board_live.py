"""Partial board answers (#14): a poll or a move sends only the cards that changed, and the page it
patches ends up equal to a full re-render.

The page is modelled as the list of (batch id, signature) per column that board-live.js sends; each
answer's out-of-band swaps are applied to that model in order, as htmx does, and compared with the board.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from batches import workflow
from batches.access import get_project_for
from batches.models import Batch
from batches.templatetags.board_cards import card_key
from batches.views import board_live
from batches.views.board import COLUMN_PAGE, BoardFilter, build_columns
from tests.batches.board_helpers import HTMX, batch_in, client_for, seen

pytestmark = pytest.mark.django_db
Status = Batch.Status
CARD = re.compile(r'<article id="card-(\d+)"[^>]*?data-sig="([0-9a-f]*)"', re.S)
SECTION = re.compile(r'<section id="column-(\w+)".*?</section>', re.S)
OOB = re.compile(
    r'<div id="card-(?P<gone>\d+)" hx-swap-oob="delete"></div>'
    r'|<div hx-swap-oob="(?P<where>afterend:#card-\d+|afterbegin:#column-\w+ \.column-cards)">\s*(?P<card><article.*?</article>)'
    r'|(?P<section><section id="column-\w+".*?</section>)',
    re.S,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def page_model(html: str) -> dict[str, list[tuple[int, str]]]:
    """What the page shows: per column its cards (batch id, data-sig) in order."""
    return {
        m.group(1): [(int(pk), sig) for pk, sig in CARD.findall(m.group(0))]
        for m in SECTION.finditer(html)
        if "data-column=" in m.group(0)
    }


def as_params(model, more=()) -> dict:
    return {
        "cards": ";".join(f"{s}:" + ",".join(f"{pk}.{sig}" for pk, sig in cards) for s, cards in model.items()),
        "more": ",".join(more),
    }


def apply(model, answer: str) -> tuple[dict, list[int]]:
    """The model after the answer's swaps, and the batch ids of the cards the answer carried."""
    model = {status: list(cards) for status, cards in model.items()}
    sent = []
    for m in OOB.finditer(answer):
        if m.group("gone"):
            pk = int(m.group("gone"))
            for cards in model.values():
                cards[:] = [c for c in cards if c[0] != pk]
        elif m.group("section"):
            model.update(page_model(m.group("section")))
            sent.extend(pk for pk, _ in page_model(m.group("section")).popitem()[1])
        else:
            pk, sig = CARD.search(m.group("card")).groups()
            sent.append(int(pk))
            where = m.group("where")
            if where.startswith("afterbegin"):
                status = re.search(r"#column-(\w+)", where).group(1)
                model[status].insert(0, (int(pk), sig))
            else:
                anchor = int(where.rsplit("-", 1)[1])
                for cards in model.values():
                    at = [i for i, c in enumerate(cards) if c[0] == anchor]
                    if at:
                        cards.insert(at[0] + 1, (int(pk), sig))
    return model, sent


def token_of(page: str) -> str:
    return re.search(r'id="board-token" name="token" value="([^"]*)"', page).group(1)


def assign_from_page(client, batch, annotator, token: str, model) -> str:
    """The assign move as the live page posts it: its token and the cards it shows."""
    data = {"action": "assign", "assignees": annotator.pk, "dialog": "1", "token": token, **seen(batch)}
    return client.post(
        reverse("batch_move", args=[batch.project_id, batch.pk]), {**data, **as_params(model)}, **HTMX
    ).content.decode()


@pytest.fixture
def read(monkeypatch) -> list:
    """The columns each live answer reads (build_columns' `statuses`), in order."""
    statuses: list = []
    real = board_live.build_columns
    monkeypatch.setattr(
        board_live, "build_columns", lambda *a, **k: statuses.append(k.get("statuses")) or real(*a, **k)
    )
    return statuses


@pytest.fixture
def board(project, manager, annotator):
    batches = {
        "u1": batch_in(Status.UNASSIGNED, project, manager=manager, images=2),
        "u2": batch_in(Status.UNASSIGNED, project, manager=manager, images=3),
        "u3": batch_in(Status.UNASSIGNED, project, manager=manager, images=4),
        "a1": batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2),
        "a2": batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2),
    }
    return batches


def test_a_poll_after_a_move_carries_only_the_moved_card_and_the_page_matches_a_full_render(
    project, manager, annotator, board
):
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    page = client.get(url).content.decode()
    model = page_model(page)
    token = token_of(page)
    assert {s: len(c) for s, c in model.items()} == {"unassigned": 3, "annotating": 2, "review": 0, "dataset": 0}

    workflow.assign(actor=manager, batch=board["u2"], assignees=[annotator])
    answer = client.get(
        reverse("board_version", args=[project.pk]), {"token": token, **as_params(model)}, **HTMX
    ).content.decode()

    patched, sent = apply(model, answer)
    assert sent == [board["u2"].pk]  # nothing else travels: no whole column
    assert "<section" not in answer
    assert patched == page_model(client.get(url).content.decode())
    assert 'id="count-annotating-batches" data-count="batches" hx-swap-oob="true">3<' in answer
    assert 'id="board-token"' in answer


def test_a_move_answers_with_the_moved_card_and_the_counts(project, manager, annotator, board):
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    model = page_model(client.get(url).content.decode())
    batch = board["u1"]
    answer = client.post(
        reverse("batch_move", args=[project.pk, batch.pk]),
        {"action": "assign", "assignees": annotator.pk, "dialog": "1", **seen(batch), **as_params(model)},
        **HTMX,
    ).content.decode()
    patched, sent = apply(model, answer)
    assert sent == [batch.pk]
    assert patched == page_model(client.get(url).content.decode())
    assert 'id="count-unassigned-batches" data-count="batches" hx-swap-oob="true">2<' in answer
    assert 'id="dialog-slot" hx-swap-oob="innerHTML"' in answer


def test_a_move_from_a_current_page_reads_only_its_own_columns(project, manager, annotator, reviewer, board, read):
    """The page was current before the move (its token is the board's): only the columns the move changed can
    differ, so only they are read; the page still ends up equal to a full render, counts included."""
    batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    page = client.get(url).content.decode()
    model = page_model(page)
    token = token_of(page)

    batch = board["u1"]
    answer = assign_from_page(client, batch, annotator, token, model)

    assert [sorted(statuses) for statuses in read] == [["annotating", "unassigned"]]
    patched, sent = apply(model, answer)
    assert sent == [batch.pk]
    assert patched == page_model(client.get(url).content.decode())
    assert 'id="count-review-batches" data-count="batches" hx-swap-oob="true">1<' in answer  # all counts
    handed = re.search(r'id="board-token" name="token" value="([0-9a-f]+)" hx-swap-oob="true"', answer)
    assert handed and handed.group(1) != token  # the page is current again


def test_a_move_from_a_stale_page_brings_the_other_changes_too(project, manager, annotator, reviewer, board):
    """Someone else changed another column since the page's last poll: the move's answer reads every column."""
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    page = client.get(url).content.decode()
    model = page_model(page)
    token = token_of(page)
    workflow.submit(actor=annotator, batch=Batch.objects.get(pk=board["a2"].pk))  # Annotating → Review, elsewhere

    batch = board["u1"]
    answer = assign_from_page(client, batch, annotator, token, model)

    patched, _sent = apply(model, answer)
    assert patched == page_model(client.get(url).content.decode())
    assert board["a2"].pk in [pk for pk, _ in patched["review"]]


def test_deleted_changed_new_and_emptied_cards_all_end_where_a_full_render_has_them(
    project, manager, annotator, reviewer, board
):
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    model = page_model(client.get(url).content.decode())
    Batch.objects.filter(pk=board["a1"].pk).update(done_count=1)  # progress: the card changes in place
    workflow.delete_batch(actor=manager, batch=board["u3"])  # deleted for good
    fresh = batch_in(Status.UNASSIGNED, project, manager=manager, images=5)  # a new upload on top
    for key in ("a2",):  # Annotating → Review: Review stops being empty
        workflow.submit(actor=annotator, batch=Batch.objects.get(pk=board[key].pk))
    answer = client.get(reverse("board_version", args=[project.pk]), as_params(model), **HTMX).content.decode()
    patched, sent = apply(model, answer)
    assert patched == page_model(client.get(url).content.decode())
    assert board["u1"].pk not in sent and board["u2"].pk not in sent  # untouched cards stay
    assert fresh.pk in sent and board["a1"].pk in sent


def test_a_card_that_falls_below_the_shown_page_leaves_and_load_more_follows(project, manager):
    batches = [batch_in(Status.UNASSIGNED, project, manager=manager, images=1) for _ in range(COLUMN_PAGE + 2)]
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    page = client.get(url).content.decode()
    model = page_model(page)
    assert len(model["unassigned"]) == COLUMN_PAGE and 'id="load-more-unassigned"' in page
    top = model["unassigned"][0][0]
    Batch.objects.filter(pk=top).update(position=10**6, version=5)  # moved to the bottom of the column
    answer = client.get(
        reverse("board_version", args=[project.pk]), as_params(model, more=["unassigned"]), **HTMX
    ).content.decode()
    patched, sent = apply(model, answer)
    assert patched == page_model(client.get(url).content.decode())
    assert top not in [pk for pk, _ in patched["unassigned"]] and len(sent) == 1  # the 21st card came up
    assert 'id="load-more-unassigned" hx-swap-oob="delete"' in answer  # its cursor moved
    assert len(batches) == COLUMN_PAGE + 2


def test_a_page_that_sends_nothing_readable_gets_whole_columns(project, manager, board):
    client = client_for(manager)
    for bad in ["unassigned:x.1", "nowhere:", "unassigned:1.zz;annotating:;review:;dataset:", ";;;"]:
        answer = client.get(reverse("board_version", args=[project.pk]), {"cards": bad}, **HTMX)
        assert answer.status_code == 200
        assert answer.content.decode().count('<section id="column-') == 4


def test_a_poll_after_a_change_costs_the_same_queries_as_a_full_refresh(
    project, manager, annotator, board, django_assert_max_num_queries
):
    client = client_for(manager)
    model = page_model(client.get(reverse("board", args=[project.pk])).content.decode())
    workflow.assign(actor=manager, batch=board["u2"], assignees=[annotator])
    with django_assert_max_num_queries(9):
        client.get(reverse("board_version", args=[project.pk]), as_params(model), **HTMX)


def test_a_cards_key_names_no_memory_address(project, manager, board):
    """Every process must compute the same key (and data-sig) for the same card: a shared cache is only
    hit, and a page's signatures only match another worker's, if nothing process-specific is in it."""
    card = build_columns(get_project_for(manager, project.pk), BoardFilter())[0].cards[0]
    key = card_key(card, project.pk, "en", True)
    for item in card.menu:  # the same rules as other objects, as in another process
        object.__setattr__(item, "move", copy.copy(item.move))
        object.__setattr__(item.move, "rule", lambda *args, _rule=item.move.rule: _rule(*args))
    assert card.menu and card_key(card, project.pk, "en", True) == key


def test_a_poll_in_persian_keeps_the_counts_in_persian_digits(project, manager, annotator, board):
    """The live answer's counts are written as the full board writes them (they were Latin digits)."""
    manager.language = "fa"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    model = page_model(client.get(reverse("board", args=[project.pk])).content.decode())
    workflow.assign(actor=manager, batch=board["u2"], assignees=[annotator])

    answer = client.get(reverse("board_version", args=[project.pk]), as_params(model), **HTMX).content.decode()

    assert 'id="count-annotating-batches" data-count="batches" hx-swap-oob="true">۳<' in answer
    assert 'id="count-unassigned-images" data-count="images" hx-swap-oob="true">۶<' in answer  # 2 + 4


def test_a_poll_reads_only_the_columns_that_changed_since_the_pages_token(project, manager, board, read):
    """The board's token has one part per column: a change in Annotating costs Annotating's cards only."""
    client = client_for(manager)
    url = reverse("board", args=[project.pk])
    page = client.get(url).content.decode()
    model = page_model(page)
    token = token_of(page)
    Batch.objects.filter(pk=board["a1"].pk).update(done_count=1)  # an annotator's save

    answer = client.get(
        reverse("board_version", args=[project.pk]), {"token": token, **as_params(model)}, **HTMX
    ).content.decode()

    assert read == [["annotating"]]
    patched, sent = apply(model, answer)
    assert sent == [board["a1"].pk]
    assert patched == page_model(client.get(url).content.decode())
    read.clear()  # a page that sends no readable token is compared column by column, all four
    client.get(reverse("board_version", args=[project.pk]), {"token": "x" * 32, **as_params(model)}, **HTMX)
    assert read == [list(Batch.Status.values)]


def test_a_refused_drag_puts_the_card_back_where_it_is(project, manager, annotator, board):
    """The page moved the card to where it was dropped before the server refused: the answer compares every
    column (nothing changed on the server, so no part of the token says where to look) and puts it back."""
    review = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)
    client = client_for(annotator)
    url = reverse("board", args=[project.pk])
    page = client.get(url, {"assignee": ""}).content.decode()
    model = page_model(page)
    token = token_of(page)
    dropped = {s: [c for c in cards if c[0] != review.pk] for s, cards in model.items()}
    dropped["dataset"].insert(0, next(c for c in model["review"] if c[0] == review.pk))

    answer = client.post(
        reverse("batch_move", args=[project.pk, review.pk]),
        {"action": "approve", "token": token, "assignee": "", **seen(review), **as_params(dropped)},
        **HTMX,
    ).content.decode()

    patched, _sent = apply(dropped, answer)
    assert patched == page_model(client.get(url, {"assignee": ""}).content.decode())
    assert review.pk in [pk for pk, _ in patched["review"]] and patched["dataset"] == []


def test_a_move_from_a_live_page_costs_no_fingerprint_before_it(
    project, manager, annotator, board, django_assert_num_queries
):
    """A page that sends its cards gets the columns changed since its own token: the fingerprint taken before
    the move (for answers of whole columns) is not read."""
    client = client_for(manager)
    page = client.get(reverse("board", args=[project.pk])).content.decode()
    token = token_of(page)
    batch = board["u1"]
    data = {"action": "assign", "assignees": annotator.pk, "dialog": "1", "token": token, **seen(batch)}

    # session, user, project, permissions, the batch as seen, the annotators offered; in the move's
    # transaction: savepoint, the locked row, permissions afresh, the assignee's permissions, the
    # compare-and-set, the event, release; then the fingerprint with the column counts, the two changed
    # columns' cards and their thumbnails (webhooks and notifications follow the commit, not in a test)
    with django_assert_num_queries(16):
        client.post(reverse("batch_move", args=[project.pk, batch.pk]), {**data, **as_params(page_model(page))}, **HTMX)
