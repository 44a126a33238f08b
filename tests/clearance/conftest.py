"""Fixtures of the clearance tests: a database of its own for races between real transactions."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from silkgate.db import make_engine

PG_ADMIN_URL = os.environ.get("SILKGATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _prepare(eng: Engine) -> None:
    from silkgate.models import metadata
    from silkgate.registry.bootstrap import ensure_reference_data

    metadata.create_all(eng)
    with Session(eng) as s:
        ensure_reference_data(s)
        s.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def own_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database (SQLite file or PostgreSQL database) whose transactions really commit:
    the concurrency tests need separate connections racing each other, which the rolled-back
    `session` fixture cannot give."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tempfile.mkdtemp(prefix='silkgate-race-')}/race.db")
        _prepare(eng)
        yield eng
        eng.dispose()
        return
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            pytest.fail(f"CI requires PostgreSQL: {exc}")
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} not reachable: {exc.__class__.__name__}")
    name = f"sgt_race_{secrets.token_hex(4)}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        _prepare(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
