"""Names people type, carrying HTML, reach every page as text: no page, partial or JSON answer lets markup through.

Every object a person names (project, batch, label class, username, review note, comment, webhook URL, uploaded
file name) is named with markup, set in the database directly (as an operator in the admin or an older release
could), and every URL of the project is read by its manager, as a page and as htmx asks for it: the markup may
appear only escaped (HTML) or as a JSON string (never inside an HTML answer raw).
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Project
from batches.models import Batch, Image, LabelClass, UploadFile, UploadSession
from tests.test_hostile_urls import World, url_for, walk

MARK = '<x-evil data-x="1">'


@pytest.fixture
def world(db):
    world = World()
    Project.objects.filter(pk=world.project.pk).update(name=f"P{MARK}", description=f"D{MARK}")
    Batch.objects.filter(project=world.project).update(name=f"B{MARK}")
    for label_class in LabelClass.objects.filter(project=world.project):
        LabelClass.objects.filter(pk=label_class.pk).update(name=f"C{label_class.pk}{MARK}")
    Image.objects.filter(project=world.project).update(original_name=f"I{MARK}.jpg", review_note=f"N{MARK}")
    type(world.annotator).objects.filter(pk=world.annotator.pk).update(first_name=f"F{MARK}", last_name=f"L{MARK}")
    session = UploadSession.objects.create(project=world.project, created_by=world.manager, name=f"U{MARK}")
    UploadFile.objects.create(
        session=session, project=world.project, original_name=f"R{MARK}", state="failed", reason=f"W{MARK}"
    )
    world.webhook.url = f"https://hooks.example/{MARK}"
    world.webhook.save(update_fields=["url"])
    world.upload = session
    return world


def test_no_page_shows_a_typed_name_as_markup(world, settings):
    settings.API_RATE_LIMIT = 0
    client = Client(raise_request_exception=False)
    client.force_login(world.manager)
    problems, shown = [], set()
    for route in walk():
        if route.name.startswith("admin:"):
            continue
        for values in world.fills(route, "manager"):
            url = url_for(route, values)
            for headers in ({}, {"HX-Request": "true"}):
                answer = client.get(url, headers=headers)
                body = b"".join(answer.streaming_content) if answer.streaming else answer.content
                kind = answer.get("Content-Type", "")
                if answer.status_code >= 500:
                    problems.append(f"GET {url}: {answer.status_code}")
                if b"&lt;x-evil" in body:
                    shown.add(route.name)
                if "html" in kind and MARK.encode() in body:
                    problems.append(f"GET {url} {headers}: raw markup in the page")
                for name, value in answer.items():
                    if "<x-evil" in value:
                        problems.append(f"GET {url}: raw markup in the {name} header")
    # The walk fills an upload's id with a batch's: the upload with the names, by its own id.
    report = client.get(f"/projects/{world.project.pk}/uploads/{world.upload.pk}/").content
    assert b"&lt;x-evil" in report and MARK.encode() not in report
    assert not problems, "\n".join(problems)
    # The walk did read the names: the pages that show them show them escaped.
    assert {"board", "batch_detail", "review", "webhooks", "label_classes", "members"} <= shown, shown
