"""`{% upload_text %}`: the words upload.js shows, translated here, as JSON for a data attribute.

Each entry is a string with %(name)s placeholders, or {"one": …, "other": …} for a count `n`
(ngettext's forms for 1 and for many; the languages we translate to need no more than two).
"""

from __future__ import annotations

import json

from django import template
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext as _

from batches.reasons import translated

register = template.Library()


def _count(forms) -> dict[str, str]:
    """Both forms of an ngettext_lazy() made without a number (`forms % n` picks the form for n)."""
    return {"one": str(forms % 1), "other": str(forms % 2)}


def texts() -> dict:
    return {
        "units": [_("bytes"), _("KB"), _("MB"), _("GB")],
        "seconds": _("%(s)s s"),
        "minutes": _("%(m)s min %(s)s s"),
        "resumable": _count(
            ngettext_lazy(
                "An upload of %(n)s file did not finish. Choose or drop the same file again to resume it.",
                "An upload of %(n)s files did not finish. Choose or drop the same files again to resume it: "
                "files already received are skipped.",
            )
        ),
        "chosen": _count(ngettext_lazy("%(n)s file chosen, %(size)s", "%(n)s files chosen, %(size)s")),
        "chosenFolder": _count(
            ngettext_lazy(
                "%(n)s file chosen, %(size)s (folder “%(folder)s”)",
                "%(n)s files chosen, %(size)s (folder “%(folder)s”)",
            )
        ),
        "chooseFirst": _("Choose some images, a folder or a .zip archive first."),
        "preparing": _count(ngettext_lazy("Preparing %(n)s file…", "Preparing %(n)s files…")),
        "fingerprinting": _("Preparing: %(i)s of %(n)s files fingerprinted…"),
        "skipped": _("%(skipped)s already received; sending %(todo)s…"),
        "allSent": _("All files sent. Processing…"),
        "stopped": _(
            "The upload stopped: %(reason)s. Choose the same files again to resume; files already received are skipped."
        ),
        "connectionLost": _("the connection was lost"),
        "serverError": _("the server answered with error %(status)s"),
        "sending": _("Sending %(sent)s of %(total)s (%(percent)s%%) · %(speed)s/s · %(left)s left"),
        "fileSending": _("sending…"),
        "fileSendingPercent": _("sending %(percent)s%%"),
        "fileKnown": _("already received"),
        "partsSent": _("%(done)s of %(n)s parts sent"),
        "fileReceived": _("received"),
        "processing": _("Processing: %(ready)s of %(expected)s images ready, %(failed)s refused."),
        "kept": _count(
            ngettext_lazy(
                "Kept %(n)s image as the new batch “%(name)s” in Unassigned",
                "Kept %(n)s images as the new batch “%(name)s” in Unassigned",
            )
        ),
        "keptNone": _("No image was kept, so no batch was created"),
        "refusedSome": _count(ngettext_lazy("; refused %(n)s file.", "; refused %(n)s files.")),
        "skippedBefore": _count(
            ngettext_lazy(
                "%(n)s file had been received before and was not sent again.",
                "%(n)s files had been received before and were not sent again.",
            )
        ),
        "reportLink": _("See the upload report"),
        "boardLink": _("See “%(name)s” on the board"),
        "cancelled": _("The upload was cancelled; nothing of it was kept."),
        "tooManyFiles": _(
            "%(n)s files is more than one upload takes (%(max)s). Put them in a .zip archive or upload them in parts."
        ),
        "tooLarge": _("These files add up to %(size)s; one upload takes at most %(max)s. Upload them in parts."),
        "uploading": _("Uploading %(size)s… %(percent)s%%"),
        "uploadingOf": _("Uploading %(sent)s of %(total)s… %(percent)s%%"),
        "checking": _("Uploaded 100%. Checking the images…"),
        "refusedByServer": _(
            "The server refused the upload (HTTP %(status)s). Nothing was added; try fewer or smaller files."
        ),
        "refusedReload": _(
            "The server refused the upload (HTTP %(status)s). Nothing was added; reload the page and try again."
        ),
        "interrupted": _("The upload was interrupted (network error). Nothing was added; try again."),
        "dialogTitle": _("Upload images"),
        "close": _("Close"),
        "loading": _("Loading…"),
        "formFailed": _("The upload form could not be loaded (HTTP %(status)s)."),
    }


_made: dict[str, str] = {}  # language -> the JSON: the catalogues do not change while a process runs


@register.simple_tag
def upload_text() -> str:
    """JSON for data-text="…" (the tag's output is escaped for the attribute), made once per language: every
    project page carries it (its header's Upload link), and making it was 40 lookups and 8 plural forms."""
    language = get_language()
    if language not in _made:
        _made[language] = json.dumps(texts(), ensure_ascii=False)
    return _made[language]


@register.filter
def reason(text) -> str:
    """A refusal reason or a note stored in English by a worker, in the reader's language (batches.reasons)."""
    return translated(text)
