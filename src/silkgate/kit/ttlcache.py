"""A small in-process cache of computed values with a time to live and a version.

For figures that are costly to compute and cheap to serve slightly old (an official's dashboard):
an entry is used while it is younger than its TTL and was computed at the same `version` (e.g. the
count of committed trade events of this process), so this process's own writes show at once and
other processes' writes within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 256) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Hashable, V]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, version: Hashable, compute: Callable[[], V]) -> V:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now and entry[1] == version:
            return entry[2]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, version, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
