"""docs/API.md's Python examples, run as written against a live server: the documentation cannot rot.

The pipeline walk-through (push images with COCO pre-labels, add a webhook for approvals and receive it on
the pipeline's own receiver, pull COCO) runs block by block in one namespace, with a real token. Before it
waits for approval, the test plays the people: the annotator submits and a reviewer approves, through the
workflow; the approval reaches the example's receiver as a signed delivery.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.roles import grant_role
from accounts.tokens import create_token
from batches import workflow
from batches.models import Annotation, Batch, Webhook, WebhookDelivery
from tests.factories import jpeg_bytes, make_project, make_user

DOC = Path(__file__).resolve().parents[2] / "docs" / "API.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def python_blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_the_pipeline_examples():
    blocks = python_blocks()
    assert len(blocks) >= 5
    assert any("Wait for the batch to be approved" in block for block in blocks)


@pytest.mark.django_db(transaction=True)
def test_the_python_examples_run_against_a_live_server(live_server, tmp_path, monkeypatch, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # the example's receiver listens on this machine
    project = make_project("Pipeline")
    manager, annotator, reviewer = make_user("pipeline"), make_user("sam"), make_user("dana")
    grant_role(project, manager, "manager")
    grant_role(project, annotator, "annotator")
    grant_role(project, reviewer, "reviewer")
    images = tmp_path / "drone-07"
    images.mkdir()
    for n in range(3):
        (images / f"frame_{n}.jpg").write_bytes(jpeg_bytes(80, 60, colour=(40 * n, 90, 20)))
    monkeypatch.setenv("BINABOARD_URL", live_server.url)
    monkeypatch.setenv(
        "BINABOARD_TOKEN", create_token(user=manager, name="ci", scope="write", expires_in_days=1).secret
    )
    monkeypatch.setenv("BINABOARD_PROJECT", str(project.pk))
    monkeypatch.setenv("BINABOARD_POLL", "0.2")
    monkeypatch.setenv("BINABOARD_WAIT", "30")
    monkeypatch.setenv("IMAGES_DIR", str(images))
    monkeypatch.setenv("HOOK_LISTEN", "127.0.0.1:0")
    monkeypatch.chdir(tmp_path)

    namespace: dict = {"__name__": "docs_example"}
    for block in python_blocks():
        if "Wait for the batch to be approved" in block:
            [batch_id] = namespace["batch_ids"]
            batch = Batch.objects.get(pk=batch_id)
            assert batch.status == Batch.Status.ANNOTATING and batch.assignee == annotator
            boxes = Annotation.objects.filter(image__batch=batch)
            assert batch.image_count == 3 and boxes.count() == 3 and all(box.prelabel for box in boxes)
            assert Webhook.objects.get(project=project).events == ["batch.approved"]
            batch = workflow.submit(actor=annotator, batch=batch)
            workflow.approve(actor=reviewer, batch=batch)
        exec(compile(block, f"{DOC.name} block", "exec"), namespace)

    # The approval came through the webhook (signed, checked by the documented snippet), not by asking.
    assert namespace["told"] == namespace["batch_ids"]
    assert not Webhook.objects.filter(project=project).exists()  # the examples clean up (their log goes too)
    assert not WebhookDelivery.objects.exists()
    coco = namespace["coco"]
    assert len(coco["images"]) == 3
    assert (
        len(coco["annotations"]) == Annotation.objects.filter(image__batch_id__in=namespace["batch_ids"]).count() == 3
    )
    assert (tmp_path / "dataset.zip").exists()
