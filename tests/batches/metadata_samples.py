"""Sample files that carry every kind of metadata a photo can give away, and byte-wise checks for it."""

from __future__ import annotations

import functools
import io
import struct

from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageCms, PngImagePlugin

from tests.batches import ingest_samples as samples

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
SCRIPT = b"<script>alert(document.cookie)</script>"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@functools.cache
def srgb_profile() -> bytes:
    # Cached: a profile made now carries the time it was made.
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def telling_exif(orientation: int = 1) -> bytes:
    """EXIF with a camera, a MakerNote, and a GPS position (Amsterdam), as phones write it."""
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[ORIENTATION] = orientation
    exif[0x927C] = b"MakerNote: serial 12345"  # MakerNote
    exif[GPS_IFD] = {0x0001: "N", 0x0002: (52.0, 22.0, 10.0), 0x0003: "E", 0x0004: (4.0, 53.0, 1.0), 0x001B: "GPS"}
    return exif.tobytes()


def telling_jpeg(width: int = 120, height: int = 80, orientation: int = 1, seed: int = 1) -> bytes:
    return samples.encode(
        samples.picture(width, height, seed=seed),
        "JPEG",
        exif=telling_exif(orientation),
        comment=SCRIPT,
        xmp=XMP,
        icc_profile=srgb_profile(),
        quality=90,
    )


def telling_png(seed: int = 2) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    info.add_text("Location", "52.37 N, 4.89 E", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    return samples.encode(samples.picture(64, 48, seed=seed), "PNG", pnginfo=info, exif=telling_exif())


def telling_webp() -> bytes:
    return samples.encode(samples.picture(64, 48, seed=3), "WEBP", exif=telling_exif(), xmp=XMP, quality=90)


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the first scan."""
    markers, pos = [], 2
    while pos < len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        kinds.append(kind)
        pos += 12 + length
    return kinds


def assert_no_metadata(data: bytes) -> None:
    for telltale in (b"Exif\x00\x00", b"GPS", b"PhoneMaker", b"MakerNote", b"<x:xmpmeta", b"<script>", b"52.37"):
        assert telltale not in data, telltale
    if data.startswith(b"\xff\xd8"):
        markers = jpeg_markers(data)
        assert 0xFE not in markers  # COM
        assert not {0xE1, 0xED} & set(markers)  # APP1 (EXIF, XMP), APP13 (IPTC)
    elif data.startswith(b"\x89PNG"):
        assert not {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"} & set(png_chunks(data))
    elif data[:4] == b"RIFF":
        assert b"EXIF" not in data and b"XMP " not in data


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def pixels(data: bytes) -> bytes:
    with PILImage.open(io.BytesIO(data)) as im:
        return im.convert("RGB").tobytes()
