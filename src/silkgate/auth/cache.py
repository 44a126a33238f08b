"""A short-lived cache of resolved principals, so a request does not look up its API key or web
session in the database every time.

An entry lives `Settings.auth_cache_seconds`. Anything that changes what a principal may do
(roles, legal name, an organisation or user switched off, a key revoked) calls
`invalidate_principals()`, which empties every cache of this process at once; other processes
follow within the time to live.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from silkgate.auth.principal import Principal

_generation = 0
_generation_lock = threading.Lock()
MAX_ENTRIES: Final = 10_000


def invalidate_principals() -> None:
    """Forget every cached principal of this process (call after a change to roles, keys, users)."""
    global _generation
    with _generation_lock:
        _generation += 1


class PrincipalCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[tuple[str, str], tuple[float, int, Principal]] = {}

    def get(self, key: tuple[str, str]) -> Principal | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, generation, principal = entry
        if generation != _generation or expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        return principal

    def put(self, key: tuple[str, str], principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, _generation, principal)
