"""Numbers the server writes on Persian pages and in Persian e-mails are in Persian digits (۰۱۲۳۴۵۶۷۸۹).

Counts inside plural sentences are the easy ones to miss: the count must stay a number to choose the plural, so
the sentence shows a second variable, `shown=count|digits`. Each test renders a page (or a dialog, or an e-mail)
for a person who reads Persian and looks for a Latin digit in what a person reads on it (the text, and the
attributes read aloud or shown: title, alt, placeholder, aria-label, a button's value), after taking out the
names in the data (image file names carry digits; the batch names here have none).
"""

from __future__ import annotations

import io
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import calendars
from accounts.emails import render_message
from batches import annotating, workflow
from batches.models import Annotation, Batch, ExportJob, Image, UploadFile, UploadSession, Webhook
from tests.batches.board_helpers import HTMX, client_for, seen
from tests.batches.workflow_helpers import annotate_some, batch_in, fresh
from tests.factories import make_batch
from tests.test_i18n_pages import DAY_PAGES, MORE_DAY_PAGES, day_page, persian_day, visible_text  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
Status = Batch.Status
LATIN_DIGIT = re.compile(r".{0,25}[0-9].{0,25}")
# A middle dot beside a Persian digit reads as one more digit: "۱ · ۱۰" looks like "۱۰۱۰" (the dot is the Persian zero).
DOT_BY_DIGIT = re.compile(r".{0,25}(?:[۰-۹]\s*·|·\s*[۰-۹]).{0,25}")
# The keys named in buttons' titles, as on <kbd>: "(0)" fits the image, "(1)" shows its actual pixels.
KEY_HINT = re.compile(r"\([01]\)")


def speaks_persian(*users) -> None:
    for user in users:
        user.language = "fa"
        user.save(update_fields=["language"])


def latin_digits(html: str, *names: str) -> list[str]:
    """The places a person would read a Latin digit in `html`, once the names in `names` are taken out."""
    text = visible_text(html)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = KEY_HINT.sub(" ", text)
    return LATIN_DIGIT.findall(text)


def image_names(*batches: Batch) -> list[str]:
    return list(Image.objects.filter(batch__in=batches).values_list("original_name", flat=True))


def flag(batch: Batch, n: int) -> None:
    pks = Image.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)[:n]
    Image.objects.filter(pk__in=list(pks)).update(review_flag=True, review_note="look again")


# --- review ------------------------------------------------------------------------------------------------


@pytest.fixture
def in_review(project, manager, annotator, reviewer):
    speaks_persian(manager, annotator, reviewer)
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=3, name="Noon")
    flag(batch, 2)
    return fresh(batch)


def test_the_review_page_counts_flagged_images_in_persian_digits(in_review, project, reviewer):
    html = client_for(reviewer).get(reverse("review", args=[project.pk, in_review.pk])).content.decode()

    assert "⚑ ۲ " in html
    assert latin_digits(html, *image_names(in_review)) == []


def test_the_no_javascript_approve_question_counts_flagged_images_in_persian_digits(in_review, project, reviewer):
    response = client_for(reviewer).post(
        reverse("review_approve", args=[project.pk, in_review.pk]), {"version": in_review.version}
    )

    html = response.content.decode()
    assert "«\u2068Noon\u2069» با ۲ تصویر" in html and "۳" in html
    assert latin_digits(html, *image_names(in_review)) == []


def test_the_review_of_a_relabelled_batch_counts_its_changes_in_persian_digits(project, manager, annotator, reviewer):
    speaks_persian(reviewer)
    batch = batch_in(
        Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=1, name="Dawn"
    )
    image = Image.objects.get(batch=batch)
    label = project.label_classes.first()
    for x in (1, 100, 300):
        Annotation.objects.create(image=image, label_class=label, author=annotator, x=x, y=x, w=10, h=10)
    workflow.relabel(actor=manager, batch=batch, assignee=annotator)
    boxes = [{"label_class": label.pk, "x": x, "y": x, "w": 10, "h": 10} for x in (1, 104, 400, 420)]
    annotating.save_annotations(actor=annotator, image=image, boxes=boxes, suggestions=[])
    workflow.submit(actor=annotator, batch=fresh(batch))

    html = client_for(reviewer).get(reverse("review", args=[project.pk, batch.pk])).content.decode()

    diff = re.search(r"<span class=\"small relabel-diff\" data-diff>.*?</span></span>", html, re.S).group(0)
    assert "۳ افزوده" in diff and "۲ حذف" in diff and not re.search("[0-9]", re.sub("<[^>]*>", "", diff))
    assert latin_digits(html, image.original_name) == []


