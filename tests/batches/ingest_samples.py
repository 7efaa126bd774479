"""Real files made in the test, good and hostile, for the ingest, upload, import and storage tests."""

from __future__ import annotations

import io
import itertools
import stat
import struct
import zipfile
import zlib

from django.core.files.storage import default_storage
from PIL import Image as PILImage

_seq = itertools.count(1)


def _seeded_colour(n: int) -> tuple[int, int, int]:
    return (n * 37 % 256, n * 91 % 256, n * 53 % 256)


_SEEDED_COLOURS = frozenset(_seeded_colour(n) for n in range(256))


def _fresh_colour() -> tuple[int, int, int]:
    """A colour no earlier call has had and no explicit seed can give.

    The seeded colours repeat every 256 seeds, so a counter run through the same formula gave the 259th
    unseeded picture of a test process the colour of seed 3: which test met it depended on how many ran
    before it in the same worker. Here the counter walks all 2**24 colours (an odd multiplier is a
    bijection modulo 2**24) and skips the 256 seeded ones.
    """
    while True:
        m = next(_seq) * 2_654_435_761 % 2**24
        colour = (m >> 16, (m >> 8) & 255, m & 255)
        if colour not in _SEEDED_COLOURS:
            return colour


def _colour(seed: int | None) -> tuple[int, int, int]:
    return _fresh_colour() if seed is None else _seeded_colour(seed)


def picture(width: int = 64, height: int = 48, seed: int | None = None) -> PILImage.Image:
    """A picture whose content differs per call (so hashes differ), with a gradient to look like a photo."""
    im = PILImage.linear_gradient("L").resize((width, height)).convert("RGB")
    return PILImage.blend(im, PILImage.new("RGB", (width, height), _colour(seed)), 0.6)


def encode(im: PILImage.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, seed: int | None = None) -> bytes:
    return encode(picture(width, height, seed), "JPEG", quality=90)


def noisy_jpeg(width: int = 200, height: int = 150, seed: int | None = None) -> bytes:
    """A JPEG that compresses no further (noise), for tests about sizes."""
    sigma = 40 + (next(_seq) if seed is None else seed) % 50
    noise = PILImage.effect_noise((width, height), sigma)
    return encode(PILImage.merge("RGB", [noise, noise.rotate(180), noise]), "JPEG", quality=90)


def png(width: int = 64, height: int = 48, seed: int | None = None) -> bytes:
    return encode(picture(width, height, seed), "PNG")


def webp(width: int = 64, height: int = 48) -> bytes:
    return encode(picture(width, height), "WEBP", quality=90)


def bmp(width: int = 64, height: int = 48) -> bytes:
    return encode(picture(width, height), "BMP")


def tiff(width: int = 64, height: int = 48) -> bytes:
    return encode(picture(width, height), "TIFF")


def animated_gif(width: int = 40, height: int = 30) -> bytes:
    frames = [PILImage.new("RGB", (width, height), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def rotated_jpeg(orientation: int = 6) -> bytes:
    """60×40 as stored: left half red, right half blue. Orientation 6 means "turn 90° clockwise to view",
    so the upright picture is 40×60 with red on top and blue below."""
    im = PILImage.new("RGB", (60, 40), (255, 0, 0))
    im.paste((0, 0, 255), (30, 0, 60, 40))
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    return encode(im, "JPEG", quality=95, exif=exif.tobytes())


def truncated_jpeg() -> bytes:
    data = jpeg(400, 300)
    return data[: len(data) // 2]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height: a decompression bomb if anyone decoded it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def bomb_png() -> bytes:
    return png_header_only(50000, 50000)


def zero_sized_png() -> bytes:
    return png_header_only(0, 48)


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script>'
    b'<rect width="10" height="10"/></svg>'
)
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PDF_DOCUMENT = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EPS_DOCUMENT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


def zip_archive(entries: list[tuple[str, bytes]], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A zip with the given entries, names taken literally (so `../x` and `/etc/x` stay hostile)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # Unix, so the mode bits in external_attr mean something
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return out.getvalue()


def zip_bomb_declared(entries: int = 3, size: int = 10**12) -> bytes:
    """A zip whose central directory declares enormous unpacked sizes (patched after writing)."""
    data = bytearray(zip_archive([(f"big_{i}.jpg", jpeg()) for i in range(entries)]))
    # Patch the uncompressed size in every central directory header (signature PK\x01\x02, offset 24).
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        data[position + 24 : position + 28] = struct.pack("<I", min(size, 0xFFFFFFFE))
        position += 4
    return bytes(data)


def stored_files() -> list[str]:
    """Every file in the default storage (local or S3), walked recursively."""
    found: list[str] = []

    def walk(folder: str) -> None:
        try:
            dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}/{name}".lstrip("/") for name in files)
        for sub in dirs:
            walk(f"{folder}/{sub}".lstrip("/"))

    walk("")
    return sorted(found)
