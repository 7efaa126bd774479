"""Reading existing labels (COCO, YOLO, Pascal VOC) that travel with their images in a zip or a folder.

The readers understand what batches/export writes (and the common variants of each format): they
read the label files only, never the images, and return boxes keyed by the image path the labels
name, plus a problem for every file or line they cannot use. labels_import.py matches the boxes to
the images ingest keeps, checks them against each image's real size and writes them as pre-labels.

Coordinates become BinaBoard's: pixels of the upright image, top-left origin, float x, y, w, h.
- COCO `bbox` is that already.
- YOLO `class cx cy w h` is normalised: it is scaled by the image's size once the image is known.
- VOC `bndbox` is 1-based inclusive: x = xmin - 1, w = xmax - xmin + 1 (the inverse of the export); a 0 (from
  tools that write 0-based values) is the image's edge.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.calendars import localise_digits

FORMATS = {"coco": "COCO JSON", "yolo": "YOLO", "voc": "Pascal VOC XML"}
FORMAT_CHOICES = [(key, label) for key, label in FORMATS.items()]
# The label files each format reads; every other file is taken for an image.
LABEL_SUFFIXES = {
    "coco": (".json",),
    "yolo": (".txt", ".yaml", ".yml"),
    "voc": (".xml", ".txt"),  # .txt: ImageSets/Main lists
}
MAX_LABEL_FILE = 200 * 1024 * 1024  # one COCO file can be large; YOLO/VOC files are small
UNKNOWN_CHOICES = [
    ("create", gettext_lazy("Create them as new classes")),
    ("refuse", gettext_lazy("Refuse the import and list them (map them below first)")),
]


class LabelsError(Exception):
    """The labels cannot be imported; `problems` say why, file by file."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    file: str
    message: str


MAX_PROBLEMS = 200  # listed in a report; the others are only counted


class ProblemList(list):
    """Problems as they are found, the first MAX_PROBLEMS kept: a label file of a million bad lines
    costs a count, not a million rows in memory and on the page."""

    def __init__(self, *args):
        super().__init__(*args)
        self.more = 0

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(problem)
        else:
            self.more += 1

    def add(self, problems) -> None:
        for problem in problems:
            self.append(problem)
        self.more += getattr(problems, "more", 0)

    def summed_up(self) -> ProblemList:
        """The kept problems, and one more line saying how many were left out."""
        if self.more:
            more = ngettext("…and %(count)d more problem.", "…and %(count)d more problems.", self.more)
            super().append(Problem("", localise_digits(more % {"count": self.more})))
            self.more = 0
        return self


@dataclass
class RawBox:
    class_name: str
    x: float
    y: float
    w: float
    h: float
    normalised: bool = False  # YOLO: cx, cy, w, h in 0..1
    where: str = ""  # file (and line) it came from, for the report


@dataclass
class ImageLabels:
    """The boxes one label file (or COCO image entry) gives one image."""

    key: str  # the image as the labels name it (a path, or a path without extension for YOLO)
    source: str  # the label file
    boxes: list[RawBox] = field(default_factory=list)
    size: tuple[int, int] | None = None  # width, height as the labels say (COCO, VOC)
    by_stem: bool = False  # YOLO: key has no extension


@dataclass
class LabelSet:
    images: list[ImageLabels] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=ProblemList)
    label_files: set[str] = field(default_factory=set)  # consumed: not images
    crowd: int = 0  # COCO crowd regions (iscrowd 1) passed over

    def class_names(self) -> list[str]:
        names = dict.fromkeys(box.class_name for labels in self.images for box in labels.boxes)
        return list(names)


# Files that travel with labels and are no picture: an export's README and image list (BinaBoard's, Roboflow's
# README.dataset.txt), CVAT's obj.names and obj.data, Label Studio's notes.json. Taken as label files, so
# ingest never lists them as "not an image"; each reader uses what it understands (YOLO: obj.names).
COMPANION_SUFFIXES = (".txt", ".md", ".csv")  # .csv: the image list of BinaBoard's export, Roboflow's
COMPANION_NAMES = {"obj.names", "obj.data", "notes.json"}