# --- annotate ----------------------------------------------------------------------------------------------


def test_the_no_javascript_submit_question_counts_undone_images_in_persian_digits(project, manager, annotator):
    speaks_persian(annotator)
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3, name="Evening")

    response = client_for(annotator).post(
        reverse("annotate_submit", args=[project.pk, batch.pk]), {"version": batch.version}
    )

    html = response.content.decode()
    assert "«\u2068Evening\u2069» با ۳ تصویر" in html
    assert latin_digits(html, *image_names(batch)) == []


def test_a_returned_batch_counts_its_flagged_images_in_persian_digits(project, manager, annotator, reviewer):
    speaks_persian(annotator)
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=3, name="Evening")
    flag(batch, 2)
    workflow.reject(actor=reviewer, batch=fresh(batch), comment="Tighten the boxes")

    html = client_for(annotator).get(reverse("annotate", args=[project.pk, batch.pk])).content.decode()

    assert "۲ تصویر علامت‌گذاری‌شده" in html
    assert latin_digits(html, *image_names(batch)) == []


# --- the board: bulk dialogs, take back, relabel, restore, stale cards ------------------------------------------


def bulk_dialog(user, project, action: str, batches) -> str:
    picks = [f"{b.pk}:{b.version}:{b.status}" for b in batches]
    return (
        client_for(user).get(reverse("bulk_move", args=[project.pk, action]), {"batch": picks}, **HTMX).content.decode()
    )


def test_the_bulk_dialogs_count_in_persian_digits(project, manager, annotator):
    speaks_persian(manager)
    fresh_ones = [make_batch(project, manager, images=n, name=name) for n, name in ((3, "One"), (4, "Two"))]
    working = [batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3) for _ in "ab"]
    for batch in working:
        annotate_some(batch, annotator, 2)
    working = [fresh(b) for b in working]

    for action, batches in (("delete", fresh_ones), ("merge", fresh_ones), ("assign", fresh_ones), ("reset", working)):
        html = bulk_dialog(manager, project, action, batches)
        assert "۲" in html, action
        assert latin_digits(html, *(b.name for b in batches)) == [], action


def move_dialog(user, project, batch, action: str) -> str:
    url = reverse("batch_move_dialog", args=[project.pk, batch.pk, action])
    return client_for(user).get(url, seen(batch), **HTMX).content.decode()


def test_take_back_relabel_and_restore_dialogs_count_in_persian_digits(project, manager, annotator, reviewer):
    speaks_persian(manager)
    working = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=8, name="Evening")
    annotate_some(working, annotator, 3)
    done = batch_in(Status.DATASET, project, manager=manager, annotator=annotator, reviewer=reviewer, images=2)
    annotate_some(done, annotator, 2)
    gone = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=2, name="Gone")
    annotate_some(gone, annotator, 2)
    workflow.delete_batch(actor=manager, batch=fresh(gone))

    takeback = move_dialog(manager, project, fresh(working), "takeback")
    assert "۵ تصویری که هنوز کسی شروع نکرده" in takeback and "(۵)" in takeback
    relabel = move_dialog(manager, project, fresh(done), "relabel")
    restore = move_dialog(manager, project, fresh(gone), "restore")
    for html, batch in ((takeback, working), (relabel, done), (restore, gone)):
        assert "۲" in html or "۳" in html
        assert latin_digits(html, fresh(batch).name) == [], html
    # The date it can be restored until is in the reader's calendar (Jalali by default in Persian), not Gregorian.
    with translation.override("fa"):
        until = calendars.format_date(fresh(gone).restore_until, calendar=calendars.JALALI)
        assert until.split()[1] in {str(month) for month in calendars.JALALI_MONTHS}
    assert until in restore, restore
    reset = move_dialog(manager, project, fresh(working), "delete")
    restorable = re.search(r"<p[^>]*data-restore-until[^>]*>(.*?)</p>", reset, re.S).group(1)
    with translation.override("fa"):
        assert any(str(month) in restorable for month in calendars.JALALI_MONTHS), restorable


