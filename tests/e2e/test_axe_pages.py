"""Every page a person reaches, checked by axe-core in both languages: no serious or critical violation.

The board, the workspaces and a few pages had their own axe checks; the settings, lists and account pages
had none.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.board_helpers import demo_batches, login, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pages(project, demo) -> dict[str, list[tuple[str, list]]]:
    """URL name and arguments of each page, by who opens it."""
    dataset, annotating, review = demo["dataset"], demo["annotating"], demo["review"]
    first = dataset.images.order_by("pk").first()
    return {
        "manager": [
            ("project_list", []),
            ("project_create", []),
            ("board", [project.pk]),
            ("batch_detail", [project.pk, dataset.pk]),
            ("batch_gallery", [project.pk, dataset.pk]),
            ("batch_viewer", [project.pk, dataset.pk, first.pk]),
            ("upload", [project.pk]),
            ("label_import", [project.pk]),
            ("flow_analytics", [project.pk]),
            ("export", [project.pk]),
            ("webhooks", [project.pk]),
            ("project_settings", [project.pk]),
            ("members", [project.pk]),
            ("label_classes", [project.pk]),
            ("notifications", []),
            ("notification_settings", []),
            ("preferences", []),
            ("api_tokens", []),
            ("password_change", []),
        ],
        "annotator": [("my_work", []), ("annotate", [project.pk, annotating.pk])],
        "reviewer": [("review", [project.pk, review.pk])],
        "": [("login", []), ("password_reset", [])],
    }


@pytest.mark.parametrize("language", ["en", "fa"])
def test_no_page_has_a_serious_accessibility_violation(
    board_page, live_server, project, manager, annotator, reviewer, language
):
    page = board_page
    demo = demo_batches(project, manager, annotator, reviewer)
    people = {"manager": manager, "annotator": annotator, "reviewer": reviewer}
    for person in people.values():
        person.language = language
        person.save(update_fields=["language"])
    found = {}
    for role, pages in _pages(project, demo).items():
        page.context.clear_cookies()
        if role:
            login(page, live_server, people[role])
        else:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for name, args in pages:
            page.goto(live_server.url + reverse(name, args=args))
            page.wait_for_load_state("networkidle")
            problems = run_axe(page)
            if problems:
                found[name] = problems
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)

    # The export's ratios and seed show while a split is asked for (they were dimmed below a readable contrast).
    login(page, live_server, manager)
    page.goto(live_server.url + reverse("export", args=[project.pk]))
    expect(page.locator("#id_train")).to_be_hidden()
    page.locator("#id_split").check()
    expect(page.locator("#id_train")).to_be_visible()
    assert run_axe(page) == []
