"""Fixtures of the export tests (helpers in export_world.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from export.export_world import World, make_world


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)
