""".zip archives through upload sessions: sent in parts (any order, resumable, hash-checked), unpacked on a worker."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from batches.ingest.pipeline import SPOOL_PREFIX
from batches.models import Batch, Image, StoredFile, UploadFile, UploadPart, UploadSession
from batches.tasks import remove_files
from batches.uploads import archives
from tests.batches import ingest_samples as samples
from tests.batches.conftest import UPLOAD_PART_BYTES
from tests.batches.ingest_samples import stored_files
from tests.batches.test_storage_s3 import backend, s3_endpoint  # noqa: F401 - the storage fixtures
from tests.batches.test_upload_session_views import start

PART = UPLOAD_PART_BYTES
KEY = "c" * 64
pytestmark = pytest.mark.usefixtures("small_upload_parts")


def spooled(settings) -> list[str]:
    return [n for n in os.listdir(settings.FILE_UPLOAD_TEMP_DIR) if n.startswith(SPOOL_PREFIX)]


def trip_zip() -> bytes:
    """Four good pictures (one twice), a drawing that is refused, and an entry that climbs out of the archive."""
    return samples.zip_archive(
        [
            ("trip/a.jpg", samples.noisy_jpeg(seed=1)),
            ("trip/b.png", samples.png(seed=2)),
            ("trip/c.jpg", samples.noisy_jpeg(seed=3)),
            ("trip/d.jpg", samples.noisy_jpeg(seed=4)),
            ("trip/x.svg", samples.SVG_WITH_SCRIPT),
            ("../../etc/evil.jpg", samples.jpeg(seed=5)),
        ]
    )


def parts_of(data: bytes) -> list[bytes]:
    return [data[i : i + PART] for i in range(0, len(data), PART)]


def send_part(client, urls, data: bytes, index: int, *, key=KEY, sha=None, name="trip.zip"):
    pieces = parts_of(data)
    return client.post(
        urls["parts"],
        {
            "archive": key,
            "name": name,
            "size": len(data),
            "count": len(pieces),
            "index": index,
            "sha256": sha or hashlib.sha256(pieces[index]).hexdigest(),
            "part": SimpleUploadedFile("blob", pieces[index]),
        },
    )


def have(client, urls, key=KEY) -> list[int]:
    response = client.get(urls["parts"], {"archive": key})
    assert response.status_code == 200
    return sorted(response.json()["have"])


def test_a_zip_sent_in_parts_out_of_order_and_resumed_becomes_the_batch(manager_client, project, settings):
    data = trip_zip()
    count = len(parts_of(data))
    assert count >= 4
    session = start(manager_client, project, expected=1, fingerprint="d" * 64)
    urls = session["urls"]
    order = list(reversed(range(count)))
    for index in order[: count // 2]:  # the first visit sends half, last parts first
        assert send_part(manager_client, urls, data, index).json()["status"] == "received"
    assert UploadPart.objects.count() == count // 2
    assert not StoredFile.objects.exists()  # each part left the ledger with its row

    # A reload: the same file list finds the same session, which says what it has; only the rest is sent.
    again = start(manager_client, project, expected=1, fingerprint="d" * 64)
    assert again["session"] == session["session"]
    known = have(manager_client, urls)
    assert known == sorted(order[: count // 2])
    assert send_part(manager_client, urls, data, known[0]).json()["status"] == "known"  # sent again: kept once
    for index in range(count):
        if index not in known:
            assert send_part(manager_client, urls, data, index).json()["status"] == "received"
    assert have(manager_client, urls) == list(range(count))
    assert not Image.objects.exists()  # nothing is unpacked before finish

    finished = manager_client.post(urls["finish"]).json()
    assert finished["status"] == "done"
    assert (finished["processed"], finished["failed"], finished["expected"]) == (4, 2, 6)
    refused = {row["name"]: row["reason"] for row in finished["refused"]}
    assert set(refused) == {"trip.zip/trip/x.svg", "trip.zip/../../etc/evil.jpg"}
    assert "SVG" in refused["trip.zip/trip/x.svg"]
    assert refused["trip.zip/../../etc/evil.jpg"] == "skipped: path leads outside the archive (..)"
    batch = Batch.objects.get(pk=session["batch"])
    assert not batch.is_processing and batch.image_count == 4
    assert sorted(Image.objects.values_list("original_name", flat=True)) == [
        "trip.zip/trip/a.jpg",
        "trip.zip/trip/b.png",
        "trip.zip/trip/c.jpg",
        "trip.zip/trip/d.jpg",
    ]
    # The parts, their rows and the worker's temporary copy are gone; storage holds the images only.
    assert not UploadPart.objects.exists()
    assert not [name for name in stored_files() if "/parts/" in name]
    assert not StoredFile.objects.exists()
    assert spooled(settings) == []
    report = manager_client.get(urls["report"])
    assert b"evil.jpg" in report.content


def test_a_part_whose_hash_does_not_match_is_refused_and_not_kept(manager_client, project):
    data = trip_zip()
    urls = start(manager_client, project, expected=1)["urls"]
    response = send_part(manager_client, urls, data, 0, sha="0" * 64)
    assert response.status_code == 400
    assert "damaged" in response.json()["error"]
    assert not UploadPart.objects.exists() and not stored_files() and not StoredFile.objects.exists()
    # Parts that do not fit the archive are refused too.
    for fields in ({"index": 99}, {"count": 1}, {"size": 0}):
        pieces = parts_of(data)
        body = {
            "archive": KEY, "name": "t.zip", "size": len(data), "count": len(pieces), "index": 0,
            "sha256": hashlib.sha256(pieces[0]).hexdigest(), "part": SimpleUploadedFile("blob", pieces[0]),
        }  # fmt: skip
        body.update(fields)
        assert manager_client.post(urls["parts"], body).status_code == 400, fields
    assert manager_client.get(urls["parts"], {"archive": "../x"}).status_code == 400
    assert not UploadPart.objects.exists()


def test_an_archive_missing_parts_is_reported_and_its_parts_removed(manager_client, project):
    data = trip_zip()
    urls = start(manager_client, project, expected=1)["urls"]
    send_part(manager_client, urls, data, 0)
    finished = manager_client.post(urls["finish"]).json()
    assert finished["status"] == "done" and finished["batch"] is None  # nothing kept: the batch goes
    assert "incomplete" in finished["refused"][0]["reason"]
    assert not UploadPart.objects.exists() and not stored_files()


def _sent(client, project, data) -> dict:
    session = start(client, project, expected=1)
    for index in range(len(parts_of(data))):
        send_part(client, session["urls"], data, index)
    return session


def test_a_worker_killed_mid_archive_is_run_again_and_nothing_is_half_done(
    manager_client, project, settings, monkeypatch
):
    data = trip_zip()
    session = _sent(manager_client, project, data)
    # The worker dies after its first chunk of entries (files stored and waiting, parts still there).
    real = archives.receive_chunk
    calls = []

    def dies_second_time(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("killed")
        return real(**kwargs)

    monkeypatch.setattr(archives, "receive_chunk", dies_second_time)
    # The queue keeps the task; this test plays the worker.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    manager_client.post(session["urls"]["finish"])
    with pytest.raises(SystemExit):
        archives.process_archive(session["session"], KEY, enqueue=False)
    assert UploadSession.objects.get().status == "processing"
    assert UploadPart.objects.count() == len(parts_of(data))  # the parts stay until the archive is done
    assert UploadFile.objects.count() == 2  # the first chunk
    assert spooled(settings) == []  # the temporary copy goes even then
    monkeypatch.setattr(archives, "receive_chunk", real)

    archives.process_waiting()  # the task run again (or the periodic catch-up)
    archives.process_waiting()  # and once more: nothing changes
    done = UploadSession.objects.get()
    assert (done.status, done.processed, done.failed, done.expected) == ("done", 4, 2, 6)
    assert UploadFile.objects.filter(state="failed").count() == 2  # each refusal listed once
    assert Image.objects.count() == 4
    assert not UploadPart.objects.exists()
    # The parts are listed for removal on a worker (the queue holds that task: the test runs it).
    listed = list(StoredFile.objects.values_list("name", flat=True))
    assert listed and all("/parts/" in name for name in listed)
    for run in set(StoredFile.objects.values_list("upload", flat=True)):
        remove_files.call(str(run))
    assert not StoredFile.objects.exists()
    assert not [name for name in stored_files() if "/parts/" in name]


def test_cancel_and_abandoned_sessions_remove_their_parts(manager_client, project):
    data = trip_zip()
    cancelled = _sent(manager_client, project, data)
    assert stored_files()
    assert manager_client.post(cancelled["urls"]["cancel"], HTTP_ACCEPT="application/json").json()["cancelled"]
    assert not UploadPart.objects.exists()
    assert not [name for name in stored_files() if "/parts/" in name]

    abandoned = start(manager_client, project, expected=1, fingerprint="e" * 64)
    send_part(manager_client, abandoned["urls"], data, 1)
    UploadSession.objects.filter(pk=abandoned["session"]).update(updated_at=timezone.now() - timedelta(days=3))
    call_command("cleanup_media", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert UploadSession.objects.get(pk=abandoned["session"]).status == "cancelled"
    assert not UploadPart.objects.exists()
    assert not [name for name in stored_files() if "/parts/" in name]


def test_a_part_written_but_never_recorded_is_in_the_ledger_for_cleanup(manager_client, project, monkeypatch):
    data = trip_zip()
    urls = start(manager_client, project, expected=1)["urls"]

    def crash(*args, **kwargs):
        raise SystemExit("killed between the write and the commit")

    monkeypatch.setattr(UploadPart.objects, "create", crash)
    with pytest.raises(SystemExit):
        send_part(manager_client, urls, data, 0)
    monkeypatch.undo()
    # The part was removed on the way out; had the process died outright, the ledger would list it.
    assert not [name for name in stored_files() if "/parts/" in name]
    StoredFile.objects.all().delete()
    ledger = StoredFile.objects.create(name=f"projects/{project.pk}/parts/lost.part", upload="0" * 32)
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    default_storage.save(ledger.name, ContentFile(b"x"))
    StoredFile.objects.update(created_at=timezone.now() - timedelta(hours=3))
    call_command("cleanup_media", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not StoredFile.objects.exists() and not default_storage.exists(ledger.name)


def test_on_s3_too_the_parts_live_in_the_bucket_and_leave_it(manager_client, project, backend):  # noqa: F811
    """Parts go to the configured storage (any web server takes any part), never to the server's disk."""
    data = trip_zip()
    session = _sent(manager_client, project, data)
    in_storage = [name for name in stored_files() if "/parts/" in name]
    assert len(in_storage) == len(parts_of(data))
    assert backend in ("local", "s3")
    finished = manager_client.post(session["urls"]["finish"]).json()
    assert (finished["status"], finished["processed"], finished["failed"]) == ("done", 4, 2)
    assert not [name for name in stored_files() if "/parts/" in name]
    assert len([name for name in stored_files() if "/images/" in name]) == 4
