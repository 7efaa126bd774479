"""The one error every refused move raises, from the rule book, the workflow or a view's input check."""

from __future__ import annotations


class WorkflowError(Exception):
    """A move that did not happen. `kind` tells why; the message says it to a person."""

    REFUSED = "refused"  # the move is not allowed from where the batch is
    STALE = "stale"  # the batch changed (or vanished) since the caller saw it
    FORBIDDEN = "forbidden"  # the actor may not do this
    INVALID = "invalid"  # the input is wrong (count, comment, assignee, ...)

    def __init__(self, message: str, *, kind: str, batch=None):
        super().__init__(message)
        self.message = str(message)
        self.kind = kind
        self.batch = batch
