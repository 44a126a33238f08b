"""Settings, read from the environment with the prefix SILKGATE_."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'silkgate.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SILKGATE_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    # Secret for session cookies and CSRF tokens. A random one per process is safe but logs
    # everyone out on restart: set SILKGATE_SECRET_KEY in production.
    secret_key: str = Field(default_factory=lambda: secrets.token_hex(32))
    # Master key for personal data: SM4 encryption key and SM3 blind-index key are derived from it.
    # The demo default is public; production must set its own (64 hex characters).
    data_key: str = "5c1a9e0b7d3f46a28e51c0d9b2a4f6e1" * 2
    # Largest message accepted (bytes) on the API and by ingest.
    max_message_bytes: int = 10 * 1024 * 1024
    # Zone the web UI shows when the viewer has none (the deployment's first zone otherwise).
    default_zone: str | None = None
    cookie_secure: bool = False
    # Threads that run requests in one server process; each holds at most one database connection,
    # so the connection pool of a process has this many (PostgreSQL: plus 8 overflow).
    threads: int = Field(default=32, ge=2, le=256)
    # How long a resolved API key or web session is trusted without a database look-up (seconds).
    # Revocations and role changes take effect at once in the process that made them and within
    # this time in the others.
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=300)
    # Password verifications (Argon2id, 64 MiB each) allowed at once; more logins wait their turn
    # without holding a request thread.
    password_checks: int = Field(default=2, ge=1, le=64)
    # Incoming ds:Signature: `verify` checks digest, signature value and the sender's registered
    # certificate; `presence` only requires the element the XSD asks for (conformance testing with
    # the official samples, whose signatures are illustrative). docs/signatures-and-ledger.md
    signature_policy: Literal["verify", "presence"] = "verify"
    # The traceability log of raw messages, receipts and status changes. Off only to measure its cost.
    ledger: bool = True
    # How often `silkgate serve` signs a ledger checkpoint while the log grows (seconds; 0: never).
    ledger_checkpoint_seconds: float = Field(default=60.0, ge=0, le=3600)


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
