"""Pre-built statements on the export domain's per-message path.

Each message's look-ups are statements built once at import and executed with parameters on the
session's connection: no statement construction and no ORM loading per message, and every one is
keyed on indexed columns, so a message costs the same whatever the size of the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session


def query(session: Session, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
    """Execute a pre-built Core statement on the session's connection (savepoint-aware), after
    flushing pending ORM changes as an ORM query's autoflush would, so it sees everything written."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)
