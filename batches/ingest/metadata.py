"""Metadata out of stored images, without touching a pixel: EXIF (GPS, MakerNote), XMP, IPTC, comments, text.

A photo's EXIF can say where it was taken; a JPEG comment or a PNG text chunk can carry anything
(a `<script>` included). None of it is needed to see or annotate the picture, so it is removed from
every file ingest stores: by rewriting the container, never by re-encoding (no quality lost, and
a fraction of the time). The orientation is applied to the pixels before (check.py), so dropping
EXIF never turns a picture.

Kept on purpose:
- the ICC colour profile (JPEG APP2 "ICC_PROFILE", PNG iCCP, WebP ICCP): without it colours shift;
  it describes the camera's or editor's colour space, not the person or the place;
- what decoders need to read the pixels right: JFIF (APP0) and Adobe (APP14, which says how CMYK
  and YCCK JPEGs are coded), PNG transparency/gamma/chromaticity/sRGB/bit-depth/background/pixel
  size chunks, WebP's VP8X header (its EXIF and XMP flags cleared).

Everything after the end of a JPEG is dropped too: phones append further pictures there (MPF),
each with its own EXIF.
"""

from __future__ import annotations

import re
import struct

# JPEG markers kept before the first scan: JFIF, ICC profile, Adobe; everything else that is an
# APPn (EXIF, XMP, IPTC, MPF, maker data) or a COM comment goes.
_APP0, _APP2, _APP14, _COM = 0xE0, 0xE2, 0xEE, 0xFE
_SOS, _EOI = 0xDA, 0xD9
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length
# In entropy-coded data 0xFF is followed by 0x00 (stuffing), RSTn or fill 0xFFs; anything else is a marker.
_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND",  # critical
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs",  # how to show the pixels
    b"cICP", b"mDCV", b"cLLI",  # HDR colour (PNG 3rd edition)
}  # fmt: skip
WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"ANIM", b"ANMF"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


class BadContainer(ValueError):
    """The bytes do not parse as the container they claim to be."""


def strip_metadata(fmt: str, data: bytes) -> bytes:
    """The same picture without its metadata; the very same object when there was nothing to remove."""
    if fmt == "JPEG":
        return strip_jpeg(data)
    if fmt == "PNG":
        return strip_png(data)
    if fmt == "WEBP":
        return strip_webp(data)
    return data  # BMP carries none (an ICC profile at most); GIF and TIFF are stored as PNG


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    if marker == _COM:
        return False
    if marker == _APP0:
        return body.startswith(b"JFIF\x00")  # not JFXX, which can hold a thumbnail
    if marker == _APP2:
        return body.startswith(b"ICC_PROFILE\x00")
    if marker == _APP14:
        return body.startswith(b"Adobe")
    return not 0xE0 <= marker <= 0xEF


def strip_jpeg(data: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise BadContainer("not a JPEG")
    out = [b"\xff\xd8"]
    changed = False
    pos, end = 2, len(data)
    while True:
        # Next marker: 0xFF, possibly padded with more 0xFF bytes.
        if pos >= end or data[pos] != 0xFF:
            raise BadContainer("JPEG marker expected")
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise BadContainer("JPEG ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            out.append(b"\xff\xd9")
            changed = changed or pos != end  # trailing bytes (MPF pictures, junk) go
            break
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > end:
            raise BadContainer("JPEG segment without a length")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > end:
            raise BadContainer("JPEG segment runs past the end")
        body = data[pos + 2 : pos + length]
        segment_end = pos + length
        if marker == _SOS:
            # The entropy-coded data runs to the next marker that is neither stuffing (FF00) nor RSTn.
            scan = _end_of_scan(data, segment_end)
            out.append(data[pos - 2 : scan])
            if scan >= end:  # no end-of-image marker: decoders accept that, so keep the scan as it is
                break
            pos = scan
            continue
        if _keep_jpeg_segment(marker, body):
            out.append(data[pos - 2 : segment_end])
        else:
            changed = True
        pos = segment_end
    return b"".join(out) if changed else data


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where a scan's entropy-coded data ends: the next marker that is neither stuffing (FF00) nor RSTn."""
    found = _MARKER_AFTER_SCAN.search(data, pos)
    return found.start() if found else len(data)


def strip_png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise BadContainer("not a PNG")
    out = [PNG_SIGNATURE]
    changed = False
    pos, end = len(PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        chunk_end = pos + 12 + length
        if chunk_end > end:
            raise BadContainer("PNG chunk runs past the end")
        if kind in PNG_KEPT:
            out.append(data[pos:chunk_end])
        else:
            changed = True
        pos = chunk_end
        if kind == b"IEND":
            break
    changed = changed or pos != end
    return b"".join(out) if changed else data


def strip_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise BadContainer("not a WebP")
    chunks = []
    changed = False
    pos, end = 12, min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    while pos + 8 <= end:
        kind, length = struct.unpack_from("<4sI", data, pos)
        chunk_end = pos + 8 + length + (length & 1)  # chunks are padded to an even size
        if pos + 8 + length > end:
            raise BadContainer("WebP chunk runs past the end")
        chunk = data[pos : min(chunk_end, end)]
        if kind == b"VP8X" and length >= 10:
            flags = chunk[8]
            if flags & (_VP8X_EXIF | _VP8X_XMP):
                chunk = chunk[:8] + bytes((flags & ~(_VP8X_EXIF | _VP8X_XMP),)) + chunk[9:]
                changed = True
        if kind in WEBP_KEPT:
            chunks.append(chunk)
        else:
            changed = True
        pos = chunk_end
    if not changed and pos >= len(data):
        return data
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
