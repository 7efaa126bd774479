"""The operators' admin: every changelist in a fixed number of queries, and batch actions that go
through the workflow (a refused action says why and changes nothing)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.roles import grant_role
from batches import workflow
from batches.models import Annotation, Batch, BatchEvent, Image, LabelClass, Project, Webhook, WebhookDelivery
from tests.factories import annotate, make_batch, make_project, make_user, stored_image_rows

pytestmark = pytest.mark.django_db
Status = Batch.Status
CHANGELIST = reverse("admin:batches_batch_changelist")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def in_review(project, manager, annotator, images=4):
    batch = make_batch(project, manager, images=images)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    batch.refresh_from_db()
    workflow.submit(actor=annotator, batch=batch)
    batch.refresh_from_db()
    return batch


def act(client, action, *batches, **extra):
    data = {"action": action, "_selected_action": [b.pk for b in batches], "index": 0, **extra}
    return client.post(CHANGELIST, data, follow=True)


def shown(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.fixture
def busy(project, manager, annotator, reviewer):
    """Enough of everything that an N+1 would show: several projects, batches, images, events."""
    for n in range(3):
        other = make_project(f"Other {n}")
        grant_role(other, manager, "manager")
        grant_role(other, annotator, "annotator")
        for _ in range(2):
            batch = make_batch(other, manager, images=2)
            workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    batch = Batch.objects.filter(project=project).first() or make_batch(project, manager, images=3)
    car = project.label_classes.get(name="car")
    for image in Image.objects.filter(project__name="Other 0")[:3]:
        annotate(image, LabelClass.objects.get(project=image.project, name="car"), annotator)
    for other in Project.objects.all():
        hook = Webhook.objects.create(project=other, url=f"https://hooks.example/{other.pk}", secret="s" * 32)
        for status in ["delivered", "failed", "pending"]:
            WebhookDelivery.objects.create(webhook=hook, event="batch.created", body="{}", status=status)
    return batch, car


# --- every changelist loads, in a bounded number of queries ---


@pytest.mark.parametrize(
    ("model", "budget"),
    [
        ("accounts_project", 8),
        ("accounts_labelclass", 8),
        ("batches_batch", 9),
        ("batches_image", 8),
        ("batches_annotation", 8),
        ("batches_batchevent", 9),
        ("accounts_projectuserobjectpermission", 8),
        ("accounts_projectgroupobjectpermission", 8),
        ("accounts_user", 8),
        ("batches_webhook", 8),
        ("batches_webhookdelivery", 8),
    ],
)
def test_every_changelist_loads_in_a_fixed_number_of_queries(
    admin_client, busy, model, budget, django_assert_max_num_queries
):
    # The budget holds whatever the row count: session, user, count, rows, filters' choices, ...
    with django_assert_max_num_queries(budget):
        response = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200


def test_the_batch_changelist_costs_the_same_with_more_rows(admin_client, project, manager, annotator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        make_batch(project, manager, images=1)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for _ in range(10):
        workflow.assign(actor=manager, batch=make_batch(project, manager, images=1), assignees=[annotator])
    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)
    # session, user, filtered count, total count, rows with project and assignee, the project and
    # assignee filters' choices, the date hierarchy: none of them per row.
    assert len(many.captured_queries) == len(few.captured_queries) <= 9


def test_the_assignee_filter_asks_per_person_not_distinct_over_every_batch(
    admin_client, project, manager, annotator, reviewer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def assign(person, count: int) -> None:
        start = Batch.objects.count()
        Batch.objects.bulk_create(
            Batch(project=project, name=f"B{start + n}", status=Status.ANNOTATING, assignee=person)
            for n in range(count)
        )

    def load(**params):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return response, [query["sql"] for query in queries.captured_queries]

    make_batch(project, manager, images=1)  # unassigned: its manager is no assignee
    assign(annotator, 6)
    assign(reviewer, 3)
    assert Batch.objects.count() == 10
    _, few = load()
    assign(annotator, 290)
    assert Batch.objects.count() == 300
    response, many = load()

    assert len(many) == len(few)
    # The choices come from the users table, one EXISTS probe per person; no DISTINCT over the batches for them,
    # nor for dates (fixed spans, not a date hierarchy's years and months).
    assert [sql for sql in many if "DISTINCT" in sql.upper()] == []
    users = get_user_model()._meta.db_table
    assert len([sql for sql in many if sql.startswith(f'SELECT "{users}".') and "EXISTS" in sql]) == 1
    (choices,) = [spec.lookup_choices for spec in response.context["cl"].filter_specs if spec.field_path == "assignee"]
    assert sorted(pk for pk, _name in choices) == sorted([annotator.pk, reviewer.pk])
    chosen, _ = load(assignee__id__exact=reviewer.pk)
    assert chosen.context["cl"].result_count == 3


def test_the_delivery_changelist_costs_the_same_with_more_rows(admin_client, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:batches_webhookdelivery_changelist")
    hook = Webhook.objects.create(project=project, url="https://hooks.example/a", secret="s" * 32)
    WebhookDelivery.objects.create(webhook=hook, event="batch.created", body="{}")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for n in range(20):
        other = Webhook.objects.create(project=make_project(f"P{n}"), url=f"https://hooks.example/{n}", secret="s")
        WebhookDelivery.objects.create(webhook=other, event="ping", body="{}", status="failed")
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    # session, user, filtered count, total count, rows with webhook and project, the project filter's choices.
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


def test_an_operator_sees_a_webhooks_failed_deliveries_with_their_error_but_never_its_secret(admin_client, project):
    hook = Webhook.objects.create(
        project=project, url="https://hooks.example/ci", secret="the-signing-secret", events=["batch.approved"]
    )
    WebhookDelivery.objects.create(
        webhook=hook, event="batch.approved", body="{}", status="failed", attempts=6, response_code=502,
        error='{"m": "The receiver answered %(code)s.", "p": {"code": 502}}',
    )  # fmt: skip
    other = Webhook.objects.create(project=make_project("Elsewhere"), url="https://hooks.example/other", secret="x")
    WebhookDelivery.objects.create(webhook=other, event="ping", body="{}", status="delivered")

    page = admin_client.get(reverse("admin:batches_webhook_change", args=[hook.pk])).content.decode()
    assert "https://hooks.example/ci" in page and "Batch approved" in page
    assert "the-signing-secret" not in page
    log = reverse("admin:batches_webhookdelivery_changelist") + f"?webhook__id__exact={hook.pk}"
    assert f'href="{log}"'.replace("&", "&amp;") in page or f'href="{log}"' in page

    response = admin_client.get(log + "&status__exact=failed")
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [(r.webhook_id, r.status) for r in rows] == [(hook.pk, "failed")]
    content = response.content.decode()
    assert "Batch approved" in content and "502" in content


def test_webhooks_and_deliveries_cannot_be_changed_in_the_admin(admin_client, project):
    hook = Webhook.objects.create(project=project, url="https://hooks.example/ci", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=hook, event="ping", body="{}")
    assert (
        admin_client.post(
            reverse("admin:batches_webhook_change", args=[hook.pk]), {"url": "https://x.example"}
        ).status_code
        == 403
    )
    assert admin_client.post(reverse("admin:batches_webhookdelivery_delete", args=[delivery.pk])).status_code == 403
    hook.refresh_from_db()
    assert hook.url == "https://hooks.example/ci"


def test_the_index_lists_every_model(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()
    for name in [
        "Projects",
        "Label classes",
        "Batches",
        "Images",
        "Annotations",
        "Batch events",
        "Users",
        "Webhook deliveries",
    ]:
        assert name in content


def test_staff_without_a_superuser_flag_cannot_see_everything_unasked(client, db):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(CHANGELIST).status_code == 403


# --- detail pages ---


def test_a_batch_page_shows_its_history_read_only(admin_client, project, manager, annotator):
    batch = make_batch(project, manager, images=3)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    response = admin_client.get(reverse("admin:batches_batch_change", args=[batch.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "History" in content or "history" in content
    assert "to annotator (3)" in content
    assert 'name="status"' not in content
    assert 'name="events-TOTAL_FORMS"' in content
    assert 'name="events-0-note"' not in content


def test_batches_cannot_be_added_or_deleted_in_the_admin(admin_client, project, manager):
    batch = make_batch(project, manager, images=1)
    assert admin_client.get(reverse("admin:batches_batch_add")).status_code == 403
    assert admin_client.post(reverse("admin:batches_batch_delete", args=[batch.pk]), {"post": "yes"}).status_code == 403
    assert Batch.objects.filter(pk=batch.pk).exists()
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()


def test_saving_a_batch_changes_only_its_name_never_its_status(admin_client, project, manager, annotator):
    batch = make_batch(project, manager, images=2, name="Old name")
    url = reverse("admin:batches_batch_change", args=[batch.pk])
    form = admin_client.get(url).context["adminform"].form
    # Meanwhile the batch moves on the board.
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    data = {
        "name": "New name",
        "status": "dataset",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "0",
    }
    assert form.initial["name"] == "Old name"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    fresh = Batch.objects.get(pk=batch.pk)
    assert (fresh.name, fresh.status, fresh.assignee) == ("New name", Status.ANNOTATING, annotator)
    assert fresh.version == batch.version + 2


def test_an_image_shows_its_thumbnail_in_the_list_and_on_its_page(admin_client, project, manager):
    batch = workflow.create_batch(actor=manager, project=project, name="Photos", images=stored_image_rows(project, 2))
    image = batch.images.first()
    thumb = reverse("image_thumbnail", args=[image.pk])
    listing = admin_client.get(reverse("admin:batches_image_changelist")).content.decode()
    assert f'<img src="{thumb}"' in listing
    page = admin_client.get(reverse("admin:batches_image_change", args=[image.pk])).content.decode()
    assert f'<img src="{thumb}"' in page
    assert admin_client.get(thumb).status_code == 200


def test_images_annotations_and_events_are_read_only(admin_client, project, manager):
    batch = make_batch(project, manager, images=1)
    image = batch.images.get()
    annotation = annotate(image, project.label_classes.first(), manager)
    event = BatchEvent.objects.get(batch=batch)
    for model, pk in [("image", image.pk), ("annotation", annotation.pk), ("batchevent", event.pk)]:
        assert admin_client.get(reverse(f"admin:batches_{model}_add")).status_code == 403
        assert (
            admin_client.post(reverse(f"admin:batches_{model}_delete", args=[pk]), {"post": "yes"}).status_code == 403
        )
        response = admin_client.get(reverse(f"admin:batches_{model}_change", args=[pk]))
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_a_project_page_has_its_label_classes_and_object_permissions(admin_client, project, manager):
    page = admin_client.get(reverse("admin:accounts_project_change", args=[project.pk])).content.decode()
    assert 'name="label_classes-0-name"' in page
    perms = admin_client.get(reverse("admin:accounts_project_permissions", args=[project.pk]))
    assert perms.status_code == 200
    assert "manager" in perms.content.decode()


def test_the_user_admin_is_djangos_with_our_user(admin_client, manager):
    response = admin_client.get(reverse("admin:accounts_user_change", args=[manager.pk]))
    assert response.status_code == 200
    assert get_user_model()._meta.label == "accounts.User"
    assert admin_client.get(reverse("admin:accounts_user_changelist") + "?q=manag").context["cl"].result_count == 1


# --- actions call the workflow ---


def test_approve_moves_review_batches_to_dataset(admin_client, project, manager, annotator):
    first, second = in_review(project, manager, annotator), in_review(project, manager, annotator)
    response = act(admin_client, "approve_batches", first, second)
    assert shown(response) == [("success", "Approved 2 batches.")]
    assert set(Batch.objects.values_list("status", flat=True)) == {Status.DATASET}
    assert BatchEvent.objects.filter(action=BatchEvent.Action.APPROVED).count() == 2


def test_an_illegal_approve_shows_the_error_and_changes_nothing(admin_client, project, manager):
    batch = make_batch(project, manager, images=2, name="Fresh")
    response = act(admin_client, "approve_batches", batch)
    [(level, text)] = shown(response)
    assert level == "error"
    assert text.startswith("“Fresh” (Street scenes): Approve is only possible from Review")
    fresh = Batch.objects.get(pk=batch.pk)
    assert (fresh.status, fresh.version) == (Status.UNASSIGNED, batch.version)


def test_mixed_selections_report_each_refusal_and_count_the_successes(admin_client, project, manager, annotator):
    ready = in_review(project, manager, annotator)
    fresh = make_batch(project, manager, images=1, name="Fresh")
    response = act(admin_client, "approve_batches", ready, fresh)
    levels = sorted(level for level, _ in shown(response))
    assert levels == ["error", "success"]
    assert Batch.objects.get(pk=ready.pk).status == Status.DATASET
    assert Batch.objects.get(pk=fresh.pk).status == Status.UNASSIGNED


def test_submit_follows_the_projects_review_setting(admin_client, project, manager, annotator):
    batch = make_batch(project, manager, images=2)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    Project.objects.filter(pk=project.pk).update(review_required=False)
    response = act(admin_client, "submit_batches", batch)
    assert shown(response) == [("success", "Submitted 1 batch.")]
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_merge_joins_unassigned_batches(admin_client, project, manager):
    first = make_batch(project, manager, images=2, name="First")
    second = make_batch(project, manager, images=3, name="Second")
    response = act(admin_client, "merge_batches", first, second)
    assert shown(response) == [("success", "Merged 2 batches into “First” (5 images).")]
    assert list(Batch.objects.values_list("name", "image_count")) == [("First", 5)]


def test_merge_refuses_a_batch_outside_unassigned_and_changes_nothing(admin_client, project, manager, annotator):
    first = make_batch(project, manager, images=2)
    busy = in_review(project, manager, annotator)
    response = act(admin_client, "merge_batches", first, busy)
    [(level, text)] = shown(response)
    assert level == "error"
    assert "Merge is only possible from Unassigned" in text
    assert Batch.objects.count() == 2
    assert Batch.objects.get(pk=first.pk).image_count == 2


def test_reset_asks_first_stating_the_annotations_lost(admin_client, project, manager, annotator):
    batch = in_review(project, manager, annotator, images=3)
    car = project.label_classes.get(name="car")
    for image in batch.images.all()[:2]:
        annotate(image, car, annotator)
    response = act(admin_client, "reset_batches", batch)
    content = response.content.decode()
    assert "Reset 1 batch to Unassigned: <strong>2 annotations</strong> on 3 images will be removed" in content
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW
    assert Annotation.objects.count() == 2


def test_a_confirmed_reset_goes_through_the_workflow(admin_client, project, manager, annotator):
    batch = in_review(project, manager, annotator, images=3)
    annotate(batch.images.first(), project.label_classes.first(), annotator)
    response = act(
        admin_client, "reset_batches", batch, confirm="reset_batches", **{f"version_{batch.pk}": batch.version}
    )
    assert shown(response) == [("success", "Reset 1 batch.")]
    fresh = Batch.objects.get(pk=batch.pk)
    assert (fresh.status, fresh.assignee, fresh.done_count) == (Status.UNASSIGNED, None, 0)
    assert not Annotation.objects.exists()
    assert BatchEvent.objects.filter(batch=batch, action=BatchEvent.Action.RESET).exists()


def test_a_reset_confirmed_after_the_batch_moved_is_stale_and_changes_nothing(
    admin_client, project, manager, annotator, reviewer
):
    batch = in_review(project, manager, annotator)
    seen = batch.version
    workflow.approve(actor=reviewer, batch=batch)
    response = act(admin_client, "reset_batches", batch, confirm="reset_batches", **{f"version_{batch.pk}": seen})
    [(level, text)] = shown(response)
    assert level == "error"
    assert "has changed since you loaded it" in text
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_reset_never_deletes_an_unassigned_batch(admin_client, project, manager):
    batch = make_batch(project, manager, images=2, name="Keep me")
    response = act(admin_client, "reset_batches", batch, confirm="reset_batches")
    [(level, text)] = shown(response)
    assert level == "error"
    assert "already in Unassigned" in text
    assert Batch.objects.filter(pk=batch.pk).exists()


def test_delete_for_good_asks_first_then_removes_batch_images_and_files(
    admin_client, project, manager, django_capture_on_commit_callbacks
):
    batch = workflow.create_batch(actor=manager, project=project, name="Gone", images=stored_image_rows(project, 2))
    files = [image.file for image in batch.images.all()]
    confirm = act(admin_client, "delete_batches_for_good", batch)
    assert "Delete 1 batch for good: <strong>2 images</strong>" in confirm.content.decode()
    assert Batch.objects.filter(pk=batch.pk).exists()
    version = {f"version_{batch.pk}": batch.version}
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "delete_batches_for_good", batch, confirm="delete_batches_for_good", **version)
    assert shown(response) == [("success", "Deleted 1 batch for good.")]
    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not Image.objects.exists()
    assert BatchEvent.objects.filter(batch_name="Gone", action=BatchEvent.Action.DELETED).exists()
    assert all(not f.storage.exists(f.name) for f in files)


def test_delete_for_good_refuses_a_batch_outside_unassigned(admin_client, project, manager, annotator):
    batch = in_review(project, manager, annotator)
    response = act(admin_client, "delete_batches_for_good", batch, confirm="delete_batches_for_good")
    [(level, text)] = shown(response)
    assert level == "error"
    assert "reset it to Unassigned first" in text
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_a_staff_operator_without_a_role_is_refused_by_the_workflow(client, project, manager, annotator):
    from django.contrib.auth.models import Permission

    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_batch", "change_batch"]))
    client.force_login(clerk)
    batch = in_review(project, manager, annotator)
    response = act(client, "approve_batches", batch)
    [(level, text)] = shown(response)
    assert level == "error"
    assert "not a member of this project" in text
    assert Batch.objects.get(pk=batch.pk).status == Status.REVIEW


def test_actions_work_from_a_batchs_own_page(admin_client, project, manager, annotator):
    batch = in_review(project, manager, annotator)
    url = reverse("admin:batches_batch_change", args=[batch.pk])
    assert "Approve (Review → Dataset)" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"CHANGE_FORM-action": "approve_batches", "_selected_action": [batch.pk]}, follow=True
    )
    assert ("success", "Approved 1 batch.") in shown(response)
    assert Batch.objects.get(pk=batch.pk).status == Status.DATASET


def test_deleting_for_good_from_a_batchs_own_page_returns_to_the_list(admin_client, project, manager):
    batch = make_batch(project, manager, images=1)
    url = reverse("admin:batches_batch_change", args=[batch.pk])
    confirm = admin_client.post(url, {"CHANGE_FORM-action": "delete_batches_for_good", "_selected_action": [batch.pk]})
    assert 'name="CHANGE_FORM-action" value="delete_batches_for_good"' in confirm.content.decode()
    response = admin_client.post(
        url,
        {
            "CHANGE_FORM-action": "delete_batches_for_good",
            "_selected_action": [batch.pk],
            "confirm": "delete_batches_for_good",
            f"version_{batch.pk}": batch.version,
        },
    )
    assert response.url == CHANGELIST
    assert not Batch.objects.filter(pk=batch.pk).exists()


# --- removing a whole project ---


def test_a_superuser_deletes_a_project_with_everything_in_it(
    admin_client, project, manager, annotator, django_capture_on_commit_callbacks
):
    batch = workflow.create_batch(actor=manager, project=project, name="Photos", images=stored_image_rows(project, 2))
    annotate(batch.images.first(), project.label_classes.first(), manager)
    workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    files = [image.file for image in batch.images.all()]
    url = reverse("admin:accounts_project_delete", args=[project.pk])
    assert "Are you sure" in admin_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Batch.objects.exists() and not Image.objects.exists() and not Annotation.objects.exists()
    assert all(not f.storage.exists(f.name) for f in files)


def test_a_staff_operator_cannot_delete_a_project_with_its_batches(client, project, manager):
    from django.contrib.auth.models import Permission

    make_batch(project, manager, images=1)
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_project", "delete_project"]))
    client.force_login(clerk)
    response = client.post(reverse("admin:accounts_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 403 or "doesn't have permission" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()


def test_names_typed_in_the_admin_lose_their_invisible_characters(admin_client, project, manager):
    """A bidi override in a name typed in the admin spoofed it on every member's page ("\u202etxt.exe" read
    "exe.txt"); the admin cleans names as the app's own forms do."""
    batch = make_batch(project, manager, images=1, name="Old name")
    url = reverse("admin:batches_batch_change", args=[batch.pk])
    data = {
        "name": " \u202etxt.exe\x00\u202c ",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "1",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "0",
    }
    assert admin_client.post(url, data).status_code == 302
    assert Batch.objects.get(pk=batch.pk).name == "txt.exe"
    admin = admin_client.get(reverse("admin:accounts_project_change", args=[project.pk])).context["adminform"].form
    assert admin.fields["name"].clean("\u202eR&D\u2066") == "R&D"
    assert admin.fields["description"].clean("line one\u202e\nline two") == "line one\nline two"
    inline = admin_client.get(reverse("admin:accounts_labelclass_add")).context["adminform"].form
    assert inline.fields["name"].clean("car\u2067") == "car"


@pytest.mark.parametrize("changelist", ["admin:batches_batchevent_changelist", "admin:batches_exportjob_changelist"])
def test_the_lists_that_grow_with_the_work_read_no_distinct_dates(admin_client, project, manager, changelist):
    """A date hierarchy's year and month links were a SELECT DISTINCT over every event (or export) on each load."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_batch(project, manager, images=1)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse(changelist))
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()] == []
    this_year = admin_client.get(reverse(changelist), {"created_at__gte": f"{timezone.now().year}-01-01"})
    assert this_year.status_code == 200
