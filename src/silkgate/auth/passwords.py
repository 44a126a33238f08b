"""Password hashing with Argon2id (memory-hard, RFC 9106)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's second recommended option (64 MiB, 3 passes), kept modest for 2-core servers.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


def hash_password(password: str) -> str:
    return str(_HASHER.hash(password))


@functools.cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(stored: str | None, password: str) -> bool:
    """Check `password`; with no stored hash (unknown user) do the same work and answer False,
    so the time of the answer does not tell whether a username exists."""
    if stored is None:
        _verify(_unknown_user_hash(), password)
        return False
    return _verify(stored, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
