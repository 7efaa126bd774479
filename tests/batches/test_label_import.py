"""Importing existing labels (COCO, YOLO, Pascal VOC) with their images: pre-labels, problems, all or nothing, round trips."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pycocotools.coco import COCO

from accounts.roles import grant_role
from batches.ingest.labels import Problem
from batches.ingest.labels_import import import_labelled, parse_mapping
from batches.ingest.pipeline import Source
from batches.models import Annotation, Batch, Image, LabelClass, StoredFile
from batches.workflow import WorkflowError
from tests.batches.export_helpers import build_dataset, export_bytes, to_dataset
from tests.factories import jpeg_bytes, make_project, make_user

PREFIX = re.compile(r"^(\d+_)+")


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


@pytest.fixture
def target(db):
    """A second project, with its own cast, to import into."""
    project = make_project("Imported")
    people = {role: make_user(f"{role}2") for role in ("manager", "annotator", "reviewer")}
    for role, user in people.items():
        grant_role(project, user, role)
    return project, people


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def run_import(project, actor, data: bytes, fmt: str, **options):
    return import_labelled(
        actor=actor, project=project, sources=[Source.from_bytes("labels.zip", data)], fmt=fmt, **options
    )


def plain(name: str) -> str:
    """An exported file name without the image ids the exports put in front."""
    return PREFIX.sub("", name)


# --- round trips: export → import into a new project → export gives the same labels ---------------------


def coco_labels(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = json.loads(archive.read("annotations/instances_default.json"))
    files = {image["id"]: plain(image["file_name"]) for image in document["images"]}
    names = {category["id"]: category["name"] for category in document["categories"]}
    return {
        "images": sorted((files[i["id"]], i["width"], i["height"]) for i in document["images"]),
        "boxes": sorted((files[a["image_id"]], names[a["category_id"]], *a["bbox"]) for a in document["annotations"]),
    }


def yolo_labels(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        classes = archive.read("classes.txt").decode().splitlines()
        labels = {}
        for name in archive.namelist():
            if name.startswith("labels/"):
                lines = archive.read(name).decode().splitlines()
                labels[plain(name.removeprefix("labels/"))] = sorted(
                    " ".join([classes[int(line.split()[0])], *line.split()[1:]]) for line in lines
                )
        images = sorted(
            plain(name.removeprefix("images/")) for name in archive.namelist() if name.startswith("images/")
        )
    return {"labels": labels, "images": images}


def voc_labels(data: bytes) -> dict:
    labels = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("Annotations/"):
                root = ElementTree.fromstring(archive.read(name))
                size = (root.findtext("size/width"), root.findtext("size/height"))
                objects = sorted(
                    (o.findtext("name"), *(o.findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")))
                    for o in root.iter("object")
                )
                labels[plain(root.findtext("filename"))] = (size, objects)
    return labels


READ = {"coco": coco_labels, "yolo": yolo_labels, "voc": voc_labels}


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc"])
def test_export_then_import_into_a_new_project_then_export_gives_the_same_labels(fmt, dataset, target, tmp_path):
    project, people = target
    first = export_bytes(dataset.project, format=fmt, include_images=True)

    report = run_import(project, people["manager"], first, fmt)

    assert report.problems == [], report.problems
    batch = report.batch
    assert batch.status == Batch.Status.UNASSIGNED and batch.image_count == len(dataset.images)
    assert Annotation.objects.filter(image__batch=batch).count() == sum(map(len, dataset.boxes.values()))
    assert not Annotation.objects.filter(image__batch=batch, prelabel=False).exists()
    assert report.created_classes == ["traffic light & <sign>"]
    to_dataset(batch, **people)
    second = export_bytes(project, format=fmt, include_images=True)
    assert READ[fmt](second) == READ[fmt](first)
    if fmt == "coco":
        # pycocotools reads what the import then the export wrote.
        path = tmp_path / "instances.json"
        path.write_bytes(zipfile.ZipFile(io.BytesIO(second)).read("annotations/instances_default.json"))
        coco = COCO(str(path))
        assert len(coco.getAnnIds()) == sum(map(len, dataset.boxes.values()))
        assert {c["name"] for c in coco.loadCats(coco.getCatIds())} >= {"car", "person", "traffic light & <sign>"}


# --- what is reported, and nothing half-imported -------------------------------------------------------------


def coco_zip(annotations: list, *, images=None, categories=None, files=None) -> bytes:
    images = images or [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}]
    document = {
        "images": images,
        "annotations": annotations,
        "categories": categories or [{"id": 7, "name": "car"}],
    }
    files = files if files is not None else {"images/a.jpg": jpeg_bytes(64, 48)}
    return zip_bytes({"annotations/instances.json": json.dumps(document), **files})


def box(bbox, image_id=1, category_id=7):
    return {"id": 1, "image_id": image_id, "category_id": category_id, "bbox": bbox}


def assert_nothing_stays(project, settings, classes_before: int):
    assert not Batch.objects.filter(project=project).exists()
    assert not Image.objects.filter(project=project).exists()
    assert not Annotation.objects.exists()
    assert LabelClass.objects.filter(project=project).count() == classes_before
    assert not StoredFile.objects.exists()
    assert media_files(settings) == []


def test_a_box_outside_its_image_is_reported_and_nothing_stays(project, manager, settings):
    data = coco_zip([box([10, 10, 5, 5]), box([60, 40, 10, 10])], categories=[{"id": 7, "name": "brand new"}])
    report = run_import(project, manager, data, "coco")
    assert report.batch is None
    [problem] = report.problems
    assert problem.file == "annotations/instances.json, annotation 2"
    assert "outside the image" in problem.message
    # The images were stored and the class created before the boxes were checked: all gone again.
    assert_nothing_stays(project, settings, classes_before=2)


@pytest.mark.parametrize(
    "bbox", [[1, 2, 3], [1, 2, "x", 4], [1, 2, 0, 4], [1, 2, -3, 4], ["nan", 1, 1, 1], None, [1e400, 1, 1, 1]]
)
def test_bad_coco_coordinates_are_reported(project, manager, settings, bbox):
    report = run_import(project, manager, coco_zip([box(bbox)]), "coco")
    assert report.batch is None
    assert any("bad coordinates" in problem.message for problem in report.problems)
    assert_nothing_stays(project, settings, classes_before=2)


def test_a_missing_image_is_reported_before_anything_is_stored(project, manager, settings):
    images = [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}, {"id": 2, "file_name": "gone.jpg"}]
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])], images=images), "coco")
    assert [(p.file, p.message) for p in report.problems] == [
        ("annotations/instances.json", "missing image: gone.jpg is not in the upload")
    ]
    assert report.ingest is None
    assert_nothing_stays(project, settings, classes_before=2)


def test_an_image_the_checks_refuse_takes_the_whole_import_with_it(project, manager, settings):
    files = {"images/a.jpg": b"not a picture at all"}
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])], files=files), "coco")
    assert report.batch is None
    assert report.problems or report.message
    assert_nothing_stays(project, settings, classes_before=2)


def test_a_size_that_disagrees_with_the_image_is_reported(project, manager, settings):
    images = [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}]
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])], images=images), "coco")
    assert "640×480" in report.problems[0].message and "64×48" in report.problems[0].message
    assert_nothing_stays(project, settings, classes_before=2)


def test_unknown_classes_are_refused_when_asked_then_mapped(project, manager, settings):
    categories = [{"id": 7, "name": "Automobile"}, {"id": 8, "name": "pedestrian"}]
    annotations = [box([1, 1, 5, 5]), box([2, 2, 5, 5], category_id=8)]
    data = coco_zip(annotations, categories=categories)

    refused = run_import(project, manager, data, "coco", unknown="refuse")
    assert refused.unknown_classes == ["Automobile", "pedestrian"]
    assert "Automobile, pedestrian" in refused.problems[0].message
    assert_nothing_stays(project, settings, classes_before=2)

    mapped = run_import(
        project, manager, data, "coco", unknown="refuse", mapping=parse_mapping("automobile = Car\npedestrian=person")
    )
    assert mapped.problems == []
    assert mapped.mapped_classes == {"Automobile": "car", "pedestrian": "person"}
    assert sorted(Annotation.objects.values_list("label_class__name", flat=True)) == ["car", "person"]
    assert LabelClass.objects.filter(project=project).count() == 2


def test_unknown_classes_are_created_with_free_keys(project, manager):
    data = coco_zip([box([1, 1, 5, 5])], categories=[{"id": 7, "name": "bicycle"}])
    report = run_import(project, manager, data, "coco")
    assert report.created_classes == ["bicycle"]
    assert LabelClass.objects.get(project=project, name="bicycle").key == 3


def test_a_mapping_to_a_class_the_project_lacks_is_reported(project, manager):
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])]), "coco", mapping={"car": "truck"})
    assert "no class “truck”" in report.problems[0].message


def test_a_bad_mapping_line_is_refused():
    with pytest.raises(WorkflowError):
        parse_mapping("just words")
    assert parse_mapping("a = b, C=d\n\n") == {"a": "b", "c": "d"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("0 0.5 0.5 abc 0.1", "bad coordinates"),
        ("0 0.5 0.5 0.1", "bad coordinates"),
        ("0 1.5 0.5 0.1 0.1", "between 0 and 1"),
        ("5 0.5 0.5 0.1 0.1", "not in the class list"),
        ("0 0.95 0.5 0.2 0.2", "outside the image"),
    ],
)
def test_bad_yolo_lines_are_reported_by_file_and_line(project, manager, settings, line, problem):
    data = zip_bytes(
        {
            "classes.txt": "car\n",
            "images/a.jpg": jpeg_bytes(64, 48),
            "labels/a.txt": f"0 0.5 0.5 0.2 0.2\n{line}\n",
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert [p.file for p in report.problems] == ["labels/a.txt, line 2"]
    assert problem in report.problems[0].message
    assert_nothing_stays(project, settings, classes_before=2)


def test_voc_files_with_entities_or_inverted_boxes_are_reported(project, manager, settings):
    inverted = (
        "<annotation><filename>a.jpg</filename><size><width>64</width><height>48</height></size>"
        "<object><name>car</name><bndbox><xmin>30</xmin><ymin>5</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object>"
        "</annotation>"
    )
    entity = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><annotation>&x;</annotation>'
    data = zip_bytes(
        {"JPEGImages/a.jpg": jpeg_bytes(64, 48), "Annotations/a.xml": inverted, "Annotations/b.xml": entity}
    )
    report = run_import(project, manager, data, "voc")
    messages = {p.file: p.message for p in report.problems}
    assert "xmax or ymax is below" in messages["Annotations/a.xml, object 1"]
    assert "DOCTYPE" in messages["Annotations/b.xml"]
    assert_nothing_stays(project, settings, classes_before=2)


def test_pre_labels_are_to_check_by_default(project, manager):
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])]), "coco")
    image = Image.objects.get()
    assert image.state == Image.State.NEW
    assert report.batch.done_count == 0
    assert Annotation.objects.get().prelabel is True


def test_without_to_check_pre_labelled_images_count_as_done(project, manager):
    project.prelabels_to_check = False
    project.save()
    images = [
        {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.jpg", "width": 64, "height": 48},
    ]
    files = {
        "images/a.jpg": jpeg_bytes(64, 48),
        "images/b.jpg": jpeg_bytes(64, 48, colour=(1, 2, 3)),
        "c.jpg": jpeg_bytes(64, 48, colour=(9, 9, 9)),
    }
    report = run_import(project, manager, coco_zip([box([1, 1, 5, 5])], images=images, files=files), "coco")
    states = dict(Image.objects.values_list("original_name", "state"))
    assert states == {"images/a.jpg": "annotated", "images/b.jpg": "no_objects", "c.jpg": "new"}
    batch = Batch.objects.get(pk=report.batch.pk)
    assert (batch.done_count, report.labelled_images, report.unlabelled_images) == (2, 2, 1)


def test_only_managers_import(project, annotator):
    with pytest.raises(WorkflowError):
        run_import(project, annotator, coco_zip([]), "coco")


# --- the command -----------------------------------------------------------------------------------------------


def test_import_images_with_labels_imports_a_yolo_folder(project, manager, tmp_path):
    folder = tmp_path / "dataset"
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    (folder / "images" / "a.jpg").write_bytes(jpeg_bytes(64, 48))
    (folder / "labels" / "a.txt").write_text("1 0.5 0.5 0.25 0.5\n")
    (folder / "classes.txt").write_text("car\nperson\n")
    out = io.StringIO()
    call_command("import_images", str(project.pk), str(folder), "--labels", "yolo", "--as", "manager", stdout=out)
    annotation = Annotation.objects.get()
    assert (annotation.label_class.name, annotation.x, annotation.y, annotation.w, annotation.h) == (
        "person",
        24.0,
        12.0,
        16.0,
        24.0,
    )
    assert "1 box" in out.getvalue()
    assert Batch.objects.get().name == "dataset"


def test_import_images_with_labels_fails_loudly_and_keeps_nothing(project, manager, tmp_path, settings):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(coco_zip([box([100, 1, 5, 5])]))
    out = io.StringIO()
    with pytest.raises(Exception, match="Nothing was imported"):
        call_command("import_images", str(project.pk), str(archive), "--labels", "coco", "--as", "manager", stdout=out)
    assert "outside the image" in out.getvalue()
    assert not Image.objects.exists()


# --- the page ---------------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, project, data: bytes, **fields):
    archive = io.BytesIO(data)
    archive.name = "labels.zip"
    return client.post(
        reverse("label_import", args=[project.pk]),
        {"archive": archive, "format": "coco", "unknown": "create", **fields},
    )


def test_the_upload_page_offers_the_label_import(project, manager):
    page = client_for(manager).get(reverse("upload", args=[project.pk]))
    assert reverse("label_import", args=[project.pk]) in page.content.decode()


def test_a_manager_imports_labels_from_the_page_and_sees_the_report(project, manager):
    response = upload(
        client_for(manager), project, coco_zip([box([1, 1, 5, 5])], categories=[{"id": 7, "name": "bus"}])
    )
    assert response.status_code == 200
    text = response.content.decode()
    batch = Batch.objects.get()
    assert batch.name in text and "bus" in text
    assert reverse("batch_detail", args=[project.pk, batch.pk]) in text


def test_the_page_reports_problems_and_offers_the_mapping(project, manager):
    data = coco_zip([box([1, 1, 5, 5])], categories=[{"id": 7, "name": "automobile"}])
    response = upload(client_for(manager), project, data, unknown="refuse")
    assert response.status_code == 400
    text = response.content.decode()
    assert "automobile" in text and "automobile = " in text
    assert not Batch.objects.exists()


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_members_who_do_not_manage_cannot_import(project, role, request):
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("label_import", args=[project.pk])).status_code == 403
    assert upload(client, project, coco_zip([])).status_code == 403


def test_non_members_get_404(project, outsider):
    assert upload(client_for(outsider), project, coco_zip([])).status_code == 404


def test_pre_labels_reach_the_annotate_workspace_as_boxes_and_a_save_replaces_them(project, manager, annotator):
    from batches import workflow

    report = run_import(project, manager, coco_zip([box([1.5, 2, 20, 10])]), "coco")
    batch = workflow.assign(actor=manager, batch=report.batch, assignees=[annotator]).assigned[0]
    image = Image.objects.get()
    client = client_for(annotator)
    url = reverse("annotate_image", args=[project.pk, batch.pk, image.pk])
    data = client.get(url, {"version": batch.version}).json()
    assert json.dumps(data).count("1.5") >= 1
    car = LabelClass.objects.get(project=project, name="car")
    save = reverse("annotate_save", args=[project.pk, batch.pk, image.pk]) + f"?version={batch.version}"
    response = client.post(
        save,
        json.dumps({"boxes": [{"label_class": car.pk, "x": 3, "y": 4, "w": 10, "h": 10}]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    annotation = Annotation.objects.get()
    assert (annotation.prelabel, annotation.x, annotation.author) == (False, 3, annotator)
    assert Image.objects.get().state == Image.State.ANNOTATED


def test_matching_ten_thousand_labels_to_ten_thousand_images_is_quick():
    import time

    from batches.ingest.labels import ImageLabels, LabelSet
    from batches.ingest.labels_import import LabelImportReport, _match

    paths = [f"dataset/images/train/{n:05d}_frame.jpg" for n in range(10_000)]
    labels = LabelSet(images=[ImageLabels(key=f"{n:05d}_frame.jpg", source="a.json") for n in range(10_000)])
    labels.images += [ImageLabels(key=f"labels/train/{n:05d}_frame", source="y.txt", by_stem=True) for n in range(1)]
    report = LabelImportReport(format="coco")
    started = time.process_time()  # CPU time: a test run beside others on 2 cores slows the clock, not the work
    matches = _match(labels, paths, report)
    assert time.process_time() - started < 2
    assert len(matches) == 10_000
    assert report.problems == [
        Problem("y.txt", "dataset/images/train/00000_frame.jpg is labelled twice (also in a.json)")
    ]
