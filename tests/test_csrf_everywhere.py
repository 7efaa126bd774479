"""Every URL that takes a POST refuses one without the CSRF token from a signed-in browser, and changes nothing.

The hostile walk (test_hostile_urls.py) sends its POSTs without CSRF checks, to reach the views' own code;
this walk sends the manager's POSTs as another site's form would (the session cookie, no token): every page,
htmx and JSON URL answers 403 (or 404/405 where there is nothing to post to) and writes nothing.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.test import Client

from batches.models import UploadSession
from tests.test_hostile_urls import WRITE, World, url_for, walk

# The one-click unsubscribe of a mail client carries no token: the signed token in its URL is the authority.
NO_CSRF_BY_DESIGN = {"unsubscribe"}


def test_no_post_without_the_csrf_token_changes_anything(db, settings):
    settings.API_RATE_LIMIT = 0
    world = World()
    # The hostile walk fills an upload's id with a batch's; the chunk and part URLs check CSRF once they found
    # the upload, so they get a real one.
    upload = UploadSession.objects.create(project=world.project, created_by=world.manager, name="up")
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(world.manager)
    problems = []
    for route in walk():
        if route.name.startswith("admin:") or route.name in NO_CSRF_BY_DESIGN:
            continue
        for values in world.fills(route, "manager"):
            if "upload" in route.name and "/uploads/<int:pk>" in route.template:
                values = {**values, "pk": upload.pk}
            url = url_for(route, values)
            for kwargs in (
                {"data": {"name": "x", "confirm": "1", "comment": "x"}},
                {"data": b"{}", "content_type": "application/json"},
                {"data": {"name": "x"}, "headers": {"HX-Request": "true"}},
            ):
                writes = []

                def record(execute, sql, params, many, context, writes=writes):
                    match = WRITE.match(sql)
                    if match and not match.group(2).startswith(("django_session", "axes")):
                        writes.append(sql[:100])
                    return execute(sql, params, many, context)

                with transaction.atomic(), connection.execute_wrapper(record):
                    answer = client.post(url, **kwargs)
                    transaction.set_rollback(True)
                if answer.status_code not in (403, 404, 405) or writes:
                    problems.append(f"POST {url} {str(kwargs)[:40]}: {answer.status_code} {writes[:2]}")
    assert not problems, "\n".join(problems)
