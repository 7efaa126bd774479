"""The export page: managers only, a clear word on an empty Dataset column, the zip as a download."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from batches.export.core import archive_stem
from batches.models import Batch, ExportJob
from tests.batches.export_helpers import build_dataset
from tests.factories import make_batch


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


def url(project) -> str:
    return reverse("export", args=[project.pk])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.streaming
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def form_data(dataset, **extra) -> dict:
    data = {"format": "coco", "batches": [batch.pk for batch in dataset.batches], "seed": "42"}
    data.update(extra)
    return data


# --- who may ----------------------------------------------------------------------------------


def test_a_manager_sees_the_formats_and_the_dataset_column_in_numbers(dataset, manager):
    response = client_for(manager).get(url(dataset.project))

    assert response.status_code == 200
    page = response.content.decode()
    for label in ("COCO JSON", "YOLO", "Pascal VOC XML", "Include the image files", "Train %"):
        assert label in page
    assert "2 batches · 8 images in the Dataset column" in page
    # The batches are listed only for someone who opens the list to choose (a column may hold thousands).
    assert 'name="batches"' not in page and dataset.batches[0].name not in page
    assert "Every batch of the Dataset column is exported." in page
    assert "Labels of up to 5,000 images download at once." in page  # numbers with their thousands separator


@pytest.mark.parametrize("htmx", [False, True])
def test_the_opened_list_shows_the_dataset_batches_ticked(dataset, manager, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(manager).get(url(dataset.project), {"choose": "1"}, headers=headers)

    page = response.content.decode()
    for batch in dataset.batches:
        assert f'name="batches" value="{batch.pk}" id="batch-{batch.pk}" checked' in page
    assert '<input type="hidden" name="scope" value="chosen">' in page
    assert dataset.review_batch.name not in page
    assert ("<html" in page) is not htmx  # htmx swaps in the list alone


def test_the_page_costs_the_same_queries_whatever_the_number_of_dataset_batches(
    dataset, manager, annotator, django_assert_num_queries
):
    client = client_for(manager)
    client.get(url(dataset.project))
    with CaptureQueriesContext(connection) as before:
        small = client.get(url(dataset.project)).content
    for i in range(5):
        batch = make_batch(dataset.project, manager, name=f"More {i}", images=1)
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.DATASET, assignee=annotator)
    with django_assert_num_queries(len(before.captured_queries)):
        big = client.get(url(dataset.project)).content
    assert len(big) - len(small) < 20  # only the counts in the summary change


def test_a_form_sent_without_the_list_exports_the_whole_column(dataset, manager):
    data = {"format": "coco", "seed": "42"}

    archive = download(client_for(manager).post(url(dataset.project), data))

    coco = json.loads(archive.read("annotations/instances_default.json"))
    assert sorted(entry["id"] for entry in coco["images"]) == sorted(image.pk for image in dataset.images)


def test_the_page_shows_each_class_with_its_yolo_index_and_coco_id(dataset, manager):
    page = client_for(manager).get(url(dataset.project)).content.decode()

    for index, label_class in enumerate(dataset.project.label_classes.order_by("pk")):
        assert f"YOLO {index} · COCO {label_class.pk}" in page


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_members_who_are_not_managers_are_forbidden(who, dataset, request):
    client = client_for(request.getfixturevalue(who))

    assert client.get(url(dataset.project)).status_code == 403
    assert client.post(url(dataset.project), form_data(dataset)).status_code == 403


def test_an_outsider_learns_nothing_about_the_project(dataset, outsider):
    client = client_for(outsider)

    assert client.get(url(dataset.project)).status_code == 404
    assert client.post(url(dataset.project), form_data(dataset)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(dataset):
    response = Client().post(url(dataset.project), form_data(dataset))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_superuser_may_export(dataset, superuser):
    archive = download(client_for(superuser).post(url(dataset.project), form_data(dataset)))

    assert "annotations/instances_default.json" in archive.namelist()


def test_the_project_nav_links_to_the_export_page_for_managers_only(dataset, manager, annotator):
    link = f'href="{url(dataset.project)}"'

    assert link in client_for(manager).get(url(dataset.project)).content.decode()
    board = reverse("board", args=[dataset.project.pk])
    response = client_for(annotator).get(board)
    assert response.status_code == 200 and link not in response.content.decode()


# --- downloading ------------------------------------------------------------------------------


def test_a_manager_downloads_the_whole_dataset_as_coco(dataset, manager):
    response = client_for(manager).post(url(dataset.project), form_data(dataset))

    assert response["Content-Disposition"].startswith('attachment; filename="street-scenes-coco-')
    assert response["Cache-Control"] == "no-store"
    archive = download(response)
    coco = json.loads(archive.read("annotations/instances_default.json"))
    assert sorted(entry["id"] for entry in coco["images"]) == sorted(image.pk for image in dataset.images)


def test_a_manager_downloads_chosen_batches_as_yolo_with_images_and_a_split(
    dataset, manager, django_capture_on_commit_callbacks
):
    night = dataset.batches[1]
    data = form_data(
        dataset, format="yolo", batches=[night.pk], include_images="on", split="on", train=50, val=50, test=0
    )
    client = client_for(manager)

    with django_capture_on_commit_callbacks(execute=True):  # with image files: an export job, run at once here
        assert client.post(url(dataset.project), data).status_code == 302
    job = ExportJob.objects.get()
    archive = download(client.get(reverse("export_download", args=[dataset.project.pk, job.pk])))

    labels = [name for name in archive.namelist() if name.startswith("labels/")]
    stems = {archive_stem(image.pk, image.original_name) for image in dataset.images_of(night)}
    assert {name.rsplit("/", 1)[1].removesuffix(".txt") for name in labels} == stems
    assert {name.split("/")[1] for name in labels} <= {"train", "val"}
    assert len([name for name in archive.namelist() if name.startswith("images/")]) == len(stems)


def test_the_same_form_gives_the_same_split_twice(dataset, manager):
    data = form_data(dataset, format="voc", split="on", train=60, val=20, test=20, seed=7)
    client = client_for(manager)

    first, second = (download(client.post(url(dataset.project), data)) for _ in range(2))

    for subset in ("train", "val", "test"):
        name = f"ImageSets/Main/{subset}.txt"
        assert first.read(name) == second.read(name)


def test_percentages_that_do_not_add_up_to_100_are_refused_on_the_page(dataset, manager):
    data = form_data(dataset, split="on", train=80, val=30, test=10)

    response = client_for(manager).post(url(dataset.project), data)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "add up to 120; they must add up to 100" in response.content.decode()


def test_without_a_split_blank_percentages_are_no_error(dataset, manager):
    data = form_data(dataset, format="yolo", train="", val="", test="", seed="")

    archive = download(client_for(manager).post(url(dataset.project), data))

    assert "data.yaml" in archive.namelist()


def test_choosing_no_batch_is_refused_clearly(dataset, manager):
    response = client_for(manager).post(url(dataset.project), form_data(dataset, batches=[], scope="chosen"))

    assert "Choose at least one batch." in response.content.decode()


def test_a_batch_that_left_the_dataset_column_is_refused_clearly(dataset, manager):
    data = form_data(dataset, batches=[dataset.review_batch.pk])

    response = client_for(manager).post(url(dataset.project), data)

    assert response["Content-Type"].startswith("text/html")
    assert "no longer in the Dataset column" in response.content.decode()


def test_an_unknown_format_is_refused_on_the_page(dataset, manager):
    response = client_for(manager).post(url(dataset.project), form_data(dataset, format="csv"))

    assert response["Content-Type"].startswith("text/html")
    assert "Select a valid choice" in response.content.decode()


def test_under_asgi_the_zip_streams_piece_by_piece_instead_of_being_collected_first(transactional_db, dataset, manager):
    """Run as Django's ASGI handler would, in a thread of its own: a browser test may have left an event
    loop running in this one (async_to_sync refuses to run there); committed rows, so that thread sees them."""

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(manager)
        response = await client.post(url(dataset.project), form_data(dataset, format="voc"))
        assert response.is_async  # an async iterator: Django's ASGI handler does not list() it
        return b"".join([piece async for piece in response.streaming_content])

    def serve() -> bytes:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "must consume synchronous iterators" would fail here
            return async_to_sync(fetch)()

    with ThreadPoolExecutor(max_workers=1) as pool:
        body = pool.submit(serve).result(timeout=120)

    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert len([n for n in archive.namelist() if n.startswith("Annotations/")]) == len(dataset.images)


# --- an empty Dataset column --------------------------------------------------------------------


def test_an_empty_dataset_column_gives_a_clear_message_and_no_form(project, manager):
    make_batch(project, manager, images=3)

    page = client_for(manager).get(url(project)).content.decode()

    assert "The Dataset column is empty" in page
    assert "Download zip" not in page


def test_posting_to_an_empty_dataset_column_gives_the_message_not_an_empty_zip(project, manager):
    response = client_for(manager).post(url(project), {"format": "coco"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "The Dataset column is empty" in response.content.decode()


# --- cost ---------------------------------------------------------------------------------------


def test_the_page_costs_a_fixed_number_of_queries(dataset, manager, django_assert_num_queries):
    client = client_for(manager)
    # session, user, project, the user's permissions (own and groups', one UNION),
    # recent export jobs (with who asked), Dataset batches, label classes
    with django_assert_num_queries(7):
        client.get(url(dataset.project))


# --- in a real browser --------------------------------------------------------------------------


def sign_in(page, live_server, user) -> None:
    client = client_for(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_downloads_a_yolo_split_from_the_page_in_a_browser(page, live_server, tmp_path):
    from accounts.roles import grant_role
    from tests.factories import make_project, make_user

    project = make_project("Street scenes")
    people = {}
    for role in ("manager", "annotator", "reviewer"):
        people[role] = make_user(role)
        grant_role(project, people[role], role)
    dataset = build_dataset(project, **people)
    sign_in(page, live_server, people["manager"])

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + url(project))
    page.screenshot(path=str(tmp_path / "export.png"), full_page=True)
    page.get_by_label("YOLO").check()
    page.get_by_label("Split into train, validation and test subsets").check()
    page.get_by_text("Open the list to choose some.").click()  # the list loads when it is opened
    page.get_by_label(dataset.batches[0].name).uncheck()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export", exact=True).click()
    download = info.value
    assert download.suggested_filename.startswith("street-scenes-yolo-")
    download.save_as(tmp_path / "export.zip")

    archive = zipfile.ZipFile(tmp_path / "export.zip")
    labels = [name for name in archive.namelist() if name.startswith("labels/")]
    assert len(labels) == len(dataset.images_of(dataset.batches[1]))
    lines = archive.read("data.yaml").decode().splitlines()
    data = dict(line.split(": ", 1) for line in lines if line[:1].isalpha() and ": " in line)
    subsets = {name.split("/")[1] for name in labels}  # split: labels/<subset>/...
    assert data["train"] == "images/train"
    assert {data[key] for key in ("train", "val", "test") if key in data} <= {f"images/{name}" for name in subsets}


def test_a_recent_exports_size_is_in_persian_digits(client, project, manager):
    ExportJob.objects.create(
        project=project, requested_by=manager, options={"format": "coco"}, status="done", size=313_000, image_count=12
    )
    manager.language = "fa"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    jobs = client.get(url(project)).content.decode().split('id="export-jobs"', 1)[1].split("</table>", 1)[0]
    assert "۳۰۵٫۷" in jobs and "305" not in jobs


def test_a_split_fields_error_stays_in_its_fields_box(project, dataset, manager):
    """The error list under a percentage is inside the field's box: in a <p> the browser would close the p before
    the list, and the list would take a cell of the grid of its own, pushing the next field out of place."""
    batch_ids = [batch.pk for batch in dataset.batches]
    form = {"format": "coco", "batches": batch_ids, "split": "on", "train": "90", "val": "30", "test": "-20"}
    html = client_for(manager).post(url(project), {**form, "seed": "42"}).content.decode()
    fields = html.split('class="split-fields"', 1)[1].split("</fieldset>", 1)[0]
    test_box = fields.split('id="id_test"', 1)[1].split("</div>", 1)[0]
    assert '<ul class="errorlist"' in test_box and "greater than or equal to 0" in test_box
    assert "<p>" not in fields
