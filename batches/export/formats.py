"""The three archive layouts. Each writer yields zip bytes as it reads chunks of images and boxes."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

from ..models import Project
from . import core
from .core import ArchiveWriter, Export, ExportOptions, ImageRow, boxes_inside, json_text

_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml(text: str) -> str:
    text = _XML_UNSAFE.sub("", str(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _n(value: float) -> str:
    """A pixel coordinate as a JSON number, to 1/100 pixel."""
    return f"{value:.2f}"


class CocoWriter(ArchiveWriter):
    label = "COCO JSON"
    layout = """
  annotations/instances_<subset>.json   one COCO file per subset (train, val, test; "default" without a split)
  images/<subset>/<id>_<name>.<ext>     image files (file_name in the JSON is relative to this folder)"""
    conventions = [
        "  COCO: image id = BinaBoard image id, annotation id = BinaBoard annotation id, category id = class id.",
        "  bbox = [x, y, width, height] in float pixels from the top-left corner; segmentation = the box's corners.",
        "  Images without objects are listed under images with no annotations.",
    ]

    def entries(self) -> Iterator[bytes]:
        export = self.export
        for subset in export.subsets:
            self.add(f"annotations/instances_{subset}.json", self.instances(subset))
            yield from self.drain()
            if export.options.include_images:
                for chunk in export.image_chunks():
                    for image in chunk:
                        if export.subset(image.pk) == subset:
                            yield from self.add_image(f"images/{subset}/", image)

    def instances(self, subset: str) -> Iterator[bytes]:
        """One COCO JSON document, written as it is read: the images pass, then the annotations pass."""
        export = self.export
        only = subset if export.options.split else None
        info = {
            "description": f"BinaBoard export of {export.project.name}",
            "version": "1.0",
            "year": export.created.year,
            "date_created": export.created.isoformat(),
            "subset": subset,
        }
        categories = [
            {"id": label_class.pk, "name": label_class.name, "supercategory": "object"}
            for label_class in export.classes
        ]
        yield (f'{{"info":{json_text(info)},"licenses":[],"categories":{json_text(categories)},"images":[').encode()
        separator = ""
        for chunk in export.image_chunks():
            entries = [
                json_text({"id": image.pk, "file_name": image.file_name, "width": image.width, "height": image.height})
                for image in chunk
                if only is None or export.subset(image.pk) == only
            ]
            if entries:
                yield (separator + ",".join(entries)).encode()
                separator = ","
        yield b'],"annotations":['
        separator = ""
        for pairs in export.images_with_boxes(only):
            entries = []
            for image, boxes in pairs:
                kept = boxes_inside(image, boxes)
                export.count(subset, len(kept))
                for box, (x0, y0, x1, y1) in kept:
                    # Numbers only, so formatted directly: json.dumps per box was a third of the time.
                    a, b, c, d, area = _n(x0), _n(y0), _n(x1 - x0), _n(y1 - y0), _n((x1 - x0) * (y1 - y0))
                    r, t = _n(x1), _n(y1)
                    entries.append(
                        f'{{"id":{box.pk},"image_id":{image.pk},"category_id":{box.class_id},'
                        f'"bbox":[{a},{b},{c},{d}],"area":{area},"iscrowd":0,'
                        f'"segmentation":[[{a},{b},{r},{b},{r},{t},{a},{t}]]}}'
                    )
            if entries:
                yield (separator + ",".join(entries)).encode()
                separator = ","
        yield b"]}"


class YoloWriter(ArchiveWriter):
    label = "YOLO"
    layout = """
  data.yaml                              Ultralytics dataset file (paths, class names)
  classes.txt                            class names, one a line; the line number (from 0) is the class index
  labels/[<subset>/]<id>_<name>.txt      one line per box: class cx cy w h (an empty file: no objects)
  images/[<subset>/]<id>_<name>.<ext>    image files (subset folders train, val, test only with a split)"""
    conventions = [
        "  YOLO: cx, cy, w, h are normalised by the upright image width and height (0..1), 6 decimals.",
    ]

    def folder(self, image: ImageRow) -> str:
        return f"{self.export.subset(image.pk)}/" if self.export.options.split else ""

    def entries(self) -> Iterator[bytes]:
        export = self.export
        self.add("classes.txt", "".join(f"{_one_line(c.name)}\n" for c in export.classes))
        for pairs in export.images_with_boxes():
            for image, boxes in pairs:
                kept = boxes_inside(image, boxes)
                export.count(export.subset(image.pk), len(kept))
                lines = []
                for box, (x0, y0, x1, y1) in kept:
                    cx, cy = (x0 + x1) / 2 / image.width, (y0 + y1) / 2 / image.height
                    w, h = (x1 - x0) / image.width, (y1 - y0) / image.height
                    lines.append(f"{export.class_index[box.class_id]} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n")
                self.add(f"labels/{self.folder(image)}{image.stem}.txt", "".join(lines))
            yield from self.drain()
            if export.options.include_images:
                for image, _ in pairs:
                    yield from self.add_image(f"images/{self.folder(image)}", image)
        # Last, once the images are counted: a subset no image fell into (a few images, 80/10/10) has no folder,
        # and Ultralytics stops at a val: folder that is not there ("Dataset images not found").
        self.add("data.yaml", self.data_yaml())
        yield from self.drain()

    def data_yaml(self) -> str:
        export = self.export
        if export.options.split:
            present = [name for name in export.subsets if export.tally.images.get(name)] or export.subsets
            folders = {name: f"images/{name}" for name in present}
            train = folders.get("train", f"images/{present[0]}")
            val = folders.get("val", train)
            test = folders.get("test")
        else:
            train = val = "images"
            test = None
        # JSON strings are valid YAML double-quoted scalars: any class name is safe.
        lines = [
            f"# {_one_line(export.project.name)}: exported by BinaBoard {export.created:%Y-%m-%d %H:%M}",
            # No `path:`: Ultralytics then reads train/val/test from this file's folder. `path: .` is the
            # folder training is started in (it resolves "." against the working directory), not this one.
            "# train, val and test are folders beside this file",
            f"train: {train}",
            f"val: {val}",
        ]
        if test:
            lines.append(f"test: {test}")
        lines.append(f"nc: {len(export.classes)}")
        lines.append("names:")
        lines += [f"  {index}: {json.dumps(c.name)}" for index, c in enumerate(export.classes)]
        return "\n".join(lines) + "\n"


class VocWriter(ArchiveWriter):
    label = "Pascal VOC XML"
    layout = """
  Annotations/<id>_<name>.xml            one Pascal VOC file per image (no <object>: no objects)
  JPEGImages/<id>_<name>.<ext>           image files (the folder keeps VOC's name whatever the format)
  ImageSets/Main/<subset>.txt            image names (without extension) per subset: train, val, test, or default"""
    conventions = [
        "  VOC: bndbox is 1-based inclusive integer pixels, as in the VOC devkit: xmin = round(x) + 1, xmax = round(x + w).",
        "  depth is 3 (colour) for every image.",
    ]

    def entries(self) -> Iterator[bytes]:
        export = self.export
        for pairs in export.images_with_boxes():
            for image, boxes in pairs:
                kept = boxes_inside(image, boxes)
                export.count(export.subset(image.pk), len(kept))
                self.add(f"Annotations/{image.stem}.xml", self.annotation_xml(image, kept))
            yield from self.drain()
            if export.options.include_images:
                for image, _ in pairs:
                    yield from self.add_image("JPEGImages/", image)
        for subset in export.subsets:
            self.add(f"ImageSets/Main/{subset}.txt", self.image_set(subset))
            yield from self.drain()

    def image_set(self, subset: str) -> Iterator[bytes]:
        only = subset if self.export.options.split else None
        for chunk in self.export.image_chunks():
            stems = [image.stem for image in chunk if only is None or self.export.subset(image.pk) == only]
            if stems:
                yield ("\n".join(stems) + "\n").encode()

    def annotation_xml(self, image: ImageRow, kept) -> str:
        export = self.export
        objects = []
        for box, (x0, y0, x1, y1) in kept:
            xmin = min(max(math.floor(x0 + 0.5) + 1, 1), image.width)
            ymin = min(max(math.floor(y0 + 0.5) + 1, 1), image.height)
            xmax = min(max(math.floor(x1 + 0.5), xmin), image.width)
            ymax = min(max(math.floor(y1 + 0.5), ymin), image.height)
            objects.append(
                "  <object>\n"
                f"    <name>{_xml(export.class_name[box.class_id])}</name>\n"
                "    <pose>Unspecified</pose>\n"
                "    <truncated>0</truncated>\n"
                "    <difficult>0</difficult>\n"
                f"    <bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>\n"
                "  </object>\n"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            "<annotation>\n"
            "  <folder>JPEGImages</folder>\n"
            f"  <filename>{_xml(image.file_name)}</filename>\n"
            "  <source>\n"
            "    <database>BinaBoard</database>\n"
            f"    <annotation>{_xml(export.project.name)}</annotation>\n"
            f"    <image>{_xml(image.original_name)}</image>\n"
            "  </source>\n"
            f"  <size><width>{image.width}</width><height>{image.height}</height><depth>3</depth></size>\n"
            "  <segmented>0</segmented>\n" + "".join(objects) + "</annotation>\n"
        )


# The one format registry: the export form, the command and the archive's README all read it.
WRITERS: dict[str, type[ArchiveWriter]] = {"coco": CocoWriter, "yolo": YoloWriter, "voc": VocWriter}
FORMATS = {name: writer.label for name, writer in WRITERS.items()}


def prepare_export(project: Project, options: ExportOptions) -> Export:
    """Check an export request (core.prepare_export) with the formats this module knows."""
    return core.prepare_export(project, options, WRITERS)
