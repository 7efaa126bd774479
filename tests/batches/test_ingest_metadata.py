"""What a photo says about its owner stays out: stored files, thumbnails and exports carry no metadata.

Checked byte by byte: no EXIF block (`Exif\\0\\0`, GPS included), no XMP packet, no JPEG comment marker
(0xFFFE), no PNG text chunks, no WebP EXIF/XMP chunks. The ICC colour profile is kept on purpose.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image as PILImage

from batches.export.core import archive_stem
from batches.ingest.metadata import strip_metadata
from batches.ingest.pipeline import Source, ingest
from batches.models import Image
from tests.batches import ingest_samples as samples
from tests.batches.export_helpers import export_zip, to_dataset
from tests.batches.metadata_samples import (
    SCRIPT,
    assert_no_metadata,
    pixels,
    srgb_profile,
    stored_bytes,
    telling_exif,
    telling_jpeg,
    telling_png,
    telling_webp,
)

pytestmark = pytest.mark.django_db


def ingest_one(actor, project, name: str, data: bytes) -> Image:
    report = ingest(actor=actor, project=project, sources=[Source.from_bytes(name, data)], workers=1)
    assert report.batch is not None, report.outcomes
    return Image.objects.get(batch=report.batch)


@pytest.mark.parametrize(
    "name, make",
    [("photo.jpg", telling_jpeg), ("scan.png", telling_png), ("web.webp", telling_webp)],
)
def test_a_stored_file_and_its_thumbnail_carry_no_metadata(manager, project, name, make):
    original = make()
    image = ingest_one(manager, project, name, original)

    stored, thumbnail = stored_bytes(image.file.name), stored_bytes(image.thumbnail.name)

    assert_no_metadata(stored)
    assert_no_metadata(thumbnail)
    assert pixels(stored) == pixels(original)  # removed from the container, not re-encoded


def test_the_colour_profile_is_kept(manager, project):
    image = ingest_one(manager, project, "photo.jpg", telling_jpeg())

    with PILImage.open(io.BytesIO(stored_bytes(image.file.name))) as im:
        assert im.info.get("icc_profile") == srgb_profile()


def test_a_sideways_photo_is_turned_upright_and_keeps_no_exif(manager, project):
    image = ingest_one(manager, project, "sideways.jpg", telling_jpeg(120, 80, orientation=6))

    stored = stored_bytes(image.file.name)

    assert_no_metadata(stored)
    assert_no_metadata(stored_bytes(image.thumbnail.name))
    with PILImage.open(io.BytesIO(stored)) as im:
        assert im.size == (80, 120) == (image.width, image.height)


def test_a_photo_uploaded_through_the_page_is_stored_without_metadata(client, manager, project):
    # The upload page moves its temporary files into storage instead of reading them again.
    client.force_login(manager)
    upload = io.BytesIO(telling_jpeg())
    upload.name = "photo.jpg"

    client.post(reverse("upload", args=[project.pk]), {"files": [upload]})

    image = Image.objects.get(project=project)
    assert_no_metadata(stored_bytes(image.file.name))
    assert_no_metadata(stored_bytes(image.thumbnail.name))


def test_archive_entries_are_stored_without_metadata_also_when_checked_in_a_pool(manager, project):
    archive = samples.zip_archive([(f"photo_{i}.jpg", telling_jpeg(seed=i + 10)) for i in range(10)])

    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("trip.zip", archive)], workers=2)

    assert len(report.kept) == 10
    for image in Image.objects.filter(batch=report.batch):
        assert_no_metadata(stored_bytes(image.file.name))


def test_an_export_with_images_carries_no_metadata(manager, annotator, reviewer, project):
    image = ingest_one(manager, project, "photo.jpg", telling_jpeg())
    to_dataset(image.batch, manager=manager, annotator=annotator, reviewer=reviewer)

    archive = export_zip(project, format="yolo", include_images=True)

    assert_no_metadata(archive.read(f"images/{archive_stem(image.pk, image.original_name)}.jpg"))


@pytest.mark.parametrize("fmt, make", [("JPEG", telling_jpeg), ("PNG", telling_png), ("WEBP", telling_webp)])
def test_stripping_a_stripped_file_returns_it_as_it_is(fmt, make):
    once = strip_metadata(fmt, make())

    assert strip_metadata(fmt, once) is once


def test_a_jpeg_with_pictures_appended_after_its_end_keeps_only_the_first():
    # Phones append further pictures (MPF), each with its own EXIF and position, after the first.
    data = telling_jpeg() + telling_jpeg(seed=9)

    stripped = strip_metadata("JPEG", data)

    assert stripped.endswith(b"\xff\xd9") and stripped.count(b"\xff\xd8") == 1
    assert_no_metadata(stripped)


def test_archive_entry_names_lose_control_and_bidi_characters(manager, project):
    entries = [("evil\u202egpj.exe.jpg", samples.jpeg(seed=1)), ("bell\x07\u200b.jpg", samples.jpeg(seed=2))]
    archive = samples.zip_archive(entries)

    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("a\u2066b.zip", archive)], workers=1)

    names = [outcome.name for outcome in report.outcomes] + list(
        Image.objects.filter(project=project).values_list("original_name", flat=True)
    )
    assert sorted(o.name for o in report.outcomes) == ["ab.zip/bell.jpg", "ab.zip/evilgpj.exe.jpg"]
    assert all(char.isprintable() for name in names for char in name)


def test_names_of_files_imported_from_disk_lose_control_characters(manager, project, tmp_path):
    path = tmp_path / "odd\u202ename\x1b.jpg"
    path.write_bytes(samples.jpeg())

    report = ingest(actor=manager, project=project, sources=[Source.from_path(path)], workers=1)

    assert [outcome.name for outcome in report.outcomes] == ["oddname.jpg"]
    assert Image.objects.get(project=project).original_name == "oddname.jpg"


@pytest.mark.parametrize("params", [{"progressive": True}, {"restart_marker_rows": 1}, {"optimize": True}])
def test_stripping_keeps_every_scan_of_progressive_and_restart_marked_jpegs(params):
    picture = samples.picture(200, 120, seed=5)
    data = samples.encode(picture, "JPEG", exif=telling_exif(), comment=SCRIPT, quality=85, **params)

    stripped = strip_metadata("JPEG", data)

    assert_no_metadata(stripped)
    assert pixels(stripped) == pixels(data)
