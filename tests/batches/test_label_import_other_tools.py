"""Labels exported by other tools (Roboflow, Ultralytics, YOLOv5, CVAT, Label Studio) import as they mean."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from batches.api.labels import report_json
from batches.models import Annotation, Batch, LabelClass
from tests.batches import ingest_samples as samples
from tests.batches.test_label_import import run_import, zip_bytes
from tests.factories import jpeg_bytes


def yolo_archive(data_yaml: str) -> bytes:
    """Roboflow's YOLO layout: data.yaml at the top, train/ and valid/ each with images/ and labels/."""
    return zip_bytes(
        {
            "data.yaml": data_yaml,
            "README.roboflow.txt": "Exported with Roboflow",
            "train/images/x.jpg": jpeg_bytes(200, 100),
            "train/labels/x.txt": "0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n",
            "valid/images/y.jpg": jpeg_bytes(100, 200),
            "valid/labels/y.txt": "1 0.5 0.5 1 1\n",
        }
    )


def boxes_by_class(project) -> list[tuple[str, str, float, float, float, float]]:
    return sorted(
        (a.image.original_name, a.label_class.name, a.x, a.y, a.w, a.h)
        for a in Annotation.objects.filter(image__project=project).select_related("image", "label_class")
    )


@pytest.mark.parametrize(
    ("data_yaml", "first", "second"),
    [
        ("nc: 2\nnames: ['car', 'person']\n", "car", "person"),  # Roboflow, YOLOv5
        ("names: [car, person]\n", "car", "person"),  # plain flow list
        ("names: [\"driver's seat\", 'the ''other'' one']\n", "driver's seat", "the 'other' one"),
        ("names: [ 'car',  # a comment\n         'person' ]\nnc: 2\n", "car", "person"),  # YOLOv5 coco.yaml
        ("path: ../x\ntrain: images/train\nnames:\n  - car\n  - person\n", "car", "person"),  # block list
        ("names:\n- car\n- 'person'  # the second\nnc: 2\n", "car", "person"),  # block list at the key's indent
        ("names:\n  0: car\n  1: 'person'  # x\n", "car", "person"),  # Ultralytics
        ("names: {0: car, 1: person}\n", "car", "person"),  # flow mapping
        ("names:\n  - خودرو\n  - 'عابر پیاده'\n", "خودرو", "عابر پیاده"),  # Persian names
        ('names:\n  0: "\\u062e\\u0648\\u062f\\u0631\\u0648"\n  1: "a: b"\n', "خودرو", "a: b"),  # our own export
        ("names: [no, null]\n", "no", "null"),  # YAML 1.1's false and None are names as written
        ("names:\n  0: 1e3\n  1: 007\n", "1e3", "007"),  # and so are numbers
        ("base: &classes [car, person]\nnames: *classes\n", "car", "person"),  # an alias
        ("names: [!!python/name:os.system car, !!int person]\n", "car", "person"),  # tags: never constructed
    ],
)
def test_every_common_data_yaml_form_gives_the_class_names_in_their_order(project, manager, data_yaml, first, second):
    report = run_import(project, manager, yolo_archive(data_yaml), "yolo")
    assert report.problems == []
    assert boxes_by_class(project) == sorted(
        [
            ("train/images/x.jpg", first, 80.0, 40.0, 40.0, 20.0),
            ("train/images/x.jpg", second, 10.0, 5.0, 20.0, 10.0),
            ("valid/images/y.jpg", second, 0.0, 0.0, 100.0, 200.0),
        ]
    )


@pytest.mark.parametrize(
    "data_yaml",
    [
        "names:\n  0: car\n  2: person\n",  # index 1 missing: every class after it would shift
        "names: 'car'\n",
        "names: [car, [bus]]\n",
        "names: ['car', 'bus'\n",
    ],
)
def test_a_data_yaml_whose_names_cannot_be_read_says_so_in_the_persons_language(project, manager, data_yaml):
    classes = set(LabelClass.objects.filter(project=project))
    with translation.override("fa"):
        report = run_import(project, manager, yolo_archive(data_yaml), "yolo")
    assert [problem.file for problem in report.problems] == ["data.yaml"]
    assert "نام کلاس‌هایش" in report.problems[0].message
    assert not Batch.objects.filter(project=project).exists()
    assert set(LabelClass.objects.filter(project=project)) == classes


