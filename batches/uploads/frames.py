"""A chunk of files as one plain body (upload.js and the API), read as it streams in: no multipart parsing.

    Content-Type: application/vnd.binaboard.chunk
    4 bytes        the manifest's length M (unsigned, big-endian)
    M bytes        the manifest, JSON: [{"name": "street/0001.jpg", "size": 531288}, ...]
    then           each file's bytes, in the manifest's order, back to back

Django's multipart parser looks for the boundary in every 64 KB of every file and copies each piece
a few times: on the benchmark photos it cost nearly as much as the cheap checks and the storing together.
Here each file is one read of its declared size. The request's length must be exactly what the
manifest declares; the limits hold before a byte of a file is kept: the request (UPLOAD_CHUNK_MB,
from Content-Length), the number of files (UPLOAD_CHUNK_FILES), the manifest (MANIFEST_BYTES), and
each file (a file over UPLOAD_MAX_FILE_MB is read in small pieces and dropped: refused as too large,
like the multipart handler does).
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from ..ingest.archives import printable_name
from ..ingest.limits import Limits, human_bytes
from .sessions import Arrival

CONTENT_TYPE = "application/vnd.binaboard.chunk"
MANIFEST_BYTES = 256 * 1024  # 20 names of 1,000 characters fit many times over
NAME_CHARS = 1000
SKIP_PIECE = 1024 * 1024  # a file over its limit is read and dropped this much at a time


class FrameError(Exception):
    """The body is not a chunk this module can read; `status` is the HTTP answer (400 or 413)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def is_framed(request) -> bool:
    return request.content_type == CONTENT_TYPE


def read_chunk(stream, length: int, limits: Limits, max_files: int, max_bytes: int) -> list[Arrival]:
    """The chunk's files from `stream` (the request: `read(n)` never returns more than n bytes).

    `length` is the request's Content-Length. Raises FrameError, with a message a person understands,
    for a body that is too large, malformed, or shorter than it says.
    """
    if length > max_bytes:
        raise FrameError(
            _("One request takes at most %(size)s; send fewer files at once.") % {"size": human_bytes(max_bytes)}, 413
        )
    if length < 4:
        raise FrameError(_("The request is empty or does not say its length (Content-Length); send it again."))
    manifest_length = int.from_bytes(_read_exactly(stream, 4), "big")
    if not 2 <= manifest_length <= min(MANIFEST_BYTES, length - 4):
        raise FrameError(_("The request's list of files is missing or too long."))
    entries = _manifest(_read_exactly(stream, manifest_length), max_files)
    if 4 + manifest_length + sum(size for _name, size in entries) != length:
        raise FrameError(_("The request's length is not the sum of its files' sizes."))
    arrivals = []
    for name, size in entries:
        if size > limits.file_bytes:
            _skip(stream, size)
            arrivals.append(Arrival(name, refused=f"file too large: over {human_bytes(limits.file_bytes)}"))
        else:
            arrivals.append(Arrival(name, data=_read_exactly(stream, size)))
    return arrivals


def _manifest(raw: bytes, max_files: int) -> list[tuple[str, int]]:
    try:
        entries = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        entries = None
    if not isinstance(entries, list) or not entries:
        raise FrameError(_("The request's list of files must be a JSON list of names and sizes."))
    if len(entries) > max_files:
        raise FrameError(_("One request takes at most %(n)s files.") % {"n": max_files}, 413)
    files = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if (
            not isinstance(name, str)
            or len(name) > NAME_CHARS
            or type(size) is not int  # not a bool, not a float
            or size < 0
        ):
            raise FrameError(_("Each file of the request needs a name (text) and a size (a whole number of bytes)."))
        files.append((printable_name(name), size))
    return files


def _read_exactly(stream, size: int) -> bytes:
    pieces, missing = [], size
    while missing:
        try:
            piece = stream.read(missing)
        except OSError:  # the client went away (Django's UnreadablePostError is an OSError)
            piece = b""
        if not piece:
            raise FrameError(_("The request could not be read (it was interrupted or malformed); send it again."))
        pieces.append(piece)
        missing -= len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _skip(stream, size: int) -> None:
    while size:
        size -= len(_read_exactly(stream, min(size, SKIP_PIECE)))
