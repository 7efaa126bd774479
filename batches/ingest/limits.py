"""The limits one upload (or one `import_images` run) works within. Read from settings at call time."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    file_bytes: int = 50 * MB  # one image (also each image inside an archive)
    request_bytes: int = 1024 * MB  # one upload request, archives included
    files: int = 1000  # files in one upload request
    pixels: int = 50_000_000  # width × height, read from the header before any decoding
    archive_entries: int = 10_000  # files inside one archive
    archive_bytes: int = 4096 * MB  # the declared unpacked size of one archive
    thumbnail_px: int = 256  # long side of a thumbnail

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        default = cls()
        return cls(
            file_bytes=getattr(settings, "UPLOAD_MAX_FILE_BYTES", default.file_bytes),
            request_bytes=getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", default.request_bytes),
            files=getattr(settings, "UPLOAD_MAX_FILES", default.files),
            pixels=getattr(settings, "UPLOAD_MAX_PIXELS", default.pixels),
            archive_entries=getattr(settings, "ARCHIVE_MAX_ENTRIES", default.archive_entries),
            archive_bytes=getattr(settings, "ARCHIVE_MAX_BYTES", default.archive_bytes),
        )


def human_bytes(n: int) -> str:
    """1536 → '1.5 KB'; whole numbers stay whole ('50 MB')."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            if unit == "bytes":
                return f"{int(size)} bytes"
            text = f"{size:.1f}".removesuffix(".0")
            return f"{text} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def human_pixels(n: int) -> str:
    return f"{n / 1_000_000:.1f}".removesuffix(".0") + " megapixels"
