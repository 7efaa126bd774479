"""Webhooks and label import through the API: who may, read-only tokens, the secret shown once, the SSRF guard as a
field error, a signed delivery to a webhook made through the API, and a COCO import round trip."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from batches.models import Annotation, Batch, LabelClass, Webhook, WebhookDelivery
from batches.webhooks import signing
from tests.api.helpers import API, ApiClient
from tests.api.world import World
from tests.batches.webhook_helpers import start_receiver
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.django_db
ROLES = ["manager", "annotator", "reviewer", "outsider", "anonymous"]


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def coco_zip(classes=("car",), boxes=((10, 10, 20, 15),)) -> bytes:
    coco = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
            {"id": 2, "file_name": "b.jpg", "width": 64, "height": 48},
        ],
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(classes)],
        "annotations": [
            {"id": n + 1, "image_id": 1, "category_id": 1, "bbox": list(box), "area": box[2] * box[3], "iscrowd": 0}
            for n, box in enumerate(boxes)
        ],
    }
    return zip_bytes(
        {"a.jpg": jpeg_bytes(64, 48), "b.jpg": jpeg_bytes(64, 48, (10, 200, 90)), "annotations.json": json.dumps(coco)}
    )


def post_zip(api: ApiClient, project_pk: int, data: bytes, **fields):
    archive = SimpleUploadedFile("labels.zip", data, content_type="application/zip")
    return api.client.post(
        f"{API}/projects/{project_pk}/label-imports",
        {"archive": archive, "format": "coco", **fields},
        **api._headers({}),
    )


@pytest.fixture
def w(db):
    return World()


@pytest.fixture
def hook(w):
    return w.webhook  # https://hooks.example/in, batch.approved


def caller(w, role, **kw) -> ApiClient:
    return ApiClient(None) if role == "anonymous" else ApiClient(getattr(w, role), **kw)


def webhook_endpoints(w, hook):
    p = f"/projects/{w.project.pk}/webhooks"
    return [
        ("get", p, None),
        ("post", p, {"url": "https://hooks.example/new", "events": ["batch.approved"]}),
        ("get", f"{p}/{hook.pk}", None),
        ("patch", f"{p}/{hook.pk}", {"active": False}),
        ("delete", f"{p}/{hook.pk}", None),
        ("post", f"{p}/{hook.pk}/test", None),
        ("get", f"{p}/{hook.pk}/deliveries", None),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_reach_webhooks_strangers_see_nothing(w, hook, role):
    api = caller(w, role)
    expected = {"manager": None, "annotator": 403, "reviewer": 403, "outsider": 404, "anonymous": 401}[role]
    for method, path, body in webhook_endpoints(w, hook):
        with transaction.atomic():
            answer = api.get(path) if method == "get" else api.send(method, path, body)
            transaction.set_rollback(True)
        if expected is None:
            assert answer.status_code in (200, 201, 202, 204), (method, path, answer.content)
        else:
            assert answer.status_code == expected, (method, path, answer.content)
            assert answer.json()["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected]


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_import_labels(w, role, settings):
    before = Batch.objects.count()
    answer = post_zip(caller(w, role), w.project.pk, coco_zip())
    expected = {"manager": 201, "annotator": 403, "reviewer": 403, "outsider": 404, "anonymous": 401}[role]
    assert answer.status_code == expected, answer.content
    assert Batch.objects.count() == before + (role == "manager")


def test_a_read_token_lists_but_changes_nothing(w, hook):
    api = ApiClient(w.manager, scope="read")
    assert api.get(f"/projects/{w.project.pk}/webhooks").status_code == 200
    for method, path, body in webhook_endpoints(w, hook):
        if method != "get":
            answer = api.send(method, path, body)
            assert answer.status_code == 403 and answer.json()["code"] == "forbidden", path
    assert post_zip(api, w.project.pk, coco_zip()).status_code == 403
    hook.refresh_from_db()
    assert hook.active and Webhook.objects.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_a_token_for_another_project_sees_no_webhooks(w, hook):
    other = World.__new__(World)  # only a project id that is not this one
    from tests.factories import make_project

    other.project = make_project("Elsewhere")
    api = ApiClient(w.manager, projects=[other.project])
    assert api.get(f"/projects/{w.project.pk}/webhooks/{hook.pk}").status_code == 404


def test_the_secret_is_shown_on_create_and_on_a_new_secret_only(w):
    api = ApiClient(w.manager)
    p = f"/projects/{w.project.pk}/webhooks"
    made = api.post(p, {"url": "https://hooks.example/a", "events": ["batch.approved", "export.ready"]})
    assert made.status_code == 201
    hook = Webhook.objects.get(pk=made.json()["id"])
    assert made.json()["secret"] == hook.secret and hook.created_by == w.manager
    assert "secret" not in api.get(f"{p}/{hook.pk}").json()
    assert all("secret" not in item for item in api.get(p).json()["items"])
    changed = api.patch(f"{p}/{hook.pk}", {"events": ["batch.rejected"]})
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert changed.json()["events"] == ["batch.rejected"] and changed.json()["url"] == "https://hooks.example/a"
    renewed = api.patch(f"{p}/{hook.pk}", {"new_secret": True})
    hook.refresh_from_db()
    assert renewed.json()["secret"] == hook.secret != made.json()["secret"]
    assert api.delete(f"{p}/{hook.pk}").status_code == 204
    assert not Webhook.objects.filter(pk=hook.pk).exists()
    assert api.get(f"{p}/{hook.pk}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8000/x",
        "http://10.0.0.5/x",
        "http://[::ffff:169.254.169.254]/",
        "ftp://a/",
    ],
)
def test_an_inside_address_is_a_field_error_on_url(w, hook, url):
    api = ApiClient(w.manager)
    p = f"/projects/{w.project.pk}/webhooks"
    for answer in (
        api.post(p, {"url": url, "events": ["batch.approved"]}),
        api.patch(f"{p}/{hook.pk}", {"url": url}),
    ):
        assert answer.status_code == 422, answer.content
        assert answer.json()["code"] == "invalid"
        assert [error["field"] for error in answer.json()["errors"]] == ["url"]
    hook.refresh_from_db()
    assert hook.url == "https://hooks.example/in" and Webhook.objects.count() == 1


def test_unknown_events_are_a_field_error_on_events(w):
    answer = ApiClient(w.manager).post(
        f"/projects/{w.project.pk}/webhooks", {"url": "https://hooks.example/a", "events": ["batch.exploded"]}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "events"


def test_another_projects_webhook_is_not_found(w, hook):
    from accounts.roles import grant_role
    from tests.factories import make_project

    elsewhere = make_project("Elsewhere")
    grant_role(elsewhere, w.manager, "manager")
    api = ApiClient(w.manager)
    for method, path, body in webhook_endpoints(w, hook):
        if "/webhooks/" in path:
            path = path.replace(f"/projects/{w.project.pk}/", f"/projects/{elsewhere.pk}/")
            answer = api.get(path) if method == "get" else api.send(method, path, body)
            assert answer.status_code == 404, path
    assert Webhook.objects.filter(pk=hook.pk).exists()


@pytest.fixture
def receiver(settings):
    receiver = start_receiver()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_a_webhook_made_through_the_api_receives_a_signed_delivery(w, receiver, django_capture_on_commit_callbacks):
    api = ApiClient(w.manager)
    p = f"/projects/{w.project.pk}/webhooks"
    made = api.post(p, {"url": receiver.url + "/hook", "events": ["batch.approved"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{p}/{made['id']}/test")
    assert sent.status_code == 202 and sent.json()["event"] == "ping"
    [received] = receiver.received
    assert received.headers["X-BinaBoard-Event"] == "ping"
    assert signing.verify(made["secret"], received.headers, received.body)
    log = api.get(f"{p}/{made['id']}/deliveries").json()["items"]
    assert [(item["event"], item["status"], item["response_code"]) for item in log] == [("ping", "delivered", 200)]
    # A real event: the review column's batch approved through the API's move.
    batch = w.batches[Batch.Status.REVIEW]
    reviewer = ApiClient(w.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        moved = reviewer.post(f"/projects/{w.project.pk}/batches/{batch.pk}/approve", {"version": batch.version})
    assert moved.status_code == 200, moved.content
    approved = receiver.received[-1]
    assert json.loads(approved.body)["event"] == "batch.approved"
    assert signing.verify(made["secret"], approved.headers, approved.body)


def test_a_coco_zip_becomes_a_batch_with_pre_labels(w):
    api = ApiClient(w.manager)
    answer = post_zip(api, w.project.pk, coco_zip(classes=("lorry",)), name="Pre-labelled", unknown="create")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    batch = Batch.objects.get(pk=body["batch"])
    assert (batch.name, batch.status, batch.image_count) == ("Pre-labelled", "unassigned", 2)
    assert (body["images"], body["boxes"], body["labelled_images"], body["created_classes"]) == (2, 1, 2, ["lorry"])
    [box] = Annotation.objects.filter(image__batch=batch)
    assert (box.x, box.y, box.w, box.h, box.label_class.name, box.prelabel) == (10, 10, 20, 15, "lorry", True)
    assert api.get(body["batch_url"][len(API) :]).json()["id"] == batch.pk


def test_an_import_with_problems_creates_nothing_and_says_why_per_file(w):
    api = ApiClient(w.manager)
    before = (Batch.objects.count(), LabelClass.objects.count())
    answer = post_zip(api, w.project.pk, coco_zip(classes=("lorry",)), unknown="refuse")
    assert answer.status_code == 422, answer.content
    body = answer.json()
    assert body["code"] == "invalid" and body["batch"] is None and body["unknown_classes"] == ["lorry"]
    outside = post_zip(api, w.project.pk, coco_zip(boxes=((60, 40, 30, 30),)))
    assert outside.status_code == 422 and outside.json()["problems"][0]["file"]
    broken = post_zip(api, w.project.pk, zip_bytes({"a.jpg": jpeg_bytes(8, 8), "annotations.json": "{nope"}))
    assert broken.status_code == 422 and broken.json()["problems"]
    assert (Batch.objects.count(), LabelClass.objects.count()) == before


def test_a_mapping_puts_their_class_under_ours(w):
    ours = w.label_class.name
    answer = post_zip(
        ApiClient(w.manager),
        w.project.pk,
        coco_zip(classes=("automobile",)),
        unknown="refuse",
        mapping=f"automobile = {ours}",
    )
    assert answer.status_code == 201, answer.content
    assert Annotation.objects.get(image__batch_id=answer.json()["batch"]).label_class == w.label_class


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"format": "coco2"}, "format"), ({"unknown": "ignore"}, "unknown"), ({"mapping": "no equals sign"}, "mapping")],
)
def test_a_wrong_option_is_a_field_error_and_creates_nothing(w, fields, field):
    before = Batch.objects.count()
    answer = post_zip(ApiClient(w.manager), w.project.pk, coco_zip(), **fields)
    assert answer.status_code == 422 and [e["field"] for e in answer.json()["errors"]] == [field]
    assert Batch.objects.count() == before


def test_a_missing_archive_is_a_field_error(w):
    answer = ApiClient(w.manager).client.post(
        f"{API}/projects/{w.project.pk}/label-imports", {"format": "coco"}, **ApiClient(w.manager)._headers({})
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "archive"
