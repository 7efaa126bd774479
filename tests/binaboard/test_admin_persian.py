"""The admin in Persian: a Persian operator reads no English in its headings, columns, filters and actions.

Every word of Latin script left on the page, once the rows' own data (names people typed, file names,
usernames) is taken out, is a string nobody translated: a field without a verbose_name, a model or an app
without a translatable name, or Django's or a third-party app's wording missing from locale/fa.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from batches.models import ExportJob, Image, LabelClass, Webhook, WebhookDelivery
from tests.factories import annotate, make_batch, make_user

pytestmark = pytest.mark.django_db

# Latin script a Persian page may keep: the product's name, "API" in "توکن‌های API" (the catalogue's term) and
# the annotation formats' names (a project's help text names them).
KEPT = {"BinaBoard", "API", "COCO", "YOLO", "Pascal", "VOC", "Redis", "Control", "Command", "Mac"}


class VisibleText(HTMLParser):
    """The text a person reads or hears: element text and the title, placeholder and aria-label attributes."""

    SKIPPED = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        for name, value in attrs:
            if name in {"title", "placeholder", "aria-label"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data) -> None:
        if not self._skipping and data.strip():
            self.parts.append(data.strip())


def english_words(page: str, data: list[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(page)
    text = unescape("\n".join(parser.parts))
    for value in sorted(data, key=len, reverse=True):  # the rows' own data is not the admin's wording
        # Only where it stands on its own: a password summary's two random characters ("ca") taken out of
        # "Pascal" left "Pas" behind, one run in a few hundred.
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", " ", text)
    return {word for word in re.findall(r"[A-Za-z][A-Za-z'’-]+", text) if word not in KEPT}


@pytest.fixture
def admin_data(project, manager):
    batch = make_batch(project, manager, images=3, name="Batch one")
    image = Image.objects.filter(batch=batch).order_by("pk").first()
    annotate(image, LabelClass.objects.filter(project=project).first(), author=manager)
    ExportJob.objects.create(project=project, requested_by=manager, options={"format": "coco"}, status="failed")
    hook = Webhook.objects.create(
        project=project, url="https://hooks.example/ci", secret="s" * 32, events=["batch.created"], created_by=manager
    )
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="batch.created", body="{}", status="failed", response_code=502
    )
    data = [
        project.name,
        batch.name,
        hook.url,
        str(delivery.event_id),
        *LabelClass.objects.values_list("name", flat=True),
    ]
    data += [name for pair in Image.objects.values_list("original_name", "file") for name in pair]
    return batch, data


def operator(language: str):
    return make_user(f"operator-{language}", is_superuser=True, is_staff=True, language=language)


def pages(batch) -> list[str]:
    manager = get_user_model().objects.get(username="manager")
    return [
        reverse("admin:index"),
        reverse("admin:app_list", args=["batches"]),
        reverse("admin:batches_batch_changelist"),
        reverse("admin:batches_batch_change", args=[batch.pk]),
        reverse("admin:batches_image_changelist"),
        reverse("admin:accounts_project_changelist"),
        reverse("admin:accounts_project_change", args=[batch.project_id]),
        reverse("admin:accounts_labelclass_changelist"),
        reverse("admin:batches_batchevent_changelist"),
        reverse("admin:batches_exportjob_changelist"),
        reverse("admin:accounts_projectuserobjectpermission_changelist"),
        reverse("admin:batches_webhook_changelist"),
        reverse("admin:batches_webhook_change", args=[Webhook.objects.get().pk]),
        reverse("admin:batches_webhookdelivery_changelist"),
        reverse("admin:batches_webhookdelivery_change", args=[WebhookDelivery.objects.get().pk]),
        # Permissions: a user's and a group's lists, a project's roles (django-guardian's pages).
        reverse("admin:accounts_user_change", args=[manager.pk]),
        reverse("admin:auth_group_add"),
        reverse("admin:accounts_project_permissions", args=[batch.project_id]),
        reverse("admin:accounts_project_permissions_manage_user", args=[batch.project_id, manager.pk]),
    ]


def test_a_persian_operator_reads_no_english_in_the_admin(client, admin_data):
    batch, data = admin_data
    user = operator("fa")
    client.force_login(user)
    data += [user.username, user.email, "manager", "manager@example.com", "annotator", "reviewer"]
    # The password's summary: the hasher's name and the first characters (2 or 6, by hasher) of its salt and hash.
    data += [part[:n] for part in get_user_model().objects.get(username="manager").password.split("$") for n in (6, 2)]

    left = {url: english_words(client.get(url).content.decode(), data) for url in pages(batch)}

    assert {url: words for url, words in left.items() if words} == {}


def test_the_same_pages_in_english_are_english(client, admin_data):
    """The check above reads the words it should: an English operator's pages are full of them."""
    batch, data = admin_data
    client.force_login(operator("en"))
    for url in pages(batch):
        assert english_words(client.get(url).content.decode(), data), url


