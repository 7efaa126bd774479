"""E-mails carry the names people typed as they typed them: plain text is not HTML, the HTML part escapes them."""

from django.core import mail

from accounts.emails import render_message


def test_a_subject_is_plain_text_not_html_escaped():
    name = 'R&D <b>"x"</b>'
    subject, text, html = render_message(
        "invitation", {"inviter": "Tom & Jerry", "project": name, "roles": "annotator", "url": "/x", "days": 7}, "en"
    )
    assert subject == f"Tom & Jerry invited you to {name} on BinaBoard"
    assert name in text
    assert name not in html and "R&amp;D &lt;b&gt;" in html


def test_a_notifications_subject_is_plain_text_not_html_escaped():
    item = {"title": "Your export of R&D <1> is ready to download", "detail": "", "url": "/x"}
    subject, text, _html = render_message(
        "notification", {"username": "ann", "item": item, "kind": "x", "unsubscribe_url": "/u"}, "en"
    )
    assert subject == item["title"]
    assert item["title"] in text
    assert not mail.outbox
