"""Project, LabelClass and the role tables moved from batches into accounts (accounts 0003, batches 0007)
without moving a row: a database filled by seed_demo goes back to the old layout and forward again, and
its roles, permissions, admin history and boards still work."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MOVED = ["project", "labelclass", "projectuserobjectpermission", "projectgroupobjectpermission"]

# Run inside `manage.py shell` on the migrated database: what a person would notice if the move broke.
CHECK = """
import json
from django.contrib.admin.models import LogEntry
from django.test import Client
from accounts.access import get_project_for
from accounts.models import Project
from accounts.roles import members_with_roles
project = Project.objects.order_by("pk").first()
members = members_with_roles(project)
manager = next(user for user, roles in members if "manager" in roles)
client = Client(SERVER_NAME="localhost")
client.force_login(manager)
entry = LogEntry.objects.get(object_id=str(project.pk), change_message="before the move")
print(json.dumps({
    "roles": sorted((user.username, tuple(roles)) for user, roles in members),
    "manages": get_project_for(manager, project.pk).manages,
    "board": client.get(f"/projects/{project.pk}/").status_code,
    "members_page": client.get(f"/projects/{project.pk}/members/").status_code,
    "logged": str(entry.get_edited_object()) == project.name,
}))
"""

LOG = """
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from accounts.models import Project, User
project = Project.objects.order_by("pk").first()
LogEntry.objects.create(user=User.objects.order_by("pk").first(), content_type=ContentType.objects.get_for_model(Project),
    object_id=str(project.pk), object_repr=project.name, action_flag=CHANGE, change_message="before the move")
"""


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def facts(env: dict) -> dict:
    """The CHECK script's answer: the last line it prints (logging may print before it)."""
    return json.loads(manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])


def content_types(db: Path) -> dict[str, tuple[int, str]]:
    with sqlite3.connect(db) as connection:
        marks = ",".join("?" * len(MOVED))
        query = f"SELECT model, id, app_label FROM django_content_type WHERE model IN ({marks})"
        rows = connection.execute(query, MOVED).fetchall()
    return {model: (pk, app) for model, pk, app in rows}


def test_a_seeded_database_goes_back_to_the_old_layout_and_forward_with_every_role_intact(tmp_path):
    db = tmp_path / "moved.sqlite3"
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{db}", "MEDIA_ROOT": str(tmp_path / "media")}
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--images", "2")
    manage(env, "shell", "-c", LOG)
    before = facts(env)
    ids = {model: pk for model, (pk, _) in content_types(db).items()}

    # The layout before the move: the models (and their content types) belong to batches again.
    manage(env, "migrate", "accounts", "0002", "--noinput")
    assert content_types(db) == {model: (ids[model], "batches") for model in MOVED}

    manage(env, "migrate", "--noinput")

    assert content_types(db) == {model: (ids[model], "accounts") for model in MOVED}
    after = facts(env)
    assert after == before
    assert after["manages"] and after["board"] == after["members_page"] == 200 and after["logged"]
    assert len(after["roles"]) >= 3
