"""Every project URL, as a manager of one project, with the ids of another project's objects: 404, nothing learnt.

test_hostile_urls.py walks every URL with the visitor's own ids and hostile values (no 5xx, no change);
this walk gives a member of project A the ids of project B's objects (batches, images, label classes,
members, invitations, webhooks, upload sessions, export jobs, another person's notification and API
token), both under A's URL (/projects/A/batches/<B's batch>/) and under B's, by GET and by POST (htmx or
not; the API also by A's manager's write token, with a form and with a JSON body), and ids past 2^63:
every answer must be the 404 an id that exists nowhere gets, word for word, and nothing may change.
"""

from __future__ import annotations

import copy
import re

from django.db import connection, transaction
from django.test import Client

from accounts.invitations import invite
from accounts.models import Notification
from accounts.notifications import notify
from accounts.roles import grant_role
from accounts.tokens import create_token
from batches.models import Batch, ExportJob, UploadSession, Webhook
from tests.factories import batch_in, make_project, make_user
from tests.test_hostile_urls import PLACEHOLDER, WRITE, url_for, walk

NOWHERE = 2**31 - 7  # an id no row has


class TwoProjects:
    def __init__(self):
        self.a = make_project("Ours")
        self.b = make_project("Theirs")
        self.manager = make_user("ours")  # manager of A only
        grant_role(self.a, self.manager, "manager")
        b_people = {role: make_user(f"their_{role}") for role in ("manager", "annotator", "reviewer")}
        for role, user in b_people.items():
            grant_role(self.b, user, role)
        self.b_batches = {s: batch_in(s, self.b, images=2, **b_people) for s in Batch.Status.values}
        self.b_batch = self.b_batches[Batch.Status.REVIEW]
        self.b_image = self.b_batch.images.first()
        self.b_class = self.b.label_classes.first()
        self.b_member = b_people["annotator"]
        self.b_invitation = invite(project=self.b, inviter=b_people["manager"], who="x@example.com", roles=["reviewer"])
        self.b_webhook = Webhook.objects.create(
            project=self.b, url="https://hooks.example/b", secret="whsec_b", events=["batch.created"]
        )
        self.b_upload = UploadSession.objects.create(project=self.b, created_by=b_people["manager"], name="up")
        self.b_export = ExportJob.objects.create(
            project=self.b, requested_by=b_people["manager"], options={"format": "coco"}, status="done"
        )
        self.b_token = create_token(user=b_people["manager"], name="t", scope="write", expires_in_days=None).token
        self.b_notification = notify(
            recipient=b_people["manager"], kind=Notification.Kind.values[0], project=self.b, actor=b_people["annotator"]
        ) or Notification.objects.create(
            recipient=b_people["manager"], kind=Notification.Kind.values[0], project=self.b
        )

    def pk_for(self, name: str):
        if name in ("api_token_revoke",):
            return self.b_token.pk
        if name == "notification_read":
            return self.b_notification.pk
        if name in ("image_file", "image_thumbnail"):
            return self.b_image.pk
        if "upload" in name and name not in ("upload", "api:start"):
            return self.b_upload.pk
        if "export" in name:
            return self.b_export.pk
        if "webhook" in name:
            return self.b_webhook.pk
        return self.b_batch.pk

    def variants(self, route) -> list[tuple[str, dict]]:
        names = {n for _, n in PLACEHOLDER.findall(route.template)}
        project_key = (
            "project_pk" if "project_pk" in names else ("pk" if route.template.startswith("projects/<") else None)
        )
        objects = {
            "image_pk": self.b_image.pk,
            "class_pk": self.b_class.pk,
            "user_pk": self.b_member.pk,
            "invitation_pk": self.b_invitation.pk,
            "status": "review",
            "action": "reject",
            "table": "cfd",
            "token": "not-a-token",
        }
        if project_key != "pk" and "pk" in names:
            objects["pk"] = self.pk_for(route.name)
        object_names = names - {project_key, "status", "action", "table", "token"}
        out = []
        theirs = {**objects, **({project_key: self.b.pk} if project_key else {})}
        nowhere = {**{n: NOWHERE for n in object_names}, **({project_key: NOWHERE} if project_key else {})}
        nowhere = {**objects, **nowhere}
        huge = {**nowhere, **{n: 2**63 for n in nowhere if n in object_names or n == project_key}}
        if project_key or object_names:
            out.append(("theirs", theirs, nowhere))
            out.append(("past 2^63", huge, nowhere))
        if project_key and object_names:
            mixed = {**theirs, project_key: self.a.pk}
            mixed_nowhere = {**nowhere, project_key: self.a.pk}
            out.append(("their object under our project", mixed, mixed_nowhere))
        return out


