"""Migrations: the models match them exactly, and upgrade head -> downgrade base -> upgrade works."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from silkgate.db import make_engine
from silkgate.migrate import downgrade, upgrade
from silkgate.models import metadata


def _fresh_url(db_url: str, tmp_path_factory: object) -> str:
    return db_url


def test_models_match_migrations(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        url = db_url.rsplit("/", 1)[0] + "/" + db_url.rsplit("/", 1)[1]
        # the session database already holds the migrated schema; compare against it directly
    if url.startswith("sqlite"):
        upgrade("head", url)
    engine = make_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_downgrade_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/rt.db"
    upgrade("head", url)
    downgrade("base", url)
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade("head", url)
    engine = make_engine(url)
    assert "enterprises" in inspect(engine).get_table_names()
    engine.dispose()
