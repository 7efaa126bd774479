"""Names with markup, bidi overrides and 200 unbroken characters, in a real browser: shown as text, inside the page.

The names are set in the database directly (an operator in the admin, an older release), past the forms' cleaning.
No script of theirs runs, no CSP violation, and no page grows wider than the screen (English and Persian, on a
laptop and a phone).
"""

from __future__ import annotations

import os

import pytest

from accounts.models import Project
from batches.models import Batch, Image
from tests.e2e.board_helpers import demo_batches, login, open_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")
SCRIPT = '<img src=x onerror="window.pwned=1">'
LONG = "W" * 200


def test_hostile_names_stay_text_and_inside_the_screen(board_page, live_server, project, manager, annotator, reviewer):
    page = board_page
    batches = demo_batches(project, manager, annotator, reviewer, images=2)
    # Names as long as their columns take (200 characters; PostgreSQL refuses more, SQLite would keep them).
    Project.objects.filter(pk=project.pk).update(name=f"\u202e{SCRIPT}{LONG}"[:200])
    Batch.objects.filter(pk=batches["unassigned"].pk).update(name=LONG)
    Batch.objects.filter(pk=batches["review"].pk).update(name=f"{SCRIPT}\u202etxt.exe")
    Image.objects.filter(batch=batches["review"]).update(
        original_name=f"{LONG}.jpg", review_note=LONG, review_flag=True
    )
    review, annotating = batches["review"], batches["annotating"]
    Image.objects.filter(batch=annotating).update(original_name=f"{LONG}.jpg", review_note=LONG, review_flag=True)
    pages = {
        "board": None,
        "detail": f"/projects/{project.pk}/batches/{review.pk}/",
        "review": f"/projects/{project.pk}/batches/{review.pk}/review/",
        "viewer": f"/projects/{project.pk}/batches/{review.pk}/view/{review.images.first().pk}/",
        "gallery": f"/projects/{project.pk}/batches/{review.pk}/view/",
        "annotate": f"/projects/{project.pk}/batches/{annotating.pk}/annotate/",
        "members": f"/projects/{project.pk}/members/",
        "projects": "/",
    }
    login(page, live_server, manager)
    wide = []
    for language in ("en", "fa"):
        manager.language = language
        manager.save(update_fields=["language"])
        for width, height in ((1280, 800), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                if path is None:
                    open_board(page, live_server, project)
                else:
                    page.goto(live_server.url + path)
                    page.wait_for_load_state("networkidle")
                assert not page.evaluate("window.pwned"), name
                over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                if over > 1:
                    wide.append(f"{name} {language} {width}: {over} px wider than the screen")
                if SHOTS:
                    page.screenshot(path=f"{SHOTS}/hostile-{name}-{language}-{width}.png", full_page=False)
    assert not wide, wide
