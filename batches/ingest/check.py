"""One file's bytes → a verdict. No Django here: worker processes import this module as it is.

The order matters for safety and speed:
1. size limit, before the bytes are read into memory;
2. the format from the first bytes, against an allow-list (never from the name or the browser);
3. the header is parsed and the pixel limit checked before a single pixel is decoded;
4. the thumbnail decode (JPEG draft decoding, so a 1/4 or 1/8 scale IDCT) reads the whole entropy
   stream, so it doubles as the integrity check: a truncated or corrupt file fails right there.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass

from PIL import (
    BmpImagePlugin,  # noqa: F401 - importing a plugin registers its format
    GifImagePlugin,  # noqa: F401
    Image,
    JpegImagePlugin,  # noqa: F401
    PngImagePlugin,  # noqa: F401
    TiffImagePlugin,  # noqa: F401
    WebPImagePlugin,  # noqa: F401
)

from .limits import Limits, human_bytes, human_pixels
from .metadata import BadContainer, strip_metadata

log = logging.getLogger("batches.ingest")

ACCEPTED = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
ACCEPTED_TEXT = "JPEG, PNG, WebP, BMP, TIFF or GIF"
# What is stored: the format itself, or a PNG of the first frame where browsers differ (TIFF) or
# would animate (GIF, animated PNG/WebP).
STORED_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp"}
STORED_FORMAT = {ext: fmt for fmt, ext in STORED_EXT.items()}
ORIENTATION_TAG = 0x0112
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Task:
    """One file to check. Exactly one of: `data`; `path`; `path` + `member` (an entry of the zip at path)."""

    index: int
    name: str
    path: str | None = None
    member: str | None = None
    data: bytes | None = None
    sha256: str = ""  # the content's hash when the caller has it already (an upload worker: hashed on arrival)


@dataclass(slots=True)
class Checked:
    index: int
    name: str
    sha256: str
    ext: str  # of the stored file
    width: int  # upright
    height: int
    thumbnail: bytes  # JPEG
    data: bytes | None  # the bytes to store; None: store the source as it is (its file, or its archive entry)
    # (None only when the source holds no metadata to strip: what is stored never carries any)
    note: str = ""  # what was done to it, e.g. "turned upright (EXIF orientation 6)"


@dataclass(slots=True)
class Refused:
    index: int
    name: str
    reason: str


class Refusal(Exception):
    """Raised inside a check; becomes a Refused with this reason."""


# --- sniffing -------------------------------------------------------------------------------------


def sniff(head: bytes) -> str:
    """The accepted format these bytes start with, or raise Refusal saying what they are instead."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if (
        head[:2] == b"BM"
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)
    ):
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    raise Refusal(what_it_is(head))


def is_zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def what_it_is(head: bytes) -> str:
    """A person-readable reason for bytes that are not an accepted image."""
    if not head:
        return "empty file"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head[:SNIFF_BYTES].lower():
        return "SVG drawings are not accepted (they can carry scripts); export it as PNG"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta")):
        return "not an image: this is an HTML page"
    if head.startswith(b"%PDF"):
        return "not an image: PDF documents are not accepted"
    if head.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "not an image: PostScript/EPS files are not accepted"
    if is_zip(head):
        return "not an image: a zip-based file (only archives named .zip are unpacked)"
    if head.startswith((b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf\x27\x1c", b"BZh", b"\xfd7zXZ")) or head[257:262] == b"ustar":
        return "not an image: only .zip archives are unpacked"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"avif", b"avis"):
        kind = "AVIF" if head[8:12] in (b"avif", b"avis") else "HEIC"
        return f"{kind} images are not accepted; convert it to JPEG (accepted: {ACCEPTED_TEXT})"
    if head.startswith(b"8BPS"):
        return f"Photoshop files are not accepted (accepted: {ACCEPTED_TEXT})"
    if head.startswith(b"\x00\x00\x01\x00"):
        return f"icons are not accepted (accepted: {ACCEPTED_TEXT})"
    if text.startswith((b"<?xml", b"<")):
        return "not an image: this is a text/XML document"
    return f"not an image (accepted: {ACCEPTED_TEXT})"


# --- reading --------------------------------------------------------------------------------------

READ_PIECE = 1024 * 1024


def read_at_most(handle, cap: int) -> bytes:
    """Up to `cap` bytes of an open file, read a piece at a time.

    Not `handle.read(cap)`: a buffered file allocates the whole `cap` (the 50 MB limit) before reading, and
    touching fresh pages of that allocation cost a photo's worker a third of a millisecond, more than the
    read itself. Never more than `cap` bytes are held, as with read(cap).
    """
    pieces = []
    left = cap
    while left > 0:
        piece = handle.read(min(READ_PIECE, left))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


_worker_archives: dict[str, zipfile.ZipFile] = {}


def read_bytes(task: Task, limits: Limits, archives: dict[str, zipfile.ZipFile] | None = None) -> bytes:
    """The task's bytes, never more than the per-file limit + 1 (so an oversized file is never held whole)."""
    cap = limits.file_bytes + 1
    if task.data is not None:
        data = task.data
    elif task.member is not None:
        cache = _worker_archives if archives is None else archives
        archive = cache.get(task.path)
        if archive is None:
            if len(cache) >= 4:
                cache.pop(next(iter(cache))).close()
            archive = cache[task.path] = zipfile.ZipFile(task.path)
        try:
            with archive.open(task.member) as handle:
                data = handle.read(cap)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, ValueError) as exc:
            # Bad CRC, a lying size, an unsupported compression method, a password...
            raise Refusal(f"damaged entry in the archive ({exc})") from None
    else:
        with open(task.path, "rb") as handle:
            data = read_at_most(handle, cap)
    if not data:
        raise Refusal("empty file")
    if len(data) > limits.file_bytes:
        raise Refusal(f"file too large: over {human_bytes(limits.file_bytes)}")
    return data