@pytest.mark.parametrize(
    ("url_name", "english", "persian"),
    [
        ("admin:index", ["Accounts and projects", "Batches and images", "BinaBoard operations"],
         ["حساب‌ها و پروژه‌ها", "دسته‌ها و تصویرها", "مدیریت BinaBoard", "پروژه‌ها"]),
        ("admin:batches_batch_changelist", ["Assignee", "Images done", "Status changed at", "Run"],
         ["واگذارشده به", "تصویرهای انجام‌شده", "زمان تغییر وضعیت", "اجرا", "- یک گزینه انتخاب کنید -"]),
        ("admin:batches_image_changelist", ["Original name", "Flagged in review"],
         ["نام اصلی", "علامت‌خورده در بازبینی"]),
        ("admin:accounts_project_changelist", ["Created by", "Filter by created at"],
         ["سازنده", "فیلتر بر اساس زمان ساخت"]),
    ],
)  # fmt: skip
def test_column_headers_app_and_model_names_are_in_the_operators_language(
    client, admin_data, url_name, english, persian
):
    url = reverse(url_name)
    client.force_login(operator("en"))
    page = unescape(client.get(url).content.decode())
    assert all(words in page for words in english)

    client.force_login(operator("fa"))
    page = unescape(client.get(url).content.decode())
    assert [words for words in persian if words not in page] == []
    assert [words for words in english if words in page] == []


def test_permissions_are_named_in_the_operators_language(client, admin_data, django_assert_max_num_queries):
    """Django stores its permissions' names in English ("Can add batch"): the lists say them again in Persian."""
    batch, _data = admin_data
    manager = get_user_model().objects.get(username="manager")
    client.force_login(operator("fa"))

    with django_assert_max_num_queries(20):  # the content types come from their cache: no query per permission
        page = unescape(client.get(reverse("admin:accounts_user_change", args=[manager.pk])).content.decode())
    assert "دسته‌ها و تصویرها | دسته | می‌تواند دسته اضافه کند" in page
    assert "حساب‌ها و پروژه‌ها | پروژه | تأیید یا رد دسته‌های در بازبینی" in page
    assert "Can add" not in page

    page = unescape(client.get(reverse("admin:accounts_project_permissions", args=[batch.project_id])).content.decode())
    assert "<th>تأیید یا رد دسته‌های در بازبینی</th>" in page
    assert "<th>می‌تواند پروژه را ببیند</th>" in page
    page = unescape(
        client.get(
            reverse("admin:accounts_project_permissions_manage_user", args=[batch.project_id, manager.pk])
        ).content.decode()
    )
    assert ">بارگذاری، واگذاری، حذف، مدیریت اعضا، کلاس‌ها و خروجی‌ها<" in page
    page = unescape(client.get(reverse("admin:accounts_projectuserobjectpermission_changelist")).content.decode())
    assert "بارگذاری، واگذاری، حذف، مدیریت اعضا، کلاس‌ها و خروجی‌ها" in page
    assert ">manage_project<" not in page  # the codename was the column


def test_permissions_keep_their_english_names_for_an_english_operator(client, admin_data):
    manager = get_user_model().objects.get(username="manager")
    client.force_login(operator("en"))
    page = unescape(client.get(reverse("admin:accounts_user_change", args=[manager.pk])).content.decode())
    assert "Batches and images | batch | Can add batch" in page
    assert "Accounts and projects | project | Approve or reject batches in Review" in page


def test_the_admins_own_javascript_speaks_persian(client):
    """The permission and group pickers, the date pickers and the actions bar are the admin's JavaScript: every
    string Django's admin scripts ask for is in the catalogue a Persian operator's pages load (Django's own
    Persian lacks some since 6.0: "Choose all %s" showed in English)."""
    import json
    from pathlib import Path

    import django
    import polib

    english = polib.pofile(str(Path(django.__file__).parent / "contrib/admin/locale/en/LC_MESSAGES/djangojs.po"))
    wanted = {f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid for e in english}
    client.force_login(operator("fa"))

    script = client.get(reverse("admin:jsi18n")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S).group(1))

    assert sorted(wanted - catalog.keys()) == []
    assert catalog["Choose all %s"] == "انتخاب همهٔ %s"
