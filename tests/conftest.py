"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

Each test session gets its own database (a temp SQLite file; a fresh PostgreSQL database named
sgt_<random>), built once by the real Alembic migrations. Each test runs inside a transaction
that is rolled back afterwards; the app under test uses the same connection, so a request's
commit is a savepoint release and nothing leaks between tests.

PostgreSQL tests skip with a stated reason when no server is reachable, unless CI is set,
in which case they fail.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

# The synthetic messages most tests declare carry a placeholder ds:Signature (no enterprise of a
# test has a registered certificate): the suite runs them under the `presence` policy. The tests of
# tests/trust/ pin `verify`, the default of every deployment, and sign for real.
os.environ.setdefault("SILKGATE_SIGNATURE_POLICY", "presence")

from silkgate.app import create_app
from silkgate.config import Settings
from silkgate.db import make_engine

PG_ADMIN_URL = os.environ.get("SILKGATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
ARTIFACTS = Path(__file__).parent / "artifacts"


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at {PG_ADMIN_URL} not reachable: {exc.__class__.__name__}"


def build_schema(url: str) -> None:
    """Build the schema exactly as production does: the Alembic migrations."""
    from silkgate.migrate import upgrade

    upgrade("head", url)


def seed_reference_data(engine: Engine) -> None:
    """Zones and the shipped tariff table, as `silkgate db upgrade` + first start provide them."""
    from silkgate.registry.bootstrap import ensure_reference_data

    with Session(engine) as s:
        ensure_reference_data(s)
        s.commit()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        tmp = tempfile.mkdtemp(prefix="silkgate-test-")
        url = f"sqlite:///{tmp}/test.db"
        build_schema(url)
        yield url
        return
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"sgt_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        build_schema(url)
        yield url
    finally:
        from silkgate.db import engine_for

        engine_for.cache_clear()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    seed_reference_data(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture
def session_maker(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_maker: sessionmaker[Session]) -> Iterator[Session]:
    s = session_maker()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key="test-secret")


@pytest.fixture
def app(settings: Settings, engine: Engine, session_maker: sessionmaker[Session]) -> FastAPI:
    application = create_app(settings, engine)
    application.state.sessionmaker = session_maker
    application.state.read_sessionmaker = session_maker
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """../shared/reference, or a skip saying why (a user's fresh clone has no shared/)."""
    if not REFERENCE.is_dir():
        pytest.skip(
            f"the public reference material is not beside the project ({REFERENCE}); CI always has it"
        )
    return REFERENCE
