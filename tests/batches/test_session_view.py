"""GET /session/csrf: what a page asks after "signed out, sign in again in another tab, then retry"."""

import json

from django.test import Client
from django.urls import reverse

from tests.factories import batch_in

URL = "/session/csrf"


def test_a_signed_out_visitor_learns_only_that_it_is_signed_out(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["authenticated"] is False
    assert "no-cache" in response.headers["Cache-Control"]


def test_after_signing_in_again_the_token_it_gives_lets_a_save_through(project, manager, annotator):
    batch = batch_in("annotating", project, manager=manager, annotator=annotator, images=1)
    image = batch.images.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    answer = client.get(URL).json()
    assert answer["authenticated"] is True

    save = reverse("annotate_save", args=[project.pk, batch.pk, image.pk])
    body = json.dumps({"boxes": [], "no_objects": True})
    refused = client.post(save, body, content_type="application/json", headers={"X-CSRFToken": "stale" * 8})
    saved = client.post(save, body, content_type="application/json", headers={"X-CSRFToken": answer["csrfToken"]})
    assert (refused.status_code, saved.status_code) == (403, 200)


def test_pages_tell_their_scripts_where_to_check_and_what_to_say(project, manager):
    client = Client()
    client.force_login(manager)
    html = client.get(reverse("board", args=[project.pk])).content.decode()
    assert 'id="session-info"' in html
    assert f'data-check-url="{URL}"' in html
    assert "You are signed out — sign in again (opens in a new tab), then retry." in html
