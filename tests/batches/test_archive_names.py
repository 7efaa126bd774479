"""Names of zip entries written as UTF-8 without the UTF-8 flag (Info-ZIP's `zip` on Linux and macOS, and others)."""

from __future__ import annotations

import io
import json
import zipfile

from batches.ingest.pipeline import Source, ingest
from batches.models import Annotation, Image
from tests.batches import ingest_samples as samples
from tests.batches.test_label_import import run_import


def unflagged_zip(files: dict[str, bytes]) -> bytes:
    """A zip as `zip -r` writes it on a UTF-8 system: the names' UTF-8 bytes, general-purpose flag 0x800 not set."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + flag_at + 1] &= ~0x08  # bit 11 is bit 3 of the flag's high byte
            start = data.find(signature, start + 4)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as check:
        assert all(not info.flag_bits & 0x800 for info in check.infolist())
        assert "پوشه/عکس.jpg" not in check.namelist()  # zipfile alone reads them as CP437
    return bytes(data)


def test_persian_names_in_a_zip_without_the_utf8_flag_are_kept_as_written(project, manager):
    data = unflagged_zip({"پوشه/عکس.jpg": samples.jpeg(seed=1), "plain/a.jpg": samples.jpeg(seed=2)})
    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("trip.zip", data)], workers=1)
    assert [o.name for o in report.kept] == ["trip.zip/پوشه/عکس.jpg", "trip.zip/plain/a.jpg"]
    assert sorted(Image.objects.values_list("original_name", flat=True)) == ["plain/a.jpg", "پوشه/عکس.jpg"]


def test_labels_naming_a_persian_file_find_it_in_a_zip_without_the_utf8_flag(project, manager):
    """It was "missing image: پوشه/عکس.jpg is not in the upload", and nothing was imported."""
    document = {
        "images": [{"id": 1, "file_name": "پوشه/عکس.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 20]}],
    }
    data = unflagged_zip({"annotations/instances.json": json.dumps(document), "پوشه/عکس.jpg": samples.jpeg(seed=3)})
    report = run_import(project, manager, data, "coco")
    assert report.problems == []
    assert list(Annotation.objects.values_list("image__original_name", "x", "y", "w", "h")) == [
        ("پوشه/عکس.jpg", 1.0, 2.0, 10.0, 20.0)
    ]


def test_cp437_names_that_are_not_utf8_stay_as_zipfile_reads_them(project, manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plain.jpg", samples.jpeg(seed=4))
    data = buffer.getvalue().replace(b"plain.jpg", "pl\u00e4in.jpg".encode("cp437"))  # ä is 0x84: not UTF-8
    report = ingest(actor=manager, project=project, sources=[Source.from_bytes("old.zip", data)], workers=1)
    assert [o.name for o in report.kept] == ["old.zip/pläin.jpg"]
