"""Private media: only members get image files and thumbnails, with honest headers; everyone else gets nothing."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.roles import grant_role
from batches.ingest.pipeline import Source, ingest
from batches.models import Image
from tests.batches import ingest_samples as samples
from tests.factories import make_project, make_user


@pytest.fixture
def images(project, manager):
    sources = [Source.from_bytes("a.jpg", samples.jpeg()), Source.from_bytes("b.png", samples.png())]
    batch = ingest(actor=manager, project=project, sources=sources).batch
    return {image.original_name: image for image in batch.images.all()}


def every_media_url(images) -> list[str]:
    """Every real image and thumbnail URL, plus guessed ids around and beyond them."""
    pks = [image.pk for image in images.values()]
    guessed = [0, max(pks) + 1, max(pks) + 1000, 2**31 - 1]
    return [reverse(name, args=[pk]) for pk in pks + guessed for name in ("image_file", "image_thumbnail")]


@pytest.mark.parametrize("role", ["manager", "annotator", "reviewer"])
def test_every_member_gets_the_file_with_its_real_type_and_safe_headers(client, images, role, request):
    client.force_login(request.getfixturevalue(role))
    image = images["a.jpg"]
    response = client.get(reverse("image_file", args=[image.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("private")
    with default_storage.open(image.file.name, "rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()


def test_a_png_is_served_as_a_png_and_every_thumbnail_as_a_jpeg(client, manager, images):
    client.force_login(manager)
    assert client.get(reverse("image_file", args=[images["b.png"].pk]))["Content-Type"] == "image/png"
    for image in images.values():
        response = client.get(reverse("image_thumbnail", args=[image.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_a_non_member_gets_404_for_every_image_and_thumbnail_url_including_guessed_ones(client, outsider, images):
    client.force_login(outsider)
    for url in every_media_url(images):
        assert client.get(url).status_code == 404, url


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in_for_every_url(client, images):
    for url in every_media_url(images):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_a_member_of_another_project_cannot_reach_this_projects_images(client, images):
    stranger = make_user("stranger")
    grant_role(make_project("Elsewhere"), stranger, "manager")
    client.force_login(stranger)
    for url in every_media_url(images):
        assert client.get(url).status_code == 404, url


def test_a_guessed_id_answers_exactly_like_a_forbidden_one(client, outsider, images):
    client.force_login(outsider)
    real = client.get(reverse("image_file", args=[images["a.jpg"].pk]))
    guessed = client.get(reverse("image_file", args=[999999]))
    assert real.status_code == guessed.status_code == 404


def test_there_is_no_public_media_url(client, manager, images):
    client.force_login(manager)
    name = images["a.jpg"].file.name
    for prefix in ("/media/", "/"):
        assert client.get(prefix + name).status_code == 404


def test_with_x_accel_redirect_nginx_sends_the_bytes_after_the_permission_check(client, manager, images, settings):
    settings.MEDIA_X_ACCEL_REDIRECT = "/protected-media/"
    client.force_login(manager)
    image = images["a.jpg"]
    response = client.get(reverse("image_file", args=[image.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{image.file.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == b""


def test_x_accel_redirect_still_turns_away_a_non_member(client, outsider, images, settings):
    settings.MEDIA_X_ACCEL_REDIRECT = "/protected-media/"
    client.force_login(outsider)
    response = client.get(reverse("image_file", args=[images["a.jpg"].pk]))
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_a_missing_stored_file_is_a_404_not_a_server_error(client, manager, images):
    client.force_login(manager)
    image = images["a.jpg"]
    default_storage.delete(image.file.name)
    assert client.get(reverse("image_file", args=[image.pk])).status_code == 404


def test_an_image_without_a_thumbnail_answers_404_for_its_thumbnail(client, manager, images):
    client.force_login(manager)
    image = images["a.jpg"]
    Image.objects.filter(pk=image.pk).update(thumbnail="")
    assert client.get(reverse("image_thumbnail", args=[image.pk])).status_code == 404


def test_only_get_is_allowed(client, manager, images):
    client.force_login(manager)
    assert client.post(reverse("image_file", args=[images["a.jpg"].pk])).status_code == 405


def test_serving_a_file_costs_a_fixed_number_of_queries(client, manager, images, django_assert_num_queries):
    client.force_login(manager)
    # session, user, image with its batch and project, the member's permissions (user + group)
    with django_assert_num_queries(4):
        client.get(reverse("image_file", args=[images["a.jpg"].pk]))
