"""Removing stored files in bulk: S3's DeleteObjects 1,000 keys a request, local disk one by one."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.files.storage import Storage, default_storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, safe_join

log = logging.getLogger("batches.files")

# The most keys S3's DeleteObjects takes in one request.
S3_DELETE_PAGE = 1000


def delete_stored(names: Sequence[str], storage: Storage | None = None) -> set[str]:
    """Delete these stored files (a missing one counts as deleted); the names that could not be deleted."""
    storage = storage or default_storage
    if isinstance(storage, S3Storage):
        return _delete_s3(storage, names)
    failed = set()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            log.warning("could not delete stored file %s; cleanup_media will try again", name, exc_info=True)
            failed.add(name)
    return failed


def _delete_s3(storage: S3Storage, names: Sequence[str]) -> set[str]:
    client = storage.connection.meta.client
    failed = set()
    for start in range(0, len(names), S3_DELETE_PAGE):
        page = list(names[start : start + S3_DELETE_PAGE])
        # The storage's own key for each name (its location prefix applied), and back.
        keys = {safe_join(storage.location, clean_name(name)): name for name in page}
        try:
            answer = client.delete_objects(
                Bucket=storage.bucket_name,
                Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True},
            )
        except Exception:  # botocore's errors: the whole page stays for the next try
            log.warning("could not delete %s stored files from S3", len(page), exc_info=True)
            failed.update(page)
            continue
        for error in answer.get("Errors", []):
            log.warning("could not delete %s from S3: %s", error.get("Key"), error.get("Message"))
            failed.add(keys.get(error.get("Key"), error.get("Key")))
    return failed
