"""A manager's pages on a phone (390 px) with long names in them: nothing widens the page past the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from batches.models import ExportJob, LabelClass
from tests.e2e.board_helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG = "pedestrian_" + "x" * 80  # one word, as a pasted identifier is


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_long_names_and_wide_tables_stay_inside_a_phone_screen(board_page, live_server, manager, project, language):
    manager.language = language
    manager.save(update_fields=["language"])
    LabelClass.objects.create(project=project, name=LONG, colour="#d62728")
    ApiToken.objects.create(user=manager, name=LONG, prefix="bb_abcdefgh", digest="0" * 64)
    ExportJob.objects.create(
        project=project, requested_by=manager, options={"format": "coco"}, status="done", size=313_000, image_count=12
    )
    page = board_page
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, manager)
    for path, shown in (
        (f"/projects/{project.pk}/classes/", "table.classes"),
        ("/settings/tokens/", "table.tokens"),
        (f"/projects/{project.pk}/export/", "#export-jobs table"),  # wider than a phone: it scrolls in its box
    ):
        page.goto(f"{live_server.url}{path}", timeout=30_000)
        expect(page.locator(shown)).to_be_visible()
        scroll, client = page_width(page)
        assert scroll <= client, (path, scroll, client)


def test_english_typed_into_a_persian_page_keeps_its_own_direction(board_page, live_server, manager, project):
    """A description in English on a Persian page: its full stop stays at its end (each line of the box takes the
    direction of its first letter), and an empty box still starts on the right, under its Persian placeholder."""
    manager.language = "fa"
    manager.save(update_fields=["language"])
    project.description = "Cars, people and bikes in city streets."
    project.save(update_fields=["description"])
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/settings/", timeout=30_000)
    box = page.locator("#id_description")
    assert box.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    assert box.evaluate("e => getComputedStyle(e).direction") == "rtl"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_project_navigation_stays_on_one_row_on_a_wide_screen(board_page, live_server, manager, project, language):
    """1280 px, a deep breadcrumb (a webhook's page) and a notification count: the breadcrumb gives way, the
    navigation does not wrap "Settings" onto a second line."""
    from accounts.models import Notification
    from batches.models import Webhook

    manager.language = language
    manager.save(update_fields=["language"])
    hook = Webhook.objects.create(project=project, url="https://hooks.example.com/x", secret="s" * 32, events=[])
    Notification.objects.create(recipient=manager, kind=Notification.Kind.INVITED, project=project)
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/projects/{project.pk}/settings/webhooks/{hook.pk}/", timeout=30_000)
    expect(page.locator(".bell-link .bell-count")).to_be_visible()
    tops = page.locator(".topnav > a").evaluate_all(
        "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops


def test_a_tokens_date_and_access_stay_on_one_line(board_page, live_server, manager, project):
    """The token list sits in the page's narrow column: its dates broke as '2027-03-' over '07'."""
    from django.utils import timezone

    ApiToken.objects.create(
        user=manager,
        name=LONG,
        prefix="bb_abcdefgh",
        digest="1" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=90),
    )
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/settings/tokens/", timeout=30_000)
    lines = page.locator("table.tokens td.token-fact").evaluate_all(
        """cells => cells.map(cell => { const range = document.createRange(); range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })"""
    )
    assert lines and all(count == 1 for count in lines), lines


@pytest.mark.parametrize("language", ["en", "fa"])
def test_each_line_of_a_project_description_reads_from_its_own_side(
    board_page, live_server, manager, project, language
):
    manager.language = language
    manager.save(update_fields=["language"])
    project.description = "Street scenes of Tehran.\nخودروها و عابران خیابان‌های تهران"
    project.save(update_fields=["description"])
    page = board_page
    login(page, live_server, manager)
    page.goto(f"{live_server.url}/?all=1", timeout=30_000)
    edges = page.evaluate(
        """() => {
            const p = document.querySelector('.project-description');
            const box = p.getBoundingClientRect();
            const lines = [...p.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => {
                const range = document.createRange(); range.selectNodeContents(n);
                const r = range.getBoundingClientRect();
                return {left: r.left - box.left, right: box.right - r.right};
            });
            return lines;
        }"""
    )
    english, persian = edges
    assert english["left"] < 2, edges  # English starts at the left edge
    assert persian["right"] < 2, edges  # Persian starts at the right edge, whatever the page's language
