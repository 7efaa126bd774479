"""Deleting for good a batch that came through an upload session (its files' rows point at its images)."""

import pytest

from batches import workflow
from batches.models import Batch, Image, UploadFile, UploadSession
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_a_batch_whose_images_came_from_an_upload_session_can_be_deleted_for_good(project, manager):
    batch = make_batch(project, manager, images=2)
    session = UploadSession.objects.create(project=project, created_by=manager, name=batch.name, batch=batch)
    for image in Image.objects.filter(batch=batch):
        UploadFile.objects.create(
            session=session, project=project, original_name=image.original_name, state="ready", image=image
        )

    workflow.delete_batch(actor=manager, batch=batch)

    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert list(UploadFile.objects.filter(session=session).values_list("image", flat=True)) == [None, None]
