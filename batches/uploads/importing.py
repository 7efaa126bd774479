"""Files on the server (`import_images`) through the upload session path: the same checks, tasks and report."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from ..ingest.check import read_at_most
from ..ingest.limits import Limits, human_bytes
from ..ingest.pipeline import Source
from ..models import Project, UploadFile, UploadSession
from .processing import process_waiting
from .sessions import Arrival, cancel, finish, receive_chunk, start_session

CHUNK_FILES = 50


def import_sources(
    *,
    actor,
    project: Project,
    sources: Iterable[Source],
    name: str = "",
    now: bool = False,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits | None = None,
) -> UploadSession:
    """One session for these files. now=True processes them here, in this process; else the workers do."""
    limits = limits or Limits.from_settings()
    sources = list(sources)
    session = start_session(actor=actor, project=project, name=name, expected=len(sources))
    try:
        for start in range(0, len(sources), CHUNK_FILES):
            arrivals = [_arrival(source, limits) for source in sources[start : start + CHUNK_FILES]]
            receive_chunk(actor=actor, session=session, arrivals=arrivals, limits=limits, enqueue=not now)
            if now:
                process_waiting(session.pk, limits)
                if progress:
                    session.refresh_from_db()
                    progress(session.processed + _failed_on_worker(session), session.received)
    except BaseException:
        # Interrupted (Ctrl-C, an error): nothing half-imported stays behind.

        cancel(actor=actor, session=session)
        raise
    return finish(actor=actor, session=session)


def _arrival(source: Source, limits: Limits) -> Arrival:
    if source.refused:
        return Arrival(source.name, refused=source.refused)
    if source.data is not None:
        return Arrival(source.name, data=source.data)
    try:
        with open(source.path, "rb") as handle:
            data = read_at_most(handle, limits.file_bytes + 1)
    except OSError as exc:
        return Arrival(source.name, refused=_("could not be read (%(error)s)") % {"error": exc.strerror or exc})
    if len(data) > limits.file_bytes:
        return Arrival(
            source.name, refused=_("file too large: over %(size)s") % {"size": human_bytes(limits.file_bytes)}
        )
    return Arrival(source.name, data=data)


def _failed_on_worker(session: UploadSession) -> int:
    return UploadFile.objects.filter(session=session, state=UploadFile.State.FAILED).exclude(size=0).count()
