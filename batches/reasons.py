"""Why a file was refused (or what was done to it), in the language of the person who reads it.

The checks run in worker and child processes with no person and no language (batches/ingest has no Django at
all), so they write the reason in English and that English is what the upload file records keep. Each reason
is one of the sentences below; `translated()` recognises the sentence, translates it and puts its values back,
when it is shown — so old rows, command-line output and log lines stay as they were, and a Persian reader of
the same row sees Persian.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.calendars import localise_digits

ACCEPTED = "JPEG, PNG, WebP, BMP, TIFF or GIF"  # batches.ingest.check.ACCEPTED_TEXT, inside the sentences below

# Every sentence the ingest checks, the archive reader, the upload sessions and the export jobs store.
SENTENCES = [
    gettext_noop("empty file"),
    gettext_noop("SVG drawings are not accepted (they can carry scripts); export it as PNG"),
    gettext_noop("not an image: this is an HTML page"),
    gettext_noop("not an image: PDF documents are not accepted"),
    gettext_noop("not an image: PostScript/EPS files are not accepted"),
    gettext_noop("not an image: a zip-based file (only archives named .zip are unpacked)"),
    gettext_noop("not an image: only .zip archives are unpacked"),
    gettext_noop("%(kind)s images are not accepted; convert it to JPEG (accepted: JPEG, PNG, WebP, BMP, TIFF or GIF)"),
    gettext_noop("Photoshop files are not accepted (accepted: JPEG, PNG, WebP, BMP, TIFF or GIF)"),
    gettext_noop("icons are not accepted (accepted: JPEG, PNG, WebP, BMP, TIFF or GIF)"),
    gettext_noop("not an image: this is a text/XML document"),
    gettext_noop("not an image (accepted: JPEG, PNG, WebP, BMP, TIFF or GIF)"),
    gettext_noop("damaged entry in the archive (%(error)s)"),
    gettext_noop("file too large: over %(size)s"),
    gettext_noop("file too large: %(size)s (limit %(limit)s)"),
    gettext_noop("could not be read (%(error)s)"),
    gettext_noop("could not be read"),
    gettext_noop("duplicate of %(file)s in batch %(batch)s"),
    gettext_noop("duplicate of %(file)s, being uploaded by another upload"),
    gettext_noop("duplicate of %(file)s in this upload"),
    gettext_noop("too large to process"),
    gettext_noop("corrupt or truncated image: it cannot be decoded"),
    gettext_noop("zero-sized image (%(size)s)"),
    gettext_noop("zero-sized image"),
    gettext_noop("corrupt image: its %(format)s header cannot be read"),
    gettext_noop("corrupt image: its header cannot be read"),
    gettext_noop("corrupt image: its %(format)s structure cannot be read (%(error)s)"),
    gettext_noop("image too large: %(size)s (limit %(limit)s)"),
    gettext_noop("skipped: archive inside an archive"),
    gettext_noop("skipped: a .zip inside a folder is not unpacked; import the archive on its own"),
    gettext_noop("skipped: absolute path in the archive"),
    gettext_noop("skipped: path leads outside the archive (..)"),
    gettext_noop("skipped: symbolic link"),
    gettext_noop("skipped: encrypted (password-protected) entry"),
    gettext_noop("skipped: operating-system metadata, not a picture"),
    gettext_noop("could not be checked: the checker process crashed"),
    gettext_noop("not checked: a checker process crashed; upload it again"),
    gettext_noop("the stored file is missing; upload it again"),
    gettext_noop("duplicate: another upload added the same image a moment ago"),
    gettext_noop("could not be stored (storage error); try again"),
    gettext_noop("sent twice at once; send it again"),
    # What was done to a kept file (joined with "; " when there are several).
    gettext_noop("turned upright (EXIF orientation %(orientation)s)"),
    gettext_noop("first frame only"),
    gettext_noop("stored as PNG (was %(format)s)"),
    # Export jobs that failed in a worker.
    gettext_noop("The export could not be written to storage; try again, or ask an administrator."),
    gettext_noop("The task queue could not be reached; try again in a few minutes."),
]

PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")
MEASURES = {"size", "limit", "orientation"}  # the other values are names and system messages, kept as they are
UNITS = re.compile(r"\b(bytes|KB|MB|GB|megapixels)\b")


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    return [
        (re.compile(PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(sentence)) + r"\Z"), sentence) for sentence in SENTENCES
    ]


def _value(text: str) -> str:
    """A value inside a sentence: sizes and counts in the reader's units and digits."""
    units = {
        "bytes": gettext("bytes"),
        "KB": gettext("KB"),
        "MB": gettext("MB"),
        "GB": gettext("GB"),
        "megapixels": pgettext("image size", "megapixels"),
    }
    return localise_digits(UNITS.sub(lambda match: units[match.group(1)], text))


def _one(text: str) -> str | None:
    for pattern, sentence in _patterns():
        if match := pattern.match(text):
            values = {name: _value(value) if name in MEASURES else value for name, value in match.groupdict().items()}
            return gettext(sentence) % values if values else gettext(sentence)
    return None


def translated(text: str | None) -> str:
    """The stored reason in the active language; text that is no known sentence is shown as it is."""
    if not text:
        return text or ""
    if (whole := _one(text)) is not None:
        return whole
    parts = text.split("; ")
    if len(parts) > 1 and all(found := [_one(part) for part in parts]):
        return pgettext("between notes", "; ").join(found)
    return text


def size(n: int) -> str:
    """A file size for a sentence shown to a person: '50 MB', or '۵۰ مگابایت' in Persian."""
    from batches.ingest.limits import human_bytes

    return _value(human_bytes(n))
