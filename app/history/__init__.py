"""History of every change, optimistic locking and safe deletion (issue 4).

- ``actor``: who makes a change (logged-in account or command label);
- ``recorder``: session hooks writing ``change_log`` rows;
- ``values``: turning logged values back into Python and French text;
- ``restore``: bringing back a version or a deleted record;
- ``deletion``: what a delete would remove, and what forbids it;
- ``views``: the admin mixin (history page, restore, locking, archive) and the journal.
"""

from __future__ import annotations

from flask import Flask

from app.history.actor import acting_as, current_actor

__all__ = ["acting_as", "current_actor", "init_history"]


def init_history(app: Flask) -> None:
    """Install the session hooks (idempotent; shared by every app of the process)."""
    from app.history import recorder

    recorder.install()
