"""PostgreSQL: every reference to images refuses a delete at once (ON DELETE RESTRICT, migration 0019).

A deferred NO ACTION check (Django's default) made deleting 50,000 images for good spend 1.4–2.1 s at
COMMIT; RESTRICT checks as the statement runs, for a third of that. A later migration that recreates one of
these constraints (an AlterField of the reference, say) would bring the slow kind back: the catalogue test
names it.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from batches import workflow
from batches.models import Annotation, Batch, Image, Suggestion, UploadFile, UploadSession
from tests.factories import annotate, make_batch

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def references_to_images() -> dict[tuple[str, str], tuple[str, bool, bool, bool]]:
    """{(table, constraint): (on delete, deferrable, initially deferred, validated)} for each foreign key to images."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT con.conrelid::regclass::text, con.conname, con.confdeltype, con.condeferrable, con.condeferred,
                   con.convalidated
            FROM pg_constraint con
            WHERE con.contype = 'f' AND con.confrelid = %s::regclass
            """,
            [Image._meta.db_table],
        )
        return {(table, name): tuple(rest) for table, name, *rest in cursor}


def test_every_reference_to_images_restricts_deletes_and_defers_inserts():
    found = references_to_images()
    tables = {table.strip('"') for table, _name in found}
    assert tables == {model._meta.db_table for model in (Annotation, Suggestion, UploadFile)}
    slow = {key: value for key, value in found.items() if value != ("r", True, True, True)}
    assert not slow, f"recreate these as ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED (see 0019): {slow}"


def test_an_image_still_annotated_cannot_be_deleted_and_the_refusal_comes_at_the_statement(project, manager):
    batch = make_batch(project, manager, images=1)
    image = Image.objects.get(batch=batch)
    annotate(image, project.label_classes.first())
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Image._meta.db_table} WHERE id = %s", [image.pk])
    assert Image.objects.filter(pk=image.pk).exists()


def test_deleting_for_good_removes_what_refers_to_the_images_first(project, manager):
    batch = make_batch(project, manager, images=3)
    images = list(Image.objects.filter(batch=batch))
    label = project.label_classes.first()
    annotate(images[0], label)
    Suggestion.objects.create(image=images[1], label_class=label, x=1, y=1, w=5, h=5)
    session = UploadSession.objects.create(project=project, created_by=manager, name=batch.name, batch=batch)
    UploadFile.objects.create(session=session, project=project, original_name="c.jpg", state="ready", image=images[2])

    workflow.delete_batch(actor=manager, batch=batch)

    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not Image.objects.filter(pk__in=[image.pk for image in images]).exists()
    assert UploadFile.objects.get(session=session).image_id is None