def test_a_stale_card_counts_its_days_in_persian_digits(project, manager, annotator):
    import datetime as dt

    from django.utils import timezone

    speaks_persian(manager)
    project.stale_after_days = 3
    project.save()
    batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, name="Old")
    Batch.objects.filter(pk=batch.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=4.5))

    html = client_for(manager).get(reverse("board", args=[project.pk])).content.decode()

    card = re.search(rf'<article id="card-{batch.pk}".*?</article>', html, re.S).group(0)
    assert "۴ روز معطل" in card and "ظرف ۳ روز" in card
    assert latin_digits(card) == []


def test_a_persian_column_head_separates_its_counts_with_a_comma_not_a_dot_that_reads_as_zero(project, manager):
    batch_in(Status.UNASSIGNED, project, manager=manager, images=10)
    speaks_persian(manager)
    html = client_for(manager).get(reverse("board", args=[project.pk])).content.decode()
    head = re.search(r'<span class="column-count"[^>]*>.*?</span></span>', html, re.S).group(0)
    words = re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", head, flags=re.S))
    assert words.strip() == "۱، ۱۰"  # "۱ · ۱۰" read as a run of digits


# --- the gallery and the viewer ------------------------------------------------------------------------------


def test_the_gallery_counts_images_and_boxes_in_persian_digits(project, manager, annotator, reviewer):
    speaks_persian(manager)
    batch = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3, name="Morning")
    label = project.label_classes.first()
    for image in Image.objects.filter(batch=batch):
        boxes = [{"label_class": label.pk, "x": x, "y": 1, "w": 5, "h": 5} for x in (1, 20)]
        annotating.save_annotations(actor=annotator, image=image, boxes=boxes)
    batch = workflow.approve(actor=reviewer, batch=workflow.submit(actor=annotator, batch=fresh(batch)))
    client = client_for(manager)

    gallery = client.get(reverse("batch_gallery", args=[project.pk, batch.pk])).content.decode()
    image = Image.objects.filter(batch=batch).first()
    viewer = client.get(reverse("batch_viewer", args=[project.pk, batch.pk, image.pk])).content.decode()

    assert "۳ تصویر" in gallery and gallery.count("۲ کادر") == 3
    for html in (gallery, viewer):
        assert latin_digits(html, *image_names(batch)) == []


# --- uploads, exports, label import, webhooks, the Flow page -------------------------------------------------


