"""Which entries of a .zip archive may be unpacked, decided from its central directory alone.

Nothing is extracted to disk, ever: an entry's bytes are read into memory by the check (bounded by
the per-file limit), so an entry's name is only ever a label. Entries with absolute paths, `..`,
links, nested archives or passwords are skipped and reported; the entry count and the declared
unpacked size are bounded before anything is read (and zipfile never yields more than an entry's
declared size, so a lying header cannot blow up either).
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .limits import Limits, human_bytes

NESTED_ARCHIVE = re.compile(r"\.(zip|tar|tgz|gz|bz2|xz|zst|7z|rar|cbz|jar)$", re.IGNORECASE)
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True, slots=True)
class Entry:
    member: str  # the name inside the archive, as zipfile opens it
    display: str  # "archive.zip/folder/img.jpg"
    problem: str = ""  # why it is skipped; "" when it is to be checked
    name: str = ""  # the name to keep and show: "folder/img.jpg" (zip_name, printable)


@dataclass
class ArchiveListing:
    entries: list[Entry] = field(default_factory=list)  # in the archive's order
    error: str = ""  # the whole archive was refused


def printable_name(name: str) -> str:
    """A file name fit to show: no control, bidi-override, zero-width or other invisible characters.

    The rule Django applies to the name of every uploaded file (MultiPartParser.sanitize_file_name
    keeps only `str.isprintable()` characters), applied to the names that do not come through it:
    entries of archives and files imported from the server's disk.
    """
    return "".join(char for char in name if char.isprintable()) or "unnamed"


def zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its archiver meant it.

    Without the UTF-8 flag, zipfile reads a name as CP437 (the format's old default), but Info-ZIP's `zip` (Linux,
    macOS) and many other tools write UTF-8 without setting it: "پوشه/عکس.png" came out "┘╛┘ê╪┤┘ç/╪╣┌⌐╪│.png",
    kept so on the image and unknown to the labels that name it. Bytes that are valid UTF-8 are read as UTF-8
    (real CP437 names with accents almost never are); the others stay CP437.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def is_system_file(name: str) -> bool:
    """Operating-system metadata that travels with folders and archives (macOS, Windows)."""
    parts = name.replace("\\", "/").split("/")
    base = parts[-1].lower()
    return "__MACOSX" in parts or base in SYSTEM_FILES or base.startswith("._")


def entry_problem(info: zipfile.ZipInfo, limits: Limits) -> str:
    """Why this entry is not unpacked, or '' when it may be."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "skipped: absolute path in the archive"
    if ".." in PurePosixPath(name).parts:
        return "skipped: path leads outside the archive (..)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "skipped: symbolic link"
    if info.flag_bits & 0x1:
        return "skipped: encrypted (password-protected) entry"
    if NESTED_ARCHIVE.search(name):
        return "skipped: archive inside an archive"
    if is_system_file(name):
        return "skipped: operating-system metadata, not a picture"
    if info.file_size == 0:
        return "empty file"
    if info.file_size > limits.file_bytes:
        return f"file too large: {human_bytes(info.file_size)} (limit {human_bytes(limits.file_bytes)})"
    return ""


def list_archive(path: str, archive_name: str, limits: Limits) -> ArchiveListing:
    listing = ArchiveListing()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        listing.error = "not a valid zip archive (damaged or incomplete)"
        return listing
    if len(infos) > limits.archive_entries:
        listing.error = f"archive holds {len(infos):,} files (limit {limits.archive_entries:,}); nothing was unpacked"
        return listing
    declared = sum(info.file_size for info in infos)
    if declared > limits.archive_bytes:
        listing.error = (
            f"archive would unpack to {human_bytes(declared)} (limit {human_bytes(limits.archive_bytes)}); "
            "nothing was unpacked"
        )
        return listing
    if not infos:
        listing.error = "the archive is empty"
        return listing
    listing.entries = []
    for info in infos:
        name = printable_name(zip_name(info))
        listing.entries.append(
            Entry(info.filename, f"{archive_name}/{name.lstrip('/')}", entry_problem(info, limits), name)
        )
    return listing
