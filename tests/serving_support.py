"""Serving the app for real in the tests: a fresh database of either backend and `silkgate serve`
in its own process group, for the concurrency and OpenAPI-conformance tests."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from conftest import PG_ADMIN_URL, _pg_reachable


def fresh_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{Path(tempfile.mkdtemp(prefix='silkgate-conc-')) / 'zone.db'}"
        return
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"sgt_conc_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(url: str, workers: int) -> Iterator[tuple[str, list[str]]]:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read back after the server stops
    env = {**os.environ, "SILKGATE_DATABASE_URL": url, "SILKGATE_SECRET_KEY": secrets.token_hex(16)}
    cmd = [sys.executable, "-m", "silkgate", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "server exited during start-up"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "server did not start within 90 s"
            time.sleep(0.2)
        yield base, lines
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.seek(0)
        lines.extend(log.read().decode(errors="replace").splitlines())
        log.close()