def is_label_file(fmt: str, name: str) -> bool:
    lower = name.lower()
    return lower.endswith(LABEL_SUFFIXES[fmt] + COMPANION_SUFFIXES) or lower.rpartition("/")[2] in COMPANION_NAMES


def is_companion(name: str) -> bool:
    return name.lower().rpartition("/")[2] in COMPANION_NAMES


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _id(value):
    """A COCO id as a lookup key: a JSON list or object (unhashable) is no id."""
    return None if isinstance(value, (list, dict)) else value


# --- COCO -----------------------------------------------------------------------------------------------


def read_coco(files: dict[str, bytes], labels: LabelSet) -> None:
    found = False
    seen_files: dict[str, str] = {}
    for name, data in files.items():
        if not name.lower().endswith(".json") or is_companion(name):
            continue
        labels.label_files.add(name)
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            labels.problems.append(Problem(name, _("not valid JSON")))
            continue
        if not isinstance(document, dict) or not isinstance(document.get("images"), list):
            labels.problems.append(Problem(name, _("not a COCO file (no “images” list)")))
            continue
        found = True
        categories = {}
        for category in document.get("categories") or []:
            if isinstance(category, dict) and isinstance(category.get("name"), str) and category["name"].strip():
                categories[_id(category.get("id"))] = category["name"].strip()
        images: dict = {}
        for entry in document["images"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("file_name"), str):
                labels.problems.append(Problem(name, _("an image entry without a file_name")))
                continue
            file_name = entry["file_name"].replace("\\", "/")
            width, height = _number(entry.get("width")), _number(entry.get("height"))
            size = (int(width), int(height)) if width and height else None
            if file_name in seen_files:
                labels.problems.append(
                    Problem(
                        name,
                        _("%(image)s is listed again (also in %(other)s)")
                        % {"image": file_name, "other": seen_files[file_name]},
                    )
                )
                continue
            seen_files[file_name] = name
            image = ImageLabels(key=file_name, source=name, size=size)
            images[_id(entry.get("id"))] = image
            labels.images.append(image)
        for index, annotation in enumerate(document.get("annotations") or [], start=1):
            where = _("%(file)s, annotation %(n)s") % {"file": name, "n": localise_digits(str(index))}
            if not isinstance(annotation, dict):
                labels.problems.append(Problem(where, _("not an object")))
                continue
            if annotation.get("iscrowd") in (1, True):
                # A crowd region marks many objects at once (evaluation ignores it); as a box it would come back
                # out of the export as one object of its class. Passed over, and counted in the report.
                labels.crowd += 1
                continue
            image = images.get(_id(annotation.get("image_id")))
            if image is None:
                labels.problems.append(
                    Problem(
                        where, _("its image_id %(id)s is not among the images") % {"id": annotation.get("image_id")}
                    )
                )
                continue
            class_name = categories.get(_id(annotation.get("category_id")))
            if class_name is None:
                labels.problems.append(
                    Problem(
                        where,
                        _("its category_id %(id)s is not among the categories") % {"id": annotation.get("category_id")},
                    )
                )
                continue
            bbox = annotation.get("bbox")
            numbers = [_number(v) for v in bbox] if isinstance(bbox, list) and len(bbox) == 4 else None
            if numbers is None or None in numbers:
                labels.problems.append(
                    Problem(where, _("bad coordinates: bbox must be four numbers [x, y, width, height]"))
                )
                continue
            image.boxes.append(RawBox(class_name, *numbers, where=where))
    if not found and not labels.problems:
        labels.problems.append(Problem("", _("No COCO annotation file (.json) was found.")))


# --- YOLO -----------------------------------------------------------------------------------------------

