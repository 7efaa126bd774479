"""Two files of one upload with the same picture: the second is listed as a duplicate, in the reader's language,
whichever way the upload came (an archive sent in parts, the form without JavaScript)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from batches.models import Batch, Image
from tests.batches import ingest_samples as samples
from tests.batches.test_upload_archive_parts import parts_of, send_part
from tests.batches.test_upload_session_views import send_framed, start


@pytest.mark.usefixtures("small_upload_parts")
@pytest.mark.parametrize("chunk_files", [2, 1])  # the copy in the same chunk as the first, or in a later one
def test_a_zip_holding_one_picture_twice_lists_the_second_as_a_duplicate(
    manager_client, project, settings, chunk_files
):
    settings.UPLOAD_CHUNK_FILES = chunk_files
    photo = samples.noisy_jpeg(seed=1)
    data = samples.zip_archive(
        [("a/img.jpg", photo), ("c/img.jpg", photo), ("b/other.jpg", samples.noisy_jpeg(seed=2))]
    )
    session = start(manager_client, project, expected=1, fingerprint="e" * 64)
    urls = session["urls"]
    for index in range(len(parts_of(data))):
        assert send_part(manager_client, urls, data, index, name="trip.zip").json()["status"] == "received"
    finished = manager_client.post(urls["finish"]).json()
    assert finished["status"] == "done"
    assert (finished["processed"], finished["failed"], finished["expected"]) == (2, 1, 3)
    assert {row["name"]: row["reason"] for row in finished["refused"]} == {
        "trip.zip/c/img.jpg": "duplicate of trip.zip/a/img.jpg in this upload"
    }
    assert sorted(Image.objects.values_list("original_name", flat=True)) == [
        "trip.zip/a/img.jpg",
        "trip.zip/b/other.jpg",
    ]
    assert Batch.objects.get(pk=session["batch"]).image_count == 2
    manager_client.cookies["django_language"] = "fa"
    report = manager_client.get(urls["report"], headers={"accept-language": "fa"})
    assert "تکراریِ trip.zip/a/img.jpg در همین بارگذاری" in report.content.decode()


def test_the_form_upload_names_a_copy_of_a_file_of_the_same_upload_in_persian(manager_client, manager, project):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    photo = samples.jpeg(seed=3)
    files = [SimpleUploadedFile("a.jpg", photo), SimpleUploadedFile("copy of a.jpg", photo)]
    response = manager_client.post(reverse("upload", args=[project.pk]), {"files": files, "name": "Trip"})
    page = (
        manager_client.get(response.url).content.decode() if response.status_code == 302 else response.content.decode()
    )
    assert "تکراریِ a.jpg در همین بارگذاری" in page
    assert "in this upload" not in page


@pytest.mark.django_db(transaction=True)
def test_a_browser_upload_sending_a_copy_after_the_rest_lists_it_as_a_duplicate_once(manager_client, project):
    # upload.js holds a second copy of a picture back until every first copy is in, then sends it (it used to
    # say "already received" and drop it, so the report missed it).
    photo = samples.jpeg(seed=4)
    session = start(manager_client, project, expected=3, fingerprint="f" * 64)
    urls = session["urls"]
    send_framed(manager_client, urls, ("Trip/a.jpg", photo), ("Trip/b.jpg", samples.jpeg(seed=5)))
    copy = send_framed(manager_client, urls, ("Trip/copy of a.jpg", photo)).json()["files"]
    assert [(f["status"], f["reason"]) for f in copy] == [("failed", "duplicate of Trip/a.jpg in this upload")]
    # A resumed upload sends the copy again: it is listed already, not counted twice.
    again = send_framed(manager_client, urls, ("Trip/copy of a.jpg", photo)).json()["files"]
    assert [f["status"] for f in again] == ["known"]

    finished = manager_client.post(urls["finish"]).json()
    assert (finished["processed"], finished["failed"], finished["expected"]) == (2, 1, 3)
    assert {row["name"]: row["reason"] for row in finished["refused"]} == {
        "Trip/copy of a.jpg": "duplicate of Trip/a.jpg in this upload"
    }
    report = manager_client.get(urls["report"]).content.decode()
    assert "Trip/copy of a.jpg" in report
    assert "duplicate of Trip/a.jpg in this upload" in report
