"""The translation catalogues: complete, not fuzzy, and the compiled files match their sources."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

CATALOGUES = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"))


def test_there_is_a_persian_catalogue():
    assert Path(settings.BASE_DIR, "locale/fa/LC_MESSAGES/django.po") in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_the_compiled_catalogue_matches_its_source(path):
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(path)).translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert compiled._catalog.get(key) == entry.msgstr, f"run `make messages`: {entry.msgid!r} is stale"


# The same command as `make messages` (BRIEF.md), run into a scratch catalogue: every string the code wraps today.
IGNORED = [".venv", "tests", "bench", "static/vendor", "media", "staticfiles", "node_modules"]


def extracted_catalogue(tmp_path, monkeypatch) -> polib.POFile:
    # A scratch tree of links to the sources: makemessages writes beside the nearest locale folder, so the
    # project's own catalogue is never touched.
    base = Path(settings.BASE_DIR)
    for source in base.iterdir():
        if source.name not in {"locale", ".git", *IGNORED} and not source.name.startswith("."):
            (tmp_path / source.name).symlink_to(source)
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command(
            "makemessages", locale=["fa"], ignore_patterns=IGNORED, no_obsolete=True, symlinks=True, verbosity=0
        )
    return polib.pofile(str(tmp_path / "locale/fa/LC_MESSAGES/django.po"))


def test_every_wrapped_string_is_in_the_persian_catalogue(tmp_path, monkeypatch):
    """Fails when code or a template wraps a string that `make messages` has not brought into the catalogue."""
    wanted = {(e.msgctxt, e.msgid, e.msgid_plural) for e in extracted_catalogue(tmp_path, monkeypatch)}
    catalogue = polib.pofile(str(Path(settings.BASE_DIR, "locale/fa/LC_MESSAGES/django.po")))
    have = {(e.msgctxt, e.msgid, e.msgid_plural) for e in catalogue}
    missing = sorted(msgid for _ctx, msgid, _plural in wanted - have)
    assert missing == [], "run `make messages` and translate these"
