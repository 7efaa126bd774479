"""Label archives found in the review of the hooks merge that gave a 500 (or read without bound) instead of
a clear problem in the report."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from batches.ingest import labels_import
from batches.models import Annotation, Batch, LabelClass
from tests.batches.test_label_import import coco_zip, run_import, zip_bytes
from tests.factories import jpeg_bytes

# --- label archives -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        # ids that are JSON lists or objects cannot key a lookup
        {"images": [{"id": [1], "file_name": "a.jpg"}], "annotations": [], "categories": []},
        {
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"image_id": [1], "category_id": 7, "bbox": [1, 1, 2, 2]}],
            "categories": [{"id": 7, "name": "car"}],
        },
        {
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"image_id": 1, "category_id": {"x": 1}, "bbox": [1, 1, 2, 2]}],
            "categories": [{"id": 7, "name": "car"}],
        },
        {
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [],
            "categories": [{"id": [7], "name": "car"}],
        },
    ],
)
def test_coco_ids_of_odd_types_are_reported_not_a_crash(project, manager, document):
    data = zip_bytes({"annotations/instances.json": json.dumps(document), "images/a.jpg": jpeg_bytes(64, 48)})
    report = run_import(project, manager, data, "coco")
    if document["annotations"]:  # a box naming its image or class by a list or object is reported
        assert report.problems
        assert not Batch.objects.filter(project=project).exists()
    else:  # an id nothing refers to does not matter
        assert report.problems == [] and report.batch is not None


@pytest.mark.parametrize("index", ["²", "9" * 5000, "0x1"])
def test_yolo_class_indexes_that_are_not_plain_numbers_are_reported(project, manager, index):
    data = zip_bytes(
        {"classes.txt": "car\n", "images/a.jpg": jpeg_bytes(64, 48), "labels/a.txt": f"{index} 0.5 0.5 0.2 0.2\n"}
    )
    report = run_import(project, manager, data, "yolo")
    assert [p.file for p in report.problems] == ["labels/a.txt, line 1"]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("yaml", ["names: " + "[" * 100_000 + "]" * 100_000, "names:\n  " + "9" * 5000 + ": car\n"])
def test_a_data_yaml_too_deep_or_with_huge_indexes_is_reported(project, manager, yaml):
    data = zip_bytes({"data.yaml": yaml, "images/a.jpg": jpeg_bytes(64, 48), "labels/a.txt": "0 0.5 0.5 0.2 0.2\n"})
    report = run_import(project, manager, data, "yolo")
    assert report.problems
    assert not Batch.objects.filter(project=project).exists()


def test_an_empty_class_name_in_data_yaml_creates_no_nameless_class(project, manager):
    data = zip_bytes(
        {
            "data.yaml": 'names: ["", "car"]\n',
            "images/a.jpg": jpeg_bytes(64, 48),
            "labels/a.txt": "0 0.5 0.5 0.2 0.2\n",
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert report.problems
    assert not LabelClass.objects.filter(project=project, name="").exists()


def test_label_files_are_read_within_a_total_budget(project, manager, monkeypatch):
    """A small archive can declare many large label files (a zip bomb): they are refused before being read."""
    monkeypatch.setattr(labels_import, "MAX_LABEL_BYTES", 3000)
    read = []
    real_read = labels_import.zipfile.ZipFile.read

    def counting_read(self, name, *args):
        read.append(name)
        return real_read(self, name, *args)

    monkeypatch.setattr(labels_import.zipfile.ZipFile, "read", counting_read)
    files = {f"labels/{i}.txt": "0 0.5 0.5 0.2 0.2\n" + " " * 1000 for i in range(5)}
    data = zip_bytes({"classes.txt": "car\n", "images/a.jpg": jpeg_bytes(64, 48), **files})
    report = run_import(project, manager, data, "yolo")
    assert any("too large" in p.message for p in report.problems)
    assert len(read) <= 3
    assert not Batch.objects.filter(project=project).exists()


def test_coco_within_limits_still_imports(project, manager):
    data = coco_zip([{"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 1, 5, 5]}])
    assert run_import(project, manager, data, "coco").batch is not None


def test_a_label_file_of_many_bad_lines_reports_the_first_problems_and_counts_the_rest(project, manager):
    lines = "car 0.5 0.5 0.2 0.2\n" * 5000
    data = zip_bytes({"classes.txt": "car\n", "images/a.jpg": jpeg_bytes(64, 48), "labels/a.txt": lines})
    report = run_import(project, manager, data, "yolo")
    assert len(report.problems) == 201
    assert report.problems[0].file == "labels/a.txt, line 1"
    assert report.problems[-1].message == "…and 4800 more problems."
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("label_import", args=[project.pk]),
        {"format": "yolo", "unknown": "create", "archive": SimpleUploadedFile("l.zip", data)},
    )
    assert response.status_code == 400
    assert response.content.decode().count("labels/a.txt, line") == 200


def test_class_names_that_differ_only_by_invisible_characters_are_one_class(project, manager):
    """ "car\u200b" is shown (and would be stored) as "car": it is the project's car, and two such new
    names are one new class (the database allows one name per project, whatever its case)."""
    categories = [{"id": 7, "name": "car\u200b"}, {"id": 8, "name": "bike"}, {"id": 9, "name": "Bike\u200b"}]
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 1, 5, 5]},
        {"id": 2, "image_id": 1, "category_id": 8, "bbox": [2, 2, 5, 5]},
        {"id": 3, "image_id": 1, "category_id": 9, "bbox": [3, 3, 5, 5]},
    ]
    report = run_import(project, manager, coco_zip(annotations, categories=categories), "coco")
    assert report.problems == [] and report.batch is not None
    assert report.created_classes == ["bike"]
    names = sorted(Annotation.objects.values_list("label_class__name", flat=True))
    assert names == ["bike", "bike", "car"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_voc_entities_in_utf16_are_refused_like_in_utf8(project, manager, encoding):
    """Expat reads UTF-16 too: the DOCTYPE check looked for UTF-8 bytes only."""
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "a.jpg">]>'
        "<annotation><filename>&x;</filename><size><width>64</width><height>48</height></size></annotation>"
    )
    data = zip_bytes({"JPEGImages/a.jpg": jpeg_bytes(64, 48), "Annotations/a.xml": xml.encode(encoding)})
    report = run_import(project, manager, data, "voc")
    assert [(p.file, "DOCTYPE" in p.message) for p in report.problems] == [("Annotations/a.xml", True)]
    assert not Batch.objects.filter(project=project).exists()
