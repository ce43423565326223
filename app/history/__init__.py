"""History of every change, optimistic locking and safe deletion (issue 4).

- ``actor``: who makes a change (logged-in account or command label);
- ``recorder``: session hooks writing ``change_log`` rows;
- ``values``: turning logged values back into Python and French text;
- ``restore``: bringing back a version or a deleted record;
- ``deletion``: what a delete would remove, and what forbids it;
- ``locking``: the version the person saw travels with forms, inline edits, deletes;
- ``views``: the admin mixin (history page, restore, safe delete, archive);
- ``journal``: the administrators' read-only journal.

For developers:
- a command or an import attributes its changes with ``with acting_as("import"):``
  (web requests use the logged-in account, other commands "cli");
- write through ``db.session`` with ORM objects: ORM bulk INSERT/UPDATE/DELETE
  statements on recorded models are refused, because they would escape the log;
- a model that must not be recorded declares ``__history__ = False``; columns
  whose name contains password/secret/token/hash are never copied into the log.
"""

from __future__ import annotations

from flask import Flask

from app.history import recorder
from app.history.actor import acting_as, current_actor

__all__ = ["acting_as", "current_actor", "init_history"]


def init_history(app: Flask) -> None:
    """Install the session hooks (idempotent; shared by every app of the process)."""
    recorder.install()