YOLO_SLACK = 1e-3
NOT_LABELS = {"readme", "license", "licence", "train", "val", "test", "classes"}
NOT_LABELS_DOTTED = ("readme.", "license.", "licence.")  # README.roboflow.txt, README.dataset.txt
# libyaml's reader where PyYAML was built with it (its wheels are), the pure-Python one otherwise.
YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _yaml_names(text: str) -> list[str] | None:
    """The class names of a data.yaml (Ultralytics, YOLOv5, Roboflow, CVAT, Label Studio): `names:` as a list
    (`[car, bus]` or `- car` a line) or a mapping from 0, 1, 2 … (`0: car` a line, or `{0: car}`).

    Read with PyYAML's BaseLoader: every value stays the text it was written as (a class named `no`, `null` or
    `1e3` is that name, not false, None or a number) and no tag is ever constructed. None when the file is not
    YAML or its names are not such a list or mapping of plain names.
    """
    try:
        data = yaml.load(text, Loader=YAML_LOADER)  # BaseLoader builds strings, lists and dicts only
    except (yaml.YAMLError, RecursionError):
        return None
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, list):
        return names if names and all(isinstance(name, str) for name in names) else None
    if isinstance(names, dict):
        indexed = {}
        for key, name in names.items():
            if not (
                isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 9 and isinstance(name, str)
            ):
                return None
            indexed[int(key)] = name
        return _in_order(indexed)
    return None


def _in_order(indexed: dict[int, str]) -> list[str] | None:
    """0: a, 1: b, ... as a list; None when an index is missing (every later class would shift by one)."""
    return [indexed[i] for i in range(len(indexed))] if indexed and set(indexed) == set(range(len(indexed))) else None


def read_yolo(files: dict[str, bytes], labels: LabelSet) -> None:
    classes: list[str] | None = None
    unreadable = ""  # a data.yaml whose names: could not be read
    for name, data in files.items():
        if PurePosixPath(name).name.lower() in {"classes.txt", "obj.names"}:
            labels.label_files.add(name)
            classes = [line.strip() for line in data.decode("utf-8-sig", "replace").splitlines() if line.strip()]
    for name, data in files.items():
        if name.lower().endswith((".yaml", ".yml")):
            labels.label_files.add(name)
            if classes is None:
                text = data.decode("utf-8-sig", "replace")
                classes = _yaml_names(text)
                if classes is None and any(line.startswith("names:") for line in text.splitlines()):
                    unreadable = name
    if not classes and unreadable:
        labels.problems.append(
            Problem(
                unreadable,
                _("its class names cannot be read: write them as a list (names: [car, bus]) or one “0: car” a line"),
            )
        )
        return
    if not classes:
        labels.problems.append(
            Problem("", _("No class names were found: add classes.txt (one name a line) or data.yaml."))
        )
        return
    # Label files live under a labels/ folder (Ultralytics, our export); without one, beside their images.
    in_folder = any("labels" in PurePosixPath(name).parts[:-1] for name in files)
    for name, data in files.items():
        path = PurePosixPath(name)
        if not name.lower().endswith(".txt") or name in labels.label_files:
            continue
        labels.label_files.add(name)
        stem = path.stem.lower()
        if (in_folder and "labels" not in path.parts[:-1]) or stem in NOT_LABELS or stem.startswith(NOT_LABELS_DOTTED):
            continue  # README.txt, train.txt lists, ...
        parts = list(path.with_suffix("").parts)
        # labels/<subset>/x.txt labels images/<subset>/x.<ext>: the same path, folder renamed.
        if "labels" in parts:
            parts[len(parts) - 1 - parts[::-1].index("labels")] = "images"
        image = ImageLabels(key="/".join(parts), source=name, by_stem=True)
        labels.images.append(image)
        for number, line in enumerate(data.decode("utf-8-sig", "replace").splitlines(), start=1):
            if not line.strip():
                continue
            where = _("%(file)s, line %(n)s") % {"file": name, "n": localise_digits(str(number))}
            fields = line.split()
            values = [_number(v) for v in fields[1:]]
            # The class index: ASCII digits only ("²".isdigit() is true), and short enough to be an index.
            plain_index = fields[0].isascii() and fields[0].isdigit() and len(fields[0]) <= 9 if fields else False
            if len(fields) != 5 or None in values or not plain_index:
                labels.problems.append(Problem(where, _("bad coordinates: a line is “class cx cy w h”")))
                continue
            index = int(fields[0])
            if index >= len(classes):
                labels.problems.append(
                    Problem(
                        where,
                        localise_digits(
                            _("class %(index)d is not in the class list (%(count)d classes)")
                            % {"index": index, "count": len(classes)}
                        ),
                    )
                )
                continue
            # A hair past 0..1 is another tool's float rounding (a full-width box written as 1.0000000000000002):
            # the pixel check cuts it at the edge, within half a pixel. Far past it, these are no YOLO values.
            if any(v < -YOLO_SLACK or v > 1 + YOLO_SLACK for v in values):
                labels.problems.append(Problem(where, _("bad coordinates: YOLO values are between 0 and 1")))
                continue
            cx, cy, w, h = values
            image.boxes.append(RawBox(classes[index], cx, cy, w, h, normalised=True, where=where))


