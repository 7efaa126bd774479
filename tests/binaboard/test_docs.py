"""The operator's documentation keeps up with the code: every variable listed, no link out of the repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
READERS = re.compile(r"""(?:env_\w+|_int|os\.environ\.get|os\.environ\[)\(?["']([A-Z][A-Z0-9_]+)["']""")
NOT_FOR_OPERATORS = {"DJANGO_SETTINGS_MODULE", "TEST_DB_NAME"}  # set by Django's tooling and by the test runs


def variables_read() -> set[str]:
    names = set()
    for source in ("binaboard/settings.py", "gunicorn.conf.py"):
        names |= set(READERS.findall((ROOT / source).read_text()))
    if "SECRET_KEY" in names:
        names.add("SECRET_KEY_FILE")  # env_secret("SECRET_KEY") reads both
    return names - NOT_FOR_OPERATORS


def test_the_reader_finds_the_variables_it_should():
    assert {
        "DEBUG",
        "DATABASE_URL",
        "SECRET_KEY",
        "SECRET_KEY_FILE",
        "GUNICORN_TIMEOUT",
        "S3_BUCKET",
    } <= variables_read()


@pytest.mark.parametrize("document", ["docs/DEPLOY.md", ".env.example"])
def test_every_environment_variable_is_documented(document):
    text = (ROOT / document).read_text()
    missing = sorted(name for name in variables_read() if not re.search(rf"\b{name}\b", text))
    assert missing == [], f"{document} does not mention {missing}"


@pytest.mark.parametrize("document", ["README.md", *(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))])
def test_links_stay_inside_the_repository_and_lead_somewhere(document):
    path = ROOT / document
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{document} links outside the repository: {target}"
        assert resolved.exists(), f"{document} links to a missing file: {target}"


def test_the_environment_file_to_copy_leaves_the_secret_key_to_the_systemd_credential():
    # EnvironmentFile= overrides the unit's Environment=SECRET_KEY_FILE=%d/secret_key: a key path set
    # there points the service (and every command run as its user) at a file only root may read.
    active = [line.split("=", 1)[0].strip() for line in (ROOT / ".env.example").read_text().splitlines()]
    assert "SECRET_KEY_FILE" not in active and "SECRET_KEY" not in active