def test_an_upload_without_javascript_reports_in_persian_digits(project, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.batches import ingest_samples as samples

    speaks_persian(manager)
    files = [SimpleUploadedFile(f"{name}.jpg", samples.jpeg(64 + i, 48)) for i, name in enumerate("abc")]
    files.append(SimpleUploadedFile("notes.txt", b"not an image"))

    response = client_for(manager).post(reverse("upload", args=[project.pk]), {"name": "Night", "files": files})

    html = response.content.decode()
    assert "۳ تصویر" in html
    assert latin_digits(html) == []


def test_the_upload_report_counts_the_refusals_it_leaves_out_in_persian_digits(project, manager, monkeypatch):
    speaks_persian(manager)
    monkeypatch.setattr("batches.views.upload_sessions.REPORT_ROWS", 1)
    session = UploadSession.objects.create(
        project=project, created_by=manager, name="Night", status=UploadSession.Status.DONE, expected=3, failed=3
    )
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        UploadFile.objects.create(
            session=session, project=project, original_name=name, state=UploadFile.State.FAILED, reason="corrupt"
        )

    html = client_for(manager).get(reverse("upload_report", args=[project.pk, session.pk])).content.decode()

    assert "۲" in html
    assert latin_digits(html) == []


def test_a_running_export_counts_its_images_in_persian_digits(project, manager):
    speaks_persian(manager)
    batch = make_batch(project, manager, images=12, name="Queue")
    ExportJob.objects.create(
        project=project, requested_by=manager, options={"format": "coco", "batch_ids": [batch.pk]}, image_count=12
    )
    client = client_for(manager)

    detail = client.get(reverse("batch_detail", args=[project.pk, batch.pk])).content.decode()
    export = client.get(reverse("export", args=[project.pk])).content.decode()

    assert "خروجی ۱۲ تصویر" in detail
    assert latin_digits(detail, *image_names(batch)) == []
    assert latin_digits(export) == []


def test_the_label_import_report_counts_in_persian_digits(project, manager):
    import json

    from tests.batches.test_label_import import zip_bytes
    from tests.factories import jpeg_bytes

    speaks_persian(manager)
    images = [{"id": i, "file_name": f"{name}.jpg", "width": 64, "height": 48} for i, name in ((1, "a"), (2, "b"))]
    boxes = [{"id": i, "image_id": 1, "category_id": 7, "bbox": [i, i, 5, 5]} for i in (1, 2, 3)]
    document = {"images": images, "annotations": boxes, "categories": [{"id": 7, "name": "car"}]}
    files = {"images/a.jpg": jpeg_bytes(64, 48, (1, 2, 3)), "images/b.jpg": jpeg_bytes(64, 48, (9, 8, 7))}
    archive = io.BytesIO(zip_bytes({"annotations/instances.json": json.dumps(document), **files}))
    archive.name = "labels.zip"

    response = client_for(manager).post(
        reverse("label_import", args=[project.pk]), {"archive": archive, "format": "coco", "unknown": "create"}
    )

    html = response.content.decode()
    assert "۳ کادر" in html and "۲ تصویر" in html and "۱" in html
    assert latin_digits(html, Batch.objects.get(project=project).name) == []


def test_the_webhook_page_counts_its_log_in_persian_digits(project, manager):
    speaks_persian(manager)
    hook = Webhook.objects.create(project=project, url="https://hooks.example/x", secret="s", events=["batch.created"])

    html = client_for(manager).get(reverse("webhook_detail", args=[project.pk, hook.pk])).content.decode()

    assert "۵۰" in html
    assert latin_digits(html, "https://hooks.example/x", "HMAC-SHA256") == []


def test_the_flow_page_writes_its_numbers_in_persian_digits(project, manager, annotator, reviewer):
    speaks_persian(manager)
    for _ in range(2):
        batch = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=3)
        workflow.approve(actor=reviewer, batch=batch)

    html = client_for(manager).get(reverse("flow_analytics", args=[project.pk])).content.decode()

    assert "۶" in html
    assert latin_digits(html) == []
    # The chart's days are in the reader's calendar (Jalali in Persian): today's tick names its Jalali month.
    from django.utils import timezone

    with translation.override("fa"):
        today = calendars.format_day_month(timezone.now(), calendar=calendars.JALALI)
    assert f">{today}</text>" in html, html


# --- sign-in pause and e-mails ------------------------------------------------------------------------------------


def test_the_sign_in_pause_counts_its_minutes_in_persian_digits():
    with translation.override("fa"):
        html = render_to_string("registration/locked_out.html", {"minutes": 15})

    assert "۱۵" in html
    assert latin_digits(html) == []


@pytest.mark.parametrize(
    ("template", "context", "number"),
    [
        ("invitation", {"inviter": "alice", "project": "Street scenes", "roles": "x", "url": "u", "days": 14}, "۱۴"),
        ("password_reset", {"username": "alice", "reset_url": "u", "hours": 24}, "۲۴"),
        ("digest", {"username": "alice", "groups": [], "count": 12}, "۱۲"),
    ],
)
def test_persian_e_mails_write_their_numbers_in_persian_digits(template, context, number):
    subject, text, html = render_message(template, {"unsubscribe_url": "u", "settings_url": "u", **context}, "fa")
    english = render_message(template, {"unsubscribe_url": "u", "settings_url": "u", **context}, "en")

    assert number in subject + text
    for part in (subject, text):
        assert not re.search("[0-9]", part.replace("http://localhost", "")), part
    assert latin_digits(html, "http://localhost") == []
    assert str(context.get("days") or context.get("hours") or context["count"]) in english[0] + english[1]