# --- Pascal VOC -----------------------------------------------------------------------------------------


def _declares_entities(data: bytes) -> bool:
    """A DOCTYPE or an entity declaration, in UTF-8 or in UTF-16 (which expat also reads, with or without BOM)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", "replace")
    elif b"\x00" in data[:4]:
        text = data.decode("utf-16-be" if data[:1] == b"\x00" else "utf-16-le", "replace")
    else:
        return b"<!DOCTYPE" in data or b"<!ENTITY" in data
    return "<!DOCTYPE" in text or "<!ENTITY" in text


def read_voc(files: dict[str, bytes], labels: LabelSet) -> None:
    found = False
    for name, data in files.items():
        lower = name.lower()
        if lower.endswith(".txt"):
            labels.label_files.add(name)  # ImageSets lists: nothing to read
            continue
        if not lower.endswith(".xml"):
            continue
        labels.label_files.add(name)
        if _declares_entities(data):
            labels.problems.append(Problem(name, _("XML with a DOCTYPE or entities is not read")))
            continue
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError:
            labels.problems.append(Problem(name, _("not valid XML")))
            continue
        if root.tag != "annotation":
            labels.problems.append(Problem(name, _("not a Pascal VOC file (no <annotation>)")))
            continue
        found = True
        file_name = (root.findtext("filename") or "").strip().replace("\\", "/")
        width, height = _number(root.findtext("size/width")), _number(root.findtext("size/height"))
        key = file_name or PurePosixPath(name).stem
        image = ImageLabels(key=key, source=name, size=(int(width), int(height)) if width and height else None)
        image.by_stem = not file_name
        labels.images.append(image)
        for index, element in enumerate(root.iter("object"), start=1):
            where = _("%(file)s, object %(n)s") % {"file": name, "n": localise_digits(str(index))}
            class_name = (element.findtext("name") or "").strip()
            if not class_name:
                labels.problems.append(Problem(where, _("an object without a <name>")))
                continue
            values = [_number(element.findtext(f"bndbox/{tag}")) for tag in ("xmin", "ymin", "xmax", "ymax")]
            if None in values:
                labels.problems.append(Problem(where, _("bad coordinates: <bndbox> needs xmin, ymin, xmax, ymax")))
                continue
            xmin, ymin, xmax, ymax = values
            if xmax < xmin or ymax < ymin:
                labels.problems.append(Problem(where, _("bad coordinates: xmax or ymax is below xmin or ymin")))
                continue
            # 1-based: xmin 1 is the first column. CVAT, LabelImg and Label Studio write 0-based values, so a box
            # at the image's edge has xmin 0 there: the edge, not a column outside the image (which refused the import).
            x0, y0 = max(xmin - 1, 0.0), max(ymin - 1, 0.0)
            image.boxes.append(RawBox(class_name, x0, y0, xmax - x0, ymax - y0, where=where))
    if not found and not labels.problems:
        labels.problems.append(Problem("", _("No Pascal VOC annotation file (.xml) was found.")))


READERS = {"coco": read_coco, "yolo": read_yolo, "voc": read_voc}


def read_labels(fmt: str, files: dict[str, bytes]) -> LabelSet:
    """Every label file of the format, by its path in the archive or folder."""
    labels = LabelSet()
    READERS[fmt](files, labels)
    return labels
