"""Upload sessions under faults: a worker killed mid-chunk, a client gone mid-upload. Nothing orphaned, counts right."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from batches.models import Batch, Image, StoredFile, UploadFile, UploadSession
from batches.uploads import sessions
from batches.uploads.sessions import Arrival
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files
from tests.task_helpers import kill_worker, run_worker, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_queue(settings):
    settings.TASKS_BACKEND = "db"
    settings.TASKS = {"default": settings.TASK_BACKENDS["db"]}


def expected_files() -> list[str]:
    return sorted(name for pair in Image.objects.values_list("file", "thumbnail") for name in pair)


def test_a_worker_killed_mid_chunk_leaves_nothing_orphaned_and_the_retry_finishes(project, manager, db_queue, tmp_path):
    session = sessions.start_session(actor=manager, project=project, name="Killed", expected=24)
    photos = [Arrival(f"{n:02}.jpg", samples.noisy_jpeg(1600, 1200, seed=n)) for n in range(24)]
    sessions.receive_chunk(actor=manager, session=session, arrivals=photos)
    sessions.finish(actor=manager, session=session)

    worker = start_worker(tmp_path / "worker.log")
    try:
        wait_for(lambda: UploadSession.objects.get().processed >= 3, timeout=90, interval=0.02, what="3 images")
    finally:
        kill_worker(worker)
    session.refresh_from_db()
    assert 3 <= session.processed < 24, "the worker finished before it could be killed; make the chunk larger"
    assert Batch.objects.get().image_count == session.processed

    time.sleep(1.1)
    run_worker(TASK_ABANDONED_SECONDS="1")  # the killed task is taken back and run again
    call_command("cleanup_media", "--min-age", "0", stdout=io.StringIO())

    session.refresh_from_db()
    batch = Batch.objects.get()
    assert (session.status, session.processed, session.failed) == (UploadSession.Status.DONE, 24, 0)
    assert (batch.image_count, batch.is_processing) == (24, False)
    assert sorted(stored_files()) == expected_files()  # every file has its row, every row its file
    assert not StoredFile.objects.exists()


def test_a_client_gone_half_way_resumes_sending_only_the_missing_files(project, manager, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    photos = [(f"{n:02}.jpg", samples.jpeg(seed=n)) for n in range(10)]
    first = sessions.start_session(actor=manager, project=project, name="Trip", expected=10, fingerprint="c" * 64)
    sessions.receive_chunk(actor=manager, session=first, arrivals=[Arrival(n, d) for n, d in photos[:4]])
    # ...the browser is closed. After a reload the same file list finds the same session:
    again = sessions.find_resumable(actor=manager, project=project, fingerprint="c" * 64)
    assert again == first
    all_hashes = [hashlib.sha256(data).hexdigest() for _, data in photos]
    known = set(sessions.known_hashes(again, all_hashes))
    missing = [(name, data) for name, data in photos if hashlib.sha256(data).hexdigest() not in known]
    assert [name for name, _ in missing] == [f"{n:02}.jpg" for n in range(4, 10)]
    sessions.receive_chunk(actor=manager, session=again, arrivals=[Arrival(n, d) for n, d in missing])
    done = sessions.finish(actor=manager, session=again)
    assert (done.status, done.received, done.processed, done.failed) == (UploadSession.Status.DONE, 10, 10, 0)
    assert Batch.objects.get().image_count == 10
    assert sorted(stored_files()) == expected_files()


def test_a_session_its_browser_abandoned_is_cancelled_by_cleanup_with_its_files(project, manager, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    session = sessions.start_session(actor=manager, project=project, name="Left", expected=5)
    sessions.receive_chunk(actor=manager, session=session, arrivals=[Arrival("a.jpg", samples.jpeg(seed=1))])
    fresh = sessions.start_session(actor=manager, project=project, name="Fresh", expected=5)
    sessions.receive_chunk(actor=manager, session=fresh, arrivals=[Arrival("b.jpg", samples.jpeg(seed=2))])
    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - dt.timedelta(hours=25))

    call_command("cleanup_media", stdout=io.StringIO())

    session.refresh_from_db()
    assert session.status == UploadSession.Status.CANCELLED
    assert not UploadFile.objects.filter(session=session).exists()
    assert list(Batch.objects.values_list("name", flat=True)) == ["Fresh"]
    assert stored_files() == list(UploadFile.objects.filter(session=fresh).values_list("stored", flat=True))