# --- notifications (the bell, the notifications page, the e-mails) ----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data", "numbers"),
    [
        ("assigned", {"batches": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}, {"id": 3, "name": "C"}]}, ["۳"]),
        ("returned", {"batches": [{"id": 1, "name": "A"}], "flagged": 12, "comment": "x"}, ["۱۲"]),
        ("review", {"batches": [{"id": n, "name": "A"} for n in range(4)]}, ["۴"]),
        ("upload_done", {"name": "Night", "kept": 15, "refused": 2, "session": 1}, ["۱۵", "۲"]),
    ],
)
def test_notifications_count_in_persian_digits_and_keep_names_as_typed(project, manager, kind, data, numbers):
    from accounts.models import Notification
    from accounts.notifications import describe

    project.name = "Street 7"
    note = Notification.objects.create(recipient=manager, actor=manager, project=project, kind=kind, data=data)

    with translation.override("fa"):
        said = describe(note)
    with translation.override("en"):
        english = describe(note)

    text = said.title + " " + said.detail
    assert all(number in text for number in numbers), text
    assert re.findall("[0-9]", text) == ["7"], text  # the project's name only
    assert re.search("[0-9]", english.title + english.detail)


# --- what a move says (its toast, the assign preview, the bulk report) and the history it leaves -----------------


def test_moves_say_their_counts_in_persian_digits_and_keep_names_as_typed(project, manager, annotator):
    from tests.batches.board_helpers import shown_message

    speaks_persian(manager)
    client = client_for(manager)

    def said(batch, **post) -> str:
        url = reverse("batch_move", args=[project.pk, batch.pk])
        return shown_message(client.post(url, {**seen(batch), "confirmed": "yes", **post}, **HTMX))["text"]

    working = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=6, name="Street 5")
    annotate_some(working, annotator, 2)
    texts = {
        "takeback": shown_message(
            client.post(
                reverse("batch_takeback", args=[project.pk, working.pk]),
                {**seen(fresh(working)), "dialog": "1", "scope": "untouched", "expected_untouched": "4"},
                **HTMX,
            )
        )["text"],
        "reset": said(fresh(working), action="reset"),
    }
    one, other = (make_batch(project, manager, images=n, name=name) for n, name in ((3, "Left 1"), (4, "Right 2")))
    texts["merge"] = said(one, action="merge", dialog="1", other=f"{other.pk}:{other.version}", name="")
    texts["delete"] = said(fresh(one), action="delete")
    seven = make_batch(project, manager, images=7)
    preview = client.get(
        reverse("batch_assign", args=[project.pk, seven.pk]),
        {**seen(seven), "preview": "1", "assignees": [annotator.pk], "scope": "part", "count": "3"},
        **HTMX,
    ).content.decode()
    texts["preview"] = re.sub("<[^>]*>", "", preview)

    assert "۴" in texts["takeback"] and "۲" in texts["reset"] and "۷" in texts["merge"] and "۷" in texts["delete"]
    assert "۳" in texts["preview"] and "۴" in texts["preview"]
    for name, text in texts.items():
        for typed in ("Street 5", "Left 1", "Right 2"):
            text = text.replace(typed, "")
        assert re.findall("[0-9]", text) == [], (name, text)


def test_a_move_isolates_the_names_it_says_in_persian_and_only_there(project, manager):
    """ "«Left 1» و ۳ تصویرش" would show the digits on the wrong side of a Latin name: in a right-to-left language
    every name a toast or refusal says is in Unicode isolates (FSI … PDI); in English the text is as typed."""
    from batches.rules import processing_refusal
    from tests.batches.board_helpers import shown_message

    def deleted(language: str) -> str:
        manager.language = language
        manager.save(update_fields=["language"])
        batch = make_batch(project, manager, images=3, name=f"Left {language}")
        url = reverse("batch_move", args=[project.pk, batch.pk])
        return shown_message(
            client_for(manager).post(url, {**seen(batch), "confirmed": "yes", "action": "delete"}, **HTMX)
        )["text"]

    assert "«\u2068Left fa\u2069»" in deleted("fa")
    assert "“Left en”" in deleted("en")
    processing = make_batch(project, manager, images=12, name="Night 2")
    Batch.objects.filter(pk=processing.pk).update(processing_total=40)
    with translation.override("fa"):
        refusal = str(processing_refusal(fresh(processing)))
    assert "\u2068Night 2\u2069" in refusal and "۱۲" in refusal and "۴۰" in refusal
    assert re.findall("[0-9]", refusal.replace("Night 2", "")) == []


