"""`manage.py export_dataset`: the same export as the page, written to a file for operators."""

from __future__ import annotations

import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from batches.export.core import archive_stem
from tests.batches.export_helpers import build_dataset, export_bytes
from tests.factories import make_batch, make_project


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


def run(*args) -> str:
    err = StringIO()
    call_command("export_dataset", *[str(arg) for arg in args], stderr=err, stdout=StringIO())
    return err.getvalue()


def test_it_writes_a_coco_zip_of_the_whole_dataset_column(dataset, tmp_path):
    out = tmp_path / "street.zip"

    report = run(dataset.project.pk, "--format", "coco", "--out", out)

    coco = json.loads(zipfile.ZipFile(out).read("annotations/instances_default.json"))
    assert sorted(entry["id"] for entry in coco["images"]) == sorted(image.pk for image in dataset.images)
    assert f"{len(dataset.images)} images, {sum(map(len, dataset.boxes.values()))} boxes" in report
    assert not (tmp_path / "street.zip.part").exists()


def test_it_finds_the_project_by_its_name_too(dataset, tmp_path):
    run("Street scenes", "--format", "voc", "--out", tmp_path / "voc.zip")

    assert "ImageSets/Main/default.txt" in zipfile.ZipFile(tmp_path / "voc.zip").namelist()


def test_it_makes_the_same_archive_contents_as_the_page_for_the_same_request(dataset, tmp_path):
    out = tmp_path / "yolo.zip"
    night = dataset.batches[1]

    run(dataset.project.pk, "--format", "yolo", "--out", out, "--split", "60,20,20", "--seed", 9, "--batch", night.pk)

    from_command = zipfile.ZipFile(out)
    from_code = zipfile.ZipFile(
        io.BytesIO(export_bytes(dataset.project, format="yolo", split=(60, 20, 20), seed=9, batch_ids=(night.pk,)))
    )
    names = [name for name in from_command.namelist() if name != "README.txt"]
    assert names == [name for name in from_code.namelist() if name != "README.txt"]
    for name in names:
        if name != "data.yaml":  # its comment line carries the time of the export
            assert from_command.read(name) == from_code.read(name)


def test_images_are_included_on_request(dataset, tmp_path):
    out = tmp_path / "with-images.zip"

    run(dataset.project.pk, "--format", "voc", "--out", out, "--images")

    names = set(zipfile.ZipFile(out).namelist())
    assert {f"JPEGImages/{archive_stem(image.pk, image.original_name)}.jpg" for image in dataset.images} <= names


def test_several_batches_can_be_chosen(dataset, tmp_path):
    out = tmp_path / "both.zip"
    street, night = dataset.batches

    run(dataset.project.pk, "--format", "yolo", "--out", out, "--batch", street.pk, "--batch", night.pk)

    labels = [name for name in zipfile.ZipFile(out).namelist() if name.startswith("labels/")]
    assert len(labels) == len(dataset.images)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "80,30,10"], "add up to 120"),
        (["--split", "eighty"], "is not a split"),
        (["--batch", "999999"], "not in this project's Dataset column"),
    ],
)
def test_bad_requests_stop_with_a_clear_message_and_no_file(dataset, tmp_path, args, message):
    out = tmp_path / "bad.zip"

    with pytest.raises(CommandError, match=message):
        run(dataset.project.pk, "--format", "coco", "--out", out, *args)
    assert not out.exists() and not (tmp_path / "bad.zip.part").exists()


def test_an_empty_dataset_column_stops_with_a_clear_message(project, manager, tmp_path):
    make_batch(project, manager, images=2)

    with pytest.raises(CommandError, match="The Dataset column is empty"):
        run(project.pk, "--format", "yolo", "--out", tmp_path / "x.zip")


def test_an_unknown_project_stops_with_a_clear_message(db, tmp_path):
    with pytest.raises(CommandError, match="No project has the id or name “Nowhere”"):
        run("Nowhere", "--format", "yolo", "--out", tmp_path / "x.zip")


def test_two_projects_with_the_same_name_ask_for_the_id(db, tmp_path):
    make_project("Twins")
    make_project("Twins")

    with pytest.raises(CommandError, match="give the project's id"):
        run("Twins", "--format", "yolo", "--out", tmp_path / "x.zip")


def test_a_missing_output_folder_stops_with_a_clear_message(dataset, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run(dataset.project.pk, "--format", "yolo", "--out", tmp_path / "nowhere" / "x.zip")
