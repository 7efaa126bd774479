"""Pages in Persian show no English: every word a person reads on them, outside what people typed, is Persian.

The pages are rendered through the test client for a manager whose language is Persian; the visible text
(and the attributes a person or a screen reader reads) is searched for Latin words, after taking out the
names in the data (project, users, classes, batches, e-mail addresses) and the few words that are the same
in every language (the product's name, file formats).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from batches import workflow
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

SAME_IN_EVERY_LANGUAGE = {
    "BinaBoard",
    "API",
    "COCO",
    "JSON",
    "YOLO",
    "Pascal",
    "VOC",
    "XML",
    "CSV",
    "zip",
    "txt",
    "yaml",
    "English",
}
# Image formats keep their names in Persian text, as on the files themselves.
SAME_IN_EVERY_LANGUAGE |= {"JPEG", "PNG", "WebP", "BMP", "TIFF", "GIF", "SVG", "EXIF"}
# The keys printed in Latin on Persian keyboards too (the space bar has no name on it: "فاصله").
SAME_IN_EVERY_LANGUAGE |= {"Ctrl", "Shift", "Enter", "Esc", "Tab", "Del", "Alt"}
# Key caps, file names and paths, and URLs are read as they are.
LITERAL_TAGS = ("kbd", "code")
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "value"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template") or tag in LITERAL_TAGS:
            self.skipping += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                if name == "value" and (tag != "input" or attributes.get("type") not in ("submit", "button")):
                    continue
                self.parts.append(value)

    def handle_endtag(self, tag):
        if (tag in ("script", "style", "template") or tag in LITERAL_TAGS) and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a person reads (and hears) on the page, its whitespace collapsed."""
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_words(html: str, data_words: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"\S+@\S+|\S+\.(txt|yaml)\b", " ", text)  # e-mail addresses, the file names of a format
    text = re.sub(r"https?://\S+", " ", text)
    return {word for word in LATIN_WORD.findall(text) if word not in data_words | SAME_IN_EVERY_LANGUAGE}


@pytest.fixture
def persian_manager(project, manager, annotator, reviewer):
    for user in (manager, annotator, reviewer):
        user.language = "fa"
        user.save(update_fields=["language"])
    batch = make_batch(project, manager, images=2, name="Morning")
    batch = workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned[0]
    batch = workflow.submit(actor=annotator, batch=batch)
    workflow.approve(actor=reviewer, batch=batch)
    client = Client()
    client.force_login(manager)
    return client


DATA_WORDS = {
    "alice",
    "Street",
    "scenes",
    "manager",
    "annotator",
    "reviewer",
    "car",
    "person",
    "Morning",
    "example",
    "com",
}


