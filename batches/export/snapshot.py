"""One consistent view of the database for a whole export, on a connection of its own.

An export reads the Dataset column's batches first, then its images chunk by chunk and each chunk's
boxes while the zip streams, possibly for minutes. Read piecemeal, a batch reset half-way through
would land in the archive as images with empty label files ("no objects"): corrupted training data.
So every read of one export goes through one read transaction:

- PostgreSQL: `REPEATABLE READ, READ ONLY`, whose snapshot is taken by the first query and kept to
  the end;
- SQLite (WAL): a `BEGIN DEFERRED` read transaction. The project's connections use
  `transaction_mode="IMMEDIATE"`, which takes the write lock at BEGIN: a long export inside
  `transaction.atomic()` would block every writer until the last byte is sent. A deferred read
  transaction on a separate connection blocks nobody (WAL readers never block writers).

The connection is opened for the export alone and registered under a private alias in this thread
(Django's connections are per thread; the export view and its stream run in one). It is rolled back
and closed when the stream ends, fails, or is abandoned by a client that went away.

Inside a caller's transaction (a test, a command run in `atomic()`) the export reads through that
transaction instead: only it can see its own writes.
"""

from __future__ import annotations

import contextlib
import copy
import uuid

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

BEGIN = {
    "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    "sqlite": "BEGIN DEFERRED",
}
# The snapshot starts with the first read, not at BEGIN: read something at once, so that it is taken
# before the export reads anything (and not, say, after a reset that happened in between).
FIRST_READ = {
    "postgresql": "SELECT 1",
    "sqlite": "SELECT count(*) FROM sqlite_schema",
}


class Snapshot:
    """A read-only transaction on a dedicated connection; `alias` is the name to pass to `.using()`."""

    def __init__(self):
        base = connections[DEFAULT_DB_ALIAS]
        self.wrapper = None
        self.alias = DEFAULT_DB_ALIAS
        if base.in_atomic_block:
            return
        if base.vendor not in BEGIN:
            raise ImproperlyConfigured(f"Exports need PostgreSQL or SQLite, not {base.vendor}.")
        settings_dict = copy.deepcopy(base.settings_dict)
        options = settings_dict.setdefault("OPTIONS", {})
        options.pop("pool", None)  # one plain connection, not a pool of its own per export
        if base.vendor == "sqlite":
            options["transaction_mode"] = "DEFERRED"
        self.alias = f"export-snapshot-{uuid.uuid4().hex}"
        self.wrapper = type(base)(settings_dict, alias=self.alias)
        connections[self.alias] = self.wrapper
        try:
            with self.wrapper.cursor() as cursor:
                cursor.execute(BEGIN[base.vendor])
                cursor.execute(FIRST_READ[base.vendor])
                cursor.fetchall()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End the transaction and the connection; safe to call more than once."""
        wrapper, self.wrapper = self.wrapper, None
        if wrapper is None:
            return
        try:
            # Closing ends the transaction anyway: a rollback that fails (none was begun) changes nothing.
            with contextlib.suppress(DatabaseError), wrapper.cursor() as cursor:
                cursor.execute("ROLLBACK")
        finally:
            wrapper.close()
            with contextlib.suppress(AttributeError):  # registered in this thread only
                del connections[self.alias]