def normalise(content: bytes) -> bytes:
    content = re.sub(rb'nonce="[^"]*"|"inlineStyleNonce": "[^"]*"', b"", content)
    content = re.sub(rb"(csrfmiddlewaretoken\" value=\"|x-csrftoken\": \")[^\"]*", b"", content)
    return re.sub(rb"\d+", b"N", content)


def diff(a: bytes, b: bytes) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"{a[max(0, i - 80) : i + 80]!r} <> {b[max(0, i - 80) : i + 80]!r}"


HTMX = {"headers": {"HX-Request": "true"}}


def send(client, method: str, url: str, extra: dict):
    """One request in a savepoint rolled back afterwards, the client's cookies put back: no request sees another's."""
    writes = []

    def record(execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and not match.group(2).startswith(("django_session", "axes", "accounts_apitoken")):
            writes.append(sql[:100])
        return execute(sql, params, many, context)

    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic(), connection.execute_wrapper(record):
        data = "{}" if "content_type" in extra else {"name": "x", "confirm": "1"}
        answer = getattr(client, method)(url, data, **extra)
        if answer.streaming:
            b"".join(answer.streaming_content)
        transaction.set_rollback(True)
    client.cookies = cookies
    return answer, writes


def test_another_projects_ids_answer_404_like_no_id(db, settings):
    settings.API_RATE_LIMIT = 0
    world = TwoProjects()
    client = Client(raise_request_exception=False)
    client.force_login(world.manager)
    # The API also by a write token of A's manager (its own authentication path), JSON bodies too.
    secret = create_token(user=world.manager, name="ci", scope="write", expires_in_days=None).secret
    token = {"headers": {"Authorization": f"Bearer {secret}"}}
    as_json = {**token, "content_type": "application/json"}
    problems = []
    for route in walk():
        if route.name.startswith("admin:") or "uidb64" in route.template:
            continue
        ways = [("get", {}), ("post", {}), ("get", HTMX), ("post", HTMX)]
        if route.name.startswith("api:"):
            ways += [("get", token), ("post", token), ("post", as_json)]
        for label, values, nowhere in world.variants(route):
            for method, headers in ways:
                url = url_for(route, values)
                answer, writes = send(client, method, url, headers)
                missing, _ = send(client, method, url_for(route, nowhere), headers)
                shown = f"{method.upper()} {url} ({label}) {str(headers)[:40]}"
                # A batch gone from the board: the board page (302), or its card removed with a toast (htmx, 200).
                if missing.status_code not in (302, 400, 404, 405, 422) and not (
                    headers and missing.status_code == 200
                ):
                    problems.append(f"{shown}: {missing.status_code} for an id that exists nowhere")
                if answer.status_code != missing.status_code or normalise(answer.content) != normalise(missing.content):
                    problems.append(
                        f"{shown}: {answer.status_code} vs {missing.status_code} "
                        + diff(normalise(answer.content), normalise(missing.content))
                    )
                if writes:
                    problems.append(f"{shown} wrote: {writes[:2]}")
    assert not problems, "\n".join(problems)