@pytest.mark.parametrize(
    "url_name",
    [
        "project_list",
        "members",
        "label_classes",
        "project_settings",
        "export",
        "preferences",
        "password_change",
        "label_class_edit",
        "label_class_delete",
        "member_remove",
    ],
)
def test_a_persian_page_has_no_english_words(persian_manager, project, annotator, url_name):
    args = {
        "project_list": [],
        "preferences": [],
        "password_change": [],
        "label_class_edit": [project.pk, project.label_classes.first().pk],
        "label_class_delete": [project.pk, project.label_classes.first().pk],
        "member_remove": [project.pk, annotator.pk],
    }.get(url_name, [project.pk])
    response = persian_manager.get(reverse(url_name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    assert english_words(html, DATA_WORDS) == set()


def test_the_sign_in_page_in_persian_has_no_english_words(client):
    response = client.get(reverse("login"), headers={"accept-language": "fa"})
    assert english_words(response.content.decode(), set()) == set()


def test_the_scanner_would_see_an_english_word():
    assert english_words('<p title="Move">متن <b>Save</b> Street</p><script>var x = "Hidden"</script>', {"Street"}) == {
        "Move",
        "Save",
    }


@pytest.fixture
def persian_day(project, manager, annotator, reviewer):
    """A day's worth of work in Persian: a batch in every column, an upload with refusals a worker wrote in
    English, a failed export, a webhook; a client per role."""
    from batches.models import ExportJob, UploadFile, UploadSession, Webhook

    for user in (manager, annotator, reviewer):
        user.language = "fa"
        user.save(update_fields=["language"])
    make_batch(project, manager, images=3, name="Queue")
    annotating = workflow.assign(
        actor=manager, batch=make_batch(project, manager, images=2, name="Evening"), assignees=[annotator]
    ).assigned[0]
    in_review = workflow.assign(
        actor=manager, batch=make_batch(project, manager, images=2, name="Noon"), assignees=[annotator]
    ).assigned[0]
    in_review = workflow.submit(actor=annotator, batch=in_review)
    done = workflow.assign(
        actor=manager, batch=make_batch(project, manager, images=2, name="Morning"), assignees=[annotator]
    ).assigned[0]
    done = workflow.approve(actor=reviewer, batch=workflow.submit(actor=annotator, batch=done))
    session = UploadSession.objects.create(
        project=project, created_by=manager, name="Night", status=UploadSession.Status.DONE, expected=3, failed=3
    )
    for name, reason in [
        ("drawing.svg", "SVG drawings are not accepted (they can carry scripts); export it as PNG"),
        ("broken.jpg", "corrupt image: its JPEG header cannot be read"),
        ("huge.png", "image too large: 20000×20000 (limit 100 megapixels)"),
    ]:
        UploadFile.objects.create(
            session=session, project=project, original_name=name, state=UploadFile.State.FAILED, reason=reason
        )
    ExportJob.objects.create(
        project=project,
        requested_by=manager,
        options={"format": "coco", "include_images": False, "batch_ids": []},
        status=ExportJob.Status.FAILED,
        error="The export could not be written to storage; try again, or ask an administrator.",
    )
    Webhook.objects.create(
        project=project, url="https://hooks.example/x", secret="s", events=["batch.created", "batch.approved"]
    )
    clients = {}
    for role, user in (("manager", manager), ("annotator", annotator), ("reviewer", reviewer)):
        clients[role] = Client()
        clients[role].force_login(user)
    image = done.images.first()
    return clients, {"annotating": annotating, "review": in_review, "done": done, "session": session, "image": image}


DAY_WORDS = DATA_WORDS | {"Queue", "Evening", "Noon", "Night", "drawing", "svg", "broken", "jpg", "huge", "png", "img"}


# The pages of a Persian day, by who opens them (test_i18n_digits walks them and a few more).
DAY_PAGES = [
    ("manager", "board"),
    ("annotator", "my_work"),
    ("manager", "batch_detail"),
    ("annotator", "annotate"),
    ("reviewer", "review"),
    ("manager", "batch_gallery"),
    ("manager", "batch_viewer"),
    ("manager", "upload"),
    ("manager", "upload_report"),
    ("manager", "label_import"),
    ("manager", "export"),
    ("manager", "webhooks"),
]

# The pages of a Persian day outside the batches' work (every sweep but the English-words one walks them too).
MORE_DAY_PAGES = [
    ("manager", "project_list"),
    ("manager", "members"),
    ("manager", "label_classes"),
    ("manager", "project_settings"),
    ("manager", "preferences"),
    ("manager", "notifications"),
    ("manager", "api_tokens"),
    ("manager", "flow_analytics"),
    ("manager", "notification_settings"),
    ("manager", "password_change"),
    ("manager", "label_class_edit"),
    ("manager", "label_class_delete"),
    ("manager", "member_remove"),
]


def day_page(persian_day, project, role: str, url_name: str) -> str:
    """One page of the Persian day as `role` sees it (200, in Persian)."""
    clients, things = persian_day
    args = {
        "board": [project.pk],
        "my_work": [],
        "project_list": [],
        "preferences": [],
        "notifications": [],
        "api_tokens": [],
        "batch_detail": [project.pk, things["done"].pk],
        "annotate": [project.pk, things["annotating"].pk],
        "review": [project.pk, things["review"].pk],
        "batch_gallery": [project.pk, things["done"].pk],
        "batch_viewer": [project.pk, things["done"].pk, things["image"].pk],
        "upload_report": [project.pk, things["session"].pk],
        "notification_settings": [],
        "password_change": [],
        "label_class_edit": [project.pk, project.label_classes.order_by("pk").first().pk],
        "label_class_delete": [project.pk, project.label_classes.order_by("pk").first().pk],
        "member_remove": [project.pk, things["annotating"].assignee_id],
    }.get(url_name, [project.pk])
    response = clients[role].get(reverse(url_name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    return html


@pytest.mark.parametrize(("role", "url_name"), DAY_PAGES + MORE_DAY_PAGES)
def test_a_persian_day_shows_no_english_words(persian_day, project, role, url_name):
    html = day_page(persian_day, project, role, url_name)
    assert english_words(html, DAY_WORDS) == set()


# --- names typed in another script, inside Persian lines ----------------------------------------------------------

# Elements whose content the browser lays out as its own paragraph (or does not show): what is inside one cannot be
# reordered with the text around it.
BLOCKS = {
    *("html", "body", "head", "title", "main", "header", "footer", "nav", "aside", "section", "article", "div", "p"),
    *("ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "td", "th", "caption", "form", "fieldset"),
    *("legend", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "blockquote", "pre", "dialog", "details"),
    *("summary", "button", "select", "option", "optgroup", "textarea", "label", "progress", "script", "style"),
    "template",
}
ISOLATED_RUN = re.compile("[\u2066\u2067\u2068][^\u2069]*\u2069")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class NameIsolation(HTMLParser):
    """Where a name (typed by a person, often in Latin letters) sits in a Persian line without being isolated.

    Beside Persian digits and punctuation, an unisolated Latin name takes them into its own left-to-right run:
    "Night traffic، Street scenes، ۶ تصویر" shows as "... ۶ ،Street scenes". A name is isolated when it is in a
    <bdi> or an element with `dir`, or when it is the whole text of its block (a heading, a cell, a button)."""

    def __init__(self, names):
        super().__init__(convert_charrefs=True)
        self.names = sorted(set(names), key=len, reverse=True)
        self.stack: list[dict] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        isolating = tag == "bdi" or (tag != "html" and any(name == "dir" for name, _ in attrs))
        self.stack.append({"tag": tag, "isolating": isolating, "block": tag in BLOCKS, "text": [], "names": []})

    def handle_endtag(self, tag):
        while self.stack:
            element = self.stack.pop()
            if element["block"] and element["names"]:
                whole = " ".join("".join(element["text"]).split())
                self.problems += [f"{name!r} in {whole[:80]!r}" for name in element["names"] if whole != name]
            if self.stack:
                self.stack[-1]["text"] += element["text"]
            if element["tag"] == tag:
                break

    def handle_data(self, data):
        if not self.stack:
            return
        self.stack[-1]["text"].append(data)
        if any(element["tag"] in ("script", "style", "template", "title") for element in self.stack):
            return
        rest = ISOLATED_RUN.sub(" ", data)  # "\u2068@name\u2069": isolated by the characters made for it
        for name in self.names:
            if name not in rest:
                continue
            rest = rest.replace(name, " ")
            for element in reversed(self.stack):
                if element["isolating"]:
                    break
                if element["block"]:
                    element["names"].append(name)
                    break


def unisolated_names(html: str, names) -> list[str]:
    parser = NameIsolation(names)
    parser.feed(html)
    parser.close()
    return parser.problems


def day_names(project) -> list[str]:
    from django.contrib.auth import get_user_model

    from batches.models import Batch, Image

    return [
        project.name,
        *Batch.objects.filter(project=project).values_list("name", flat=True),
        *Image.objects.filter(project=project).values_list("original_name", flat=True),
        *project.label_classes.values_list("name", flat=True),
        *get_user_model().objects.values_list("username", flat=True),
        "Night",  # the upload's name
    ]


@pytest.mark.parametrize(("role", "url_name"), DAY_PAGES + MORE_DAY_PAGES)
def test_a_persian_day_isolates_every_name_it_shows(persian_day, project, role, url_name):
    html = day_page(persian_day, project, role, url_name)
    assert unisolated_names(html, day_names(project)) == []