def test_a_coco_export_s_readme_files_are_not_refused_as_pictures(project, manager):
    """Roboflow's COCO zip (and BinaBoard's own) carries README text files beside the JSON and the images."""
    document = {
        "images": [{"id": 0, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 0, "name": "vehicles"}, {"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 0, "category_id": 1, "bbox": [1, 2, 10, 20]}],
    }
    data = zip_bytes(
        {
            "README.dataset.txt": "A dataset",
            "README.roboflow.txt": "Exported with Roboflow",
            "README.txt": "BinaBoard export",
            "images.csv": "subset,file_name,width,height,original_name\r\ndefault,1_a.jpg,64,48,a.jpg\r\n",
            "train/_annotations.coco.json": json.dumps(document),
            "train/a.jpg": jpeg_bytes(64, 48),
        }
    )
    report = run_import(project, manager, data, "coco")
    assert report.problems == []
    assert [(o.name, o.kept) for o in report.ingest.outcomes] == [("labels.zip/train/a.jpg", True)]


def test_cvat_yolo_files_and_readmes_beside_the_labels_are_neither_labels_nor_pictures(project, manager):
    """CVAT's YOLO 1.1: obj.names, obj.data, train.txt and the label files beside their images; plus a README."""
    data = zip_bytes(
        {
            "obj.names": "car\n",
            "obj.data": "classes = 1\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
            "train.txt": "data/obj_train_data/a.jpg\n",
            "README.roboflow.txt": "Exported with Roboflow",
            "obj_train_data/a.jpg": jpeg_bytes(64, 48),
            "obj_train_data/a.txt": "0 0.5 0.5 0.25 0.5\n",
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert report.problems == []
    assert [(o.name, o.kept) for o in report.ingest.outcomes] == [("labels.zip/obj_train_data/a.jpg", True)]
    assert boxes_by_class(project) == [("obj_train_data/a.jpg", "car", 24.0, 12.0, 16.0, 24.0)]


def coco_from_another_tool() -> bytes:
    """Category ids from 0 (Roboflow's super-category), a polygon, a crowd region with its RLE mask."""
    document = {
        "images": [{"id": 0, "file_name": "frames/a.jpg", "width": 200, "height": 100}],
        "categories": [
            {"id": 0, "name": "vehicles", "supercategory": "none"},
            {"id": 1, "name": "car", "supercategory": "vehicles"},
            {"id": 5, "name": "person", "supercategory": "vehicles"},
        ],
        "annotations": [
            {"id": 1, "image_id": 0, "category_id": 1, "bbox": [10, 10, 50, 40], "area": 2000, "iscrowd": 0,
             "segmentation": [[10, 10, 60, 10, 60, 50, 10, 50]]},
            {"id": 2, "image_id": 0, "category_id": 5, "bbox": [100, 20, 40, 60], "area": 2400, "iscrowd": 1,
             "segmentation": {"counts": [0, 10, 20], "size": [100, 200]}},
            {"id": 3, "image_id": 0, "category_id": 0, "bbox": [0, 0, 200, 100], "area": 20000},
        ],
    }  # fmt: skip
    return zip_bytes({"train/_annotations.coco.json": json.dumps(document), "train/frames/a.jpg": jpeg_bytes(200, 100)})


def test_a_coco_crowd_region_is_not_imported_as_one_object_and_the_page_says_so_in_persian(project, manager):
    manager.language = "fa"
    manager.save(update_fields=["language"])
    client = Client()
    client.force_login(manager)
    archive = io.BytesIO(coco_from_another_tool())
    archive.name = "roboflow.zip"
    response = client.post(
        reverse("label_import", args=[project.pk]), {"archive": archive, "format": "coco", "unknown": "create"}
    )
    assert response.status_code == 200
    assert boxes_by_class(project) == [
        ("train/frames/a.jpg", "car", 10.0, 10.0, 50.0, 40.0),
        ("train/frames/a.jpg", "vehicles", 0.0, 0.0, 200.0, 100.0),
    ]
    text = " ".join(response.content.decode().split())
    assert "۱ ناحیهٔ جمعیِ COCO ‏(iscrowd 1) وارد نشد: هر کادر اینجا یک شیء است." in text


def test_the_command_and_the_api_count_the_crowd_regions_too(project, manager):
    report = run_import(project, manager, coco_from_another_tool(), "coco")
    assert (report.boxes, report.crowd_skipped) == (2, 1)
    assert report_json(report)["crowd_skipped"] == 1


def test_a_cvat_voc_box_at_the_top_left_edge_imports_instead_of_refusing_the_import(project, manager):
    """CVAT (and LabelImg, Label Studio) write 0-based VOC values: xmin 0 was read as a box starting outside."""
    xml = (
        "<annotation><filename>cv.jpg</filename><size><width>200</width><height>100</height><depth>3</depth></size>"
        "<object><name>car</name><truncated>1</truncated><difficult>0</difficult><occluded>0</occluded>"
        "<bndbox><xmin>0.0</xmin><ymin>0.0</ymin><xmax>50.5</xmax><ymax>40.25</ymax></bndbox></object>"
        "<object><name>person</name><difficult>1</difficult>"
        "<bndbox><xmin>151</xmin><ymin>51</ymin><xmax>200</xmax><ymax>100</ymax></bndbox></object></annotation>"
    )
    data = zip_bytes(
        {
            "Annotations/cv.xml": xml,
            "JPEGImages/cv.jpg": jpeg_bytes(200, 100),
            "ImageSets/Main/default.txt": "cv\n",
            "labelmap.txt": "# label:color_rgb:parts:actions\ncar:250,50,83::\nperson:0,0,255::\n",
        }
    )
    report = run_import(project, manager, data, "voc")
    assert report.problems == []
    assert boxes_by_class(project) == [
        ("JPEGImages/cv.jpg", "car", 0.0, 0.0, 50.5, 40.25),
        ("JPEGImages/cv.jpg", "person", 150.0, 50.0, 50.0, 50.0),
    ]


def test_yolo_values_a_rounding_error_past_one_import_as_a_box_at_the_edge(project, manager):
    """Label Studio and others compute (x + w) / 100 in floats: a full-width box can be 1.0000000000000002 wide."""
    data = zip_bytes(
        {
            "classes.txt": "car\n",
            "images/a.jpg": jpeg_bytes(200, 100),
            "labels/a.txt": "0 0.5 0.5 1.0000000000000002 0.2\n0 0.95 0.5 0.1 1.000001\n",
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert report.problems == []
    boxes = boxes_by_class(project)
    assert [b[1] for b in boxes] == ["car", "car"]
    assert boxes[0][2:] == pytest.approx((0.0, 40.0, 200.0, 20.0))
    assert all(x >= 0 and x + w <= 200 and y >= 0 and y + h <= 100 for _, _, x, y, w, h in boxes)


def test_pixel_values_in_a_yolo_file_are_still_refused_as_no_yolo_values(project, manager):
    data = zip_bytes({"classes.txt": "car\n", "images/a.jpg": jpeg_bytes(200, 100), "labels/a.txt": "0 100 50 20 10\n"})
    report = run_import(project, manager, data, "yolo")
    assert [p.message for p in report.problems] == ["bad coordinates: YOLO values are between 0 and 1"]


@pytest.mark.parametrize(
    "label",
    [
        "0 0.5 0.5 0.002 0.2\n",  # 0.4 pixel wide on a 200 pixel wide image
        "0 0.9995 0.5 0.0025 0.2\n",  # 0.5 pixel wide once cut at the right edge
    ],
)
def test_a_box_under_a_pixel_is_reported_because_its_image_could_never_be_saved(project, manager, label):
    """The workspace sends every box of an image on save and refuses one under a pixel: the annotator was stuck."""
    data = zip_bytes({"classes.txt": "car\n", "images/a.jpg": jpeg_bytes(200, 100), "labels/a.txt": label})
    with translation.override("fa"):
        report = run_import(project, manager, data, "yolo")
    assert [p.file for p in report.problems] == ["labels/a.txt، خط ۱"]
    assert report.problems[0].message.startswith("کادر از یک پیکسل کوچک‌تر است")
    assert not Batch.objects.filter(project=project).exists()


def test_a_one_pixel_box_a_rounding_error_short_imports_as_one_pixel(project, manager):
    data = zip_bytes(
        {
            "classes.txt": "car\n",
            "images/a.jpg": jpeg_bytes(640, 480),
            "labels/a.txt": "0 0.999219 0.5 0.001562 0.002083\n",
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert report.problems == []
    (box,) = Annotation.objects.filter(image__project=project)
    assert (box.w, box.h) == (1.0, 1.0) and box.x + box.w <= 640


def test_coco_labels_drawn_on_a_phone_photo_before_its_exif_orientation_say_so(project, manager):
    """The photo is stored upright (40×60); a tool that ignored its EXIF orientation labelled it 60×40."""
    document = {
        "images": [{"id": 1, "file_name": "phone.jpg", "width": 60, "height": 40}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [30, 10, 20, 20]}],
    }
    data = zip_bytes({"instances.json": json.dumps(document), "phone.jpg": samples.rotated_jpeg(6)})
    with translation.override("fa"):
        report = run_import(project, manager, data, "coco")
    (problem,) = report.problems
    assert "پیش از اعمال جهت EXIF" in problem.message and "۴۰×۶۰" in problem.message
    assert not Batch.objects.filter(project=project).exists()


@pytest.mark.parametrize("names_file", ["classes.txt", "data.yaml"])
def test_yolo_files_saved_by_windows_notepad_with_a_byte_order_mark_import(project, manager, names_file):
    """The mark made the first line "\\ufeff0 0.5 ..." ("bad coordinates") and the data.yaml's names unreadable."""
    bom = "\ufeff"
    names = "car\nbus\n" if names_file == "classes.txt" else "names:\n  0: car\n  1: bus\n"
    data = zip_bytes(
        {
            names_file: (bom + names).encode(),
            "images/a.jpg": jpeg_bytes(200, 100),
            "labels/a.txt": (bom + "1 0.5 0.5 0.2 0.2\r\n0 0.1 0.1 0.1 0.1\r\n").encode(),
        }
    )
    report = run_import(project, manager, data, "yolo")
    assert report.problems == []
    assert [b[1] for b in boxes_by_class(project)] == ["bus", "car"]
