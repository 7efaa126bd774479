"""The API's error answers as docs/API.md ("Errors") promises them: JSON with a `code` and a `message` in the
caller's language, whatever went wrong (a wrong method, a server error, a bad field, too many requests)."""

from __future__ import annotations

import pytest

from accounts.models import LabelClass
from batches.api import batches as batches_api
from batches.models import Annotation
from tests.api.helpers import ApiClient
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_a_method_the_path_does_not_take_answers_json_with_allow(project, manager):
    api = ApiClient(manager)
    refused = api.delete(f"/projects/{project.pk}")
    assert refused.status_code == 405
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["code"] == "invalid"
    assert "DELETE" in refused.json()["message"]
    assert refused["Allow"] == "GET, HEAD"
    both = api.put(f"/projects/{project.pk}/classes")
    assert both.status_code == 405 and both["Allow"] == "GET, HEAD, POST"


def test_a_method_the_path_does_not_take_is_refused_in_persian(project, manager):
    refused = ApiClient(manager).delete(f"/projects/{project.pk}", HTTP_ACCEPT_LANGUAGE="fa")
    assert refused.status_code == 405
    assert "نمی‌پذیرد" in refused.json()["message"]


def test_a_server_error_answers_the_apis_json_shape(project, manager, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batches_api, "batch_json", broken)
    make_batch(project, manager, name="Street 1")
    answer = ApiClient(manager).get(f"/projects/{project.pk}/batches")
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "server_error" and body["message"] and "request_id" in body
    assert "boom" not in answer.content.decode()


def test_an_unknown_api_address_answers_json_not_found(manager):
    answer = ApiClient(manager).get("/projects/-1")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_field_errors_speak_the_callers_language(project, manager):
    batch = make_batch(project, manager, name="Street 1")
    url = f"/projects/{project.pk}/batches/{batch.pk}/assign"
    api = ApiClient(manager)
    english = api.post(url, {"assignees": "sam", "version": -1}).json()
    assert english["code"] == "invalid"
    messages = {error["field"]: error["message"] for error in english["errors"]}
    assert messages == {"assignees": "Give a list, in square brackets.", "version": "Give 0 or more."}
    persian = api.post(url, {"assignees": [1], "version": "7"}, HTTP_ACCEPT_LANGUAGE="fa").json()
    assert persian["errors"] == [{"field": "version", "message": "یک عدد صحیح بدهید."}]
    missing = api.post(url, {}, HTTP_ACCEPT_LANGUAGE="fa").json()
    assert missing["errors"] == [{"field": "assignees", "message": "این فیلد لازم است."}]


def test_a_limit_in_a_field_error_is_written_in_persian_digits(project, manager):
    answer = ApiClient(manager).get(f"/projects/{project.pk}/batches", {"limit": 5000}, HTTP_ACCEPT_LANGUAGE="fa")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "limit", "message": "۱۰۰۰ یا کمتر بدهید."}]


def test_a_throttled_caller_is_told_the_same_wait_in_the_body_and_the_header(project, manager, settings, monkeypatch):
    settings.API_RATE_LIMIT = 1
    settings.API_RATE_WINDOW = 60
    monkeypatch.setattr("batches.api.auth.time.time", lambda: 6000.4)  # 59.6 seconds left in the window
    api = ApiClient(manager)
    assert api.get(f"/projects/{project.pk}").status_code == 200
    refused = api.get(f"/projects/{project.pk}")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["retry_after"] == 60
    assert "60 seconds" in refused.json()["message"]


def test_a_throttled_caller_is_told_the_wait_in_persian_digits(project, manager, settings):
    settings.API_RATE_LIMIT = 1
    api = ApiClient(manager)
    api.get(f"/projects/{project.pk}")
    refused = api.get(f"/projects/{project.pk}", HTTP_ACCEPT_LANGUAGE="fa")
    assert refused.status_code == 429
    wait = refused.json()["retry_after"]
    assert str(wait).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in refused.json()["message"]


def test_a_json_body_beyond_the_memory_limit_is_a_413_not_a_server_error(project, manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    batch = make_batch(project, manager, name="Street 1")
    body = {"version": batch.version, "assignees": [manager.pk], "image_ids": list(range(1, 5000))}
    answer = ApiClient(manager).post(f"/projects/{project.pk}/batches/{batch.pk}/assign", body)
    assert answer.status_code == 413
    assert answer.json() == {"code": "invalid", "message": "The request is too large."}
    batch.refresh_from_db()
    assert batch.status == "unassigned"


def test_refusals_with_a_number_write_it_in_persian_digits(project, manager):
    batch = make_batch(project, manager, name="Street 1")
    api = ApiClient(manager)
    too_many = api.post(
        f"/projects/{project.pk}/batches/{batch.pk}/assign",
        {"version": batch.version, "assignees": list(range(1, 102))},
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert too_many.status_code == 400
    assert too_many.json()["message"] == "حداکثر ۱۰۰ برچسب‌گذار انتخاب کنید."
    seed = api.post(f"/projects/{project.pk}/exports", {"format": "coco", "seed": 2**40}, HTTP_ACCEPT_LANGUAGE="fa")
    assert seed.status_code == 400
    assert "۲۱۴۷۴۸۳۶۴۷" in seed.json()["message"]


def test_a_class_in_use_says_how_many_boxes_use_it_in_words_that_agree(project, manager, annotator):
    car = LabelClass.objects.create(project=project, name="tram", colour="#123456")
    batch = make_batch(project, manager, images=1, name="Street 1")
    image = batch.images.get()
    Annotation.objects.create(image=image, label_class=car, x=1, y=1, w=5, h=5, author=manager)
    api = ApiClient(manager)
    one = api.delete(f"/projects/{project.pk}/classes/{car.pk}")
    assert one.status_code == 409
    assert one.json()["message"] == "“tram” cannot be deleted: 1 annotation uses it."
    Annotation.objects.create(image=image, label_class=car, x=9, y=9, w=5, h=5, author=manager)
    persian = api.delete(f"/projects/{project.pk}/classes/{car.pk}", HTTP_ACCEPT_LANGUAGE="fa")
    assert persian.json()["message"] == "«\u2068tram\u2069» را نمی‌توان حذف کرد: ۲ برچسب از آن استفاده می‌کنند."
