"""What the annotate and review workspaces share: the image strip, paged; an image of the batch; the posted version."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.calendars import isolate

from .. import annotating
from ..models import Batch, Image
from ..params import parse_id

STRIP_PAGE = 50


def editor_text() -> dict[str, str]:
    """The box editor's sentences, translated here and handed to static/js/annotate.js as JSON."""
    return {
        "relabelled": _("box #%(number)s → %(name)s"),
        "copied": _("Boxes copied: %(count)s. Ctrl+V pastes them here or on another image."),
        "crosshairOn": _("Drawing from the keyboard: arrow keys move the crosshair, Enter sets the first corner."),
        "cornerSet": _("First corner set: move to the opposite corner and press Enter; Esc cancels."),
        "noArea": _("No box: both corners are on one line. Press B to start again."),
        "noClasses": _("This project has no label classes yet; a manager adds them on the Classes page."),
        "backToBoard": _("Back to the board"),
        "notStored": _("What you see on this image is not stored."),
        "waitTheirs": _("Your edits stay on screen: if the batch comes back to you, you can copy them onto it here."),
        "yoursAgain": _("The batch is yours to annotate again: copy your edits onto the image as it is now."),
        "copyEdits": _("Copy my edits"),
        "editsCopied": _("Your edits were copied onto the batch as it is now; Undo takes them back."),
        "notTheirs": _("The batch is not yours to annotate now, so your edits cannot be copied onto it."),
        "classOfBox": _("Class of box %(number)s"),
        "deleteBox": _("Delete box %(number)s"),
        "markedNoObjects": _("Marked “no objects”."),
        "noBoxes": _("No boxes yet. Drag on the image to draw one."),
        "stateNew": _("Not annotated"),
        "stateAnnotated": _("Annotated"),
        "stateNoObjects": _("No objects"),
        "stripAnnotated": _("✓ annotated"),
        "stripNoObjects": _("✓ no objects"),
        "stripNotDone": _("not done"),
        "hasBoxes": _("This image has boxes; delete them to mark it “no objects”."),
        "markNoObjects": _("Mark this image as having nothing to label (N)"),
        "progress": _("%(done)s / %(total)s done"),
        "position": _("%(position)s of %(total)s"),
        "serverAnswered": _("The server answered %(status)s."),
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "loading": _("Loading…"),
        "saveFailed": _("Saving failed."),
        "unreachable": _("Could not reach the server."),
        "offline": _("Could not reach the server; your change is kept. Retry when you are back online."),
        "notSaved": _("Not saved: %(reason)s"),
        "viewportLabel": _("Image %(name)s. Drag to draw a box."),
        "noNote": _("No note."),
        "lastImage": _("This is the last image: %(done)s of %(total)s done."),
        "firstImage": _("This is the first image."),
        "saveBeforeMoving": _("This image's last change is not saved yet: retry, or discard it, before moving on."),
        "loadFailed": _("Could not load the image."),
        "deleteBoxesFirst": _("This image has boxes; delete them first to mark it “no objects”."),
        "discardConfirm": _("Discard the change that was not saved and show this image as stored?"),
        "saveBeforeSubmit": _("The last change is not saved yet; retry saving before you submit."),
        "fileFailed": _("The file of %(name)s could not be loaded; its boxes are still shown."),
        "submitUndone": plural_forms(
            lambda n: ngettext(
                "%(undone)s of %(total)s images is not done yet (no box and no “no objects” mark). "
                "It goes on as it is.",
                "%(undone)s of %(total)s images are not done yet (no box and no “no objects” mark). "
                "They go on as they are.",
                n,
            )
        ),
    }


def plural_forms(forms: Callable[[int], str]) -> dict[str, str]:
    """Both forms of a sentence for a script that fills in the number (English and Persian have two)."""
    return {"one": forms(1), "other": forms(2)}