def test_the_bulk_report_and_the_history_count_in_persian_digits(project, manager, annotator):
    speaks_persian(manager)
    batches = [make_batch(project, manager, images=2, name=name) for name in ("One", "Two", "Three")]
    picks = [f"{b.pk}:{b.version}:{b.status}" for b in batches]
    report = client_for(manager).post(
        reverse("bulk_move", args=[project.pk, "delete"]), {"batch": picks, "confirmed": "yes"}, **HTMX
    )
    title = re.search(r'<h2 id="bulk-report-title">(.*?)</h2>', report.content.decode()).group(1)
    assert "۳" in title and not re.search("[0-9]", title)

    working = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=3, name="Evening")
    annotate_some(working, annotator, 2)
    workflow.delete_batch(actor=manager, batch=fresh(working))  # a reset: its annotations go
    html = client_for(manager).get(reverse("batch_detail", args=[project.pk, working.pk])).content.decode()
    assert "۲" in html
    assert latin_digits(html, *image_names(working)) == []


def test_refusals_give_their_numbers_in_persian_digits(project, manager, annotator, reviewer):
    from batches.errors import WorkflowError
    from batches.workflow import MAX_COMMENT

    speaks_persian(manager)
    working = batch_in(Status.ANNOTATING, project, manager=manager, annotator=annotator, images=6, name="Street 5")
    annotate_some(working, annotator, 2)
    in_review = batch_in(Status.REVIEW, project, manager=manager, annotator=annotator, images=2)

    with translation.override("fa"):
        with pytest.raises(WorkflowError) as stale:
            workflow.take_back(actor=manager, batch=fresh(working), scope="untouched", expected=3)
        with pytest.raises(WorkflowError) as long:
            workflow.reject(actor=reviewer, batch=in_review, comment="x" * (MAX_COMMENT + 1))

    assert "۴" in str(stale.value) and "۳" in str(stale.value)
    assert re.findall("[0-9]", str(stale.value).replace("Street 5", "")) == []
    assert re.search("[۰-۹]", str(long.value)) and not re.search("[0-9]", str(long.value))


def test_label_import_problems_give_their_numbers_in_persian_digits(project, manager):
    import json

    from tests.batches.test_label_import import zip_bytes
    from tests.factories import jpeg_bytes

    speaks_persian(manager)
    document = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 10, 5, 5]},
            {"id": 2, "image_id": 1, "category_id": 7, "bbox": [60, 40, 10, 10]},
        ],
        "categories": [{"id": 7, "name": "car"}],
    }
    archive = io.BytesIO(
        zip_bytes({"annotations/instances.json": json.dumps(document), "images/a.jpg": jpeg_bytes(64, 48)})
    )
    archive.name = "labels.zip"

    response = client_for(manager).post(
        reverse("label_import", args=[project.pk]), {"archive": archive, "format": "coco", "unknown": "create"}
    )

    html = response.content.decode()
    problems = re.search(r'<table class="list import-problems">.*?</table>', html, re.S).group(0)
    assert "۲" in problems and "۶۴" in problems
    assert latin_digits(html) == []


# --- every page of a Persian day ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "url_name"), DAY_PAGES + MORE_DAY_PAGES)
def test_a_persian_day_shows_no_latin_digit(persian_day, project, role, url_name):  # noqa: F811
    html = day_page(persian_day, project, role, url_name)
    names = image_names(*Batch.objects.filter(project=project))
    # The keys a class is drawn with are keys, written as on the keyboard (as in <kbd>).
    html = re.sub(r'<option value="(\d)"[^>]*>\1</option>', "", html)
    colours = list(project.label_classes.values_list("colour", flat=True))  # "#1f77b4", as typed
    assert latin_digits(html, *names, *colours, "https://hooks.example/x") == []


@pytest.mark.parametrize(("role", "url_name"), DAY_PAGES + MORE_DAY_PAGES)
def test_a_persian_day_puts_no_middle_dot_beside_a_number(persian_day, project, role, url_name):  # noqa: F811
    assert DOT_BY_DIGIT.findall(visible_text(day_page(persian_day, project, role, url_name))) == []