# --- the check ------------------------------------------------------------------------------------


def check(task: Task, limits: Limits, keep_bytes: bool = False, archives: dict | None = None) -> Checked | Refused:
    """Never raises: every problem becomes a Refused with a reason a person understands.

    keep_bytes: return the original bytes in Checked.data even when they are unchanged (the caller
    then needs not read the file again); otherwise data is set only for bytes that exist nowhere else
    (a converted image), and the caller reads the source again to store it.
    """
    try:
        try:
            data = read_bytes(task, limits, archives)
        except OSError as exc:  # the source itself: gone, unreadable, a failing disk
            raise Refusal(f"could not be read ({exc.strerror or exc})") from None
        return _check_bytes(task, data, limits, keep_bytes or task.path is None)
    except Refusal as refusal:
        return Refused(task.index, task.name, str(refusal))
    except MemoryError:
        return Refused(task.index, task.name, "too large to process")
    except Exception as exc:  # a decoder's complaint about broken bytes, in whatever form it takes
        log.info("refused %s: %s: %s", task.name, type(exc).__name__, exc)
        return Refused(task.index, task.name, "corrupt or truncated image: it cannot be decoded")


def _open_header(fmt: str, data: bytes) -> Image.Image:
    # The format's own class parses only the header. Image.open would do the same but applies
    # Pillow's global decompression-bomb limit first, whose error cannot say the size; ours does.
    factory = Image.OPEN[fmt][0]
    try:
        return factory(io.BytesIO(data), None)
    except Exception:
        size = _declared_size(fmt, data)
        if size and 0 in size:
            raise Refusal(f"zero-sized image ({size[0]}×{size[1]})") from None
        raise Refusal(f"corrupt image: its {fmt_label(fmt)} header cannot be read") from None


def _declared_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    """Width and height straight from the header bytes, for formats whose decoder rejects a zero size."""
    if fmt == "PNG" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if fmt == "GIF" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if fmt == "BMP" and len(data) >= 26:
        return abs(int.from_bytes(data[18:22], "little", signed=True)), abs(
            int.from_bytes(data[22:26], "little", signed=True)
        )
    return None


def fmt_label(fmt: str) -> str:
    return {"WEBP": "WebP"}.get(fmt, fmt)


def _orientation(im: Image.Image, fmt: str) -> int:
    if fmt in ("JPEG", "WEBP") and "exif" not in im.info:
        return 1
    if fmt in ("GIF", "BMP"):
        return 1
    try:
        value = im.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block does not make a broken picture
        return 1
    return value if value in TRANSPOSE else 1


