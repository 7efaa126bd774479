"""The upload page and dialog: managers upload files, folders and archives; everyone else is turned away."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from batches.models import Batch, BatchEvent, Image
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files


def upload_files(*pairs: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in pairs]


@pytest.fixture
def url(project):
    return reverse("upload", args=[project.pk])


def test_a_manager_sees_the_upload_form(manager_client, url):
    response = manager_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "webkitdirectory" in html
    assert 'name="name"' in html
    assert "<html" in html


def test_htmx_asks_for_just_the_form_for_the_board_dialog(manager_client, url):
    response = manager_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-upload-area" in html
    assert "data-upload-form" in html
    assert "<html" not in html


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_members_who_are_not_managers_are_forbidden(client, url, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == 403
    response = client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()))})
    assert response.status_code == 403
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_a_non_member_learns_nothing(client, url, outsider):
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()))}).status_code == 404
    assert reverse("upload", args=[999999]) and client.get(reverse("upload", args=[999999])).status_code == 404
    assert stored_files() == []


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    response = client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()))})
    assert response.status_code == 302
    assert not Batch.objects.exists()


def test_good_files_become_one_new_batch_and_bad_ones_are_listed_with_their_reason(manager_client, url, project):
    files = upload_files(
        ("street_1.jpg", samples.jpeg()),
        ("drawing.svg", samples.SVG_WITH_SCRIPT),
        ("street_2.png", samples.png()),
        ("broken.jpg", samples.truncated_jpeg()),
        ("manual.pdf", samples.PDF_DOCUMENT),
    )
    response = manager_client.post(url, {"files": files, "name": "Street-04"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()

    batch = Batch.objects.get(project=project)
    assert (batch.name, batch.status, batch.image_count) == ("Street-04", Batch.Status.UNASSIGNED, 2)
    assert sorted(batch.images.values_list("original_name", flat=True)) == ["street_1.jpg", "street_2.png"]
    assert BatchEvent.objects.filter(batch=batch, action=BatchEvent.Action.CREATED, image_count=2).exists()
    assert "Kept 2 images as the new batch “Street-04” in Unassigned; refused 3 files." in html
    assert "SVG drawings are not accepted" in html
    assert "corrupt or truncated image" in html
    assert "PDF documents are not accepted" in html
    assert html.count('data-outcome="refused"') == 3
    assert html.count('data-outcome="kept"') == 2
    assert f'data-batch-id="{batch.pk}"' in html
    # Exactly the kept images and their thumbnails are stored; nothing of the refused ones.
    expected = sorted(name for image in batch.images.all() for name in (image.file.name, image.thumbnail.name))
    assert stored_files() == expected


def test_a_plain_form_post_without_javascript_shows_the_whole_page_with_the_report(manager_client, url):
    response = manager_client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()))})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "Kept 1 image as the new batch" in html
    assert "data-upload-form" in html  # ready for the next upload


def test_a_zip_archive_is_unpacked_and_its_hostile_entries_are_skipped_and_reported(manager_client, url, project):
    archive = samples.zip_archive(
        [
            ("street/img_0001.jpg", samples.jpeg()),
            ("street/img_0002.jpg", samples.jpeg()),
            ("../../etc/evil.jpg", samples.jpeg()),
            ("/abs/path.jpg", samples.jpeg()),
            ("inner.zip", samples.zip_archive([("x.jpg", samples.jpeg())])),
            ("notes.html", samples.HTML_PAGE),
        ],
        symlinks={"street/link.jpg": "/etc/passwd"},
    )
    response = manager_client.post(url, {"files": upload_files(("street-05.zip", archive))})
    html = response.content.decode()

    batch = Batch.objects.get(project=project)
    assert batch.name == "street-05"  # named after the archive when no name is given
    assert sorted(batch.images.values_list("original_name", flat=True)) == [
        "street/img_0001.jpg",
        "street/img_0002.jpg",
    ]
    assert "path leads outside the archive (..)" in html
    assert "absolute path in the archive" in html
    assert "archive inside an archive" in html
    assert "symbolic link" in html
    assert "this is an HTML page" in html
    assert len(stored_files()) == 4


def test_a_folder_upload_is_named_after_its_folder(manager_client, url, project):
    files = upload_files(("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg()))
    manager_client.post(url, {"files": files, "folder": "Night-02"})
    assert Batch.objects.get(project=project).name == "Night-02"


def test_when_no_file_is_good_no_batch_is_made_and_the_page_says_so(manager_client, url, project):
    files = upload_files(("a.svg", samples.SVG_WITH_SCRIPT), ("b.jpg", b""))
    response = manager_client.post(url, {"files": files}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "No image was kept, so no batch was created." in html
    assert "empty file" in html
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_posting_no_files_at_all_says_nothing_was_received(manager_client, url):
    response = manager_client.post(url, {"name": "x"})
    assert "No files were received" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_file_over_the_size_limit_is_dropped_as_it_arrives_and_the_others_are_kept(manager_client, url, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 20_000
    big = samples.jpeg(1200, 900)
    assert len(big) > 20_000
    files = upload_files(("small.jpg", samples.jpeg()), ("big.jpg", big), ("small2.jpg", samples.jpeg()))
    html = manager_client.post(url, {"files": files}).content.decode()
    assert "file too large: over 19.5 KB" in html
    assert Image.objects.count() == 2
    assert len(stored_files()) == 4


def test_too_many_files_in_one_upload_get_a_clear_message(manager_client, url, settings):
    settings.UPLOAD_MAX_FILES = 2
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = upload_files(*[(f"{i}.jpg", samples.jpeg()) for i in range(3)])
    response = manager_client.post(url, {"files": files})
    assert response.status_code == 400
    assert "Too many files in one upload: at most 2" in response.content.decode()
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_a_request_larger_than_the_limit_is_refused_before_it_is_read(manager_client, url, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10_000
    files = upload_files(("a.jpg", samples.jpeg(800, 600)))
    response = manager_client.post(url, {"files": files})
    assert response.status_code == 413
    assert "one upload takes at most 9.8 KB" in response.content.decode()
    assert not Batch.objects.exists()


def test_an_image_already_in_the_project_is_reported_with_where_it_lives(manager_client, url, project):
    photo = samples.jpeg()
    manager_client.post(url, {"files": upload_files(("img_0042.jpg", photo)), "name": "Street-03"})
    response = manager_client.post(url, {"files": upload_files(("copy.jpg", photo), ("new.jpg", samples.jpeg()))})
    html = response.content.decode()
    assert "duplicate of img_0042.jpg in batch Street-03" in html
    assert Batch.objects.count() == 2
    assert Image.objects.count() == 2


def test_file_names_are_shown_escaped(manager_client, url):
    hostile = '<img src=x onerror="alert(1)">.svg'
    html = manager_client.post(url, {"files": upload_files((hostile, samples.SVG_WITH_SCRIPT))}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=" in html


def test_an_upload_without_the_csrf_token_is_refused(manager, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()))})
    assert response.status_code == 403
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_a_batch_name_longer_than_200_characters_is_refused_clearly(manager_client, url):
    response = manager_client.post(url, {"files": upload_files(("a.jpg", samples.jpeg())), "name": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert stored_files() == []


def test_a_large_upload_is_checked_by_a_process_pool_with_the_same_result(manager_client, url, project, settings):
    settings.INGEST_WORKERS = 2
    files = upload_files(
        *[(f"p{i:02}.jpg", samples.jpeg(320, 240)) for i in range(20)], ("bad.svg", samples.SVG_WITH_SCRIPT)
    )
    html = manager_client.post(url, {"files": files}).content.decode()
    batch = Batch.objects.get(project=project)
    assert batch.image_count == 20
    assert "SVG drawings are not accepted" in html
    assert len(stored_files()) == 40
    assert all(image.thumbnail for image in batch.images.all())


def test_the_query_count_does_not_grow_with_the_number_of_files(manager_client, url, django_assert_num_queries):
    # session, user, project, its permissions (own and groups', one UNION), the duplicate check and the
    # file ledger's insert (one each per 64 images), savepoint, create_batch's fresh permission check
    # (one UNION), savepoint, the batch, its images (one bulk insert), its event, release, the
    # ledger's rows removed, release.
    def post(n: int) -> None:
        manager_client.post(url, {"files": upload_files(*[(f"{i}.jpg", samples.jpeg()) for i in range(n)])})

    with django_assert_num_queries(15) as small:
        post(2)
    with django_assert_num_queries(len(small.captured_queries)):
        post(12)


def test_an_archive_may_be_larger_than_one_image_but_each_entry_is_held_to_the_image_limit(
    manager_client, url, project, settings
):
    settings.UPLOAD_MAX_FILE_BYTES = 20_000
    entries = [(f"e{i}.jpg", samples.noisy_jpeg(100, 75)) for i in range(12)] + [("big.jpg", samples.jpeg(1200, 900))]
    archive = samples.zip_archive(entries)
    assert len(archive) > 20_000
    html = manager_client.post(url, {"files": upload_files(("set.zip", archive))}).content.decode()
    assert Batch.objects.get(project=project).image_count == 12
    assert "set.zip/big.jpg" in html and "file too large" in html


@pytest.fixture
def upload_temp_dir(tmp_path, settings):
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def test_no_temporary_upload_file_outlives_the_request(manager_client, url, upload_temp_dir):
    files = [("a.jpg", samples.jpeg()), ("b.svg", samples.SVG_WITH_SCRIPT)]
    files += [("set.zip", samples.zip_archive([("c.jpg", samples.jpeg(seed=3))]))]

    manager_client.post(url, {"files": upload_files(*files)})

    assert Image.objects.count() == 2
    assert list(upload_temp_dir.iterdir()) == []


def test_no_temporary_upload_file_outlives_a_request_that_crashed(manager, url, upload_temp_dir, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("the ingest crashed")

    monkeypatch.setattr("batches.views.upload.ingest", crash)
    client = Client(raise_request_exception=False)
    client.force_login(manager)

    response = client.post(url, {"files": upload_files(("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg(seed=2)))})

    assert response.status_code == 500
    assert list(upload_temp_dir.iterdir()) == []
