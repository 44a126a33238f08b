"""Shared support for browser tests: a live silkgate server on a temporary SQLite database with the
demo loaded, Debian's chromium, login and screenshots (kept under tests/artifacts/).

    with live_server(tmp_path) as base_url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        login(page, base_url, "zone_admin")
        shot(page, "registry-approvals")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DEMO_PASSWORD = "silkgate-demo"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(url: str, demo_zone: str | None, steps: Sequence[str] | None = None) -> None:
    """Migrate, reference data, the demo: what `silkgate demo --load-only` does."""
    import silkgate.demo as demo
    from silkgate.db import make_engine, unit_of_work
    from silkgate.migrate import upgrade
    from silkgate.registry.bootstrap import ensure_reference_data

    upgrade("head", url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        ensure_reference_data(session)
    if demo_zone is not None:
        all_steps = demo.STEPS
        if steps is not None:
            demo.STEPS = tuple(s for s in all_steps if s in steps)  # type: ignore[misc]
        try:
            with unit_of_work(engine) as session:
                demo.load_demo(session, demo_zone)
        finally:
            demo.STEPS = all_steps  # type: ignore[misc]
    engine.dispose()


@contextmanager
def live_server(
    tmp_path: Path, *, demo_zone: str | None = "140800", steps: Sequence[str] | None = None
) -> Iterator[str]:
    """Serve silkgate from a thread on a free 127.0.0.1 port; yields the base URL.

    `steps` limits the demo to some steps (e.g. ("registry",)) for a test that needs only those."""
    import uvicorn

    from silkgate.app import create_app
    from silkgate.config import Settings

    url = f"sqlite:///{tmp_path / 'live.db'}"
    prepare_database(url, demo_zone, steps)
    app = create_app(Settings(database_url=url, secret_key="browser-test-secret"))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def login(page: Any, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login" in page.url:
        raise AssertionError(f"login as {username} failed")


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
