"""The label classes page: every member sees them; managers add, edit and delete."""

import pytest
from django.urls import reverse

from batches.models import LabelClass
from tests.factories import annotate, make_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(project):
    return reverse("label_classes", args=[project.pk])


@pytest.fixture
def add_url(project):
    return reverse("label_classes", args=[project.pk])


@pytest.fixture
def car(project):
    return project.label_classes.get(name="car")


def edit_url(label_class):
    return reverse("label_class_edit", args=[label_class.project_id, label_class.pk])


def delete_url(label_class):
    return reverse("label_class_delete", args=[label_class.project_id, label_class.pk])


def classes_of(project):
    return list(project.label_classes.order_by("name").values_list("name", "colour", "key"))


# --- the list ---


@pytest.mark.parametrize("who", ["manager", "annotator", "reviewer"])
def test_every_member_sees_the_classes_with_colour_and_key(client, url, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 200
    assert [(c.name, c.key) for c in response.context["classes"]] == [("car", 1), ("person", 2)]
    assert b'fill="#1f77b4"' in response.content


def test_only_managers_see_the_forms(client, url, manager, annotator):
    client.force_login(annotator)
    assert b"Add a class" not in client.get(url).content
    client.force_login(manager)
    assert b"Add a class" in client.get(url).content


def test_the_list_counts_annotations_in_one_query(client, project, url, manager, car, django_assert_num_queries):
    batch = make_batch(project, manager, images=3)
    for image in batch.images.all():
        annotate(image, car, manager)
    client.force_login(manager)
    # session, user, project, the viewer's permissions (one UNION), classes with their annotation counts
    with django_assert_num_queries(5):
        response = client.get(url)
    assert {c.name: c.annotation_count for c in response.context["classes"]} == {"car": 3, "person": 0}


def test_an_outsider_learns_nothing(client, url, outsider):
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, url):
    assert client.get(url).url.startswith(reverse("login"))


# --- adding ---


def test_a_manager_adds_a_class(client, project, url, add_url, manager):
    client.force_login(manager)
    response = client.post(add_url, {"name": " bicycle ", "colour": "#2CA02C", "key": "3"})
    assert response.url == url
    assert ("bicycle", "#2ca02c", 3) in classes_of(project)


def test_a_class_may_have_no_key(client, project, add_url, manager):
    client.force_login(manager)
    client.post(add_url, {"name": "truck", "colour": "#9467bd", "key": ""})
    assert ("truck", "#9467bd", None) in classes_of(project)


