"""Names that only look alike are one name: "car" and "car" + a zero-width space are the same class, whichever
way the name arrives (the Classes page, the API, the admin, a label file), and a Persian name keeps the
zero-width non-joiner it needs inside its words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import LabelClass, Project
from batches.models import Annotation, Batch
from binaboard.params import clean_text
from tests.api.helpers import ApiClient
from tests.batches.test_bulk_view import apply
from tests.batches.test_label_import import box, coco_zip, run_import
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
ZWNJ = "\u200c"
PERSIAN = f"می{ZWNJ}خواهم"  # "I want": the ZWNJ keeps می apart from خواهم without a space
DUPLICATE = "This project already has a class named “car” (names ignore upper and lower case)."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("car\u200b", "car"),  # zero-width space
        ("\ufeffcar", "car"),  # BOM
        ("c\u2060a\u2061r\u2062\u2063\u2064", "car"),  # word joiner, invisible operators
        ("ca\u00adr\u180e", "car"),  # soft hyphen, Mongolian vowel separator
        (PERSIAN, PERSIAN),  # the ZWNJ inside a word stays
        (f"{ZWNJ}{PERSIAN}{ZWNJ}", PERSIAN),  # at either end it joins nothing
        (f"می{ZWNJ}{ZWNJ}\u200d{ZWNJ}خواهم", PERSIAN),  # a run is one
        (f"car {ZWNJ}park\u200d ", "car park"),  # next to a space
        ("👩\u200d💻", "👩\u200d💻"),  # an emoji sequence keeps its joiner
    ],
)
def test_invisible_characters_go_and_the_persian_joiner_stays_where_it_joins(raw, expected):
    assert clean_text(raw, max_length=None) == expected


def test_a_joiner_left_at_the_end_by_the_length_cap_goes_too():
    assert clean_text(f"ab{ZWNJ}cd", max_length=3) == "ab"


def test_the_classes_page_refuses_a_look_alike_of_an_existing_class(project, manager):
    client = Client()
    client.force_login(manager)
    response = client.post(reverse("label_classes", args=[project.pk]), {"name": "car\u200b", "colour": "#000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [DUPLICATE]
    assert project.label_classes.filter(name__startswith="car").count() == 1


def test_the_classes_page_keeps_a_persian_name_byte_for_byte(project, manager):
    client = Client()
    client.force_login(manager)
    client.post(reverse("label_classes", args=[project.pk]), {"name": f" {PERSIAN}{ZWNJ}", "colour": "#000000"})
    assert LabelClass.objects.get(project=project, name__startswith="می").name.encode() == PERSIAN.encode()


def test_the_api_refuses_a_look_alike_class_and_keeps_a_persian_one(project, manager):
    api = ApiClient(manager)
    refused = api.post(f"/projects/{project.pk}/classes", {"name": "\u2060car\u200b", "colour": "#000000"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "name", "message": DUPLICATE}]
    made = api.post(f"/projects/{project.pk}/classes", {"name": PERSIAN + "\u200b", "colour": "#000000"})
    assert made.status_code == 201 and made.json()["name"] == PERSIAN


def test_the_admin_refuses_a_look_alike_class(project, superuser):
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:accounts_labelclass_add"),
        {"project": project.pk, "name": "CAR\u00ad", "colour": "#000000", "key": ""},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert project.label_classes.filter(name__iexact="car").count() == 1


def test_a_project_name_loses_its_invisible_characters_on_the_form_and_in_the_admin(superuser):
    client = Client()
    client.force_login(superuser)
    client.post(reverse("project_create"), {"name": "\u200bStreet\ufeff scenes\u200b", "description": ""})
    assert Project.objects.filter(name="Street scenes").exists()
    admin_form = client.get(reverse("admin:accounts_project_add")).context["adminform"].form
    data = {name: field.initial for name, field in admin_form.fields.items() if field.initial is not None}
    data.update({"name": f"{ZWNJ}{PERSIAN}\u2060", "description": "", "stale_after_days": 0})
    data.update({"label_classes-TOTAL_FORMS": 0, "label_classes-INITIAL_FORMS": 0})
    response = client.post(reverse("admin:accounts_project_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Project.objects.filter(name=PERSIAN).exists()


def test_a_label_file_s_look_alike_class_is_the_project_s_class_and_a_persian_one_is_created_as_typed(project, manager):
    categories = [{"id": 7, "name": "car\u2060"}, {"id": 8, "name": f"{PERSIAN}{ZWNJ}"}]
    annotations = [box([1, 1, 5, 5], category_id=7), {**box([2, 2, 5, 5], category_id=8), "id": 2}]
    report = run_import(project, manager, coco_zip(annotations, categories=categories), "coco")
    assert report.problems == [] and report.created_classes == [PERSIAN]
    assert LabelClass.objects.get(project=project, name__startswith="می").name == PERSIAN
    assert sorted(Annotation.objects.values_list("label_class__name", flat=True)) == sorted(["car", PERSIAN])


def test_a_batch_name_typed_in_the_bulk_merge_loses_its_invisible_characters(project, manager):
    first, second = (make_batch(project, manager, images=1, name=n) for n in ("a", "b"))
    apply(manager, project, "merge", [first, second], name="Street\u200b-01\u00ad")
    assert Batch.objects.get(project=project).name == "Street-01"
