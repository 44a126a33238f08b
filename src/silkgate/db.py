"""Engine, session factories and the unit of work: one transaction per request, job or CLI command.

Two kinds of unit of work:

- **read** (every GET/HEAD request): on SQLite a deferred `BEGIN`, so any number of readers run at
  once beside a writer (WAL); on both backends the session refuses to write (a programming error,
  caught by the tests), so a read can never upgrade to a write lock half-way.
- **write** (every other request, CLI commands, jobs): on SQLite `BEGIN IMMEDIATE`, taken when the
  unit of work first touches the database, so read-then-write (quota, bonded stock) is serialised.
  Writers of one process queue on a lock in Python (first come, first served, no busy polling);
  writers of other processes meet SQLite's busy timeout. On PostgreSQL rows are locked with
  `SELECT ... FOR UPDATE` where a check and a change must not interleave.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from silkgate.config import get_settings
from silkgate.exceptions import ServiceBusy

READ = "read"
WRITE = "write"
MODE_OPTION = "silkgate_mode"
# How long a writer waits for the write lock before the request answers 503 (seconds).
WRITE_LOCK_TIMEOUT = 30.0


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is off: the begin hook below issues BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of page cache a connection (SQLite's default is 2 MiB): the declarations' indexes on
    # blind indexes and guids take inserts at random places, and once the file outgrows the cache
    # every such insert reads its pages back through the OS (ingest slowed by a fifth at 1 GB).
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


class _WriterQueue:
    """The write lock of one SQLite database inside one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self._lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
            raise ServiceBusy("数据库写入排队超时，请稍后重试")

    def release(self) -> None:
        self._lock.release()


def _install_sqlite_transactions(engine: Engine) -> None:
    writers = _WriterQueue()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(MODE_OPTION) == READ:
            conn.exec_driver_sql("BEGIN")
            return
        writers.acquire()
        conn.info["silkgate_writer"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            conn.info.pop("silkgate_writer", None)
            writers.release()
            raise

    def _end(conn: Any) -> None:
        # Fired just before COMMIT/ROLLBACK reaches SQLite: the next writer's BEGIN IMMEDIATE
        # then waits at most for this commit, inside SQLite's busy handler.
        if conn.info.pop("silkgate_writer", False):
            writers.release()

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        # A connection that went back to the pool without commit or rollback (invalidated, say).
        if record.info.pop("silkgate_writer", False):  # pragma: no cover - defensive
            writers.release()


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine for `url`. `pool_size` should cover the threads that serve requests."""
    url = normalise_url(url)
    size = pool_size or get_settings().threads
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=size,
            max_overflow=size,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _install_sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=8, pool_timeout=30)


@functools.lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions for write units of work."""
    return sessionmaker(
        bind=engine or get_engine(), expire_on_commit=False, autoflush=True, info={"mode": WRITE}
    )


def read_session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions for read units of work: deferred transactions on SQLite; writing is refused."""
    bound = (engine or get_engine()).execution_options(**{MODE_OPTION: READ})
    return sessionmaker(bind=bound, expire_on_commit=False, autoflush=True, info={"mode": READ})


def is_read_only(session: Session) -> bool:
    """True in a read unit of work: a default a service would create on first use stays transient."""
    return session.info.get("mode") == READ


_T = TypeVar("_T")


def with_column_defaults(obj: _T) -> _T:
    """Fill a transient object's unset columns with their scalar defaults (as an INSERT would)."""
    for column in sa_inspect(type(obj)).columns:
        default = column.default
        if default is not None and default.is_scalar and getattr(obj, column.key, None) is None:
            setattr(obj, column.key, default.arg)
    return obj


def mark_read_only(session: Session) -> None:
    """Refuse writes in `session` from now on (a read unit of work on a shared connection)."""
    session.info["mode"] = READ


class WriteInReadUnitOfWork(RuntimeError):
    """A read unit of work tried to write: the route must be a write (POST) or defer the write."""


@event.listens_for(Session, "before_flush")
def _refuse_flush_in_read(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    if session.info.get("mode") == READ and (session.new or session.dirty or session.deleted):
        changed = [type(o).__name__ for o in (*session.new, *session.dirty, *session.deleted)][:5]
        raise WriteInReadUnitOfWork(f"read unit of work would write {changed}")


@event.listens_for(Session, "do_orm_execute")
def _refuse_dml_in_read(state: ORMExecuteState) -> None:
    if state.session.info.get("mode") == READ and (state.is_insert or state.is_update or state.is_delete):
        raise WriteInReadUnitOfWork(f"read unit of work would execute {state.statement}")


@contextmanager
def unit_of_work(engine: Engine | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """One transaction: commits once at the end, rolls back everything on any error."""
    maker = read_session_factory(engine) if read_only else session_factory(engine)
    session = maker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
