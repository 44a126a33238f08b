"""Alembic, driven from code: `silkgate db upgrade` and the automatic upgrade of `serve` and `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from silkgate.config import get_settings
from silkgate.db import engine_for, normalise_url

if TYPE_CHECKING:  # Alembic is imported by the commands that migrate (`db current` needs none of it)
    from alembic.config import Config

VERSION_TABLE = "alembic_version"

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(database_url or get_settings().database_url))
    return cfg


def upgrade(revision: str = "head", database_url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(revision: str, database_url: str | None = None) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str | None = None) -> str | None:
    engine: Engine = engine_for(database_url or get_settings().database_url)
    with engine.connect() as conn:
        # What Alembic's MigrationContext reads, without importing Alembic (a single-head history).
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_if_needed(database_url: str | None = None) -> None:
    if current_revision(database_url) != head_revision():
        upgrade("head", database_url)