def test_a_name_is_unique_whatever_its_case(client, project, add_url, manager):
    client.force_login(manager)
    response = client.post(add_url, {"name": "CAR", "colour": "#000000", "key": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "This project already has a class named “car” (names ignore upper and lower case)."
    ]
    assert len(classes_of(project)) == 2


def test_a_key_is_unique_in_the_project(client, project, add_url, manager):
    client.force_login(manager)
    response = client.post(add_url, {"name": "bus", "colour": "#000000", "key": "2"})
    assert response.context["form"].errors["key"] == ["Key 2 already picks “person”: choose another key, or none."]


def test_the_same_name_and_key_are_fine_in_another_project(client, add_url, manager):
    from tests.factories import make_project

    other = make_project("Other")
    client.force_login(manager)
    client.post(add_url, {"name": "bus", "colour": "#000000", "key": "5"})
    assert other.label_classes.count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "bus", "colour": "red", "key": ""}, "colour"),
        ({"name": "bus", "colour": "#000000", "key": "0"}, "key"),
        ({"name": "bus", "colour": "#000000", "key": "10"}, "key"),
        ({"name": "", "colour": "#000000", "key": ""}, "name"),
    ],
)
def test_bad_input_is_refused_with_a_form_error(client, project, add_url, manager, data, field):
    client.force_login(manager)
    response = client.post(add_url, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert len(classes_of(project)) == 2


@pytest.mark.parametrize("who", ["annotator", "reviewer"])
def test_members_who_do_not_manage_may_not_add(client, project, add_url, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.post(add_url, {"name": "bus", "colour": "#000000"}).status_code == 403
    assert len(classes_of(project)) == 2


def test_an_outsider_adding_gets_404(client, project, add_url, outsider):
    client.force_login(outsider)
    assert client.post(add_url, {"name": "bus", "colour": "#000000"}).status_code == 404


# --- editing ---


def test_a_manager_renames_and_recolours_a_class(client, project, url, manager, car):
    client.force_login(manager)
    assert client.get(edit_url(car)).status_code == 200
    response = client.post(edit_url(car), {"name": "Car", "colour": "#ff7f0e", "key": "1"})
    assert response.url == url
    car.refresh_from_db()
    assert (car.name, car.colour, car.key) == ("Car", "#ff7f0e", 1)


def test_editing_keeps_the_uniqueness_rules(client, manager, car):
    client.force_login(manager)
    response = client.post(edit_url(car), {"name": "Person", "colour": "#ff7f0e", "key": "2"})
    assert set(response.context["form"].errors) == {"name", "key"}
    car.refresh_from_db()
    assert car.name == "car"


def test_a_class_of_another_project_is_404(client, project, manager):
    from tests.factories import make_project

    other_class = make_project("Other").label_classes.first()
    client.force_login(manager)
    wrong = reverse("label_class_edit", args=[project.pk, other_class.pk])
    assert client.get(wrong).status_code == 404


def test_members_who_do_not_manage_may_not_edit(client, annotator, car):
    client.force_login(annotator)
    assert client.get(edit_url(car)).status_code == 403
    assert client.post(edit_url(car), {"name": "auto", "colour": "#000000"}).status_code == 403


# --- deleting ---


def test_deleting_asks_first(client, manager, car):
    client.force_login(manager)
    response = client.get(delete_url(car))
    assert "Delete the class “<bdi>car</bdi>”?" in response.content.decode()
    assert LabelClass.objects.filter(pk=car.pk).exists()


def test_a_manager_deletes_an_unused_class(client, url, manager, car):
    client.force_login(manager)
    response = client.post(delete_url(car))
    assert response.url == url
    assert not LabelClass.objects.filter(pk=car.pk).exists()


def test_a_class_in_use_is_kept_and_the_message_counts_its_annotations(client, project, url, manager, car):
    batch = make_batch(project, manager, images=2)
    for image in batch.images.all():
        annotate(image, car, manager)
    client.force_login(manager)
    assert "2 annotations use it" in client.get(delete_url(car)).content.decode()
    response = client.post(delete_url(car))
    assert response.url == url
    assert LabelClass.objects.filter(pk=car.pk).exists()
    assert "“car” cannot be deleted: 2 annotations use it." in client.get(url).content.decode()


def test_members_who_do_not_manage_may_not_delete(client, reviewer, car):
    client.force_login(reviewer)
    assert client.post(delete_url(car)).status_code == 403
    assert LabelClass.objects.filter(pk=car.pk).exists()


def test_an_outsider_deleting_gets_404(client, outsider, car):
    client.force_login(outsider)
    assert client.post(delete_url(car)).status_code == 404
    assert LabelClass.objects.filter(pk=car.pk).exists()


def test_the_add_form_offers_a_colour_no_class_has_yet(client, project, url, add_url, manager):
    """Adding classes one after another without touching the colour gave them all #1f77b4: boxes of different
    classes looked the same on the canvas."""
    client.force_login(manager)
    for name in ("truck", "bus", "tram"):
        offered = client.get(url).context["form"]["colour"].value()
        assert offered not in {colour for _name, colour, _key in classes_of(project)}
        client.post(add_url, {"name": name, "colour": offered, "key": ""})
    colours = [colour for _name, colour, _key in classes_of(project)]
    assert len(set(colours)) == len(colours) == 5
