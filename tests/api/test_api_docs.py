"""docs/API.md's Python examples, run as written against a live server: the documentation cannot rot.

The pipeline walk-through (push images, pre-label, wait for approval, pull COCO) runs block by block in
one namespace, with a real token. While it waits for approval, the test plays the people: the annotator
submits and a reviewer approves, through the workflow.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.roles import grant_role
from accounts.tokens import create_token
from batches import workflow
from batches.models import Annotation, Batch
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
def test_the_python_examples_run_against_a_live_server(live_server, tmp_path, monkeypatch):
    project = make_project("Pipeline")
    manager, annotator, reviewer = make_user("pipeline"), make_user("sam"), make_user("dana")
    grant_role(project, manager, "manager")
    grant_role(project, annotator, "annotator")
    grant_role(project, reviewer, "reviewer")
    images = tmp_path / "drone-07"
    images.mkdir()
    for n in range(3):
        (images / f"frame_{n}.jpg").write_bytes(jpeg_bytes(80, 60, colour=(40 * n, 90, 20)))
    (images / "broken.jpg").write_bytes(b"not a picture")
    monkeypatch.setenv("BINABOARD_URL", live_server.url)
    monkeypatch.setenv(
        "BINABOARD_TOKEN", create_token(user=manager, name="ci", scope="write", expires_in_days=1).secret
    )
    monkeypatch.setenv("BINABOARD_PROJECT", str(project.pk))
    monkeypatch.setenv("BINABOARD_POLL", "0.2")
    monkeypatch.setenv("BINABOARD_WAIT", "30")
    monkeypatch.setenv("IMAGES_DIR", str(images))
    monkeypatch.chdir(tmp_path)

    namespace: dict = {"__name__": "docs_example"}
    for block in python_blocks():
        if "Wait for the batch to be approved" in block:
            batch = Batch.objects.get(pk=namespace["batch_id"])
            assert batch.status == Batch.Status.ANNOTATING and batch.assignee == annotator
            assert batch.done_count == batch.image_count == 3  # pre-labelled through the API
            batch = workflow.submit(actor=annotator, batch=batch)
            workflow.approve(actor=reviewer, batch=batch)
        exec(compile(block, f"{DOC.name} block", "exec"), namespace)

    assert namespace["upload"]["failed"] == 1
    coco = namespace["coco"]
    assert len(coco["images"]) == 3
    assert len(coco["annotations"]) == Annotation.objects.filter(image__batch_id=namespace["batch_id"]).count() == 3
    assert (tmp_path / "dataset.zip").exists()
