"""Upload sessions: chunks are checked cheaply and stored, workers make the images, the batch fills, resume and cancel."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from batches import tasks, workflow
from batches.ingest.check import Refusal, header_check
from batches.ingest.limits import Limits
from batches.models import Batch, Image, PendingRemoval, StoredFile, UploadFile, UploadSession
from batches.uploads import processing, sessions
from batches.uploads.sessions import Arrival
from batches.workflow import WorkflowError
from tests.batches import ingest_samples as samples
from tests.batches import metadata_samples as meta
from tests.batches.ingest_samples import stored_files

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def queued(settings, transactional_db):
    """Tasks are queued and not run, as when no worker has picked them up yet (real commits)."""
    settings.TASKS = DUMMY


@pytest.fixture
def inline(settings, transactional_db):
    """Tasks run as their chunk commits (so the test needs real commits)."""
    settings.TASKS = IMMEDIATE


def start(project, manager, expected=3, name="Street") -> UploadSession:
    return sessions.start_session(actor=manager, project=project, name=name, expected=expected, fingerprint="f" * 64)


def send(session, manager, *pairs):
    return sessions.receive_chunk(actor=manager, session=session, arrivals=[Arrival(n, d) for n, d in pairs])


def test_a_new_session_puts_an_empty_processing_batch_on_the_board(project, manager):
    session = start(project, manager, expected=10_000)
    batch = session.batch
    assert batch.status == Batch.Status.UNASSIGNED
    assert batch.image_count == 0
    assert batch.processing_total == 10_000
    assert batch.is_processing


def test_a_chunk_is_stored_at_once_and_becomes_images_only_on_the_worker(project, manager, queued):
    session = start(project, manager)
    outcomes = send(session, manager, ("a.jpg", samples.jpeg(seed=1)), ("b.png", samples.png(seed=2)))
    assert [o.status for o in outcomes] == ["received", "received"]
    session.refresh_from_db()
    assert session.received == 2
    assert Image.objects.count() == 0
    assert len(stored_files()) == 2
    assert not StoredFile.objects.exists()  # the UploadFile rows own the files now

    made = processing.process_waiting()
    assert made == 2
    batch = Batch.objects.get(pk=session.batch_id)
    assert batch.image_count == 2
    assert len(stored_files()) == 4  # files and thumbnails


def test_the_batch_fills_and_stops_processing_when_everything_is_done(project, manager, inline):
    session = start(project, manager, expected=3)
    send(session, manager, ("a.jpg", samples.jpeg(seed=1)), ("b.jpg", samples.jpeg(seed=2)))
    batch = Batch.objects.get(pk=session.batch_id)
    assert (batch.image_count, batch.processing_total) == (2, 3)
    send(session, manager, ("c.jpg", samples.jpeg(seed=3)))
    session = sessions.finish(actor=manager, session=session)
    assert session.status == UploadSession.Status.DONE
    batch.refresh_from_db()
    assert (batch.image_count, batch.processing_total, batch.is_processing) == (3, 0, False)


def test_cheap_refusals_are_listed_and_nothing_of_them_is_stored(project, manager, inline):
    session = start(project, manager)
    outcomes = send(session, manager, ("x.svg", samples.SVG_WITH_SCRIPT), ("bomb.png", samples.bomb_png()))
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "SVG" in outcomes[0].reason
    assert "too large" in outcomes[1].reason
    assert stored_files() == []
    session.refresh_from_db()
    assert (session.received, session.failed) == (0, 2)


def test_a_file_that_fails_the_deep_check_is_dropped_from_the_batch_with_its_reason(project, manager, inline):
    session = start(project, manager, expected=2)
    outcomes = send(session, manager, ("good.jpg", samples.jpeg(seed=4)), ("broken.jpg", samples.truncated_jpeg()))
    assert [o.status for o in outcomes] == ["received", "received"]  # its header is fine
    session = sessions.finish(actor=manager, session=session)
    broken = UploadFile.objects.get(original_name="broken.jpg")
    assert broken.state == UploadFile.State.FAILED
    assert "corrupt or truncated" in broken.reason
    assert (session.processed, session.failed, session.status) == (1, 1, UploadSession.Status.DONE)
    assert list(Image.objects.values_list("original_name", flat=True)) == ["good.jpg"]
    assert len(stored_files()) == 2  # the good one and its thumbnail; the broken file is gone


def test_a_session_whose_every_file_fails_leaves_no_batch(project, manager, inline):
    session = start(project, manager, expected=1)
    send(session, manager, ("broken.jpg", samples.truncated_jpeg()))
    session = sessions.finish(actor=manager, session=session)
    assert session.status == UploadSession.Status.DONE
    assert session.batch is None
    assert not Batch.objects.exists()
    assert stored_files() == []


def test_the_worker_replaces_a_file_with_metadata_by_a_clean_copy(project, manager, queued):
    session = start(project, manager)
    send(session, manager, ("gps.jpg", meta.telling_jpeg()))
    (received,) = UploadFile.objects.values_list("stored", flat=True)
    processing.process_waiting()
    image = Image.objects.get()
    assert image.file.name != received
    meta.assert_no_metadata(meta.stored_bytes(image.file.name))
    assert sorted(stored_files()) == sorted([image.file.name, image.thumbnail.name])  # the received one is gone


def test_a_photo_to_turn_upright_is_replaced_by_an_upright_clean_copy(project, manager, inline):
    session = start(project, manager, expected=1)
    send(session, manager, ("turned.jpg", meta.telling_jpeg(orientation=6)))
    image = Image.objects.get()
    assert (image.width, image.height) == (80, 120)
    meta.assert_no_metadata(meta.stored_bytes(image.file.name))
    assert sorted(stored_files()) == sorted([image.file.name, image.thumbnail.name])


def test_the_session_says_which_contents_it_has_so_a_resume_skips_them(project, manager, queued):
    session = start(project, manager)
    outcomes = send(session, manager, ("a.jpg", samples.jpeg(seed=1)), ("x.svg", samples.SVG_WITH_SCRIPT))
    asked = [outcomes[0].sha256, outcomes[1].sha256, "0" * 64]
    assert sessions.known_hashes(session, asked) == asked[:2]
    again = send(session, manager, ("a.jpg", samples.jpeg(seed=1)))
    assert [o.status for o in again] == ["known"]
    session.refresh_from_db()
    assert session.received == 1


def test_a_reload_finds_the_unfinished_session_by_its_fingerprint(project, manager, annotator):
    session = start(project, manager)
    assert sessions.find_resumable(actor=manager, project=project, fingerprint="f" * 64) == session
    assert sessions.find_resumable(actor=manager, project=project, fingerprint="e" * 64) is None
    assert sessions.find_resumable(actor=annotator, project=project, fingerprint="f" * 64) is None


def test_content_already_in_the_project_is_refused_as_a_duplicate(project, manager, inline):
    first = start(project, manager, expected=1)
    send(first, manager, ("a.jpg", samples.jpeg(seed=1)))
    second = start(project, manager, expected=1, name="Again")
    (outcome,) = send(second, manager, ("copy.jpg", samples.jpeg(seed=1)))
    assert outcome.status == "failed"
    assert "duplicate of a.jpg in batch Street" in outcome.reason


def test_content_waiting_in_another_session_is_refused_as_a_duplicate(project, manager, queued):
    send(start(project, manager), manager, ("a.jpg", samples.jpeg(seed=1)))
    (outcome,) = send(start(project, manager, name="Other"), manager, ("b.jpg", samples.jpeg(seed=1)))
    assert outcome.status == "failed"
    assert "being uploaded by another upload" in outcome.reason


def test_cancel_removes_the_stored_files_the_rows_and_the_batch(project, manager, queued):
    session = start(project, manager)
    send(session, manager, ("a.jpg", samples.jpeg(seed=1)), ("b.jpg", samples.jpeg(seed=2)))
    processing.process_files(session.pk, list(UploadFile.objects.values_list("pk", flat=True)[:1]))
    assert Image.objects.count() == 1
    assert sessions.cancel(actor=manager, session=session)
    # The image's files are listed for a worker (as for any delete); the worker's run leaves nothing.
    runs = {*StoredFile.objects.values_list("upload", flat=True), *PendingRemoval.objects.values_list("run", flat=True)}
    for run in runs:
        tasks.remove_files.call(str(run))
    assert stored_files() == []
    assert not UploadFile.objects.exists()
    assert not Batch.objects.exists()
    assert not Image.objects.exists()
    session.refresh_from_db()
    assert session.status == UploadSession.Status.CANCELLED


def test_a_cancelled_session_takes_no_more_files_and_its_late_worker_makes_nothing(project, manager, queued):
    session = start(project, manager)
    send(session, manager, ("a.jpg", samples.jpeg(seed=1)))
    waiting = list(UploadFile.objects.values_list("pk", flat=True))
    sessions.cancel(actor=manager, session=session)
    with pytest.raises(WorkflowError):
        send(session, manager, ("b.jpg", samples.jpeg(seed=2)))
    assert processing.process_files(session.pk, waiting) == 0
    assert stored_files() == []


def test_processing_twice_is_harmless(project, manager, queued):
    session = start(project, manager)
    send(session, manager, ("a.jpg", samples.jpeg(seed=1)))
    waiting = list(UploadFile.objects.values_list("pk", flat=True))
    assert processing.process_files(session.pk, waiting) == 1
    assert processing.process_files(session.pk, waiting) == 0
    assert Batch.objects.get(pk=session.batch_id).image_count == 1
    assert len(stored_files()) == 2


def test_files_another_worker_claimed_while_this_one_checked_them_are_counted_once(
    project, manager, queued, monkeypatch
):
    session = start(project, manager)
    send(
        session,
        manager,
        ("a.jpg", samples.jpeg(seed=1)),
        ("b.jpg", samples.jpeg(seed=2)),
        ("broken.jpg", samples.truncated_jpeg()),
    )
    pks = dict(UploadFile.objects.values_list("original_name", "pk"))
    commit_group = processing._commit_group

    def another_worker_first(*args, **kwargs):
        # A duplicated task's worker makes a.jpg and refuses broken.jpg between this one's checks and its commit.
        monkeypatch.setattr(processing, "_commit_group", commit_group)
        assert processing.process_files(session.pk, [pks["a.jpg"], pks["broken.jpg"]]) == 1
        return commit_group(*args, **kwargs)

    monkeypatch.setattr(processing, "_commit_group", another_worker_first)
    assert processing.process_files(session.pk, list(pks.values())) == 1
    session.refresh_from_db()
    assert (session.processed, session.failed) == (2, 1)
    assert Batch.objects.get(pk=session.batch_id).image_count == 2
    assert sorted(stored_files()) == sorted(
        name for pair in Image.objects.values_list("file", "thumbnail") for name in pair
    )
    assert not StoredFile.objects.exists()


def test_moves_on_a_processing_batch_are_refused_with_a_clear_message(project, manager, annotator, queued):
    session = start(project, manager)
    send(session, manager, ("a.jpg", samples.jpeg(seed=1)))
    processing.process_waiting()
    batch = Batch.objects.get(pk=session.batch_id)
    with pytest.raises(WorkflowError, match="still processing its upload"):
        workflow.assign(actor=manager, batch=batch, assignees=[annotator])
    with pytest.raises(WorkflowError, match="still processing"):
        workflow.delete_batch(actor=manager, batch=batch)
    sessions.finish(actor=manager, session=session)
    batch.refresh_from_db()
    assert workflow.assign(actor=manager, batch=batch, assignees=[annotator]).assigned


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_only_managers_send_files(project, manager, role, request):
    session = start(project, manager)
    with pytest.raises(WorkflowError):
        send(session, request.getfixturevalue(role), ("a.jpg", samples.jpeg()))
    assert stored_files() == []


def test_the_header_check_refuses_without_decoding():
    limits = Limits()
    with pytest.raises(Refusal, match="too large"):
        header_check(samples.bomb_png(), limits)
    with pytest.raises(Refusal, match="empty"):
        header_check(b"", limits)
    header = header_check(meta.telling_jpeg(), limits)
    assert (header.fmt, header.width, header.height) == ("JPEG", 120, 80)


def test_the_same_refused_file_in_two_chunks_does_not_spoil_the_second_chunk(project, manager, queued):
    session = start(project, manager)
    send(session, manager, ("x.svg", samples.SVG_WITH_SCRIPT))
    outcomes = send(session, manager, ("copy.svg", samples.SVG_WITH_SCRIPT), ("a.jpg", samples.jpeg(seed=1)))
    # The copy under another name is listed (it was "known", and vanished from the report), not stored again.
    assert [(o.status, o.reason) for o in outcomes] == [
        ("failed", "duplicate of x.svg in this upload"),
        ("received", ""),
    ]
    assert len(stored_files()) == 1


def test_a_group_of_files_commits_in_as_many_queries_as_one_file(project, manager, queued):
    def queries_to_process(count: int, seed: int) -> int:
        session = start(project, manager, expected=count, name=f"Group {count}")
        send(session, manager, *[(f"{n}.jpg", samples.jpeg(seed=seed + n)) for n in range(count)])
        waiting = list(UploadFile.objects.filter(session=session).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            assert processing.process_files(session.pk, waiting) == count
        return len(queries)

    # A group: the files, the ledger rows, then one transaction (session, claims, images, batch, files, ledger,
    # counts) and the session's completion check: none of it per file.
    assert queries_to_process(processing.GROUP, seed=100) == queries_to_process(2, seed=200)


def test_a_group_mixes_images_refusals_and_converted_files(project, manager, queued):
    session = start(project, manager, expected=3)
    send(
        session,
        manager,
        ("good.jpg", samples.jpeg(seed=5)),
        ("broken.jpg", samples.truncated_jpeg()),
        ("moving.gif", samples.animated_gif()),
    )
    received = set(UploadFile.objects.values_list("stored", flat=True))
    sessions.finish(actor=manager, session=session)
    assert processing.process_waiting() == 2
    session.refresh_from_db()
    assert (session.processed, session.failed, session.status) == (2, 1, UploadSession.Status.DONE)
    assert "corrupt or truncated" in UploadFile.objects.get(original_name="broken.jpg").reason
    gif = Image.objects.get(original_name="moving.gif")
    assert gif.file.name.endswith(".png") and gif.file.name not in received
    assert sorted(stored_files()) == sorted(
        name for pair in Image.objects.values_list("file", "thumbnail") for name in pair
    )
    assert not StoredFile.objects.exists()
    assert Batch.objects.get().image_count == 2


def test_content_another_upload_made_an_image_meanwhile_is_refused_and_the_rest_of_the_group_kept(
    project, manager, queued
):
    session = start(project, manager, expected=2)
    send(session, manager, ("a.jpg", samples.jpeg(seed=6)), ("b.jpg", samples.jpeg(seed=7)))
    # Another upload's worker made an image of a.jpg's content after this session's cheap check.
    other = workflow.open_upload_batch(actor=manager, project=project, name="Other", expected=1)
    twin = UploadFile.objects.get(original_name="a.jpg")
    Image.objects.create(
        project=project, batch=other, file="elsewhere.jpg", width=64, height=48, sha256=twin.sha256, original_name="x"
    )
    assert processing.process_waiting() == 1
    twin.refresh_from_db()
    assert (twin.state, twin.reason) == (
        UploadFile.State.FAILED,
        "duplicate: another upload added the same image a moment ago",
    )
    assert list(Image.objects.filter(batch_id=session.batch_id).values_list("original_name", flat=True)) == ["b.jpg"]
    assert not StoredFile.objects.exists()
    image = Image.objects.get(original_name="b.jpg")
    assert sorted(stored_files()) == sorted([image.file.name, image.thumbnail.name])