def review_text() -> dict:
    """The review page's sentences for static/js/review.js."""
    return {
        "approveFlagged": plural_forms(
            lambda n: ngettext(
                "%(count)s image is still flagged. Approving sends the batch to the Dataset as it is "
                "and clears the flag and its note.",
                "%(count)s images are still flagged. Approving sends the batch to the Dataset as it is "
                "and clears their flags and notes.",
                n,
            )
        ),
    }


def canvas_text() -> dict[str, str]:
    """The shared canvas's sentences (static/js/canvas.js), for the review and the viewer."""
    return {"failed": _("That image could not be loaded; check the connection and try again.")}


def image_of(batch: Batch, image_pk: int) -> Image:
    try:
        if parse_id(image_pk) is None:  # out of the database's range: no such image, not an overflow
            raise Image.DoesNotExist
        image = Image.objects.get(pk=image_pk, batch=batch)
    except Image.DoesNotExist:
        raise Http404(_("That image is not in “%(batch)s”.") % {"batch": isolate(batch.name)}) from None
    image.batch = batch
    image.project = batch.project
    return image


def strip_context(batch: Batch, *, mode: str, current_pk: int | None, offset: int, end: int | None = None):
    """One page of the image strip: never the whole batch, a batch of 2,000 reads 50 rows like a batch of 20."""
    flagged_first = mode == "annotate"
    stop = offset + STRIP_PAGE if end is None else min(end, offset + STRIP_PAGE)
    rows = list(
        annotating.ordered_images(batch, flagged_first=flagged_first).only(
            "id", "original_name", "state", "review_flag", "review_note", "batch_id"
        )[offset : stop + 1]
    )
    more = end is None and len(rows) > stop - offset
    items = rows[: stop - offset]
    workspace = "annotate" if flagged_first else "review"
    return {
        "project": batch.project,
        "batch": batch,
        "items": items,
        "mode": mode,
        "current_pk": current_pk,
        "workspace_url": reverse(workspace, args=[batch.project_id, batch.pk]),
        "strip_url": reverse(f"{workspace}_strip", args=[batch.project_id, batch.pk]),
        "offset": offset,
        "next_offset": stop if more else None,
        "earlier_offset": max(0, offset - STRIP_PAGE) if offset > 0 else None,
    }


def offset_param(request, name: str = "offset") -> int | None:
    return parse_id(request.GET.get(name, ""))


def board_url_of(batch: Batch) -> str:
    return reverse("board", args=[batch.project_id])


def posted_version(request, batch: Batch) -> Batch:
    """The batch as the user saw it: its version from the form is the compare-and-set guard."""
    # A request that does not say which version it saw never acts on the batch as it is now:
    # version 0 matches no batch, so the move is refused as stale and changes nothing.
    batch.version = parse_id(request.POST.get("version", "")) or 0
    return batch


def render_strip(request, batch: Batch, *, mode: str):
    current = request.GET.get("current")
    context = strip_context(
        batch,
        mode=mode,
        current_pk=parse_id(current),
        offset=offset_param(request) or 0,
        end=offset_param(request, "end"),
    )
    return render(request, "batches/annotate.html#strip_page", context)


# --- which images a reviewer opened (the board's Approve asks when they opened none or few) -----------

OPENED_KEY = "opened_for_review"
OPENED_BATCHES = 50  # the most recent batches remembered per session
OPENED_IMAGES = 5000  # per batch


def note_opened(session, batch: Batch, image_pk: int) -> None:
    """Remember in the session that this person looked at this image of a batch in review: no query."""
    opened = session.get(OPENED_KEY, {})
    key = str(batch.pk)
    ids = opened.pop(key, [])
    if image_pk not in ids and len(ids) < OPENED_IMAGES:
        ids.append(image_pk)
    opened[key] = ids  # most recently reviewed last
    while len(opened) > OPENED_BATCHES:
        opened.pop(next(iter(opened)))
    session[OPENED_KEY] = opened


def opened_count(session, batch: Batch) -> int:
    return len(session.get(OPENED_KEY, {}).get(str(batch.pk), []))
