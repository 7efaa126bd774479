"""Text answers are gzipped for a browser that accepts it; images and zips are sent as they are."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from tests.batches.export_helpers import build_dataset
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_board_is_gzipped_for_a_browser_that_accepts_it(project, manager):
    for i in range(8):
        make_batch(project, manager, images=2, name=f"Street {i}")
    client = client_for(manager)
    board = reverse("board", args=[project.pk])

    plain = client.get(board)
    packed = client.get(board, headers=GZIP)

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    html = gzip.decompress(packed.content).decode()
    assert "Street 7" in html and html.rstrip().endswith("</html>")
    assert len(packed.content) * 4 < len(plain.content)


def test_json_answers_are_gzipped_too(manager):
    response = client_for(manager).get("/api/v1/openapi.json", headers=GZIP)

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(response.content)


def test_images_and_zips_are_sent_as_they_are(project, manager, annotator, reviewer):
    dataset = build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)
    client = client_for(manager)
    image = dataset.images[0]

    for name in ("image_file", "image_thumbnail"):
        response = client.get(reverse(name, args=[image.pk]), headers=GZIP)
        assert response.status_code == 200 and response["Content-Type"].startswith("image/")
        assert "Content-Encoding" not in response

    export = client.post(reverse("export", args=[project.pk]), {"format": "coco"}, headers=GZIP)
    assert export["Content-Type"] == "application/zip"
    assert "Content-Encoding" not in export
    assert zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content))).namelist()
