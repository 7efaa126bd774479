"""Every endpoint that is not a move × every kind of caller: the answer follows the person's roles.

Who may do what is the pages' rule (accounts/access.py, batches/access.py, the rule book): members read,
managers manage (classes, members, uploads, exports), the assignee or a manager annotates, reviewers flag.
A stranger gets 404 (nothing leaks), a caller without a token 401, a member without the role 403.
Each call is rolled back, so every cell starts from the same project.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from batches.models import Batch
from tests.api.helpers import ApiClient
from tests.api.world import World

pytestmark = pytest.mark.django_db
Status = Batch.Status
ROLES = ["manager", "annotator", "reviewer", "outsider", "anonymous"]


def endpoints(w: World) -> list[tuple[str, str, dict | None, set[str]]]:
    """(method, path, body, the roles that may): every endpoint but the moves and the multipart upload."""
    p = f"/projects/{w.project.pk}"
    everyone = {"manager", "annotator", "reviewer"}
    managers = {"manager"}
    annotating, review = w.image[Status.ANNOTATING], w.image[Status.REVIEW]
    batch = w.batches[Status.ANNOTATING]
    u, e = w.upload.pk, w.export.pk
    return [
        ("get", p, None, everyone),
        ("get", f"{p}/classes", None, everyone),
        ("post", f"{p}/classes", {"name": "bus", "colour": "#123456"}, managers),
        ("patch", f"{p}/classes/{w.label_class.pk}", {"colour": "#654321"}, managers),
        ("delete", f"{p}/classes/{w.unused_class.pk}", None, managers),
        ("get", f"{p}/members", None, everyone),
        ("post", f"{p}/members", {"who": "nobody-here", "roles": ["annotator"]}, managers),
        ("put", f"{p}/members/{w.spare.pk}", {"roles": ["annotator", "reviewer"]}, managers),
        ("delete", f"{p}/members/{w.spare.pk}", None, managers),
        ("get", f"{p}/batches", None, everyone),
        ("get", f"{p}/batches/{batch.pk}", None, everyone),
        ("get", f"{p}/batches/{batch.pk}/images", None, everyone),
        ("get", f"{p}/images/{annotating.pk}", None, everyone),
        ("get", f"{p}/images/{annotating.pk}/file", None, everyone),
        ("get", f"{p}/images/{annotating.pk}/thumbnail", None, everyone),
        ("get", f"{p}/images/{annotating.pk}/annotations", None, everyone),
        ("put", f"{p}/images/{annotating.pk}/annotations", {"boxes": [], "no_objects": True}, {"manager", "annotator"}),
        ("put", f"{p}/images/{review.pk}/flag", {"flagged": True, "note": "blurry"}, {"reviewer"}),
        ("post", f"{p}/uploads", {"expected": 3, "name": "More"}, managers),
        ("get", f"{p}/uploads/{u}", None, managers),
        ("post", f"{p}/uploads/{u}/known", {"hashes": ["0" * 64]}, managers),
        ("post", f"{p}/uploads/{u}/finish", None, managers),
        ("post", f"{p}/uploads/{u}/cancel", None, managers),
        ("get", f"{p}/exports", None, managers),
        ("post", f"{p}/exports", {"format": "yolo"}, managers),
        ("get", f"{p}/exports/{e}", None, managers),
        ("get", f"{p}/exports/{e}/download", None, managers),
        ("get", f"{p}/webhooks", None, managers),
        ("post", f"{p}/webhooks", {"url": "https://hooks.example/b", "events": ["export.ready"]}, managers),
        ("get", f"{p}/webhooks/{w.webhook.pk}", None, managers),
        ("patch", f"{p}/webhooks/{w.webhook.pk}", {"active": False, "new_secret": True}, managers),
        ("post", f"{p}/webhooks/{w.webhook.pk}/test", None, managers),
        ("get", f"{p}/webhooks/{w.webhook.pk}/deliveries", None, managers),
        ("delete", f"{p}/webhooks/{w.webhook.pk}", None, managers),
    ]


def expected(role: str, allowed: set[str]) -> int:
    if role == "anonymous":
        return 401
    if role == "outsider":
        return 404
    return 200 if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_by_role(role, settings):
    settings.MEMBERS_DIRECT_ADD = True  # a manager's POST /members adds directly only where operators allow it
    world = World()
    client = ApiClient(getattr(world, role) if role != "anonymous" else None)
    wrong = []
    for method, path, body, allowed in endpoints(world):
        with transaction.atomic():
            response = client.get(path) if method == "get" else client.send(method, path, body)
            if response.streaming:
                b"".join(response.streaming_content)
            transaction.set_rollback(True)
        got = response.status_code
        want = expected(role, allowed)
        ok = (200 <= got < 300) if want == 200 else got == want
        if not ok:
            wrong.append(f"{method.upper()} {path}: want {want}, got {got} {getattr(response, 'content', b'')[:160]!r}")
        elif want >= 400:
            code = response.json()["code"]
            assert code == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[want], (path, code)
    assert not wrong, "\n".join(wrong)


def test_the_project_list_holds_only_the_callers_projects():
    world = World()
    assert [p["id"] for p in ApiClient(world.manager).get("/projects").json()["items"]] == [world.project.pk]
    assert ApiClient(world.outsider).get("/projects").json()["items"] == []
    assert ApiClient().get("/projects").status_code == 401