def _sniff_and_open(data: bytes, limits: Limits) -> tuple[str, Image.Image]:
    """The format from the first bytes, the header parsed, the size and pixel limit checked: nothing decoded."""
    fmt = sniff(data[:SNIFF_BYTES])
    im = _open_header(fmt, data)
    width, height = im.size
    if width <= 0 or height <= 0:
        raise Refusal("zero-sized image")
    if width * height > limits.pixels:
        raise Refusal(f"image too large: {width}×{height} (limit {human_pixels(limits.pixels)})")
    return fmt, im


def _check_bytes(task: Task, data: bytes, limits: Limits, keep_bytes: bool) -> Checked:
    if task.member is not None and is_zip(data[:4]):
        raise Refusal("skipped: archive inside an archive")
    fmt, im = _sniff_and_open(data, limits)
    width, height = im.size
    digest = task.sha256 or hashlib.sha256(data).hexdigest()
    orientation = _orientation(im, fmt)
    animated = fmt in ("PNG", "WEBP") and getattr(im, "is_animated", False)
    notes = []
    stored: bytes | None = data if keep_bytes else None
    ext = STORED_EXT.get(fmt, "png")

    if orientation != 1 or fmt in ("GIF", "TIFF") or animated:
        # Rare path: decode in full and store a re-encoded copy.
        im.load()
        full = im.transpose(TRANSPOSE[orientation]) if orientation != 1 else im
        if orientation != 1:
            notes.append(f"turned upright (EXIF orientation {orientation})")
        if fmt == "GIF" or animated:
            notes.append("first frame only")
        if fmt in ("GIF", "TIFF") or animated:
            notes.append(f"stored as PNG (was {fmt_label(fmt)})")
            ext = "png"
        stored = _encode(full, ext, im)
        width, height = full.size
        source = full
    else:
        if fmt == "JPEG":
            im.draft("RGB" if im.mode == "RGB" else None, (limits.thumbnail_px, limits.thumbnail_px))
        source = im
    thumbnail = _thumbnail(source, limits.thumbnail_px)
    # Decoded in full above (the thumbnail): the bytes are a sound picture, so the container parses.
    clean = _without_metadata(STORED_FORMAT[ext], data if stored is None else stored)
    if clean is not data:
        stored = clean
    return Checked(task.index, task.name, digest, ext, width, height, thumbnail, stored, "; ".join(notes))


def _without_metadata(fmt: str, data: bytes) -> bytes:
    try:
        return strip_metadata(fmt, data)
    except BadContainer as exc:
        raise Refusal(f"corrupt image: its {fmt_label(fmt)} structure cannot be read ({exc})") from None


def _encode(full: Image.Image, ext: str, original: Image.Image) -> bytes:
    out = io.BytesIO()
    extra = {}
    if original.info.get("icc_profile"):
        extra["icc_profile"] = original.info["icc_profile"]
    # No EXIF, XMP or comment is carried over (what Pillow would copy from `info` is stripped after).
    if ext == "jpg":
        full.save(out, "JPEG", quality=95, **extra)
    elif ext == "webp":
        full.save(out, "WEBP", quality=95, **extra)
    elif ext == "bmp":
        full.save(out, "BMP")
    else:
        if full.mode not in PNG_MODES:
            full = full.convert("RGBA" if "A" in full.getbands() else "RGB")
        full.save(out, "PNG", **extra)
    return out.getvalue()


def _thumbnail(im: Image.Image, size: int) -> bytes:
    if im.mode in ("P", "1"):
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float images: scale to 8 bits instead of clipping everything to white.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    im.thumbnail((size, size))
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        im = background
    elif im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    # Pillow writes the source's JPEG comment into the thumbnail: strip it like any stored file.
    return strip_metadata("JPEG", out.getvalue())


# --- the cheap check (the upload request) ---------------------------------------------------------


@dataclass(slots=True)
class Header:
    fmt: str
    width: int  # as stored, before any orientation is applied
    height: int


def header_check(data: bytes, limits: Limits) -> Header:
    """What an upload request can afford: size, magic bytes, header and pixel limit.

    No pixel is decoded here; the worker's `check` decodes in full, turns upright, strips the metadata
    (it scans the whole file: about as long as the rest of the request, so not here) and thumbnails.
    Raises Refusal with a reason a person understands.
    """
    if not data:
        raise Refusal("empty file")
    if len(data) > limits.file_bytes:
        raise Refusal(f"file too large: over {human_bytes(limits.file_bytes)}")
    fmt, im = _sniff_and_open(data, limits)
    return Header(fmt, *im.size)
