"""An export reads one snapshot: moves made while its zip streams never change what it contains.

These run on a real second connection (the writer is a thread of its own), so they need committed
data: transactional tests. Unmarked tests run on SQLite and, with DATABASE_URL, on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
import zipfile

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections
from django.db.utils import ConnectionDoesNotExist

from batches import workflow
from batches.export import ExportOptions, core, prepare_export
from batches.export.core import archive_stem
from batches.export.snapshot import Snapshot
from batches.models import Annotation, Batch
from batches.views.export import _pieces_for_asgi
from tests.batches.export_helpers import build_dataset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dataset(project, manager, annotator, reviewer):
    return build_dataset(project, manager=manager, annotator=annotator, reviewer=reviewer)


@pytest.fixture(autouse=True)
def snapshots(monkeypatch):
    """Every snapshot a test opens, closed at the end even if the test failed half-way: an open one
    would hold its locks, and the database flush after the test would wait for it forever."""
    made: list[Snapshot] = []

    def recorded() -> Snapshot:
        made.append(Snapshot())
        return made[-1]

    monkeypatch.setattr(core, "Snapshot", recorded)
    yield made
    for snapshot in made:
        snapshot.close()


@pytest.fixture(autouse=True)
def bit_by_bit(monkeypatch):
    """One image per database chunk and every piece sent as it is made: the export reads as it goes."""
    monkeypatch.setattr(core, "CHUNK_SIZE", 1)
    monkeypatch.setattr(core, "FILE_CHUNK", 1)


def in_another_thread(move) -> tuple[object, float]:
    """Run a move on a connection of its own; what it returned (or raised) and how long it took."""
    outcome: dict[str, object] = {}

    def run():
        started = time.monotonic()
        try:
            outcome["result"] = move()
        except Exception as error:
            outcome["result"] = error
        finally:
            outcome["seconds"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the writer hung behind the export"
    return outcome["result"], outcome["seconds"]


def reset_every_dataset_batch(project, manager) -> list[object]:
    batches = list(Batch.objects.filter(project=project, status=Batch.Status.DATASET))
    return [workflow.delete_batch(actor=manager, batch=batch) for batch in batches]


def label_lines(archive: zipfile.ZipFile, image) -> int:
    return len(archive.read(f"labels/{archive_stem(image.pk, image.original_name)}.txt").splitlines())


def test_a_reset_while_an_export_streams_leaves_every_label_file_as_it_was(dataset, project, manager):
    expected = {image.pk: len(dataset.boxes.get(image.pk, [])) for image in dataset.images}
    assert sum(expected.values()) > 0 and len(expected) > 2
    stream = prepare_export(project, ExportOptions(format="yolo")).stream()
    pieces = [next(stream)]  # begun: the first image's label file is written, the others are still to read

    results, _ = in_another_thread(lambda: reset_every_dataset_batch(project, manager))
    pieces += list(stream)

    assert not isinstance(results, Exception), results
    assert Annotation.objects.filter(image__batch__in=dataset.batches).count() == 0  # the reset did happen
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert {image.pk: label_lines(archive, image) for image in dataset.images} == expected
    assert f"Images: {len(expected)}, boxes: {sum(expected.values())}" in archive.read("README.txt").decode()


def test_an_export_started_before_a_reset_still_lists_the_batches_it_began_with(dataset, project, manager):
    export = prepare_export(project, ExportOptions(format="coco"))

    results, _ = in_another_thread(lambda: reset_every_dataset_batch(project, manager))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export.stream())))

    assert not isinstance(results, Exception), results
    readme = archive.read("README.txt").decode()
    assert f"Images: {len(dataset.images)}," in readme
    assert all(f"{batch.name} (id {batch.pk})" in readme for batch in dataset.batches)


def test_a_writer_is_not_held_up_by_a_long_export(dataset, project, manager):
    stream = prepare_export(project, ExportOptions(format="voc")).stream()
    next(stream)

    results, seconds = in_another_thread(lambda: reset_every_dataset_batch(project, manager))
    list(stream)

    # SQLite's busy timeout is 5 s: a writer queued behind the export would wait that long, then fail.
    assert not isinstance(results, Exception), results
    assert seconds < 4


def is_open(export) -> bool:
    """Whether the export's own connection is still registered in this thread."""
    try:
        connections[export.using]
    except ConnectionDoesNotExist:
        return False
    return True


def test_the_snapshot_ends_with_the_stream(dataset, project):
    export = prepare_export(project, ExportOptions(format="yolo"))
    stream = export.stream()
    next(stream)
    assert export.using != "default" and is_open(export)

    list(stream)

    assert not is_open(export)


def test_a_stream_closed_early_or_never_started_ends_its_snapshot(dataset, project):
    begun = prepare_export(project, ExportOptions(format="yolo"))
    stream = begun.stream()
    next(stream)
    never_started = prepare_export(project, ExportOptions(format="coco"))
    unstarted = never_started.stream()
    assert is_open(begun) and is_open(never_started)

    stream.close()  # what a server does when the client goes away
    unstarted.close()

    assert not is_open(begun) and not is_open(never_started)


def test_a_refused_export_ends_its_snapshot(project, manager, snapshots):
    with pytest.raises(core.ExportError):
        prepare_export(project, ExportOptions(format="yolo"))

    assert len(snapshots) == 1 and snapshots[0].wrapper is None


@pytest.mark.postgres
def test_on_postgresql_the_export_reads_a_read_only_repeatable_read_snapshot(dataset, project):
    export = prepare_export(project, ExportOptions(format="yolo"))
    try:
        with connections[export.using].cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            isolation = cursor.fetchone()[0]
            cursor.execute("SHOW transaction_read_only")
            read_only = cursor.fetchone()[0]
    finally:
        export.close()

    assert (isolation, read_only) == ("repeatable read", "on")


def test_under_asgi_a_client_that_goes_away_ends_the_snapshot(dataset, project):
    """A disconnect cancels the task sending the zip: the cancellation runs through the stream's finally."""

    async def take_one_then_disconnect(pieces):
        await anext(pieces)
        sending = asyncio.ensure_future(anext(pieces))
        await asyncio.sleep(0)
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await sending

    def serve() -> bool:
        # Django's own thread for the request: the export's connection lives there (as under ASGI),
        # and no other event loop (a browser test's) runs in it.
        export = prepare_export(project, ExportOptions(format="yolo"))
        try:
            async_to_sync(take_one_then_disconnect)(_pieces_for_asgi(export.stream()))
            return is_open(export)
        finally:
            export.close()

    still_open, _ = in_another_thread(serve)

    assert still_open is False
