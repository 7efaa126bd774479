"""Demo data: a project with label classes, generated street scenes in batches over all four columns,
a manager, an annotator, a reviewer and an operator whose random passwords are printed once.

Everything goes through the real paths: images through the upload pipeline, moves through the workflow.
"""

from __future__ import annotations

import io
import random
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw

from accounts.roles import grant_role
from batches import annotating, workflow
from batches.ingest.pipeline import Source, ingest
from batches.models import Batch, LabelClass, Project

CLASSES = [("car", "#2454d6", 1), ("person", "#d62728", 2), ("bicycle", "#2ca02c", 3), ("traffic light", "#ff7f0e", 4)]
# The demo cast; "operator" is the site operator (staff and superuser).
DEMO_USERNAMES = ("operator", "manager", "annotator", "reviewer")


def street_scene(rng: random.Random, width: int = 960, height: int = 640) -> tuple[bytes, list[tuple[str, tuple]]]:
    """A simple drawn street with cars and people; returns the JPEG and the boxes of what was drawn."""
    sky = (rng.randint(120, 190), rng.randint(160, 210), rng.randint(210, 245))
    image = PILImage.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.45, 0.55))
    for x in range(0, width, rng.randint(70, 120)):  # buildings
        top = horizon - rng.randint(60, 220)
        shade = rng.randint(90, 170)
        draw.rectangle([x, top, x + rng.randint(60, 110), horizon], fill=(shade, shade - 10, shade - 20))
    draw.rectangle([0, horizon, width, height], fill=(70, 72, 78))  # road
    for x in range(0, width, 80):
        draw.rectangle([x, int(height * 0.78), x + 40, int(height * 0.79)], fill=(235, 235, 220))
    boxes = []
    for _ in range(rng.randint(1, 4)):  # cars
        w, h = rng.randint(120, 220), rng.randint(60, 100)
        x, y = rng.randint(0, width - w), rng.randint(horizon + 10, height - h - 5)
        colour = rng.choice([(200, 30, 30), (30, 60, 200), (230, 230, 230), (20, 20, 20), (240, 190, 20)])
        draw.rounded_rectangle([x, y + h // 3, x + w, y + h], radius=12, fill=colour)
        draw.rounded_rectangle([x + w // 5, y, x + 4 * w // 5, y + h // 2], radius=10, fill=colour)
        for wx in (x + w // 5, x + 4 * w // 5):
            draw.ellipse([wx - 14, y + h - 14, wx + 14, y + h + 4], fill=(15, 15, 15))
        boxes.append(("car", (x, y, w, min(h + 4, height - y))))
    for _ in range(rng.randint(0, 3)):  # people
        w, h = rng.randint(22, 34), rng.randint(70, 110)
        x, y = rng.randint(0, width - w), rng.randint(horizon - h // 2, height - h - 2)
        draw.ellipse([x + w // 4, y, x + 3 * w // 4, y + w // 2], fill=(240, 200, 170))
        draw.rectangle([x, y + w // 2, x + w, y + h], fill=rng.choice([(40, 90, 160), (150, 40, 60), (60, 120, 60)]))
        boxes.append(("person", (x, y, w, h)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue(), boxes


def demo_password(user) -> str:
    """A random password that the site's own password rules accept for this user."""
    for _ in range(20):
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    validate_password(password, user)  # twenty refusals in a row: say which rule, loudly
    return password


class Command(BaseCommand):
    help = "Create demo users, a project and batches in every column (passwords are printed once)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any project or user exists.")
        parser.add_argument("--images", type=int, default=6, help="Images per batch (default 6).")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--reset-demo-accounts",
            action="store_true",
            help="Give existing accounts named operator, manager, annotator or reviewer new passwords and demo roles.",
        )

    def handle(self, *args, if_empty: bool, images: int, seed: int, reset_demo_accounts: bool, **options):
        User = get_user_model()
        if if_empty and (Project.objects.exists() or User.objects.exists()):
            self.stdout.write("Demo data skipped: the database already has users or projects.")
            return
        # "operator" and "manager" are natural names for real accounts: never take one over unasked.
        taken = list(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
        if taken and not reset_demo_accounts:
            raise CommandError(
                f"Accounts named {', '.join(sorted(taken))} already exist; seed_demo would give them new passwords "
                "and demo roles. Run it on an empty database (or with --if-empty), or pass --reset-demo-accounts "
                "if these are demo accounts."
            )
        rng = random.Random(seed)
        passwords = {}
        with transaction.atomic():
            users = {}
            for username in DEMO_USERNAMES:
                is_operator = username == "operator"
                password = demo_password(User(username=username, email=f"{username}@example.com"))
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(
                        username=username,
                        email=f"{username}@example.com",
                        password=password,
                        is_staff=is_operator,
                        is_superuser=is_operator,
                    )
                else:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                users[username] = user
                passwords[username] = password
            project = Project.objects.create(
                name="Street scenes", description="Cars, people and bikes in city streets.", created_by=users["manager"]
            )
            users["manager"].user_permissions.add(
                Permission.objects.get_by_natural_key("create_project", "accounts", "user")
            )
            grant_role(project, users["manager"], "manager")
            grant_role(project, users["annotator"], "annotator")
            grant_role(project, users["reviewer"], "reviewer")
            classes = {
                name: LabelClass.objects.create(project=project, name=name, colour=colour, key=key)
                for name, colour, key in CLASSES
            }
            self._make_batches(project, users, classes, rng, images)

        self.stdout.write(self.style.SUCCESS("Demo data created. Sign in at http://127.0.0.1:8000/ with:"))
        roles = {
            "operator": "site operator (Django admin at /admin/)",
            "manager": "manager",
            "annotator": "annotator",
            "reviewer": "reviewer",
        }
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<10} {password:<18} {roles[username]}")
        self.stdout.write("These passwords are shown only now.")

    def _upload(self, project, manager, name, rng, count):
        sources, truth = [], {}
        for i in range(count):
            data, boxes = street_scene(rng)
            file_name = f"{name.lower().replace(' ', '_')}_{i + 1:03d}.jpg"
            sources.append(Source.from_bytes(file_name, data))
            truth[file_name] = boxes
        report = ingest(actor=manager, project=project, sources=sources, name=name, workers=1)
        return report.batch, truth

    def _annotate_all(self, batch, user, classes, truth):
        for image in batch.images.all():
            boxes = [
                {"label_class": classes[label].pk, "x": x, "y": y, "w": w, "h": h}
                for label, (x, y, w, h) in truth[image.original_name]
            ]
            annotating.save_annotations(actor=user, image=image, boxes=boxes)

    def _make_batches(self, project, users, classes, rng, per_batch):
        manager, annotator, reviewer = users["manager"], users["annotator"], users["reviewer"]
        S = Batch.Status
        # Unassigned: two fresh uploads.
        for name in ["Downtown morning", "Harbour road"]:
            self._upload(project, manager, name, rng, per_batch)
        # Annotating: one started, with part of an upload split off into a remainder (Unassigned).
        batch, truth = self._upload(project, manager, "Market street", rng, per_batch * 2)
        result = workflow.assign(actor=manager, batch=batch, assignees=[annotator], count=per_batch)
        first = result.assigned[0]
        some = list(first.images.all()[: per_batch // 2])
        for image in some:
            label, (x, y, w, h) = truth[image.original_name][0]
            annotating.save_annotations(
                actor=annotator, image=image, boxes=[{"label_class": classes[label].pk, "x": x, "y": y, "w": w, "h": h}]
            )
        # Annotating again after a rejection, with the reviewer's comment.
        batch, truth = self._upload(project, manager, "Night traffic", rng, per_batch)
        batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
        self._annotate_all(batch, annotator, classes, truth)
        batch = workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
        workflow.reject(actor=reviewer, batch=batch, comment="Please box the cyclists too, and tighten the car boxes.")
        # Review: annotated and submitted.
        batch, truth = self._upload(project, manager, "School run", rng, per_batch)
        batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
        self._annotate_all(batch, annotator, classes, truth)
        workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
        # Dataset: two approved batches.
        for name in ["Old town", "Ring road"]:
            batch, truth = self._upload(project, manager, name, rng, per_batch)
            batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
            self._annotate_all(batch, annotator, classes, truth)
            batch = workflow.submit(actor=annotator, batch=Batch.objects.get(pk=batch.pk))
            workflow.approve(actor=reviewer, batch=batch)
        assert Batch.objects.filter(project=project).values("status").distinct().count() == len(S.values)
