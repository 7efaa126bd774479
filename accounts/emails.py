"""E-mail: every message is rendered and sent by a worker (accounts.tasks.send_email), never in a request.

A message is three templates under templates/emails/: `<name>_subject.txt`, `<name>.txt` and
`<name>.html` (which extends emails/base.html). They are rendered in the recipient's language, with
only plain values in their context (the task's arguments travel through the queue as JSON).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger("accounts.emails")


def site_url() -> str:
    """The address links in e-mails start with: SITE_URL, else https:// and the first allowed host."""
    if settings.SITE_URL:
        return settings.SITE_URL
    hosts = [host for host in settings.ALLOWED_HOSTS if host not in {"*", ""} and not host.startswith(".")]
    return f"https://{hosts[0]}" if hosts else "http://localhost"


def absolute(path: str) -> str:
    return f"{site_url()}{path}"


def language_of(user) -> str:
    """The language a person reads e-mails in: their saved choice, else the site's default."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_message(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a message, in `language`."""
    with translation.override(language):
        context = {"site_url": site_url(), "LANGUAGE_CODE": language, **context}
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def deliver(*, to: str, template: str, context: dict, language: str, headers: dict | None = None) -> None:
    """Render and send one message now (on a worker)."""
    subject, text, html = render_message(template, context, language)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    message.send()


def send_later(*, to: str, template: str, context: dict, language: str, headers: dict | None = None) -> None:
    """Queue one message, once the current transaction commits (nothing is sent for a rolled-back change)."""
    if not to:
        return
    from_request = {"to": to, "template": template, "context": context, "language": language, "headers": headers or {}}
    transaction.on_commit(lambda: _enqueue(from_request))


@task
def send_email(*, to: str, template: str, context: dict, language: str, headers: dict) -> None:
    """The worker's side of send_later(). A failure raises, so the queue shows it and may run it again."""
    deliver(to=to, template=template, context=context, language=language, headers=headers)


def _enqueue(arguments: dict) -> None:
    try:
        send_email.enqueue(**arguments)
    except Exception:  # the queue is down: say so in the log; the change itself stands
        log.exception("could not enqueue the %s e-mail to %s", arguments["template"], arguments["to"])
